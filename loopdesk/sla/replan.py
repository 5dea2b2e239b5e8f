"""Re-planning running clocks in bulk after a calendar edit (docs/sla.md, "Calendar edits").

A calendar edit applies to the business time of every running clock on that calendar from the instant
it last started or resumed (`running_since`) on: time banked before a pause stays as it was counted.
So each running clock's due time and next action are recomputed from (running_since, banked seconds,
target, last threshold fired) with the new calendar, written back set-based, and the affected tickets'
`due_at` is recomputed in SQL. No history row is written per clock: the calendar's audit records the
edit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import Min, OuterRef, Subquery

from .clocks import next_threshold
from .models import Calendar, Clock
from .policies import policy_info
from .services import to_business_calendar

CHUNK = 5000


def bulk_set(rows: list[tuple[int, dt.datetime | None, dt.datetime | None]]) -> None:
    """Set (due_at, next_action_at) of clocks by id: one UPDATE … FROM (VALUES …) per chunk on
    PostgreSQL, Django's bulk_update elsewhere (the one database-specific helper of this app)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = Clock._meta.db_table
        with connection.cursor() as cursor:
            for i in range(0, len(rows), CHUNK):
                ids, dues, nexts = zip(*rows[i:i + CHUNK], strict=True)
                cursor.execute(
                    f'UPDATE "{table}" AS c SET due_at = v.due, next_action_at = v.nxt '  # noqa: S608
                    "FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) AS v(id, due, nxt) "
                    "WHERE c.id = v.id",
                    [list(ids), list(dues), list(nexts)],
                )
        return
    Clock.objects.bulk_update([Clock(pk=pk, due_at=due, next_action_at=nxt) for pk, due, nxt in rows],
                              ["due_at", "next_action_at"], batch_size=500)


def replan_calendar(calendar_id: int) -> int:
    """Re-plan every running clock on the calendar; return how many."""
    return replan(calendar_id=calendar_id)


def replan(*, calendar_id: int | None = None, policy_id: int | None = None) -> int:
    """Re-plan the running clocks on a calendar or of a policy, CHUNK clocks per transaction."""
    running = Clock.objects.filter(state=Clock.State.RUNNING)
    if calendar_id is not None:
        running = running.filter(calendar_id=calendar_id)
    if policy_id is not None:
        running = running.filter(policy_id=policy_id)
    calendars: dict[int, Any] = {}
    thresholds: dict[tuple[int, str], tuple[int, ...]] = {}
    done, last_id = 0, 0
    while True:
        with transaction.atomic():
            rows = list(
                running.filter(pk__gt=last_id)
                .order_by("pk").values_list("pk", "running_since", "elapsed_seconds", "target_minutes",
                                            "last_percent", "policy_id", "metric", "calendar_id", "due_at",
                                            "next_action_at")[:CHUNK]
            )
            if not rows:
                break
            out = []
            for pk, since, banked, target, last, policy_id_, metric, calendar_id_, old_due, old_next in rows:
                cal = calendars.get(calendar_id_)
                if cal is None:
                    cal = calendars[calendar_id_] = to_business_calendar(Calendar.objects.get(pk=calendar_id_))
                key = (policy_id_, metric)
                levels = thresholds.get(key)
                if levels is None:
                    levels = thresholds[key] = policy_info(policy_id_).thresholds(metric)
                full = target * 60
                due = since if full - banked <= 0 else cal.add(since, (full - banked) / 60).astimezone(dt.UTC)
                nxt = next_threshold(levels, last)
                if nxt is None:
                    action = None
                elif nxt == 100:
                    action = due
                else:
                    need = full * nxt / 100 - banked
                    action = since if need <= 0 else cal.add(since, need / 60).astimezone(dt.UTC)
                if (due, action) != (old_due, old_next):
                    out.append((pk, due, action))
            bulk_set(out)  # only the clocks whose plan moved
            if out:
                refresh_ticket_due(ids=[r[0] for r in out])
            done += len(rows)
            last_id = rows[-1][0]
    return done


def refresh_ticket_due(*, ids: list[int] | None = None, ticket_ids: list[int] | None = None) -> None:
    """Ticket.due_at = the earliest due time of the ticket's running current SLA clocks, for the
    tickets of the clocks `ids` (or the tickets `ticket_ids`), in one UPDATE."""
    from loopdesk.tickets.models import Ticket

    if connection.vendor == "postgresql":
        clock, ticket = Clock._meta.db_table, Ticket._meta.db_table
        keys = (f'SELECT DISTINCT ticket_id FROM "{clock}" WHERE id = ANY(%s::bigint[])' if ids is not None  # noqa: S608
                else "SELECT unnest(%s::bigint[]) AS ticket_id")
        with connection.cursor() as cursor:
            # LATERAL: one index lookup per ticket (sla_clock_ticket), never a scan of every clock.
            cursor.execute(
                f'UPDATE "{ticket}" AS t SET due_at = m.due FROM ({keys}) AS k '  # noqa: S608
                f"CROSS JOIN LATERAL ("
                f'  SELECT MIN(c.due_at) AS due FROM "{clock}" AS c'
                f"  WHERE c.ticket_id = k.ticket_id AND c.current AND c.state = %s AND c.kind = %s) AS m "
                f"WHERE t.id = k.ticket_id AND t.due_at IS DISTINCT FROM m.due",
                [list(ids if ids is not None else ticket_ids or []), Clock.State.RUNNING, "sla"],
            )
        return
    earliest = (Clock.objects.filter(ticket_id=OuterRef("pk"), current=True, state=Clock.State.RUNNING, kind="sla")
                .order_by().values("ticket_id").annotate(m=Min("due_at")).values("m"))
    if ids is not None:
        tickets = Ticket.objects.filter(pk__in=Clock.objects.filter(pk__in=ids, kind="sla").values("ticket_id"))
    else:
        tickets = Ticket.objects.filter(pk__in=ticket_ids or [])
    tickets.update(due_at=Subquery(earliest))
