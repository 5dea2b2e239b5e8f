"""Report endpoints of the SLA app, mounted by loopdesk.api.router at /api/v1/sla.

GET /compliance: compliance figures per policy, customer, group or partner and period
(loopdesk.sla.compliance; Perm.REPORT_VIEW; only clocks of tickets the caller may see).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from . import compliance

router = Router(tags=["sla"])


class ComplianceQuery(Schema):
    by: Literal["policy", "customer", "group", "partner", "all"] = "policy"
    period: Literal["day", "week", "month"] = "month"
    from_: dt.date | None = Field(None, alias="from", description="First day (default: two months ago, 1st).")
    to: dt.date | None = Field(None, description="Last day, included (default: today). At most 366 days.")
    kind: Literal["sla", "ola"] | None = None
    metric: Literal["first_response", "next_update", "resolution", "onsite_arrival"] | None = None


class ComplianceRow(Schema):
    key: int | None = Field(description="The policy, company, group or partner id (null: none; by=all: null).")
    label: str
    period: dt.date = Field(description="First day of the day, week (Monday) or month, in the caller's zone.")
    stopped: int = Field(description="Clocks stopped in the period.")
    met: int
    breached: int
    compliance: float | None = Field(description="met / (met + breached) in percent; null without a verdict.")
    avg_minutes: float | None = Field(description="Mean business minutes taken by clocks with a verdict.")
    p90_minutes: float | None = Field(description="90th percentile (nearest rank) of the same.")


class ComplianceOut(Schema):
    by: str
    period: str
    from_: dt.date = Field(alias="from")
    to: dt.date
    items: list[ComplianceRow]


@router.get("/compliance", response=ComplianceOut, by_alias=True, summary="SLA compliance figures")
def compliance_figures(request: HttpRequest, q: Query[ComplianceQuery]) -> dict[str, Any]:
    """Clocks stopped from `from` to `to` (days in the caller's time zone), per `by` and `period`:
    stopped, met, breached, compliance %, mean and p90 business minutes. Needs the report permission."""
    user = request.auth  # type: ignore[attr-defined]
    default_start, default_end = compliance.default_range(timezone.localdate())
    start, end = q.from_ or default_start, q.to or default_end
    rows = compliance.compliance(user, by=q.by, period=q.period, start=start, end=end, kind=q.kind or "",
                                 metric=q.metric or "")
    return {"by": q.by, "period": q.period, "from": start, "to": end, "items": [r.as_dict() for r in rows]}
