"""Balances: sums over the consumption ledger per entitlement and period (never stored)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Q, Sum, When

from loopdesk.customers.models import Company

from .. import periods
from ..models import Consumption, Contract, Entitlement

S = Consumption.Status
# Rows that count against an entitlement (a pending row counts only once approved).
COUNTED = [S.CONSUMED, S.CHARGED, S.APPROVED, S.RETURNED]


# --- Balances --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Balance:
    """An entitlement's figures for one period. `remaining` is None when unlimited."""

    entitlement: Entitlement
    period_start: datetime.date
    period_end: datetime.date
    quantity: int | None
    used: int  # included units used (net of units given back)
    overage: int  # units beyond the quantity that were charged or approved
    pending: int  # units waiting for a manager's approval

    @property
    def remaining(self) -> int | None:
        return None if self.quantity is None else max(self.quantity - self.used, 0)

    @property
    def unlimited(self) -> bool:
        return self.quantity is None


def _sums(entitlement_ids: list[int], starts: dict[int, datetime.date]) -> dict[int, Any]:
    """used / overage / pending per entitlement for the given period starts, in one query."""
    if not entitlement_ids:
        return {}
    period_q = Q()
    for pk in entitlement_ids:
        period_q |= Q(entitlement_id=pk, period_start=starts[pk])

    def total(condition: Q) -> Sum:
        return Sum(Case(When(condition, then="units"), default=0, output_field=IntegerField()))

    counted = Q(status__in=COUNTED)
    rows = (
        Consumption.objects.filter(period_q).values("entitlement_id").order_by()
        .annotate(used=total(counted & Q(overage=False)), overage=total(counted & Q(overage=True)),
                  pending=total(Q(status=S.PENDING)))
    )
    return {r["entitlement_id"]: r for r in rows}


def balances(entitlements: list[Entitlement], on: datetime.date | None = None) -> list[Balance]:
    """The balance of each entitlement in the period containing `on` (today in Asia/Shanghai)."""
    on = on or periods.service_date()
    starts = {e.pk: e.period_start(on) for e in entitlements}
    sums = _sums([e.pk for e in entitlements], starts)
    result = []
    for e in entitlements:
        row = sums.get(e.pk, {})
        result.append(Balance(
            entitlement=e, period_start=starts[e.pk], period_end=e.period_end(starts[e.pk]), quantity=e.quantity,
            used=row.get("used") or 0, overage=row.get("overage") or 0, pending=row.get("pending") or 0,
        ))
    return result


def balance(entitlement: Entitlement, on: datetime.date | None = None) -> Balance:
    """The entitlement's balance in the period containing `on`."""
    return balances([entitlement], on)[0]


def company_balances(user, company: Company, on: datetime.date | None = None) -> list[Balance]:
    """Balances of every contract of `company` in force on `on` that `user` may see (intake, customer page)."""
    on = on or periods.service_date()
    entitlements = list(
        Entitlement.objects.filter(contract__in=Contract.objects.visible_to(user).filter(company=company).in_force(on))
        .select_related("contract", "product").order_by("contract__number", "product__code")
    )
    return balances(entitlements, on)
