"""Breached and about-to-breach tickets (the `sla:overview` page), read from `Ticket.due_at`.

`Ticket.due_at` is the earliest due time of a ticket's running clocks (kept by `clocks`), so every
figure here is an index range over open tickets (tk_open_due and the per-scope tk_*_due indexes):
breached = due before now; "within 1 h / 4 h" = not yet breached, due before now + 1 h / 4 h (the
4 h figure includes the 1 h one). The same windows as the queue's "time to breach" filter
(`loopdesk.tickets.views.queue.DUE_WINDOWS`), whose links these figures open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q

from loopdesk.accounts.models import Group, User
from loopdesk.tickets.models import Ticket

HOUR = dt.timedelta(hours=1)
LIST_SIZE = 20


@dataclass
class Counts:
    """Open tickets breached / due within 1 h / due within 4 h, for one group, one assignee or all."""

    key: Any = None
    label: str = ""
    breached: int = 0
    within_1h: int = 0
    within_4h: int = 0


@dataclass
class Overview:
    total: Counts
    groups: list[Counts] = field(default_factory=list)
    assignees: list[Counts] = field(default_factory=list)
    breached: list[Ticket] = field(default_factory=list)
    soon: list[Ticket] = field(default_factory=list)


def at_risk(user, now: dt.datetime):
    """Open tickets the user may see that are breached or due within 4 hours."""
    return Ticket.objects.visible_to(user).filter(is_open=True, due_at__lt=now + 4 * HOUR)


def _figures(now: dt.datetime) -> dict[str, Count]:
    return {
        "breached": Count("id", filter=Q(due_at__lt=now)),
        "within_1h": Count("id", filter=Q(due_at__gte=now, due_at__lt=now + HOUR)),
        "within_4h": Count("id", filter=Q(due_at__gte=now)),
    }


def overview(user, now: dt.datetime) -> Overview:
    """The figures of the overview page in five queries whatever the table size: one aggregate per
    (group, assignee) pair, from which the totals and both breakdowns are summed (a few hundred pairs
    at most, never one row per ticket), the group and people names, and the two short lists."""
    base = at_risk(user, now)
    figures = _figures(now)
    pairs = list(base.values("group_id", "assignee_id").annotate(**figures).order_by())
    total = Counts()
    per_group: dict[Any, Counts] = {}
    per_assignee: dict[Any, Counts] = {}
    for row in pairs:
        for counts in (total, per_group.setdefault(row["group_id"], Counts(key=row["group_id"])),
                       per_assignee.setdefault(row["assignee_id"], Counts(key=row["assignee_id"]))):
            counts.breached += row["breached"]
            counts.within_1h += row["within_1h"]
            counts.within_4h += row["within_4h"]
    for counts, name in _names(per_group, per_assignee):
        counts.label = name
    order = lambda c: (-c.breached, -c.within_1h, -c.within_4h, c.key is None, c.label)  # noqa: E731
    return Overview(
        total=total,
        groups=sorted(per_group.values(), key=order),
        assignees=sorted(per_assignee.values(), key=order),
        breached=_listed(base.filter(due_at__lt=now)),
        soon=_listed(base.filter(due_at__gte=now)),
    )


def _names(per_group: dict, per_assignee: dict):
    """(counts, name) for every group and person: one query each."""
    groups = dict(Group.objects.filter(pk__in=[k for k in per_group if k is not None]).values_list("id", "name"))
    people = {u.pk: str(u) for u in User.objects.filter(pk__in=[k for k in per_assignee if k is not None]).only(
        "username", "display_name", "first_name", "last_name")}
    for key, counts in per_group.items():
        yield counts, groups.get(key, "")
    for key, counts in per_assignee.items():
        yield counts, people.get(key, "")


def _listed(qs) -> list[Ticket]:
    """The first LIST_SIZE tickets soonest due, their ids picked before the row's tables are joined."""
    ids = qs.order_by("due_at", "id").values("id")[:LIST_SIZE]
    return list(Ticket.objects.filter(pk__in=ids).select_related("company", "group", "assignee").only(
        "number", "title", "priority", "status", "due_at", "company__name", "group__name",
        "assignee__username", "assignee__display_name", "assignee__first_name", "assignee__last_name",
    ).order_by("due_at", "id"))
