"""Service-level pages: breached and about-to-breach tickets, compliance figures, the ticket's clocks.

Thin views over `breaching` (Ticket.due_at), `compliance` (the clock table) and the engine's
`clocks.clock_summaries`; every ticket read goes through `Ticket.objects.visible_to(user)`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from loopdesk.accounts.roles import Perm
from loopdesk.core.errors import ValidationFailed
from loopdesk.tickets.views.common import staff_only, visible_ticket

from . import breaching, compliance
from .clocks import ClockSummary, clock_summaries
from .models import Clock, Metric, Party, Policy

AMBER_FROM = 75  # percent of the target: the bar turns amber here, red at 100


def minutes_text(minutes: float) -> str:
    """Business minutes as "2 h 05 min", "45 min" or "8 h"."""
    total = int(round(abs(minutes)))
    hours, rest = divmod(total, 60)
    if hours and rest:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": rest}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": rest}


def clock_row(c: ClockSummary, policy_names: dict[int, str]) -> dict[str, Any]:
    """What the panel shows of one clock: labels, figures and the bar (width and colour)."""
    if c.state == Clock.State.STOPPED:
        state = "met" if c.met else "breached" if c.met is False else "stopped"
    else:
        state = c.state
    state_labels = {
        "running": _("running"), "paused": _("paused"), "met": _("met"), "breached": _("breached"),
        "stopped": _("stopped"),
    }
    percent = max(0.0, c.percent)
    overdue = c.remaining_minutes < 0 or c.breached
    return {
        "id": c.id,
        "kind": c.kind,
        "kind_label": "SLA" if c.kind == "sla" else "OLA",
        "party_label": Party(c.party).label if c.party in Party.values else c.party,
        "metric": c.metric,
        "metric_label": Metric(c.metric).label if c.metric in Metric.values else c.metric,
        "policy": policy_names.get(c.policy_id, ""),
        "state": state,
        "state_label": state_labels[state],
        "live": c.state != Clock.State.STOPPED,
        "target": minutes_text(c.target_minutes),
        "elapsed": minutes_text(c.elapsed_minutes),
        "remaining": minutes_text(c.remaining_minutes),
        "overdue": overdue,
        "due_at": c.due_at,
        "percent": round(percent, 1),
        "width": f"{min(percent, 100.0):.1f}%",
        "colour": "red" if percent >= 100 or overdue else "amber" if percent >= AMBER_FROM else "green",
    }


def clock_rows(ticket_id: int, now: dt.datetime, *, kinds: tuple[str, ...] = ("sla", "ola")) -> list[dict]:
    summaries = clock_summaries([ticket_id], now=now, kinds=kinds)[ticket_id]
    names = dict(Policy.objects.filter(pk__in={c.policy_id for c in summaries}).values_list("id", "name"))
    return [clock_row(c, names) for c in summaries]


@require_GET
@login_required
@staff_only
def ticket_clocks(request, pk: int):
    """The ticket page's "Service levels" panel (an htmx fragment)."""
    ticket = visible_ticket(request, pk)
    now = timezone.now()
    return render(request, "sla/_ticket_clocks.html", {"ticket": ticket, "clocks": clock_rows(ticket.pk, now),
                                                       "now": now})


@require_GET
@login_required
@staff_only
def overview(request):
    """Open tickets in the user's scope that are breached or breach within 1 h / 4 h."""
    now = timezone.now()
    return render(request, "sla/overview.html", {"o": breaching.overview(request.user, now), "now": now})


class ComplianceForm(forms.Form):
    """The compliance page's GET parameters (the same names as the API's)."""

    by = forms.ChoiceField(label=gettext_lazy("By"), required=False, choices=[
        ("policy", gettext_lazy("Policy")), ("customer", gettext_lazy("Customer")),
        ("group", gettext_lazy("Group")), ("partner", gettext_lazy("Partner")), ("all", gettext_lazy("All")),
    ])
    period = forms.ChoiceField(label=gettext_lazy("Period"), required=False, choices=[
        ("month", gettext_lazy("Month")), ("week", gettext_lazy("Week")), ("day", gettext_lazy("Day")),
    ])
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False,
                             choices=[("", gettext_lazy("SLA and OLA")), *Policy.Kind.choices])
    metric = forms.ChoiceField(label=gettext_lazy("Metric"), required=False,
                               choices=[("", gettext_lazy("All metrics")), *Metric.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        date_input = forms.DateInput(attrs={"type": "date"})
        self.fields["from"] = forms.DateField(label=_("From"), required=False, widget=date_input)
        self.fields["to"] = forms.DateField(label=_("To"), required=False, widget=date_input)

    def params(self) -> dict[str, Any]:
        """Cleaned parameters with defaults: by policy, per month, this month and the two before."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        start, end = compliance.default_range(timezone.localdate())
        return {"by": data.get("by") or "policy", "period": data.get("period") or "month",
                "start": data.get("from") or start, "end": data.get("to") or end,
                "kind": data.get("kind") or "", "metric": data.get("metric") or ""}


@require_GET
@login_required
@staff_only
def compliance_page(request):
    """Compliance per policy, customer, group or partner and period (Perm.REPORT_VIEW)."""
    if not request.user.can(Perm.REPORT_VIEW):
        raise PermissionDenied
    form = ComplianceForm(request.GET)
    p = form.params()
    rows, error = [], None
    try:
        rows = compliance.compliance(request.user, **p)
    except ValidationFailed as failure:
        error = " ".join(str(m) for messages in failure.fields.values() for m in messages) or str(failure)
    return render(request, "sla/compliance.html", {
        "form": form, "p": p, "rows": rows, "totals": compliance.totals(rows), "error": error,
    })
