"""The knowledge panel on the staff ticket page: articles linked to the ticket, "draft an article
from this ticket" (resolved or closed tickets), and search-and-link an article that solved it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from loopdesk.core.errors import DomainError
from loopdesk.tickets.views.common import staff_only, visible_ticket

from .. import services
from ..models import Article, ArticleTicket
from ..permissions import can_author
from ..search import search
from .common import error_text


def _panel(request, ticket, *, error: str = "", status: int = 200) -> HttpResponse:
    user = request.user
    links = (ArticleTicket.objects.filter(ticket=ticket, article__in=Article.objects.visible_to(user).values("id"))
             .select_related("article").order_by("kind", "-created_at"))
    q = (request.GET.get("q") or "").strip()[:200]
    hits = search(user, q, limit=8) if q else []
    linked = {link.article_id for link in links if link.kind == ArticleTicket.Kind.SOLVED}
    return render(request, "knowledge/ticket_panel.html", {
        "ticket": ticket, "links": links, "q": q, "hits": hits, "linked": linked, "error": error,
        "can_write": can_author(user), "can_draft": can_author(user) and ticket.phase in ("resolved", "closed"),
    }, status=status)


@login_required
@staff_only
def ticket_panel(request, pk: int):
    return _panel(request, visible_ticket(request, pk))


@require_POST
@login_required
@staff_only
def draft(request, pk: int):
    ticket = visible_ticket(request, pk)
    try:
        article = services.draft_from_ticket(actor=request.user, ticket=ticket)
    except DomainError as err:
        if request.htmx:
            return _panel(request, ticket, error=error_text(err))
        messages.error(request, error_text(err))
        return redirect("tickets:detail", ticket.pk)
    url = reverse("knowledge:edit", args=[article.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_POST
@login_required
@staff_only
def link(request, pk: int):
    ticket = visible_ticket(request, pk)
    article_id = request.POST.get("article", "")
    article = Article.objects.filter(pk=int(article_id)).first() if article_id.isdigit() else None
    error = ""
    if article is None:
        error = _("No such article, or you may not see it.")
    else:
        try:
            services.link_ticket(actor=request.user, article=article, ticket=ticket)
        except DomainError as err:
            error = error_text(err)
    if not request.htmx:
        return redirect("tickets:detail", ticket.pk)
    return _panel(request, ticket, error=error)


@require_POST
@login_required
@staff_only
def unlink(request, pk: int, article_id: int):
    ticket = visible_ticket(request, pk)
    article = Article.objects.filter(pk=article_id).first()
    error = ""
    if article is not None:
        try:
            services.unlink_ticket(actor=request.user, article=article, ticket=ticket)
        except DomainError as err:
            error = error_text(err)
    if not request.htmx:
        return redirect("tickets:detail", ticket.pk)
    return _panel(request, ticket, error=error)
