"""Writes for the service catalogue, contracts and entitlements.

Permissions: Perm.ORG_ADMIN manages the catalogue; Perm.CONTRACT_MANAGE contracts; whoever may edit
tickets (Perm.TICKET_EDIT) consumes and gives back; Perm.OVERAGE_APPROVE decides on overage waiting for
approval. A None actor is the system itself.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from loopdesk.accounts.roles import Perm, require
from loopdesk.core.errors import Forbidden, NotFound, ValidationFailed
from loopdesk.core.services import record_audit, refuse_unknown, save_changes
from loopdesk.customers.models import Company

from ..models import Consumption, Contract, Entitlement, ServiceProduct

PRODUCT_FIELDS = {"name", "kind", "unit", "price", "active", "sla_targets"}
CONTRACT_FIELDS = {"asset", "level", "starts_on", "ends_on", "status", "designated_engineer", "overage", "notes"}
SLA_TARGET_KEYS = {"response_minutes", "resolution_minutes", "update_minutes"}


# --- Who may do what -------------------------------------------------------------------------------

def can_manage_contracts(user) -> bool:
    return user is None or user.can(Perm.CONTRACT_MANAGE)


def can_approve(user) -> bool:
    """Who decides on service beyond the entitlement (service managers and administrators by default)."""
    return user is None or user.can(Perm.OVERAGE_APPROVE)


def _require_contracts(actor) -> None:
    if not can_manage_contracts(actor):
        raise Forbidden(_("You may not manage contracts."))


def _visible_company(actor, company: Company) -> None:
    if actor is not None and not Company.objects.visible_to(actor).filter(pk=company.pk).exists():
        raise NotFound(_("No such customer."))


# --- Service products ------------------------------------------------------------------------------

def _clean_product(values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "name" in values and not str(values["name"] or "").strip():
        errors["name"] = [_("This field is required.")]
    if "kind" in values and values["kind"] not in ServiceProduct.Kind.values:
        errors["kind"] = [_("Unknown kind of service.")]
    if "unit" in values and values["unit"] not in ServiceProduct.Unit.values:
        errors["unit"] = [_("Unknown unit.")]
    if values.get("price") is not None:
        try:
            values["price"] = Decimal(str(values["price"]))
            if values["price"] < 0 or not values["price"].is_finite() or values["price"] >= Decimal("1e10"):
                raise InvalidOperation
            values["price"] = values["price"].quantize(Decimal("0.01"))
        except InvalidOperation:
            errors["price"] = [_("Enter a price of zero or more.")]
    targets = values.get("sla_targets")
    if targets is not None and (not isinstance(targets, dict) or set(targets) - SLA_TARGET_KEYS or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in targets.values()
    )):
        errors["sla_targets"] = [_("SLA targets are positive minutes for response, resolution and update.")]
    return errors


@transaction.atomic
def create_product(*, actor: Any, code: str, name: str, kind: str, unit: str, **values: Any) -> ServiceProduct:
    """Add a service product to the catalogue."""
    require(actor, Perm.ORG_ADMIN)
    refuse_unknown(values, PRODUCT_FIELDS - {"name", "kind", "unit"})
    code = str(code or "").strip().upper()
    values.update(name=name, kind=kind, unit=unit)
    errors = _clean_product(values)
    if not code:
        errors["code"] = [_("This field is required.")]
    elif ServiceProduct.objects.filter(code=code).exists():
        errors["code"] = [_("This code is already used.")]
    if errors:
        raise ValidationFailed(fields=errors)
    values["name"] = values["name"].strip()
    product = ServiceProduct.objects.create(code=code, **values)
    record_audit(actor=actor, obj=product, action="create", changes={"code": code, "name": product.name})
    return product


@transaction.atomic
def update_product(*, actor: Any, product: ServiceProduct, **values: Any) -> ServiceProduct:
    require(actor, Perm.ORG_ADMIN)
    refuse_unknown(values, PRODUCT_FIELDS)
    errors = _clean_product(values)
    if errors:
        raise ValidationFailed(fields=errors)
    save_changes(actor=actor, obj=product, values=values)
    return product


# --- Contracts and entitlements --------------------------------------------------------------------

def _clean_contract(company: Company, values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    starts, ends = values.get("starts_on"), values.get("ends_on")
    for name in ("starts_on", "ends_on"):
        if name in values and not isinstance(values[name], datetime.date):
            errors[name] = [_("Enter a valid date.")]
    if not errors and starts and ends and ends < starts:
        errors["ends_on"] = [_("The contract cannot end before it starts.")]
    choices = {"level": Contract.Level.values, "status": Contract.Status.values, "overage": Contract.Overage.values}
    for name, allowed in choices.items():
        if name in values and values[name] not in allowed:
            errors[name] = [_("Select a valid choice.")]
    asset = values.get("asset")
    if asset is not None and asset.company_id != company.pk:
        errors["asset"] = [_("This asset belongs to another customer.")]
    return errors


def _clean_entitlement(item: dict[str, Any], products: dict[str, ServiceProduct]) -> tuple[Any, dict[str, str]]:
    """(product, quantity, period) for one {"product_code", "quantity", "period"}, or the error by field."""
    unknown = set(item) - {"product_code", "quantity", "period"}
    code = str(item.get("product_code") or "").strip().upper()
    product = products.get(code)
    quantity, period = item.get("quantity"), item.get("period") or Entitlement.Period.MONTHLY
    if unknown:
        return None, {sorted(unknown)[0]: _("Unknown field.")}
    if product is None or not product.active:
        return None, {"product_code": _("Unknown service product “%(code)s”.") % {"code": code}}
    if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int)
                                 or not 0 <= quantity <= 100000):
        return None, {"quantity": _("The quantity must be a whole number of zero or more (empty: unlimited).")}
    if period not in Entitlement.Period.values:
        return None, {"period": _("Unknown period “%(period)s”.") % {"period": period}}
    return (product, quantity, period), {}


def _products(items: list[dict[str, Any]]) -> dict[str, ServiceProduct]:
    codes = {str(i.get("product_code") or "").strip().upper() for i in items if isinstance(i, dict)}
    return {p.code: p for p in ServiceProduct.objects.filter(code__in=codes)}


def _clean_entitlements(items: list[dict[str, Any]]) -> tuple[list[tuple[ServiceProduct, int | None, str]], dict]:
    """Resolve a contract's entitlements; every problem is listed under "entitlements"."""
    products = _products(items)
    messages: list[str] = []
    resolved: list[tuple[ServiceProduct, int | None, str]] = []
    for item in items:
        if not isinstance(item, dict):
            messages.append(_("Each entitlement is an object with product_code, quantity and period."))
            continue
        entry, error = _clean_entitlement(item, products)
        if error:
            messages.extend(error.values())
        elif any(entry[0] == other[0] for other in resolved):
            messages.append(_("The service product “%(code)s” is listed twice.") % {"code": entry[0].code})
        else:
            resolved.append(entry)
    return resolved, ({"entitlements": messages} if messages else {})


@transaction.atomic
def create_contract(*, actor: Any, company: Company, number: str, starts_on: datetime.date, ends_on: datetime.date,
                    entitlements: list[dict[str, Any]] | None = None, **values: Any) -> Contract:
    """Create a contract for `company` with its entitlements, all or nothing."""
    _require_contracts(actor)
    _visible_company(actor, company)
    refuse_unknown(values, CONTRACT_FIELDS - {"starts_on", "ends_on"})
    number = str(number or "").strip()
    values.update(starts_on=starts_on, ends_on=ends_on)
    errors = _clean_contract(company, values)
    for name in ("starts_on", "ends_on"):
        if values[name] is None:
            errors[name] = [_("This field is required.")]
    if not number:
        errors["number"] = [_("This field is required.")]
    elif Contract.objects.filter(number=number).exists():
        errors["number"] = [_("This contract number is already used.")]
    resolved, entitlement_errors = _clean_entitlements(entitlements or [])
    errors.update(entitlement_errors)
    if errors:
        raise ValidationFailed(fields=errors)
    contract = Contract.objects.create(company=company, number=number, **values)
    Entitlement.objects.bulk_create(
        [Entitlement(contract=contract, product=p, quantity=q, period=period) for p, q, period in resolved]
    )
    record_audit(actor=actor, obj=contract, action="create", changes={
        "number": number, "company": company.pk,
        "entitlements": [[p.code, q, period] for p, q, period in resolved],
    })
    return contract


@transaction.atomic
def update_contract(*, actor: Any, contract: Contract, **values: Any) -> Contract:
    _require_contracts(actor)
    _visible_company(actor, contract.company)
    refuse_unknown(values, CONTRACT_FIELDS)
    merged = {"starts_on": contract.starts_on, "ends_on": contract.ends_on, **values}
    errors = _clean_contract(contract.company, merged)
    term_used = Consumption.objects.filter(entitlement__contract=contract, entitlement__period=Entitlement.Period.TERM)
    if values.get("starts_on", contract.starts_on) != contract.starts_on and term_used.exists():
        # Whole-term ledger rows are keyed by the start date; moving it would orphan them.
        errors["starts_on"] = [_("The start cannot move once whole-term entitlements have been used.")]
    if errors:
        raise ValidationFailed(fields=errors)
    save_changes(actor=actor, obj=contract, values=values)
    return contract


@transaction.atomic
def add_entitlement(*, actor: Any, contract: Contract, product_code: str, quantity: int | None,
                    period: str = Entitlement.Period.MONTHLY) -> Entitlement:
    """Add one entitlement to a contract; a second entitlement for the same product is refused."""
    _require_contracts(actor)
    _visible_company(actor, contract.company)
    Contract.objects.select_for_update().filter(pk=contract.pk).exists()  # serialise additions per contract
    item = {"product_code": product_code, "quantity": quantity, "period": period}
    entry, error = _clean_entitlement(item, _products([item]))
    if entry and contract.entitlements.filter(product=entry[0]).exists():
        error = {"product_code": _("This contract already includes this service product.")}
    if error:
        raise ValidationFailed(fields={k: [v] for k, v in error.items()})
    product, quantity, period = entry
    entitlement = Entitlement.objects.create(contract=contract, product=product, quantity=quantity, period=period)
    record_audit(actor=actor, obj=contract, action="add_entitlement",
                 changes={"product": product.code, "quantity": quantity, "period": period})
    return entitlement


