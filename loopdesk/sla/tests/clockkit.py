"""Helpers for the clock tests: a deterministic 24×7 policy and short ways to read clocks."""

from __future__ import annotations

import datetime as dt

from loopdesk.sla import cn
from loopdesk.sla.models import Calendar, Clock, EscalationLevel, Policy, Target

MIN = dt.timedelta(minutes=1)


def policy_24x7(*, name: str = "Test 24×7", order: int = 1, kind: str = "sla", party: str = "customer",
                targets: dict | None = None, levels: list | None = None, **conditions) -> Policy:
    """An SLA (or OLA) on the 24×7 calendar tried before the shipped ones: first response 60,
    next update 120, resolution 240 minutes unless `targets` says otherwise."""
    policy = Policy.objects.create(name=name, kind=kind, party=party, order=order,
                                   calendar=Calendar.objects.get(name=cn.ALWAYS_OPEN), **conditions)
    for (metric, priority), minutes in (targets or {("first_response", None): 60, ("next_update", None): 120,
                                                    ("resolution", None): 240}).items():
        Target.objects.create(policy=policy, metric=metric, priority=priority, minutes=minutes)
    for metric, percent, actions in levels or []:
        EscalationLevel.objects.create(policy=policy, metric=metric, percent=percent, actions=actions)
    return policy


def clocks(ticket, **filters) -> dict[str, Clock]:
    """{metric: clock} of the ticket's current clocks of one kind (sla by default)."""
    filters.setdefault("kind", "sla")
    return {c.metric: c for c in Clock.objects.filter(ticket=ticket, current=True, **filters)}
