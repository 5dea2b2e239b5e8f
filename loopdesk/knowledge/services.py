"""Writes for knowledge articles: create, edit (a revision per change), move through the lifecycle,
vote, review comments. Each service runs in one transaction and updates the search index before it
commits. Flags (flags.py), rewards (rewards.py), ticket drafting and links (drafting.py) and
attachments (attachments.py) have their own modules; their services are re-exported here."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from loopdesk.core.services import jsonable, record_audit, refuse_unknown

from . import flags, rewards
from .index import index_article, quality, write_docs
from .models import (
    Article,
    ArticleComment,
    ArticleRevision,
    ArticleStatus,
    ArticleType,
    ArticleVote,
    Audience,
    RewardReason,
    SearchDoc,
    VoteReason,
)
from .permissions import can_author, can_review
from .sanitize import clean_html, plain_text

S = ArticleStatus
TEXT_FIELDS = ("title", "body", "symptom", "cause", "resolution", "workaround")
HTML_FIELDS = ("body", "symptom", "cause", "resolution", "workaround")  # rich text, sanitised with nh3
MAX_TEXT = 100_000
EDITABLE = {*TEXT_FIELDS, "type", "category", "tags", "audience", "products", "versions"}
MAX_TAGS = 20

# to-status → the from-statuses it may be reached from, and who may do it ("author" or "reviewer").
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    S.REVIEW: (frozenset({S.DRAFT}), "author"),
    S.PUBLISHED: (frozenset({S.REVIEW}), "reviewer"),
    S.DRAFT: (frozenset({S.REVIEW, S.RETIRED}), "author"),  # returned by a reviewer, withdrawn or revived
    S.RETIRED: (frozenset({S.PUBLISHED}), "reviewer"),
}


def allowed_transitions(article: Article, actor: Any) -> list[str]:
    """The statuses `actor` may move `article` to now."""
    return [to for to, (sources, _who) in TRANSITIONS.items() if article.status in sources and _may(actor, article, to)]


def _may(actor: Any, article: Article, to: str) -> bool:
    _sources, who = TRANSITIONS[to]
    if can_review(actor):
        return True
    return who == "author" and can_author(actor) and article.author_id == actor.pk


def _clean(values: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Check the fields a caller sent; raise one ValidationFailed naming every bad field."""
    errors: dict[str, list[str]] = {}
    for name in TEXT_FIELDS:
        if name in values:
            value = values[name]
            if not isinstance(value, str):
                errors[name] = [_("Enter text.")]
            elif "\x00" in value:
                errors[name] = [_("Text may not contain NUL characters.")]
            elif len(value) > MAX_TEXT:
                errors[name] = [_("At most %(n)s characters.") % {"n": f"{MAX_TEXT:,}"}]
            else:
                values[name] = clean_html(value) if name in HTML_FIELDS else value.strip()
    if not errors.get("title") and (not partial or "title" in values):
        title = values.get("title", "")
        if not title:
            errors["title"] = [_("This field is required.")]
        elif len(title) > 200:
            errors["title"] = [_("At most %(n)s characters.") % {"n": 200}]
    if "type" in values and values["type"] not in ArticleType.values:
        errors["type"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(ArticleType.values)}]
    if "audience" in values and values["audience"] not in Audience.values:
        errors["audience"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(Audience.values)}]
    if "tags" in values:
        tags = values["tags"]
        if not isinstance(tags, list | tuple) or not all(isinstance(t, str) for t in tags):
            errors["tags"] = [_("Enter a list of words.")]
        else:
            cleaned = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
            if len(cleaned) > MAX_TAGS or any(len(t) > 32 or "\x00" in t for t in cleaned):
                errors["tags"] = [_("At most %(n)s tags of up to 32 characters each.") % {"n": MAX_TAGS}]
            values["tags"] = cleaned
    if errors:
        raise ValidationFailed(fields=errors)
    return values


def _check_applicability(article_products: list[Any], versions: list[Any], audience: str) -> None:
    errors: dict[str, list[str]] = {}
    product_ids = {p.pk for p in article_products}
    if any(v.product_id not in product_ids for v in versions):
        errors["version_ids"] = [_("Each version must belong to one of the article's products.")]
    if audience == Audience.PRODUCT and not product_ids:
        errors["product_ids"] = [_("An article for a product's customers needs at least one product.")]
    if errors:
        raise ValidationFailed(fields=errors)


def _check_complete(article: Article) -> None:
    """What an article must say before a reviewer sees it, by type."""
    required = {
        ArticleType.TROUBLESHOOTING: ("symptom", "resolution"),
        ArticleType.KNOWN_ERROR: ("symptom", "workaround"),
    }.get(article.type, ("body",))
    missing = {name: [_("This field is required.")] for name in required if not plain_text(getattr(article, name))
               and "<img" not in getattr(article, name)}
    if missing:
        raise ValidationFailed(_("The article is not complete for its type."), fields=missing)


def snapshot(article: Article) -> dict[str, Any]:
    data = {name: getattr(article, name) for name in (*TEXT_FIELDS, "type", "audience", "status", "tags")}
    data["category"] = article.category_id
    data["products"] = sorted(article.products.values_list("id", flat=True))
    data["versions"] = sorted(article.versions.values_list("id", flat=True))
    return data


def _revise(article: Article, actor: Any) -> None:
    ArticleRevision.objects.create(article=article, version=article.version, snapshot=snapshot(article),
                                   author=actor if getattr(actor, "pk", None) else None)
    index_article(article)


@transaction.atomic
def create_article(*, actor: Any, title: str, type: str = ArticleType.HOWTO, audience: str = Audience.INTERNAL,
                   products: list[Any] = (), versions: list[Any] = (), source_ticket: Any = None,
                   **values: Any) -> Article:
    """Write a new draft (revision 1)."""
    if not can_author(actor):
        raise Forbidden(_("You may not write knowledge articles."))
    refuse_unknown(values, EDITABLE - {"products", "versions"})
    values = _clean({**values, "title": title, "type": type, "audience": audience}, partial=False)
    products, versions = list(products), list(versions)
    _check_applicability(products, versions, audience)
    article = Article.objects.create(author=actor, source_ticket=source_ticket, **values)
    article.products.set(products)
    article.versions.set(versions)
    record_audit(actor=actor, obj=article, action="create", changes={"title": article.title, "type": article.type})
    _revise(article, actor)
    return article


def can_edit(actor: Any, article: Article) -> bool:
    """Authors edit their own drafts and articles in review; reviewers edit anything not retired."""
    if article.status == S.RETIRED:
        return False
    own = can_author(actor) and article.author_id == getattr(actor, "pk", None)
    return can_review(actor) or (own and article.status in (S.DRAFT, S.REVIEW))


def _lock(article: Article) -> Article:
    try:
        return Article.objects.select_for_update().get(pk=article.pk)
    except Article.DoesNotExist:
        raise NotFound() from None


@transaction.atomic
def update_article(*, actor: Any, article: Article, **values: Any) -> Article:
    """Change an article; every change is a new version with its revision. Authors edit their own
    drafts and articles in review; reviewers edit anything that is not retired. A reviewer's edit of
    a published article is published at once: its revision is marked published and the "needs
    update" flags are cleared."""
    refuse_unknown(values, EDITABLE)
    article = _lock(article)
    if not can_edit(actor, article):
        raise Forbidden(_("You may not edit this article now."))
    products = values.pop("products", None)
    versions = values.pop("versions", None)
    values = _clean(values, partial=True)
    new_products = list(products) if products is not None else list(article.products.all())
    new_versions = list(versions) if versions is not None else list(article.versions.all())
    _check_applicability(new_products, new_versions, values.get("audience", article.audience))
    before = snapshot(article)
    for name, value in values.items():
        setattr(article, name, value)
    if products is not None:
        article.products.set(new_products)
    if versions is not None:
        article.versions.set(new_versions)
    after = snapshot(article)
    changes = {k: [jsonable(before[k]), jsonable(after[k])] for k in after if before[k] != after[k]}
    if not changes:
        return article
    article.version += 1
    article.save()
    record_audit(actor=actor, obj=article, action="update", changes=changes)
    _revise(article, actor)
    if article.status == S.PUBLISHED:  # only reviewers edit a published article: the edit is republished
        ArticleRevision.objects.filter(article=article, version=article.version).update(published_at=timezone.now())
        flags.clear_all(article, by=actor)
    return article


@transaction.atomic
def transition_article(*, actor: Any, article: Article, to: str, note: str = "", reviewer: Any = None) -> Article:
    """Move an article through draft → review → published → retired (and back to draft).

    Submitting may name the `reviewer` asked to approve (who must hold KNOWLEDGE_REVIEW; they are
    notified). Publishing marks the current revision as published, clears the "needs update" flags
    and, the first time, pays the author and the approving reviewer (rewards.py). A `note` is kept
    in the review thread."""
    article = _lock(article)
    if to not in TRANSITIONS:
        raise ValidationFailed(fields={"to": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(TRANSITIONS)}]})
    sources, _who = TRANSITIONS[to]
    if article.status not in sources:
        raise Conflict(_("An article in status “%(status)s” cannot move to “%(to)s”.") % {
            "status": article.get_status_display(), "to": S(to).label})
    if not _may(actor, article, to):
        raise Forbidden(_("You may not move this article to “%(to)s”.") % {"to": S(to).label})
    if reviewer is not None and (to != S.REVIEW or not can_review(reviewer)):
        raise ValidationFailed(fields={"reviewer_id": [_("Choose a knowledge reviewer.")]})
    if to == S.REVIEW:
        _check_complete(article)
    old = article.status
    article.status = to
    now = timezone.now()
    if reviewer is not None:
        article.reviewer = reviewer
    if to == S.PUBLISHED:
        article.published_at = now
        article.reviewer = actor if getattr(actor, "pk", None) else None
    article.save()
    note = (note or "").strip()[:500]
    record_audit(actor=actor, obj=article, action="transition",
                 changes={"status": [old, to], **({"note": note} if note else {})})
    if note:
        ArticleComment.objects.create(article=article, author=actor if getattr(actor, "pk", None) else None,
                                      body=f"[{S(to).label}] {note}", version=article.version)
    if to == S.REVIEW:
        _notify_review(article, reviewer)
    if to == S.PUBLISHED:
        ArticleRevision.objects.filter(article=article, version=article.version, published_at=None).update(
            published_at=now)
        flags.clear_all(article, by=actor)
        rewards.award(user=article.author, reason=RewardReason.AUTHORED_PUBLISHED, article=article, source="publish")
        if article.reviewer is not None:
            rewards.award(user=article.reviewer, reason=RewardReason.REVIEWED, article=article, source="publish")
    index_article(article)
    return article


def _notify_review(article: Article, reviewer: Any) -> None:
    from django.urls import reverse

    from loopdesk.accounts.services import notify

    if reviewer is None:
        return
    notify([reviewer], subject=_("Please review: %(title)s") % {"title": article.title},
           url=reverse("knowledge:detail", args=[article.pk]), kind="knowledge.review")


@transaction.atomic
def add_review_comment(*, actor: Any, article: Article, body: str) -> ArticleComment:
    """A remark in the article's review thread (staff who write or review knowledge and can see it)."""
    if not (can_author(actor) or can_review(actor)):
        raise Forbidden(_("You may not comment on articles."))
    if not Article.objects.visible_to(actor).filter(pk=article.pk).exists():
        raise NotFound(_("No such article, or you may not see it."))
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(fields={"body": [_("Write something.")]})
    if len(body) > 5000 or "\x00" in body:
        raise ValidationFailed(fields={"body": [_("At most %(n)s characters.") % {"n": 5000}]})
    return ArticleComment.objects.create(article=article, author=actor, body=body, version=article.version)


@transaction.atomic
def vote_article(*, actor: Any, article: Article, helpful: bool, reason: str = "", comment: str = "") -> Article:
    """Record `actor`'s helpful / not helpful vote on a published article they can read; a second
    vote replaces the first, so counters count people. A "not helpful" vote may give a `reason`
    (VoteReason) and a `comment`. A helpful vote pays the author a point (taken back when the vote
    turns); enough "not helpful" votes flag the article (flags.check_votes)."""
    if not Article.objects.visible_to(actor).filter(pk=article.pk, status=S.PUBLISHED).exists():
        raise NotFound(_("No such article, or you may not see it."))
    reason, comment = ("", "") if helpful else ((reason or "").strip(), (comment or "").strip())
    if reason and reason not in VoteReason.values:
        raise ValidationFailed(fields={"reason": [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(VoteReason.values)}]})
    if len(comment) > 500 or "\x00" in comment:
        raise ValidationFailed(fields={"comment": [_("At most %(n)s characters.") % {"n": 500}]})
    article = _lock(article)
    vote = ArticleVote.objects.select_for_update().filter(article=article, user=actor).first()
    source = f"vote:{actor.pk}"
    if vote is not None and vote.helpful == helpful:
        if (vote.reason, vote.comment) != (reason, comment):
            vote.reason, vote.comment = reason, comment
            vote.save(update_fields=["reason", "comment", "at"])
        return article
    delta = {"helpful_count": F("helpful_count") + (1 if helpful else 0),
             "unhelpful_count": F("unhelpful_count") + (0 if helpful else 1)}
    if vote is not None:  # switching sides takes the old vote back
        old = "helpful_count" if vote.helpful else "unhelpful_count"
        delta[old] = delta[old] - 1
        vote.helpful, vote.reason, vote.comment = helpful, reason, comment
        vote.save(update_fields=["helpful", "reason", "comment", "at"])
    else:
        ArticleVote.objects.create(article=article, user=actor, helpful=helpful, reason=reason, comment=comment)
    Article.objects.filter(pk=article.pk).update(**delta)
    article.refresh_from_db()
    if helpful and article.author_id != actor.pk:
        rewards.award(user=article.author, reason=RewardReason.HELPFUL_VOTE, article=article, source=source)
    elif not helpful:
        rewards.revoke(reason=RewardReason.HELPFUL_VOTE, article=article, source=source)
        flags.check_votes(article)
    SearchDoc.objects.filter(kind=SearchDoc.Kind.ARTICLE, object_id=article.pk).update(
        quality=quality(article.helpful_count, article.unhelpful_count)
    )
    return article


from .attachments import add_attachment, delete_attachment  # noqa: E402
from .drafting import draft_from_ticket, link_ticket, strip_customer_data, unlink_ticket  # noqa: E402

flag_article = flags.flag_article
clear_flag = flags.clear_flag

__all__ = ["add_attachment", "add_review_comment", "allowed_transitions", "can_edit", "clear_flag", "create_article",
           "delete_attachment", "draft_from_ticket", "flag_article", "index_article", "link_ticket",
           "strip_customer_data", "transition_article", "unlink_ticket", "update_article", "vote_article",
           "write_docs"]
