"""Staff pages for contracts: the list, a contract with its balances and ledger, and the forms.

Reads go through `Contract.objects.visible_to(user)` (a contract outside the user's scope is a 404);
writes call loopdesk.catalog.services, and a refusal is shown on the form and changes nothing.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from loopdesk.core.errors import DomainError, Forbidden, ValidationFailed
from loopdesk.customers.forms import apply_domain_errors
from loopdesk.customers.models import Company
from loopdesk.customers.views import staff_only

from . import periods, services
from .forms import ContractEditForm, ContractFilterForm, ContractForm, EntitlementForm
from .models import Consumption, Contract

PAGE_SIZE = 50
LEDGER_ROWS = 100


def visible_contract(request, pk: int) -> Contract:
    contracts = Contract.objects.visible_to(request.user).select_related("company", "asset", "designated_engineer")
    return get_object_or_404(contracts, pk=pk)


@staff_only
@require_GET
def contract_list(request):
    """Visible contracts, filtered by number or customer, level, status and customer."""
    form = ContractFilterForm(request.GET or None)
    contracts = Contract.objects.visible_to(request.user).select_related("company").order_by("-starts_on", "-pk")
    company = None
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            contracts = contracts.filter(Q(number__icontains=data["q"]) | Q(company__name__icontains=data["q"])
                                         | Q(company__code=data["q"]))
        for name in ("level", "status"):
            if data[name]:
                contracts = contracts.filter(**{name: data[name]})
        if data["company"]:
            company = Company.objects.visible_to(request.user).filter(pk=data["company"]).first()
            contracts = contracts.filter(company_id=data["company"])
    page = Paginator(contracts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "catalog/list.html", {
        "form": form, "page": page, "company": company,
        "can_manage": services.can_manage_contracts(request.user),
    })


def _on(request) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        return periods.service_date()


def detail_context(request, contract: Contract) -> dict:
    on = _on(request)
    entitlements = list(contract.entitlements.select_related("product").order_by("product__code"))
    ledger = list(
        Consumption.objects.filter(entitlement__contract=contract)
        .select_related("entitlement__product", "actor", "decided_by").order_by("-at", "-pk")[:LEDGER_ROWS]
    )
    return {
        "contract": contract, "on": on, "balances": services.balances(entitlements, on), "ledger": ledger,
        "can_manage": services.can_manage_contracts(request.user),
        "can_approve": services.can_approve(request.user),
    }


@staff_only
@require_GET
def contract_detail(request, pk: int):
    """A contract, its entitlements with their balances for the period containing `?on=` (today), and
    the latest ledger rows with approve/reject for requests waiting on a manager."""
    return render(request, "catalog/detail.html", detail_context(request, visible_contract(request, pk)))


def _form_response(request, *, form, title: str, action: str, target: str, back: str, refusal=None, status=200):
    context = {"form": form, "title": title, "action": action, "target": target, "back": back, "refusal": refusal}
    if request.htmx:
        return reswap(retarget(render(request, "_form.html", context), f"{target}-form"), "innerHTML")
    return render(request, "catalog/form_page.html", context, status=status)


def _submit(request, form, save):
    """The part every contract form shares: only contract managers may use it; on a valid POST, `save`
    (given the cleaned data) writes and returns the response. Otherwise returns (None, status, refusal)
    for the form page, with the service's messages on the form."""
    try:
        if not services.can_manage_contracts(request.user):
            raise Forbidden(_("You may not manage contracts."))
        if request.method != "POST":
            return None, 200, None
        if not form.is_valid():
            return None, 422, None
        return save(dict(form.cleaned_data)), 200, None
    except Forbidden as exc:
        return None, exc.status, exc.detail
    except DomainError as exc:
        apply_domain_errors(form, exc)
        return None, exc.status, None


@staff_only
@require_http_methods(["GET", "POST"])
def contract_add(request):
    """Add a contract (its entitlements are added on the contract page)."""
    initial = {"level": Contract.Level.STANDARD, "overage": Contract.Overage.REFUSE}
    company_id = request.GET.get("company", "")
    if company_id.isdigit():
        company = Company.objects.visible_to(request.user).filter(pk=int(company_id)).first()
        initial["company_code"] = company.code if company else ""
    form = ContractForm(request.POST or None, initial=initial)

    def save(values):
        code = values.pop("company_code").strip()
        company = Company.objects.visible_to(request.user).filter(code__in={code, code.upper()}).first()
        if company is None:
            raise ValidationFailed(fields={"company_code": [_("No customer with this code.")]})
        contract = services.create_contract(actor=request.user, company=company, **values)
        messages.success(request, _("Contract %(number)s added.") % {"number": contract.number})
        return redirect("catalog:contract", pk=contract.pk)

    done, status, refusal = _submit(request, form, save)
    return done or _form_response(request, form=form, title=_("Add contract"), action=request.get_full_path(),
                                  target="#contract", back=reverse("catalog:contracts"), refusal=refusal,
                                  status=status)


@staff_only
@require_http_methods(["GET", "POST"])
def contract_edit(request, pk: int):
    """Change a contract's level, validity, status, overage policy, designated engineer or notes."""
    contract = visible_contract(request, pk)
    initial = {name: getattr(contract, name) for name in (
        "level", "status", "starts_on", "ends_on", "overage", "designated_engineer", "notes")}
    form = ContractEditForm(request.POST or None, initial=initial)

    def save(values):
        services.update_contract(actor=request.user, contract=contract, **values)
        messages.success(request, _("Contract %(number)s saved.") % {"number": contract.number})
        return redirect("catalog:contract", pk=contract.pk)

    done, status, refusal = _submit(request, form, save)
    return done or _form_response(
        request, form=form, title=_("Edit contract %(number)s") % {"number": contract.number},
        action=request.get_full_path(), target="#contract", back=reverse("catalog:contract", args=[contract.pk]),
        refusal=refusal, status=status,
    )


@staff_only
@require_http_methods(["GET", "POST"])
def entitlement_add(request, pk: int):
    """Add an entitlement to a contract; on success (htmx) the entitlements section is redrawn."""
    contract = visible_contract(request, pk)
    form = EntitlementForm(request.POST or None, initial={"period": "monthly"})

    def save(values):
        services.add_entitlement(actor=request.user, contract=contract, **values)
        if request.htmx:
            return render(request, "catalog/_entitlements.html", detail_context(request, contract))
        messages.success(request, _("Entitlement added."))
        return redirect("catalog:contract", pk=contract.pk)

    done, status, refusal = _submit(request, form, save)
    return done or _form_response(
        request, form=form, title=_("Add entitlement"), action=request.get_full_path(), target="#entitlements",
        back=reverse("catalog:contract", args=[contract.pk]), refusal=refusal, status=status,
    )


@staff_only
@require_POST
def decide(request, pk: int, decision: str):
    """A manager approves or rejects a request waiting for approval."""
    if decision not in ("approve", "reject"):
        raise Http404
    rows = Consumption.objects.filter(entitlement__contract__in=Contract.objects.visible_to(request.user).values("id"))
    row = get_object_or_404(rows.select_related("entitlement"), pk=pk)
    try:
        services.decide(actor=request.user, consumption=row, approve=decision == "approve")
        messages.success(request, _("Approved.") if decision == "approve" else _("Rejected."))
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect("catalog:contract", pk=row.entitlement.contract_id)


@staff_only
@require_GET
def company_balances(request, pk: int):
    """A customer's entitlements in force today and what is left of each: a fragment for the customer
    page, the ticket and intake to load with `hx-get` (a full page when opened directly)."""
    company = get_object_or_404(Company.objects.visible_to(request.user), pk=pk)
    on = _on(request)
    context = {"company": company, "on": on, "balances": services.company_balances(request.user, company, on)}
    template = "catalog/_company_balances.html" if request.htmx else "catalog/company_balances.html"
    return render(request, template, context)
