"""Clocks for many existing tickets at once (demo data, the bench, a first install on old data).

`start_clocks_in_bulk()` gives open tickets without clocks the clocks they would have had since they
were created, without going through the per-event engine: policies are chosen in Python from facts
read in bulk (contract levels and VIP levels in one query each), clocks are inserted with one
INSERT from column arrays per chunk (bulk_create on SQLite), thresholds already passed are marked as
fired (so a first run of the escalation task does not flood anyone with old warnings), and
Ticket.due_at is set set-based. No per-clock history.

Rules: first response runs for a ticket still new, else it stopped when the ticket was accepted
(met or breached on that time); resolution runs since creation (paused, with the time counted until
now banked, when the status pauses the policy); on-site arrival runs for a work order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .models import Clock, Metric, Party, Policy
from .policies import LEVEL_ORDER, Facts, PolicyInfo, _category_chain, _group_tier, active_policies, select
from .replan import refresh_ticket_due
from .services import to_business_calendar

CHUNK = 5000


def _levels(company_ids: set[int], today: dt.date) -> dict[int, str]:
    from loopdesk.catalog.models import Contract

    best: dict[int, str] = {}
    for company_id, level in Contract.objects.in_force(today).filter(company_id__in=company_ids) \
            .values_list("company_id", "level"):
        if LEVEL_ORDER.get(level, 0) > LEVEL_ORDER.get(best.get(company_id, ""), 0):
            best[company_id] = level
    return best


class Row:
    """A clock's columns without a model instance (building 100,000 Clock objects costs seconds)."""

    __slots__ = ("ticket_id", "policy_id", "calendar_id", "kind", "party", "group_id", "partner_org_id", "metric",
                 "state", "current", "target_minutes", "started_at", "elapsed_seconds", "running_since", "due_at",
                 "paused_at", "stopped_at", "stopped_by", "breached_at", "met", "breaches", "last_percent",
                 "next_action_at")

    def __init__(self, **values: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, None)
        self.current, self.elapsed_seconds, self.stopped_by, self.breaches, self.last_percent = True, 0.0, "", 0, 0
        for name, value in values.items():
            setattr(self, name, value)


def _clock(row: dict, info: PolicyInfo, metric: str, minutes: int, now: dt.datetime) -> Row:
    cal = to_business_calendar(info.calendar)
    created, status = row["created_at"], row["status"]
    party = Party.CUSTOMER if info.kind == Policy.Kind.SLA else info.party
    clock = Row(
        ticket_id=row["id"], policy_id=info.id, calendar_id=info.calendar.pk, kind=info.kind, party=party,
        group_id=row["group_id"] if party == Party.GROUP else None,
        partner_org_id=row["partner_org_id"] if party == Party.PARTNER else None,
        metric=metric, target_minutes=minutes, started_at=created,
    )
    full = minutes * 60
    if metric == Metric.FIRST_RESPONSE and status != "new":
        answered = min(max(row["accepted_at"] or created, created), now)
        clock.elapsed_seconds = cal.business_minutes_between(created, answered) * 60
        clock.state, clock.stopped_at, clock.stopped_by = Clock.State.STOPPED, answered, Clock.StoppedBy.REPLY
        clock.met = clock.elapsed_seconds <= full
        if not clock.met:
            clock.breached_at, clock.breaches, clock.last_percent = cal.add(created, minutes), 1, 100
        return clock
    if status in info.pause_statuses:
        clock.state, clock.paused_at = Clock.State.PAUSED, now
        clock.elapsed_seconds = cal.business_minutes_between(created, now) * 60
        if clock.elapsed_seconds > full:
            clock.breached_at, clock.breaches, clock.last_percent = cal.add(created, minutes), 1, 100
        return clock
    clock.state, clock.running_since = Clock.State.RUNNING, created
    clock.due_at = cal.add(created, minutes).astimezone(dt.UTC)
    percent_now = 100 * cal.business_minutes_between(created, now) / minutes if now > created else 0
    last = max((p for p in info.thresholds(metric) if p <= percent_now), default=0)
    nxt = next((p for p in info.thresholds(metric) if p > last), None)
    clock.last_percent = last
    if nxt is not None:
        clock.next_action_at = clock.due_at if nxt == 100 else cal.add(created, minutes * nxt / 100).astimezone(dt.UTC)
    if last >= 100:
        clock.breached_at, clock.breaches = clock.due_at, 1
    return clock


COLUMN_TYPES = {
    "ticket_id": "bigint", "policy_id": "bigint", "calendar_id": "bigint", "kind": "text", "party": "text",
    "group_id": "bigint", "partner_org_id": "bigint", "metric": "text", "state": "text", "current": "boolean",
    "target_minutes": "integer", "started_at": "timestamptz", "elapsed_seconds": "double precision",
    "running_since": "timestamptz", "due_at": "timestamptz", "paused_at": "timestamptz",
    "stopped_at": "timestamptz", "stopped_by": "text", "breached_at": "timestamptz", "met": "boolean",
    "breaches": "integer", "last_percent": "integer", "next_action_at": "timestamptz",
}


def insert_clocks(clocks: list[Any]) -> None:
    """Insert many clocks: one INSERT … SELECT FROM unnest(column arrays) per 10,000 on PostgreSQL
    (Django's bulk_create spends most of its time preparing each value), bulk_create elsewhere."""
    names = list(COLUMN_TYPES)
    if connection.vendor != "postgresql":
        Clock.objects.bulk_create([Clock(**{n: getattr(c, n) for n in names}) for c in clocks], batch_size=2000)
        return
    arrays = ", ".join(f"%s::{COLUMN_TYPES[n]}[]" for n in names)
    with connection.cursor() as cursor:
        for i in range(0, len(clocks), 10_000):
            part = clocks[i:i + 10_000]
            cursor.execute(
                f'INSERT INTO "{Clock._meta.db_table}" ({", ".join(names)}) '  # noqa: S608
                f"SELECT * FROM unnest({arrays})",
                [[getattr(c, n) for c in part] for n in names],
            )


def start_clocks_in_bulk(tickets: Any = None, *, now: dt.datetime | None = None) -> int:
    """Clocks for the open tickets (of the Ticket queryset `tickets`, else all) that have none;
    returns the number of clocks created."""
    from loopdesk.customers.models import Company
    from loopdesk.tickets.models import Ticket

    now = now or timezone.now()
    policies = active_policies()
    need_vip = any(p.vip_levels for p in policies)
    need_category = any(p.category_ids for p in policies)
    need_tier = any(p.group_tiers for p in policies)
    fields = ["id", "company_id", "type", "category_id", "priority", "channel", "group_id", "partner_org_id",
              "status", "created_at", "accepted_at"]
    todo = (tickets if tickets is not None else Ticket.objects.all()).filter(is_open=True)
    todo = todo.filter(~Exists(Clock.objects.filter(ticket_id=OuterRef("pk"))))
    created, last_id = 0, 0
    while True:
        rows = list(todo.filter(pk__gt=last_id).order_by("pk").values(*fields)[:CHUNK])
        if not rows:
            return created
        last_id = rows[-1]["id"]
        companies = {r["company_id"] for r in rows}
        levels = _levels(companies, timezone.localdate(now))
        vips = dict(Company.objects.filter(pk__in=companies).values_list("pk", "vip_level")) if need_vip else {}
        out = []
        for row in rows:
            facts = Facts(
                contract_level=levels.get(row["company_id"]), vip_level=vips.get(row["company_id"], 0),
                type=row["type"], category_ids=_category_chain(row["category_id"]) if need_category else frozenset(),
                priority=row["priority"], channel=row["channel"], group_id=row["group_id"],
                group_tier=_group_tier(row["group_id"]) if need_tier else None, partner_org_id=row["partner_org_id"],
            )
            for info in select(facts, policies).values():
                if info is None:
                    continue
                for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION, Metric.ONSITE_ARRIVAL):
                    if metric == Metric.ONSITE_ARRIVAL and row["type"] != "work_order":
                        continue
                    minutes = info.target(metric, row["priority"])
                    if minutes is not None:
                        out.append(_clock(row, info, metric, minutes, now))
        insert_clocks(out)
        refresh_ticket_due(ticket_ids=[r["id"] for r in rows])
        created += len(out)
