"""The portal's help centre: search, popular articles, an article with helpful / not helpful, and the
suggestions beside the new-request form (deflection). Every article list is the knowledge
visibility rule for this contact; every reading is recorded (assist.ArticleView)."""

from __future__ import annotations

import inspect

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from loopdesk.assets.models import Asset
from loopdesk.assist import services as assist
from loopdesk.core.errors import DomainError
from loopdesk.knowledge import services as knowledge
from loopdesk.knowledge.models import Article, ArticleVote
from loopdesk.knowledge.search import search

from .forms import VoteForm, apply_domain_error
from .queries import companies_of, next_questions, popular_articles, visible_articles
from .views import SESSION_KEY, PortalRequest, current_session, customer_required

SOURCES = ("search", "suggestion", "help")


@require_GET
@customer_required
def knowledge_home(request: PortalRequest) -> HttpResponse:
    """Search the help centre; without a query, the popular articles and likely next questions."""
    q = request.GET.get("q", "").strip()[:100]
    context = {"q": q}
    if q:
        context["hits"] = search(request.user, q, type="article", limit=20)
    else:
        context["popular"] = popular_articles(request.user)
        context["questions"] = next_questions(request.user)
    if request.htmx and request.htmx.target == "kb-results":
        return render(request, "portal/_kb_results.html", context)
    return render(request, "portal/knowledge.html", context)


def _article_or_404(request: PortalRequest, pk: int) -> Article:
    article = visible_articles(request.user).prefetch_related("products").filter(pk=pk).first()
    if article is None:
        raise Http404(_("No such article."))
    return article


@require_GET
@customer_required
def article(request: PortalRequest, pk: int) -> HttpResponse:
    """One article the contact may read; the reading is recorded with where it was opened from."""
    item = _article_or_404(request, pk)
    source = request.GET.get("from", "help")
    source = source if source in SOURCES else "help"
    session = current_session(request) if source == "suggestion" else None
    assist.record_view(actor=request.user, article=item, source=source, suggestion_session=session,
                       session_key=request.session.session_key or "")
    vote = ArticleVote.objects.filter(article=item, user=request.user).first()
    return render(request, "portal/article.html", {"article": item, "vote": vote, "form": VoteForm()})


def _vote(*, actor, article: Article, helpful: bool, reason: str, comment: str) -> Article:
    """The knowledge vote service, with the reason and remark it takes."""
    accepted = inspect.signature(knowledge.vote_article).parameters
    extra = {k: v for k, v in (("reason", reason), ("comment", comment)) if k in accepted}
    return knowledge.vote_article(actor=actor, article=article, helpful=helpful, **extra)


@require_POST
@customer_required
def vote(request: PortalRequest, pk: int) -> HttpResponse:
    """Helpful / not helpful (+ reason); htmx gets the vote box back, a plain POST the whole page."""
    item = _article_or_404(request, pk)
    form = VoteForm(request.POST)
    voted = None
    if form.is_valid():
        try:
            item = _vote(actor=request.user, article=item, helpful=form.cleaned_data["helpful"],
                         reason=form.cleaned_data["reason"], comment=form.cleaned_data["comment"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            voted = form.cleaned_data["helpful"]
            messages.success(request, _("Thank you for your feedback."))
    vote_row = ArticleVote.objects.filter(article=item, user=request.user).first()
    context = {"article": item, "vote": vote_row, "form": form, "voted": voted, "oob_messages": bool(request.htmx)}
    template = "portal/_vote.html" if request.htmx else "portal/article.html"
    return render(request, template, context, status=200 if form.is_valid() or request.htmx else 422)


@require_GET
@customer_required
def suggest(request: PortalRequest) -> HttpResponse:
    """Articles matching what the contact is typing on the new-request form (htmx fragment)."""
    title = request.GET.get("title", "")
    description = request.GET.get("description", "")
    company_id = _int(request.GET.get("company"))
    product_id = None
    asset_id = _int(request.GET.get("asset"))
    if asset_id:
        product_id = (Asset.objects.filter(pk=asset_id, company__in=companies_of(request.user))
                      .values_list("product_version__product_id", flat=True).first())
    session = current_session(request)
    if not request.session.session_key:
        request.session.save()
    hits, session = assist.suggest(
        actor=request.user, title=title, description=description, company_id=company_id, product_id=product_id,
        session=session, session_key=request.session.session_key or "",
    )
    if session is not None and request.session.get(SESSION_KEY) != session.pk:
        request.session[SESSION_KEY] = session.pk
    return render(request, "portal/_suggestions.html", {"hits": hits, "typed": bool((title + description).strip())})


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
