"""Staff pages of assist: the ticket panel (similar tickets, articles, next questions), the
deflection figures, and opening an article from the panel (recorded as an agent view)."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from loopdesk.accounts.roles import Perm
from loopdesk.knowledge.models import Article
from loopdesk.tickets.views.common import staff_only, visible_ticket

from . import figures
from .services import record_view
from .similar import excerpt, similar
from .training import predict


def ticket_product_id(ticket) -> int | None:
    asset = ticket.asset
    return asset.product_version.product_id if asset is not None and asset.product_version_id else None


@require_GET
@login_required
@staff_only
def ticket_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The assist panel of a ticket the user may see."""
    ticket = visible_ticket(request, pk)
    found = similar(request.user, ticket)
    questions = predict(ticket.company_id, ticket_product_id(ticket), user=request.user)
    tickets = [{"hit": h, "resolution": excerpt(h.obj.resolution)} for h in found.tickets]
    return render(request, "assist/_ticket_panel.html", {
        "ticket": ticket, "query": found.query, "tickets": tickets, "articles": found.articles,
        "questions": questions,
    })


@require_GET
@login_required
@staff_only
def open_article(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an agent's reading of an article from the assist panel, then show it."""
    article = Article.objects.visible_to(request.user).filter(pk=pk).first()
    if article is None:
        raise Http404
    company_id = None
    ticket_id = request.GET.get("ticket", "")
    if ticket_id.isdigit():
        company_id = visible_ticket(request, int(ticket_id)).company_id
    record_view(actor=request.user, article=article, source="agent", company_id=company_id,
                session_key=request.session.session_key or "")
    for name in ("knowledge:detail", "knowledge:article"):
        try:
            return redirect(reverse(name, args=[article.pk]))
        except NoReverseMatch:
            continue
    return render(request, "assist/article.html", {"article": article})


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_GET
@login_required
@staff_only
def deflection(request: HttpRequest) -> HttpResponse:
    """Suggestions shown, opened and deflections per article and period."""
    if not request.user.can(Perm.REPORT_VIEW):
        raise PermissionDenied
    period = request.GET.get("period", "week")
    period = period if period in figures.PERIODS else "week"
    today = timezone.localdate()
    since = _date(request.GET.get("since", "")) or today - datetime.timedelta(days=90)
    until = _date(request.GET.get("until", "")) or today
    rows = figures.deflection(request.user, period=period, since=since, until=until)
    return render(request, "assist/deflection.html", {
        "rows": rows, "totals": figures.totals(rows), "period": period, "since": since, "until": until,
        "periods": [("day", "day"), ("week", "week"), ("month", "month")],
    })
