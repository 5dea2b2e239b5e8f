""""Needs update" flags: raised when a product version an article applies to changes or a new
version of one of its products is released, when readers vote it down, or by hand; cleared by the
next publish. At most one open flag per article and reason (a repeat raise returns the open one)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.core.errors import Forbidden, NotFound, ValidationFailed
from loopdesk.core.services import record_audit

from .models import Article, ArticleFlag, ArticleStatus, ArticleVote, FlagReason
from .permissions import can_author, can_review

VOTE_WINDOW = 10  # the last N votes are looked at
VOTE_MIN_UNHELPFUL = 3  # at least this many of them "not helpful", and more than half


def _raise(article: Article, reason: str, *, note: str = "", by: Any = None) -> tuple[ArticleFlag, bool]:
    flag = ArticleFlag.objects.filter(article=article, reason=reason, cleared_at=None).first()
    if flag is not None:
        return flag, False
    try:
        with transaction.atomic():
            flag = ArticleFlag.objects.create(article=article, reason=reason, note=note[:500],
                                              raised_by=by if getattr(by, "pk", None) else None)
    except IntegrityError:  # a concurrent twin raised it first
        return ArticleFlag.objects.get(article=article, reason=reason, cleared_at=None), False
    from loopdesk.accounts.services import notify

    notify([article.author], subject=_("Article needs an update: %(title)s") % {"title": article.title},
           body=f"{FlagReason(reason).label}{': ' + note if note else ''}",
           url=reverse("knowledge:detail", args=[article.pk]), kind="knowledge.flag")
    return flag, True


@transaction.atomic
def flag_article(*, actor: Any, article: Article, note: str = "") -> ArticleFlag:
    """Mark an article as needing an update by hand (holders of KNOWLEDGE_WRITE who can read it)."""
    if not can_author(actor):
        raise Forbidden(_("You may not flag articles."))
    if not Article.objects.visible_to(actor).filter(pk=article.pk).exists():
        raise NotFound(_("No such article, or you may not see it."))
    note = (note or "").strip()
    if len(note) > 500 or "\x00" in note:
        raise ValidationFailed(fields={"note": [_("At most %(n)s characters.") % {"n": 500}]})
    flag, created = _raise(article, FlagReason.MANUAL, note=note, by=actor)
    if not created and note and flag.note != note:
        flag.note = note
        flag.save(update_fields=["note"])
    record_audit(actor=actor, obj=article, action="flag", changes={"reason": FlagReason.MANUAL, "note": note})
    return flag


@transaction.atomic
def clear_flag(*, actor: Any, flag: ArticleFlag) -> ArticleFlag:
    """Clear one flag without republishing (reviewers; the author too for a hand-raised flag)."""
    article = flag.article
    own = can_author(actor) and article.author_id == getattr(actor, "pk", None) and flag.reason == FlagReason.MANUAL
    if not (can_review(actor) or own):
        raise Forbidden(_("You may not clear this flag."))
    if flag.cleared_at is None:
        flag.cleared_at = timezone.now()
        flag.cleared_by = actor
        flag.save(update_fields=["cleared_at", "cleared_by"])
        record_audit(actor=actor, obj=article, action="unflag", changes={"reason": flag.reason})
    return flag


def clear_all(article: Article, *, by: Any = None) -> int:
    """Clear every open flag of the article (called by the publish transition)."""
    return ArticleFlag.objects.filter(article=article, cleared_at=None).update(
        cleared_at=timezone.now(), cleared_by=by if getattr(by, "pk", None) else None)


def check_votes(article: Article) -> ArticleFlag | None:
    """Raise the votes flag when ≥ 3 of the last 10 votes are "not helpful" and they are more than
    half of them."""
    last = list(ArticleVote.objects.filter(article=article).order_by("-at", "-id")
                .values_list("helpful", flat=True)[:VOTE_WINDOW])
    unhelpful = sum(1 for helpful in last if not helpful)
    if unhelpful >= VOTE_MIN_UNHELPFUL and unhelpful * 2 > len(last):
        note = _("%(n)s of the last %(total)s votes: not helpful") % {"n": unhelpful, "total": len(last)}
        return _raise(article, FlagReason.VOTES, note=note)[0]
    return None


def on_product_version_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """post_save of assets.ProductVersion: a new version flags the published articles of its
    product; a changed one flags the published articles that name that version."""
    if raw:
        return
    published = Article.objects.filter(status=ArticleStatus.PUBLISHED)
    if created:
        articles = published.filter(id__in=Article.products.through.objects.filter(
            product_id=instance.product_id).values("article_id"))
        reason = FlagReason.NEW_VERSION
    else:
        articles = published.filter(id__in=Article.versions.through.objects.filter(
            productversion_id=instance.pk).values("article_id"))
        reason = FlagReason.VERSION_CHANGED
    note = str(instance)
    for article in articles.select_related("author"):
        _raise(article, reason, note=note)


def open_flags(article: Article) -> list[ArticleFlag]:
    return list(ArticleFlag.objects.filter(article=article, cleared_at=None).order_by("created_at"))
