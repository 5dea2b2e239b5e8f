"""Catalogue and contract endpoints, mounted by loopdesk.api.router at /api/v1/catalog.

Reads go through `Contract.objects.visible_to(user)`; writes call loopdesk.catalog.services, whose
domain errors the API turns into problem details. A consumption the contract refuses is a 409 whose
detail says why. Authentication belongs to the API app (`request.auth` is the user).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import AfterValidator, ConfigDict, Field

from loopdesk.accounts.roles import Perm
from loopdesk.assets.models import Asset
from loopdesk.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from loopdesk.customers.models import Company

from . import periods, services
from .models import Consumption, Contract, Entitlement, ServiceProduct

router = Router(tags=["catalog"])

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError(_("Text may not contain NUL characters."))
    return value


# Strings without NUL (PostgreSQL refuses it: a 422 here, not a 500 there), with a maximum length.
Code = Annotated[str, Field(max_length=32), AfterValidator(_no_nul)]
Ref = Annotated[str, Field(max_length=64), AfterValidator(_no_nul)]
Notes = Annotated[str, Field(max_length=4000), AfterValidator(_no_nul)]
CursorText = Annotated[str, Field(max_length=20), AfterValidator(_no_nul)]
Period = Literal["monthly", "quarterly", "yearly", "term"]


class CatalogBody(Schema):
    """Request bodies refuse unknown fields: bad input changes nothing."""

    model_config = ConfigDict(extra="forbid")


def _user(request: HttpRequest) -> Any:
    auth = getattr(request, "auth", None)
    return auth if getattr(auth, "is_authenticated", False) else request.user


def _viewer(request: HttpRequest) -> Any:
    user = _user(request)
    if not user.can(Perm.CUSTOMER_VIEW):
        raise Forbidden(_("You may not see contracts."))
    return user


# --- schemas ---------------------------------------------------------------------------------------

class ServiceProductOut(Schema):
    code: str
    name: str
    kind: str
    unit: str
    price: Decimal | None
    active: bool
    sla_targets: dict[str, int]


class EntitlementBalanceOut(Schema):
    entitlement_id: int
    product_code: str
    product_name: str
    unit: str
    period: str
    quantity: int | None = Field(description="Units per period; null means unlimited.")
    period_start: datetime.date
    period_end: datetime.date
    used: int
    remaining: int | None
    overage: int
    pending: int


class ContractOut(Schema):
    id: int
    number: str
    company_id: int
    company_name: str
    asset_id: int | None
    level: str
    status: str
    starts_on: datetime.date
    ends_on: datetime.date
    overage: str
    designated_engineer_id: int | None
    notes: str
    entitlements: list[EntitlementBalanceOut]


class ContractPage(Schema):
    items: list[ContractOut]
    next_cursor: str | None


class EntitlementIn(CatalogBody):
    product_code: Code
    quantity: int | None = Field(None, ge=0, le=100000, description="Empty for unlimited.")
    period: Period = "monthly"


class ContractIn(CatalogBody):
    company_id: Id
    asset_id: Id | None = None
    number: Ref
    level: Literal["standard", "gold", "vip"] = "standard"
    starts_on: datetime.date
    ends_on: datetime.date
    status: Literal["active", "suspended", "terminated"] = "active"
    overage: Literal["refuse", "charge", "approval"] = "refuse"
    designated_engineer_id: Id | None = None
    notes: Notes = ""
    entitlements: list[EntitlementIn] = Field(default_factory=list, max_length=50)


class ContractPatch(CatalogBody):
    """Omitted fields stay as they are; `designated_engineer_id: null` removes the engineer."""

    asset_id: Id | None = None
    level: Literal["standard", "gold", "vip"] | None = None
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    status: Literal["active", "suspended", "terminated"] | None = None
    overage: Literal["refuse", "charge", "approval"] | None = None
    designated_engineer_id: Id | None = None
    notes: Notes | None = None


class ConsumeIn(CatalogBody):
    contract_id: Id | None = Field(None, description="Consume from this contract …")
    company_id: Id | None = Field(None, description="… or from the best contract of this customer in force.")
    asset_id: Id | None = None
    product_code: Code
    units: int = Field(1, ge=1, le=1000)
    ref: Ref = Field(description='What consumes the service, e.g. "ticket:123".')
    on: datetime.date | None = Field(None, description="The service date (Asia/Shanghai); today by default.")


class GiveBackIn(CatalogBody):
    ref: Ref


class ConsumptionOut(Schema):
    id: int
    entitlement_id: int
    period_start: datetime.date
    units: int
    overage: bool
    status: str
    ref: str
    charge_amount: Decimal | None
    at: datetime.datetime


class ConsumeOut(Schema):
    outcome: Literal["consumed", "charged", "pending", "refused"]
    message: str
    contract_id: int | None
    balance: EntitlementBalanceOut | None
    charge_amount: Decimal | None
    rows: list[ConsumptionOut]


class ContractParams(Schema):
    company_id: Id | None = None
    status: Literal["active", "suspended", "terminated"] | None = None
    level: Literal["standard", "gold", "vip"] | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: CursorText | None = Field(None, description="next_cursor of the previous page.")


# --- helpers ---------------------------------------------------------------------------------------

def balance_out(b: services.Balance) -> dict[str, Any]:
    e = b.entitlement
    return {
        "entitlement_id": e.pk, "product_code": e.product.code, "product_name": e.product.name,
        "unit": e.product.unit, "period": e.period, "quantity": b.quantity, "period_start": b.period_start,
        "period_end": b.period_end, "used": b.used, "remaining": b.remaining, "overage": b.overage,
        "pending": b.pending,
    }


def contracts_out(contracts: list[Contract], on: datetime.date) -> list[dict[str, Any]]:
    """Contracts with the balances of all their entitlements (one query for every balance)."""
    figures = {b.entitlement.pk: b for b in services.balances(
        [e for c in contracts for e in c.entitlements.all()], on)}
    return [{
        "id": c.pk, "number": c.number, "company_id": c.company_id, "company_name": c.company.name,
        "asset_id": c.asset_id, "level": c.level, "status": c.status, "starts_on": c.starts_on,
        "ends_on": c.ends_on, "overage": c.overage, "designated_engineer_id": c.designated_engineer_id,
        "notes": c.notes, "entitlements": [balance_out(figures[e.pk]) for e in c.entitlements.all()],
    } for c in contracts]


def _contracts(user) -> Any:
    entitlements = Entitlement.objects.select_related("product").order_by("product__code")
    return (Contract.objects.visible_to(user).select_related("company")
            .prefetch_related(Prefetch("entitlements", queryset=entitlements)))


def _get(model, queryset, pk: int, message: str):
    try:
        return queryset.get(pk=pk)
    except model.DoesNotExist:
        raise NotFound(message) from None


def row_out(row: Consumption) -> dict[str, Any]:
    return {"id": row.pk, "entitlement_id": row.entitlement_id, "period_start": row.period_start,
            "units": row.units, "overage": row.overage, "status": row.status, "ref": row.ref,
            "charge_amount": row.charge_amount, "at": row.at}


# --- endpoints -------------------------------------------------------------------------------------

@router.get("/products", response=list[ServiceProductOut], summary="The service catalogue")
def list_products(request: HttpRequest, include_inactive: bool = False):
    """Every service product with its unit, price (CNY) and SLA targets."""
    _viewer(request)
    products = ServiceProduct.objects.order_by("code")
    return list(products if include_inactive else products.filter(active=True))


@router.get("/contracts", response=ContractPage, summary="Contracts the caller may see")
def list_contracts(request: HttpRequest, params: Query[ContractParams]):
    """Newest first, with each entitlement's balance for the current period (Asia/Shanghai)."""
    user = _viewer(request)
    contracts = _contracts(user).order_by("-pk")
    for name in ("company_id", "status", "level"):
        if getattr(params, name) is not None:
            contracts = contracts.filter(**{name: getattr(params, name)})
    if params.cursor:
        if not params.cursor.isdigit():
            raise ValidationFailed(fields={"cursor": [_("This cursor is invalid; start again without one.")]})
        contracts = contracts.filter(pk__lt=int(params.cursor))
    page = list(contracts[: params.limit + 1])
    more = len(page) > params.limit
    page = page[: params.limit]
    return {"items": contracts_out(page, periods.service_date()),
            "next_cursor": str(page[-1].pk) if more else None}


@router.get("/contracts/{int:contract_id}", response=ContractOut, summary="One contract with its balances")
def get_contract(request: HttpRequest, contract_id: int, on: datetime.date | None = None):
    """Balances are for the periods containing `on` (today by default)."""
    user = _viewer(request)
    contract = _get(Contract, _contracts(user), contract_id, _("No such contract."))
    return contracts_out([contract], on or periods.service_date())[0]


@router.post("/contracts", response={201: ContractOut}, summary="Create a contract with its entitlements")
def create_contract(request: HttpRequest, body: ContractIn):
    user = _user(request)
    values = body.model_dump()
    company = _get(Company, Company.objects.visible_to(user), values.pop("company_id"), _("No such customer."))
    asset_id, engineer_id = values.pop("asset_id"), values.pop("designated_engineer_id")
    if asset_id:
        values["asset"] = _get(Asset, Asset.objects.filter(company=company), asset_id, _("No such asset."))
    if engineer_id:
        User = get_user_model()
        values["designated_engineer"] = _get(User, User.objects.filter(is_active=True), engineer_id,
                                             _("No such user."))
    contract = services.create_contract(actor=user, company=company, **values)
    return Status(201, contracts_out([_contracts(user).get(pk=contract.pk)], periods.service_date())[0])


@router.patch("/contracts/{int:contract_id}", response=ContractOut, summary="Change a contract's terms")
def patch_contract(request: HttpRequest, contract_id: int, body: ContractPatch):
    user = _user(request)
    contract = _get(Contract, Contract.objects.visible_to(user).select_related("company"), contract_id,
                    _("No such contract."))
    values = body.model_dump(exclude_unset=True)
    for name in ("level", "starts_on", "ends_on", "status", "overage", "notes"):
        if name in values and values[name] is None:
            raise ValidationFailed(fields={name: [_("This field cannot be empty.")]})
    if "asset_id" in values:
        asset_id = values.pop("asset_id")
        values["asset"] = asset_id and _get(Asset, Asset.objects.filter(company=contract.company), asset_id,
                                            _("No such asset."))
    if "designated_engineer_id" in values:
        engineer_id = values.pop("designated_engineer_id")
        User = get_user_model()
        values["designated_engineer"] = engineer_id and _get(User, User.objects.filter(is_active=True), engineer_id,
                                                             _("No such user."))
    services.update_contract(actor=user, contract=contract, **values)
    return contracts_out([_contracts(user).get(pk=contract.pk)], periods.service_date())[0]


@router.post("/contracts/{int:contract_id}/entitlements", response={201: ContractOut},
             summary="Add an entitlement to a contract")
def add_entitlement(request: HttpRequest, contract_id: int, body: EntitlementIn):
    user = _user(request)
    contract = _get(Contract, Contract.objects.visible_to(user).select_related("company"), contract_id,
                    _("No such contract."))
    services.add_entitlement(actor=user, contract=contract, **body.model_dump())
    return Status(201, contracts_out([_contracts(user).get(pk=contract.pk)], periods.service_date())[0])


def _consume_args(user, body: ConsumeIn) -> dict[str, Any]:
    values: dict[str, Any] = {"product_code": body.product_code, "units": body.units, "on": body.on}
    if body.contract_id:
        values["contract"] = _get(Contract, Contract.objects.visible_to(user), body.contract_id, _("No such contract."))
    if body.company_id:
        values["company"] = _get(Company, Company.objects.visible_to(user), body.company_id, _("No such customer."))
        if body.asset_id:
            values["asset"] = _get(Asset, Asset.objects.filter(company=values["company"]), body.asset_id,
                                   _("No such asset."))
    return values


def consume_out(result: services.ConsumeResult) -> dict[str, Any]:
    return {"outcome": result.outcome, "message": result.message,
            "contract_id": result.entitlement.contract_id if result.entitlement else None,
            "balance": balance_out(result.balance) if result.balance else None,
            "charge_amount": result.charge_amount, "rows": [row_out(r) for r in result.rows]}


class BalanceParams(Schema):
    company_id: Id
    product_code: Code | None = None
    on: datetime.date | None = Field(None, description="The service date (Asia/Shanghai); today by default.")


@router.get("/balances", response=list[EntitlementBalanceOut], summary="A customer's balances")
def company_balances(request: HttpRequest, params: Query[BalanceParams]):
    """Every entitlement of the customer's contracts in force on `on`, with its balance (intake, the
    ticket and the customer page)."""
    user = _viewer(request)
    company = _get(Company, Company.objects.visible_to(user), params.company_id, _("No such customer."))
    figures = services.company_balances(user, company, params.on)
    if params.product_code:
        figures = [b for b in figures if b.entitlement.product.code == params.product_code.strip().upper()]
    return [balance_out(b) for b in figures]


@router.post("/preview", response=ConsumeOut, summary="What consuming would do, without consuming")
def preview(request: HttpRequest, body: ConsumeIn):
    """For intake: the balance and the outcome the agent would get now (`ref` is not recorded)."""
    user = _viewer(request)
    return consume_out(services.preview(actor=user, **_consume_args(user, body)))


@router.post("/consume", response=ConsumeOut, summary="Consume units of a service")
def consume(request: HttpRequest, body: ConsumeIn):
    """Outcome consumed, charged (at the catalogue price) or pending (a manager's approval); a request the
    contract refuses is a 409 problem whose detail says why, and nothing is recorded."""
    user = _user(request)
    result = services.consume(actor=user, ref=body.ref, **_consume_args(user, body))
    if result.outcome == "refused":
        raise Conflict(result.message)
    return consume_out(result)


@router.post("/give-back", response=list[ConsumptionOut], summary="Give back what a reference consumed")
def give_back(request: HttpRequest, body: GiveBackIn):
    """Idempotent: a second call gives back nothing more and returns an empty list."""
    return [row_out(r) for r in services.give_back(actor=_user(request), ref=body.ref)]


def _pending(user, consumption_id: int) -> Consumption:
    rows = Consumption.objects.filter(entitlement__contract__in=Contract.objects.visible_to(user).values("id"))
    return _get(Consumption, rows, consumption_id, _("No such consumption."))


@router.post("/consumptions/{int:consumption_id}/approve", response=list[ConsumptionOut], summary="Approve overage")
def approve(request: HttpRequest, consumption_id: int):
    user = _user(request)
    return [row_out(r) for r in services.approve(actor=user, consumption=_pending(user, consumption_id))]


@router.post("/consumptions/{int:consumption_id}/reject", response=list[ConsumptionOut], summary="Reject overage")
def reject(request: HttpRequest, consumption_id: int):
    user = _user(request)
    return [row_out(r) for r in services.reject(actor=user, consumption=_pending(user, consumption_id))]
