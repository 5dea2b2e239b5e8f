"""SLA / OLA compliance figures: per policy, customer, group or partner, per day, week or month.

A clock counts in the period in which it stopped (`Clock.stopped_at`, bucketed in the reader's time
zone). Per dimension value and period:

- `stopped`: clocks stopped in the period (current or handed over);
- `met` / `breached`: those stopped within / beyond their target (`Clock.met` true / false); a clock
  handed over or no longer applying before its due time has no verdict and counts in neither;
- `compliance`: met / (met + breached) in percent, null without a verdict;
- `avg_minutes` / `p90_minutes`: business minutes the clocks with a verdict took (`elapsed_seconds`
  when they stopped): the mean and the 90th percentile (nearest rank: the smallest value with at
  least 90 % of the values at or below it).

Dimensions: `policy` (the clock's policy), `customer` (the ticket's company), `group` (an OLA clock's
group, else the ticket's assignment group), `partner` (an OLA clock's partner, else the ticket's
partner), `all` (one row per period). Only clocks of tickets the reader may see count
(`Ticket.objects.visible_to`), and reading needs Perm.REPORT_VIEW.

Everything is one SQL statement over the clock table (the percentile: percentile_disc on PostgreSQL,
a CUME_DIST window elsewhere): the database does the counting, Python only names the rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.db import connection
from django.db.models import Case, DateField, F, FloatField, IntegerField, Value, When
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.accounts.models import Group
from loopdesk.accounts.roles import Perm, require
from loopdesk.accounts.scope import scope_for
from loopdesk.core.errors import ValidationFailed
from loopdesk.customers.models import Company
from loopdesk.orgs.models import Organization
from loopdesk.tickets.models import Ticket

from .models import Clock, Policy

DIMENSIONS = ("policy", "customer", "group", "partner", "all")
PERIODS = ("day", "week", "month")
MAX_DAYS = 366


@dataclass(frozen=True)
class Row:
    """One dimension value in one period."""

    key: int | None
    label: str
    period: dt.date
    stopped: int
    met: int
    breached: int
    compliance: float | None
    avg_minutes: float | None
    p90_minutes: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _dimension(by: str) -> Any:
    return {
        "policy": F("policy_id"),
        "customer": F("ticket__company_id"),
        "group": Coalesce("group_id", "ticket__group_id"),
        "partner": Coalesce("partner_org_id", "ticket__partner_org_id"),
        "all": Value(0, output_field=IntegerField()),
    }[by]


def check(*, by: str, period: str, start: dt.date, end: dt.date) -> None:
    """Refuse unknown dimensions or periods and ranges that are reversed or longer than a year."""
    errors: dict[str, list[str]] = {}
    if by not in DIMENSIONS:
        errors["by"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(DIMENSIONS)}]
    if period not in PERIODS:
        errors["period"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(PERIODS)}]
    if end < start:
        errors["to"] = [_("The end is before the start.")]
    elif (end - start).days >= MAX_DAYS:
        errors["to"] = [_("Choose at most %(days)d days.") % {"days": MAX_DAYS}]
    if errors:
        raise ValidationFailed(_("Check the report parameters."), fields=errors)


def default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """This month and the two before it."""
    month = today.month - 2
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, 1), today


def clocks_for(user, *, start: dt.date, end: dt.date, kind: str = "", metric: str = ""):
    """Stopped clocks of tickets the user may see, stopped from `start` to `end` (both days included,
    in the current time zone)."""
    zone = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    clocks = Clock.objects.filter(state=Clock.State.STOPPED, stopped_at__gte=since, stopped_at__lt=until)
    if not scope_for(user).all:
        clocks = clocks.filter(ticket_id__in=Ticket.objects.visible_to(user).values("id"))
    if kind:
        clocks = clocks.filter(kind=kind)
    if metric:
        clocks = clocks.filter(metric=metric)
    return clocks


def compliance(user, *, by: str, period: str, start: dt.date, end: dt.date, kind: str = "",
               metric: str = "") -> list[Row]:
    """The figures, by period then by dimension value (see the module docstring)."""
    require(user, Perm.REPORT_VIEW)
    check(by=by, period=period, start=start, end=end)
    inner = clocks_for(user, start=start, end=end, kind=kind, metric=metric).annotate(
        dim=_dimension(by),
        bucket=Trunc("stopped_at", period, output_field=DateField(), tzinfo=timezone.get_current_timezone()),
        minutes=Case(When(met__isnull=False, then=F("elapsed_seconds") / 60.0), output_field=FloatField()),
        verdict=Case(When(met=True, then=Value(1)), When(met=False, then=Value(0)), default=Value(-1),
                     output_field=IntegerField()),
    ).order_by().values("dim", "bucket", "minutes", "verdict")
    sql, params = inner.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_statement(sql), params)
        raw = cursor.fetchall()
    labels = _labels(by, {r[0] for r in raw if r[0] is not None})
    rows = []
    for dim, bucket, stopped, met, breached, avg, p90 in raw:
        met, breached = int(met or 0), int(breached or 0)
        rows.append(Row(
            key=None if by == "all" else dim,
            label=_("All") if by == "all" else labels.get(dim, _("None")),
            period=_as_date(bucket), stopped=int(stopped), met=met, breached=breached,
            compliance=round(100 * met / (met + breached), 1) if met + breached else None,
            avg_minutes=None if avg is None else round(float(avg), 1),
            p90_minutes=None if p90 is None else round(float(p90), 1),
        ))
    return sorted(rows, key=lambda r: (r.period, r.label, r.key or 0))


def _statement(inner: str) -> str:
    """Count, sum and rank the clocks of `inner` (columns dim, bucket, minutes, verdict) per dimension
    value and period. The p90 is the smallest minutes value whose cumulative share reaches 0.9 (nearest
    rank): PostgreSQL's ordered-set aggregate percentile_disc, which sorts each group on its own;
    elsewhere (SQLite) a CUME_DIST window, per (dimension, period, has a verdict). Both ignore clocks
    without a verdict, whose minutes are null. The one database-specific piece of this module."""
    counts = """COUNT(*), SUM(CASE WHEN verdict = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN verdict = 0 THEN 1 ELSE 0 END),
               AVG(minutes)"""
    if connection.vendor == "postgresql":
        return f"""
            SELECT dim, bucket, {counts}, percentile_disc(0.9) WITHIN GROUP (ORDER BY minutes)
            FROM ({inner}) AS clocks GROUP BY dim, bucket ORDER BY bucket, dim"""
    return f"""
        SELECT dim, bucket, {counts}, MIN(CASE WHEN verdict >= 0 AND cd >= 0.9 THEN minutes END)
        FROM (
            SELECT dim, bucket, minutes, verdict,
                   CUME_DIST() OVER (PARTITION BY dim, bucket, verdict >= 0 ORDER BY minutes) AS cd
            FROM ({inner}) AS clocks
        ) AS ranked
        GROUP BY dim, bucket ORDER BY bucket, dim"""


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])  # SQLite returns text


def _labels(by: str, keys: set[int]) -> dict[int, str]:
    if not keys or by == "all":
        return {}
    model = {"policy": Policy, "customer": Company, "group": Group, "partner": Organization}[by]
    return dict(model.objects.filter(pk__in=keys).values_list("id", "name"))


def totals(rows: list[Row]) -> dict[str, Any]:
    """Sums over rows (the page's footer); the percentile is not additive and is left out."""
    stopped = sum(r.stopped for r in rows)
    met = sum(r.met for r in rows)
    breached = sum(r.breached for r in rows)
    return {"stopped": stopped, "met": met, "breached": breached,
            "compliance": round(100 * met / (met + breached), 1) if met + breached else None}


