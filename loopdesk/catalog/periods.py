"""Entitlement periods: pure date arithmetic, no ORM.

A period is named by its first day. Monthly, quarterly and yearly periods are calendar months, quarters
(Jan/Apr/Jul/Oct) and years; a whole-term entitlement has one period starting on the contract's first
day. Dates are Asia/Shanghai calendar dates (see `service_date`), so a unit consumed at 23:30 on
31 March in Beijing counts in March whatever the server's zone.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

SERVICE_ZONE = ZoneInfo("Asia/Shanghai")

MONTHLY, QUARTERLY, YEARLY, TERM = "monthly", "quarterly", "yearly", "term"


def service_date(at: datetime.datetime | None = None) -> datetime.date:
    """The Asia/Shanghai date of `at` (now if None)."""
    return timezone.localtime(at or timezone.now(), SERVICE_ZONE).date()


def period_start(period: str, day: datetime.date, *, term_start: datetime.date) -> datetime.date:
    """The first day of the `period` that contains `day`."""
    if period == MONTHLY:
        return day.replace(day=1)
    if period == QUARTERLY:
        return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if period == YEARLY:
        return datetime.date(day.year, 1, 1)
    if period == TERM:
        return term_start
    raise ValueError(f"unknown period {period!r}")


def period_end(period: str, start: datetime.date, *, term_end: datetime.date) -> datetime.date:
    """The last day of the period that starts on `start`."""
    if period == MONTHLY:
        return _add_months(start, 1) - datetime.timedelta(days=1)
    if period == QUARTERLY:
        return _add_months(start, 3) - datetime.timedelta(days=1)
    if period == YEARLY:
        return datetime.date(start.year, 12, 31)
    if period == TERM:
        return term_end
    raise ValueError(f"unknown period {period!r}")


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


PERIOD_MONTHS = {MONTHLY: 1, QUARTERLY: 3, YEARLY: 12}


def inspection_slots(period: str, start: datetime.date, quantity: int | None, *,
                     term_end: datetime.date) -> list[datetime.date]:
    """The days from which each of `quantity` inspections of the period starting on `start` is due:
    the period split into equal whole-month steps (4 a year: January, April, July, October). An
    unlimited or zero quantity means one a month; more inspections than months means one a month."""
    if period == TERM:
        months = max(1, (term_end.year - start.year) * 12 + term_end.month - start.month + 1)
    else:
        months = PERIOD_MONTHS[period]
    count = months if not quantity else min(quantity, months)
    step = months // count
    first = start.replace(day=1)
    slots = [_add_months(first, k * step) for k in range(count)]
    slots[0] = start  # a term may start mid-month
    return [s for s in slots if s <= term_end]


def current_slot(slots: list[datetime.date], day: datetime.date) -> datetime.date | None:
    """The latest slot that has begun on `day` (None before the first)."""
    begun = [s for s in slots if s <= day]
    return begun[-1] if begun else None
