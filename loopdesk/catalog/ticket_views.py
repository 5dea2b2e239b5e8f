"""The ticket page's "Entitlements" panel: the customer's balances, what this ticket consumed, and
recording a delivered service (or giving it back) without leaving the ticket."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from loopdesk.accounts.roles import Perm
from loopdesk.core.errors import DomainError
from loopdesk.customers.views import staff_only
from loopdesk.tickets.views.common import visible_ticket

from . import services
from .inspections import ref_for
from .models import Consumption


class DeliveryForm(forms.Form):
    product_code = forms.ChoiceField(label=gettext_lazy("Service delivered"), choices=())
    units = forms.IntegerField(label=gettext_lazy("Units"), min_value=1, max_value=1000, initial=1)

    def __init__(self, *args, balances=(), **kwargs):
        super().__init__(*args, **kwargs)
        seen = {}
        for b in balances:
            seen.setdefault(b.entitlement.product.code, f"{b.entitlement.product.name} ({b.entitlement.contract.number})")
        self.fields["product_code"].choices = list(seen.items())


def _ticket(request, pk: int):
    ticket = visible_ticket(request, pk)
    if request.user.is_customer_only:
        raise Http404
    return ticket


def _render(request, ticket, *, form=None, result=None, error: str = "", status: int = 200):
    balances = services.company_balances(request.user, ticket.company)
    rows = list(
        Consumption.objects.filter(ref=ref_for(ticket)).select_related("entitlement__product", "entitlement__contract")
        .order_by("at", "pk")
    )
    holds = any(r.status in ("consumed", "charged", "approved", "pending") and r.units > 0
                and not any(x.reverses_id == r.pk for x in rows) for r in rows)
    return render(request, "catalog/_ticket_entitlements.html", {
        "ticket": ticket, "balances": balances, "rows": rows, "holds": holds, "result": result, "error": error,
        "form": form or DeliveryForm(balances=balances),
        "can_consume": request.user.can(Perm.TICKET_EDIT) and bool(balances),
    }, status=status)


@staff_only
@require_GET
def ticket_panel(request, pk: int):
    return _render(request, _ticket(request, pk))


@staff_only
@require_POST
def ticket_consume(request, pk: int):
    """Record that a service was delivered for this ticket: the contract decides what that costs."""
    ticket = _ticket(request, pk)
    balances = services.company_balances(request.user, ticket.company)
    form = DeliveryForm(request.POST, balances=balances)
    if not form.is_valid():
        return _render(request, ticket, form=form, status=422)
    try:
        result = services.consume(actor=request.user, company=ticket.company, asset=ticket.asset, ref=ref_for(ticket),
                                  **form.cleaned_data)
    except DomainError as err:
        return _render(request, ticket, form=form, error=err.detail, status=err.status)
    return _render(request, ticket, result=result, status=200 if result.allowed or result.outcome == "pending" else 422)


@staff_only
@require_POST
def ticket_give_back(request, pk: int):
    ticket = _ticket(request, pk)
    get_object_or_404(Consumption.objects.filter(ref=ref_for(ticket)).values("pk")[:1])
    try:
        services.give_back(actor=request.user, ref=ref_for(ticket))
    except DomainError as err:
        return _render(request, ticket, error=err.detail, status=err.status)
    return _render(request, ticket, error="", result=None)
