"""Recording a request an agent takes by phone (or any other channel) for a customer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from loopdesk.accounts.roles import Perm
from loopdesk.core.errors import DomainError
from loopdesk.customers.models import Company

from .. import services
from ..choices import TicketType
from ..forms import CustomerFindForm, TicketCreateForm, apply_domain_error
from .common import staff_only

FIND_LIMIT = 20


def _company(user, raw) -> Company | None:
    if not str(raw or "").isdigit():
        return None
    return Company.objects.visible_to(user).select_related("org").filter(pk=int(raw)).first()


@require_http_methods(["GET", "POST"])
@login_required
@staff_only
def new_ticket(request):
    """GET: pick a customer (?company=<id>, or search with ?find=), then the form. POST: create."""
    if not request.user.can(Perm.TICKET_CREATE):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    company = _company(request.user, source.get("company"))
    find = CustomerFindForm(request.GET)
    found = []
    if company is None:
        text = find.cleaned_data["find"].strip() if find.is_valid() else ""
        if text:
            found = list(Company.objects.visible_to(request.user).search(text).select_related("org")[:FIND_LIMIT])
        return render(request, "tickets/new.html", {"find": find, "found": found, "searched": bool(text)})

    ticket_type = source.get("type") if source.get("type") in TicketType.values else TicketType.INCIDENT
    status = 200
    if request.method == "POST":
        form = TicketCreateForm(request.POST, company=company, ticket_type=ticket_type)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.create_ticket(
                    actor=request.user, company=company, title=data["title"], description=data["description"],
                    type=data["type"], category=data["category"], impact=data["impact"], urgency=data["urgency"],
                    priority=data["priority"], channel=data["channel"], contact=data["contact"],
                    asset=data["asset"], group=data["group"], assignee=data["assignee"],
                    custom_fields=form.custom_values(),
                )
            except DomainError as err:
                apply_domain_error(form, err)
            else:
                messages.success(request, _("Ticket %(number)s created.") % {"number": ticket.number})
                return redirect("tickets:detail", pk=ticket.pk)
        status = 422
    else:
        # Re-rendered on a type change (htmx swaps the custom fields only), so keep what was typed.
        initial = {k: v for k, v in request.GET.items() if k in TicketCreateForm.base_fields}
        form = TicketCreateForm(initial=initial, company=company, ticket_type=ticket_type)
    return render(request, "tickets/new.html", {"company": company, "form": form}, status=status)
