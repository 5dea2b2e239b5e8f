"""Consuming entitlements: take units when a service is delivered, give them back when it is cancelled,
and let a manager decide on overage that waits for approval.

A request takes `units` of one service product. When it fits in what is left of an entitlement for the
current period it is consumed. Otherwise the contract's overage policy decides, for the whole request:
refuse (nothing is written), charge (the units that still fit are consumed, the rest charged at the
catalogue price) or approval (the request waits; on approval the units that fit then are consumed and
the rest recorded as approved overage).

Two agents taking the last unit at once: each locks the candidate entitlement rows (SELECT … FOR UPDATE,
in id order) before reading the balance, so the second waits for the first to commit, then sees the
unit gone.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from loopdesk.accounts.roles import Perm, require
from loopdesk.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from loopdesk.core.services import record_audit
from loopdesk.customers.models import Company

from .. import periods
from ..models import Consumption, Contract, Entitlement
from .balances import Balance, balances
from .contracts import can_approve

S = Consumption.Status
MAX_UNITS = 1000


@dataclass
class ConsumeResult:
    """What a request for service got. `outcome` is consumed, charged, pending or refused."""

    outcome: str
    message: str
    entitlement: Entitlement | None = None
    balance: Balance | None = None  # after the request
    rows: list[Consumption] = field(default_factory=list)
    charge_amount: Decimal | None = None

    @property
    def allowed(self) -> bool:
        return self.outcome in ("consumed", "charged")


def _clean_request(units: Any, ref: Any) -> tuple[int, str]:
    errors = {}
    if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= MAX_UNITS:
        errors["units"] = [_("Units must be a whole number from 1 to %(max)d.") % {"max": MAX_UNITS}]
    ref = str(ref or "").strip()
    if not ref or len(ref) > 64:
        errors["ref"] = [_("Name what consumes the service, e.g. “ticket:123” (at most 64 characters).")]
    if errors:
        raise ValidationFailed(fields=errors)
    return units, ref


def _candidates(actor, *, contract: Contract | None, company: Company | None, product_code: str, on: datetime.date,
                asset=None, lock: bool) -> list[Entitlement]:
    """The entitlements that could serve the request, best first: an asset's own contract before the
    company-wide ones. Locked (in id order, so concurrent callers never deadlock) when `lock`."""
    if (contract is None) == (company is None):
        raise ValidationFailed(fields={"contract": [_("Give either a contract or a customer.")]})
    contracts = Contract.objects.all() if actor is None else Contract.objects.visible_to(actor)
    if contract is not None:
        if not contracts.filter(pk=contract.pk).exists():
            raise NotFound(_("No such contract."))
        contracts = contracts.filter(pk=contract.pk)
    else:
        assert company is not None
        if actor is not None and not Company.objects.visible_to(actor).filter(pk=company.pk).exists():
            raise NotFound(_("No such customer."))
        contracts = contracts.filter(company=company)
        if asset is not None:
            contracts = contracts.filter(Q(asset__isnull=True) | Q(asset=asset))
    query = Entitlement.objects.filter(
        contract__in=contracts.in_force(on).values("id"), product__code=str(product_code or "").strip().upper(),
    )
    if lock:
        # of=self: lock the entitlement rows only, not the joined product (shared by every customer).
        ids = list(query.order_by("pk").select_for_update(of=("self",)).values_list("pk", flat=True))
        query = Entitlement.objects.filter(pk__in=ids)
    found = list(query.select_related("contract", "product").order_by("pk"))
    return sorted(found, key=lambda e: (e.contract.asset_id is None, e.pk))


def _decide(found: list[Entitlement], units: int, on: datetime.date) -> tuple[str, Balance | None, int]:
    """(outcome, the balance it applies to, units that still fit), from the candidates' balances."""
    if not found:
        return "refused", None, 0
    figures = balances(found, on)
    for b in figures:
        if b.remaining is None or b.remaining >= units:
            return "consumed", b, units
    best = figures[0]
    outcomes = {Contract.Overage.CHARGE.value: "charged", Contract.Overage.APPROVAL.value: "pending"}
    return outcomes.get(best.entitlement.contract.overage, "refused"), best, best.remaining or 0


def _message(outcome: str, b: Balance | None, product_code: str, units: int, fit: int,
             contract: Contract | None = None, on: datetime.date | None = None) -> str:
    if b is None and contract is not None and not Contract.objects.in_force(on).filter(pk=contract.pk).exists():
        return _("Contract %(number)s is not in force on %(date)s.") % {"number": contract.number, "date": on}
    if b is None:
        return _("No contract in force includes the service “%(code)s”.") % {"code": product_code}
    e = b.entitlement
    if outcome == "consumed":
        if b.unlimited:
            return _("Covered by contract %(number)s (unlimited).") % {"number": e.contract.number}
        return _("Covered by contract %(number)s: %(left)d of %(total)d left this period.") % {
            "number": e.contract.number, "left": (b.remaining or 0) - units, "total": b.quantity}
    values = {"number": e.contract.number, "total": b.quantity, "left": fit, "units": units, "over": units - fit}
    if outcome == "charged":
        return _("Contract %(number)s has %(left)d of %(total)d left; %(over)d unit(s) will be charged at the "
                 "catalogue price.") % values
    if outcome == "pending":
        return _("Contract %(number)s has %(left)d of %(total)d left; this request needs a manager's "
                 "approval.") % values
    return _("Contract %(number)s has %(left)d of %(total)d left this period and does not allow more.") % values


def preview(*, actor: Any, product_code: str, units: int = 1, contract: Contract | None = None,
            company: Company | None = None, asset=None, on: datetime.date | None = None) -> ConsumeResult:
    """What `consume` would do now, without writing anything (the agent sees it at intake)."""
    units, _ref = _clean_request(units, "preview")
    on = on or periods.service_date()
    found = _candidates(actor, contract=contract, company=company, product_code=product_code, on=on, asset=asset,
                        lock=False)
    outcome, b, fit = _decide(found, units, on)
    charge = _charge(b.entitlement, units - fit) if b is not None and outcome == "charged" else None
    return ConsumeResult(outcome=outcome, message=_message(outcome, b, product_code, units, fit, contract, on),
                         entitlement=b.entitlement if b else None, balance=b, charge_amount=charge)


def _charge(entitlement: Entitlement, units: int) -> Decimal | None:
    price = entitlement.product.price
    return None if price is None else price * units


@transaction.atomic
def consume(*, actor: Any, product_code: str, ref: str, units: int = 1, contract: Contract | None = None,
            company: Company | None = None, asset=None, on: datetime.date | None = None) -> ConsumeResult:
    """Take `units` of the service `product_code` for `ref` from `contract` (or the best contract of
    `company` in force on `on`, today in Asia/Shanghai by default). A refusal writes nothing."""
    require(actor, Perm.TICKET_EDIT)
    units, ref = _clean_request(units, ref)
    on = on or periods.service_date()
    found = _candidates(actor, contract=contract, company=company, product_code=product_code, on=on, asset=asset,
                        lock=True)
    outcome, b, fit = _decide(found, units, on)
    message = _message(outcome, b, product_code, units, fit, contract, on)
    if outcome == "refused":
        return ConsumeResult(outcome=outcome, message=message, entitlement=b.entitlement if b else None, balance=b)
    assert b is not None  # only a refusal has no entitlement
    e = b.entitlement
    common = {"entitlement": e, "period_start": b.period_start, "ref": ref, "actor": _user(actor)}
    rows = []
    charge = None
    if outcome == "pending":
        rows.append(Consumption(units=units, status=S.PENDING, **common))
    else:
        if fit:
            rows.append(Consumption(units=fit, status=S.CONSUMED, **common))
        if outcome == "charged":
            charge = _charge(e, units - fit)
            rows.append(Consumption(units=units - fit, status=S.CHARGED, overage=True, charge_amount=charge, **common))
    for row in rows:
        row.save()
    record_audit(actor=actor, obj=e.contract, action="consume", changes={
        "product": e.product.code, "units": units, "ref": ref, "outcome": outcome,
        "period": b.period_start.isoformat(),
    })
    after = balances([e], on)[0]
    return ConsumeResult(outcome=outcome, message=message, entitlement=e, balance=after, rows=rows,
                         charge_amount=charge)


@transaction.atomic
def give_back(*, actor: Any, ref: str) -> list[Consumption]:
    """Give back everything `ref` still holds (the ticket or work order was cancelled): consumed,
    charged and approved units get a negative row in their own period; a pending request is cancelled.
    Calling it again gives back nothing more. Returns the rows written or changed."""
    require(actor, Perm.TICKET_EDIT)
    _units, ref = _clean_request(1, ref)
    rows = Consumption.objects.filter(ref=ref)
    if actor is not None:
        rows = rows.filter(entitlement__contract__in=Contract.objects.visible_to(actor).values("id"))
    entitlement_ids = sorted(set(rows.values_list("entitlement_id", flat=True)))
    # Lock the entitlements as consume does, so a give-back and a consumption never interleave.
    list(Entitlement.objects.filter(pk__in=entitlement_ids).order_by("pk").select_for_update().values_list("pk"))
    changed = []
    originals = list(rows.filter(status__in=[S.CONSUMED, S.CHARGED, S.APPROVED, S.PENDING], units__gt=0)
                     .select_related("entitlement__contract").order_by("pk"))
    returned = set(Consumption.objects.filter(reverses__in=originals).values_list("reverses_id", flat=True))
    for row in originals:
        if row.status == S.PENDING:
            row.status, row.decided_by = S.CANCELLED, _user(actor)
            row.save(update_fields=["status", "decided_by"])
            changed.append(row)
        elif row.pk not in returned:
            changed.append(Consumption.objects.create(
                entitlement=row.entitlement, period_start=row.period_start, units=-row.units, overage=row.overage,
                ref=ref, status=S.RETURNED, reverses=row, actor=_user(actor),
                charge_amount=-row.charge_amount if row.charge_amount is not None else None,
            ))
    for contract in {row.entitlement.contract for row in originals}:
        record_audit(actor=actor, obj=contract, action="give_back", changes={"ref": ref})
    return changed


@transaction.atomic
def decide(*, actor: Any, consumption: Consumption, approve: bool) -> list[Consumption]:
    """A manager approves or rejects a request waiting for approval. On approval the units that fit in
    the entitlement now are consumed and the rest recorded as approved overage."""
    if not can_approve(actor):
        raise Forbidden(_("Only a service manager may approve service beyond the contract."))
    visible = Consumption.objects.all() if actor is None else Consumption.objects.filter(
        entitlement__contract__in=Contract.objects.visible_to(actor).values("id"))
    if not visible.filter(pk=consumption.pk).exists():
        raise NotFound(_("No such consumption."))
    entitlement = Entitlement.objects.select_for_update(of=("self",)).select_related("contract", "product").get(
        pk=consumption.entitlement_id)
    row = Consumption.objects.select_for_update().get(pk=consumption.pk)
    if row.status != S.PENDING:
        raise Conflict(_("This request is no longer waiting for approval."))
    row.decided_by = _user(actor)
    written = [row]
    if not approve:
        row.status = S.REJECTED
    else:
        b = balances([entitlement], row.period_start)[0]
        fit = row.units if b.remaining is None else min(b.remaining, row.units)
        over = row.units - fit
        if fit:
            row.status, row.units = S.CONSUMED, fit
        else:
            row.status, row.overage = S.APPROVED, True
        if fit and over:
            written.append(Consumption.objects.create(
                entitlement=entitlement, period_start=row.period_start, units=over, overage=True, ref=row.ref,
                status=S.APPROVED, actor=row.actor, decided_by=row.decided_by,
            ))
    row.save()
    record_audit(actor=actor, obj=entitlement.contract, action="approve" if approve else "reject",
                 changes={"consumption": row.pk, "ref": row.ref})
    consumption.refresh_from_db()
    return written


def approve(*, actor: Any, consumption: Consumption) -> list[Consumption]:
    return decide(actor=actor, consumption=consumption, approve=True)


def reject(*, actor: Any, consumption: Consumption) -> list[Consumption]:
    return decide(actor=actor, consumption=consumption, approve=False)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None
