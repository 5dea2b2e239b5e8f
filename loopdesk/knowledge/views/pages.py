"""Knowledge list (search and work queues), article page, editor, revision diff, leaderboard."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from loopdesk.core.errors import DomainError
from loopdesk.tickets.models import Ticket
from loopdesk.tickets.views.common import staff_only

from .. import rewards, services
from ..api import with_flags
from ..diff import diff_revisions
from ..forms import (
    ArticleForm,
    AttachmentForm,
    CommentForm,
    FilterForm,
    FlagForm,
    LeaderboardForm,
    VoteForm,
)
from ..models import (
    Article,
    ArticleFlag,
    ArticleRevision,
    ArticleStatus,
    ArticleTicket,
    ArticleVote,
    VoteReason,
)
from ..permissions import can_author, can_review
from ..search import Filters, search
from .common import report, visible_article

PAGE = 50
TYPE_FIELDS_JSON = json.dumps({str(k): [*v, "body"] for k, v in ArticleForm.TYPE_FIELDS.items()})


def _counts(user: Any) -> dict[str, int]:
    visible = Article.objects.visible_to(user)
    return {
        "mine": visible.filter(author=user, status__in=[ArticleStatus.DRAFT, ArticleStatus.REVIEW]).count(),
        "review": visible.filter(status=ArticleStatus.REVIEW).count() if can_review(user) else 0,
        "flagged": visible.filter(id__in=ArticleFlag.objects.filter(cleared_at=None).values("article_id")).count(),
    }


@require_GET
@login_required
@staff_only
def article_list(request):
    """Search (published articles, ranked, highlighted) or browse with filters and work queues."""
    form = FilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    user = request.user
    context: dict[str, Any] = {"form": form, "counts": _counts(user), "view": data.get("view", ""),
                               "can_write": can_author(user), "can_review": can_review(user)}
    q = (data.get("q") or "").strip()
    if q:
        filters = Filters(product=getattr(data.get("product"), "pk", None),
                          version=getattr(data.get("version"), "pk", None),
                          category=getattr(data.get("category"), "pk", None),
                          article_type=data.get("type") or None, since=data.get("since"), until=data.get("until"))
        hits = search(user, q, filters=filters, limit=50)
        flagged = set(ArticleFlag.objects.filter(cleared_at=None, article_id__in=[h.id for h in hits])
                      .values_list("article_id", flat=True))
        context.update(q=q, hits=hits, flagged=flagged)
        return render(request, "knowledge/list.html", context)
    qs = with_flags(Article.objects.visible_to(user)).select_related("author", "category")
    view = data.get("view")
    if view == "mine":
        qs = qs.filter(author=user, status__in=[ArticleStatus.DRAFT, ArticleStatus.REVIEW])
    elif view == "review":
        qs = qs.filter(status=ArticleStatus.REVIEW)
    elif view == "flagged":
        qs = qs.filter(needs_update=True)
    if data.get("product"):
        qs = qs.filter(id__in=Article.products.through.objects.filter(product=data["product"]).values("article_id"))
    if data.get("version"):
        qs = qs.filter(id__in=Article.versions.through.objects.filter(
            productversion=data["version"]).values("article_id"))
    for field in ("category", "type", "status"):
        if data.get(field):
            qs = qs.filter(**{field: data[field]})
    if data.get("since"):
        qs = qs.filter(updated_at__date__gte=data["since"])
    if data.get("until"):
        qs = qs.filter(updated_at__date__lte=data["until"])
    page = Paginator(qs.order_by("-updated_at", "-id"), PAGE).get_page(request.GET.get("page"))
    context.update(page=page, articles=page.object_list)
    return render(request, "knowledge/list.html", context)


def _reviewers() -> list[Any]:
    from django.contrib.auth import get_user_model

    from loopdesk.accounts.roles import ROLE_PERMISSIONS, Perm

    roles = [role for role, perms in ROLE_PERMISSIONS.items() if Perm.KNOWLEDGE_REVIEW in perms]
    return list(get_user_model().objects.filter(is_active=True).filter(
        Q(memberships__role__in=roles) | Q(is_superuser=True)).distinct().order_by("username")[:100])


@require_GET
@login_required
@staff_only
def article_detail(request, pk: int):
    article = visible_article(request, pk)
    user = request.user
    staff = can_author(user) or can_review(user)
    context: dict[str, Any] = {
        "article": article, "staff": staff, "can_edit": services.can_edit(user, article),
        "transitions": services.allowed_transitions(article, user),
        "products": list(article.products.all()), "versions": list(article.versions.select_related("product")),
        "attachments": list(article.attachments.all()),
        "my_vote": ArticleVote.objects.filter(article=article, user=user).first(),
        "vote_form": VoteForm(), "reasons": VoteReason.choices,
    }
    if staff:
        revisions = list(ArticleRevision.objects.filter(article=article).select_related("author").order_by("-version"))
        links = (ArticleTicket.objects.filter(article=article, ticket__in=Ticket.objects.visible_to(user).values("id"))
                 .select_related("ticket").order_by("-created_at")[:50])
        reasons = (ArticleVote.objects.filter(article=article, helpful=False).exclude(reason="", comment="")
                   .order_by("-at")[:20])
        context.update(
            revisions=revisions, links=links, unhelpful_votes=reasons,
            comments=article.comments.select_related("author"),
            flags=list(article.flags.select_related("raised_by", "cleared_by")[:20]),
            open_flags=[f for f in article.flags.all() if f.cleared_at is None],
            comment_form=CommentForm(), flag_form=FlagForm(), attachment_form=AttachmentForm(),
            reviewers=_reviewers() if "review" in context["transitions"] else [],
        )
    return render(request, "knowledge/detail.html", context)


def _initial(article: Article) -> dict[str, Any]:
    return {
        "title": article.title, "type": article.type, "audience": article.audience, "body": article.body,
        "symptom": article.symptom, "cause": article.cause, "resolution": article.resolution,
        "workaround": article.workaround, "products": list(article.products.all()),
        "versions": list(article.versions.all()), "category": article.category, "tags": ", ".join(article.tags),
    }


@login_required
@staff_only
def article_new(request):
    if not can_author(request.user):
        raise Http404
    form = ArticleForm(request.POST or None, initial={"type": request.GET.get("type") or "howto"})
    if request.method == "POST" and form.is_valid():
        try:
            article = services.create_article(actor=request.user, **form.values())
        except DomainError as err:
            report(request, err, form)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("knowledge:detail", article.pk)
    return render(request, "knowledge/form.html", {"form": form, "article": None,
                                                   "type_fields": TYPE_FIELDS_JSON})


@login_required
@staff_only
def article_edit(request, pk: int):
    article = visible_article(request, pk)
    if not services.can_edit(request.user, article):
        messages.error(request, _("You may not edit this article now."))
        return redirect("knowledge:detail", article.pk)
    form = ArticleForm(request.POST or None, initial=_initial(article))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_article(actor=request.user, article=article, **form.values())
        except DomainError as err:
            report(request, err, form)
        else:
            messages.success(request, _("Saved."))
            return redirect("knowledge:detail", article.pk)
    return render(request, "knowledge/form.html", {
        "form": form, "article": article, "type_fields": TYPE_FIELDS_JSON,
        "attachments": list(article.attachments.all()), "attachment_form": AttachmentForm()})


@require_GET
@login_required
@staff_only
def article_diff(request, pk: int):
    """Side-by-side difference between two revisions (?a=1&b=3; default: the last two)."""
    article = visible_article(request, pk)
    if not (can_author(request.user) or can_review(request.user)):
        raise Http404
    revisions = list(ArticleRevision.objects.filter(article=article).order_by("version"))
    by_version = {r.version: r for r in revisions}

    def pick(name: str, default: int) -> int:
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() and int(value) in by_version else default

    last = revisions[-1].version if revisions else 1
    b = pick("b", last)
    a = pick("a", max(1, b - 1) if (b - 1) in by_version else b)
    changes = diff_revisions(by_version[a], by_version[b]) if a in by_version and b in by_version else []
    return render(request, "knowledge/diff.html", {"article": article, "revisions": revisions, "a": a, "b": b,
                                                   "changes": changes})


@require_GET
@login_required
@staff_only
def leaderboard(request):
    if not (can_author(request.user) or can_review(request.user)):
        raise Http404
    form = LeaderboardForm(request.GET or None)
    period = form.cleaned_data.get("period") or "month" if form.is_valid() else "month"
    rows = rewards.leaderboard(period=period, limit=50)
    return render(request, "knowledge/leaderboard.html", {
        "form": form, "period": period, "rows": rows, "mine": rewards.points_of(request.user),
        "periods": LeaderboardForm.base_fields["period"].choices})

