"""The clock engine: SLA and OLA clocks of tickets, kept from ticket events (docs/sla.md, "Clocks").

`on_ticket_event` (connected to `loopdesk.tickets.signals.ticket_event` in SlaConfig.ready) reconciles
a ticket's current clocks with its current state after each history event, inside the ticket service's
transaction:

- created → start first response, resolution (and on-site arrival for a work order) per policy;
- a public reply by staff (a comment, or a status change with a public comment) → first response met,
  next update (re)started;
- status in the policy's `pause_statuses` → pause; out of it → resume;
- phase resolved → every live clock stops (met or breached); closed → the same;
- open again after resolved/closed → resolution restarts or continues (`policy.on_reopen`), next
  update restarts;
- priority, type, category, channel, group or partner changed → policies re-selected; a live clock
  keeps its elapsed time and takes the new target (re-targeted); an OLA clock whose group or partner
  changed is handed over (stopped, not current) and the new group's or partner's clocks start.

Reads for lists: `clock_summaries(tickets)` returns {ticket_id: [ClockSummary, ...]} in ONE query.

Time arithmetic is `loopdesk.sla.calendar.BusinessCalendar` (exact, microseconds). A running clock's
elapsed business time is `elapsed_seconds` (banked) plus the business time since `running_since`; its
due time is `calendar.add(running_since, target - banked)`. `next_action_at` is the moment of the next
threshold (escalation level percents and 100 % = breach) above `last_percent`; the escalation task
(`escalations.fire_due`) acts on it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .calendar import BusinessCalendar
from .models import Calendar, Clock, ClockEvent, Metric, Party, Policy
from .policies import PolicyInfo, active_policies, facts_for, policy_info, preload_contract_levels, select
from .services import to_business_calendar

RUNNING, PAUSED, STOPPED = Clock.State.RUNNING, Clock.State.PAUSED, Clock.State.STOPPED
LIVE = (RUNNING, PAUSED)
START_METRICS = (Metric.FIRST_RESPONSE, Metric.RESOLUTION, Metric.ONSITE_ARRIVAL)
RESELECT_FIELDS = {"priority", "type", "category", "channel", "group", "partner_org", "company"}
ONSITE_TYPES = {"work_order"}
EPS = 1e-6

# -- the pure part: a clock's arithmetic ---------------------------------------------------------------


def business(calendar_id: int, known: Any = None) -> BusinessCalendar:
    """The pure calendar by id (the policy cache holds the rows; others are read once)."""
    if known is not None and known.pk == calendar_id:
        return to_business_calendar(known)
    for info in active_policies():
        if info.calendar.pk == calendar_id:
            return to_business_calendar(info.calendar)
    return to_business_calendar(Calendar.objects.get(pk=calendar_id))


def elapsed_seconds(clock: Clock, cal: BusinessCalendar, now: dt.datetime) -> float:
    """Business seconds the clock has counted up to `now`."""
    total = clock.elapsed_seconds
    if clock.state == RUNNING and clock.running_since is not None and now > clock.running_since:
        total += cal.business_minutes_between(clock.running_since, now) * 60
    return total


def moment(clock: Clock, cal: BusinessCalendar, percent: float) -> dt.datetime:
    """When a running clock reaches `percent` of its target (its resume time if already past)."""
    need = clock.target_minutes * 60 * percent / 100 - clock.elapsed_seconds
    if need <= 0:
        return clock.running_since
    return cal.add(clock.running_since, need / 60).astimezone(dt.UTC)


def next_threshold(thresholds: tuple[int, ...], last_percent: int) -> int | None:
    return next((t for t in thresholds if t > last_percent), None)


def plan(clock: Clock, cal: BusinessCalendar, info: PolicyInfo) -> None:
    """Set due_at and next_action_at from the clock's state (null when not running)."""
    if clock.state != RUNNING:
        clock.due_at = None
        clock.next_action_at = None
        return
    clock.due_at = moment(clock, cal, 100)
    nxt = next_threshold(info.thresholds(clock.metric), clock.last_percent)
    clock.next_action_at = None if nxt is None else (clock.due_at if nxt == 100 else moment(clock, cal, nxt))


# -- the engine -----------------------------------------------------------------------------------------


@dataclass
class Pass:
    """What one reconciliation changed: the clocks to write, their history, the timeline summary."""

    now: dt.datetime
    new: list
    dirty: dict
    history: list
    notable: list
    breached: list

    def log(self, clock: Clock, kind: str, notable: bool = True, **data: Any) -> None:
        self.history.append((clock, kind, data))
        if notable:
            self.notable.append({"metric": clock.metric, "kind": clock.kind, "event": kind, **data})

    def touch(self, clock: Clock) -> None:
        if clock.pk is not None:
            self.dirty[clock.pk] = clock


def _info(clock: Clock) -> PolicyInfo:
    return policy_info(clock.policy_id)


def _cal(clock: Clock) -> BusinessCalendar:
    return business(clock.calendar_id)


def _owner(party: str, ticket: Any) -> tuple[int | None, int | None]:
    if party == Party.GROUP:
        return ticket.group_id, None
    if party == Party.PARTNER:
        return None, ticket.partner_org_id
    return None, None


def start_clock(ticket: Any, info: PolicyInfo, metric: str, minutes: int, p: Pass, *,
                notable: bool = True) -> Clock:
    party = Party.CUSTOMER if info.kind == Policy.Kind.SLA else info.party
    group_id, partner_id = _owner(party, ticket)
    paused = ticket.status in info.pause_statuses
    clock = Clock(
        ticket_id=ticket.pk, policy_id=info.id, calendar_id=info.calendar.pk, kind=info.kind, party=party,
        group_id=group_id, partner_org_id=partner_id, metric=metric, target_minutes=minutes,
        state=PAUSED if paused else RUNNING, started_at=p.now, running_since=None if paused else p.now,
        paused_at=p.now if paused else None,
    )
    plan(clock, to_business_calendar(info.calendar), info)
    p.new.append(clock)
    p.log(clock, ClockEvent.Kind.STARTED, notable=notable, target=minutes, policy=info.name, paused=paused)
    return clock


def _bank(clock: Clock, now: dt.datetime) -> None:
    if clock.state == RUNNING:
        clock.elapsed_seconds = elapsed_seconds(clock, _cal(clock), now)
        clock.running_since = now


def pause(clock: Clock, p: Pass) -> None:
    _bank(clock, p.now)
    clock.state, clock.running_since, clock.paused_at = PAUSED, None, p.now
    plan(clock, _cal(clock), _info(clock))
    p.touch(clock)
    p.log(clock, ClockEvent.Kind.PAUSED, elapsed=round(clock.elapsed_seconds))


def resume(clock: Clock, p: Pass) -> None:
    clock.state, clock.running_since, clock.paused_at = RUNNING, p.now, None
    plan(clock, _cal(clock), _info(clock))
    p.touch(clock)
    p.log(clock, ClockEvent.Kind.RESUMED)


def stop(clock: Clock, by: str, p: Pass, *, notable: bool = True) -> None:
    """Stop a live clock; met when its elapsed time is within the target (a hand-over or a target that
    no longer applies is neither met nor breached unless it had breached already)."""
    _bank(clock, p.now)
    late = clock.elapsed_seconds > clock.target_minutes * 60 + EPS
    if late and clock.breached_at is None:
        was_running = clock.state == RUNNING
        clock.breached_at = clock.due_at if (was_running and clock.due_at) else p.now
        clock.breaches += 1
        clock.last_percent = max(clock.last_percent, 100)
        p.breached.append(clock)
    clock.state, clock.running_since, clock.paused_at = STOPPED, None, None
    clock.stopped_at, clock.stopped_by = p.now, by
    if by in (Clock.StoppedBy.HANDOVER, Clock.StoppedBy.RETARGET):
        clock.met = False if clock.breached_at else None
    else:
        clock.met = not late and clock.breached_at is None
    clock.due_at = clock.next_action_at = None
    p.touch(clock)
    p.log(clock, ClockEvent.Kind.STOPPED, notable=notable, by=by, met=clock.met,
          elapsed=round(clock.elapsed_seconds))


def restart(clock: Clock, info: PolicyInfo, minutes: int, p: Pass, *, kind: str = ClockEvent.Kind.RESTARTED,
            notable: bool = True, paused: bool = False) -> None:
    """A new cycle from zero (reopen with restart, a next update after a reply)."""
    clock.policy_id, clock.calendar_id, clock.target_minutes = info.id, info.calendar.pk, minutes
    clock.started_at, clock.elapsed_seconds, clock.last_percent = p.now, 0.0, 0
    clock.breached_at = clock.met = clock.stopped_at = None
    clock.stopped_by = ""
    clock.state = PAUSED if paused else RUNNING
    clock.running_since, clock.paused_at = (None, p.now) if paused else (p.now, None)
    plan(clock, to_business_calendar(info.calendar), info)
    p.touch(clock)
    p.log(clock, kind, notable=notable, target=minutes)


def carry_on(clock: Clock, p: Pass, *, paused: bool) -> None:
    """Reopen with continue: the same cycle goes on with the time it had counted."""
    clock.met = clock.stopped_at = None
    clock.stopped_by = ""
    clock.state = PAUSED if paused else RUNNING
    clock.running_since, clock.paused_at = (None, p.now) if paused else (p.now, None)
    plan(clock, _cal(clock), _info(clock))
    p.touch(clock)
    p.log(clock, ClockEvent.Kind.CONTINUED, elapsed=round(clock.elapsed_seconds))


def retarget(clock: Clock, info: PolicyInfo, minutes: int, p: Pass) -> None:
    """Keep the elapsed time, take the new policy's target (and calendar from now on)."""
    _bank(clock, p.now)
    old = (clock.target_minutes, _info(clock).name)
    clock.policy_id, clock.calendar_id, clock.target_minutes = info.id, info.calendar.pk, minutes
    plan(clock, to_business_calendar(info.calendar), info)
    p.touch(clock)
    p.log(clock, ClockEvent.Kind.RETARGETED, target=[old[0], minutes], policy=[old[1], info.name])


def _is_staff_reply(event: Any, actor: Any) -> bool:
    from loopdesk.tickets.models import Event

    if actor is None or getattr(actor, "is_customer_only", True):
        return False
    if event.kind == Event.Kind.COMMENTED:
        return not event.data.get("internal", False)
    return event.kind == Event.Kind.STATUS and bool(event.data.get("comment_id"))


def on_ticket_event(sender: Any, *, ticket: Any, event: Any, actor: Any = None, **_kwargs: Any) -> None:
    """The receiver of `ticket_event`: decide what the event may change and reconcile."""
    from loopdesk.tickets.models import Event

    kind = event.kind
    if kind == Event.Kind.CREATED:
        return  # started by on_tickets_created, for the whole intake at once
    if kind not in (Event.Kind.STATUS, Event.Kind.COMMENTED, Event.Kind.CHANGED, Event.Kind.ASSIGNED,
                    Event.Kind.MERGED, Event.Kind.WORKFLOW):
        return  # SLA's own events, attachments, links, watchers, rules, integrations change no clock
    reselect = bool(RESELECT_FIELDS & set(event.changes or ())) or kind == Event.Kind.WORKFLOW
    reconcile(ticket, now=event.at, reply=_is_staff_reply(event, actor), reselect=reselect)


def on_tickets_created(sender: Any, *, created: list, actor: Any = None, **_kwargs: Any) -> None:
    """The receiver of `tickets_created`: start the new tickets' clocks."""
    if len(created) == 1:
        ticket, event = created[0]
        start_ticket(ticket, now=event.at)
    elif created:
        start_tickets([t for t, _e in created], now=created[0][1].at)


def start_tickets(tickets: list, *, now: dt.datetime) -> list[Clock]:
    """Start the clocks of many new tickets (a batch intake) with one write of each kind for all."""
    if any(p.contract_levels for p in active_policies()):
        preload_contract_levels({t.company_id for t in tickets})
    passes = [(ticket, _starts(ticket, now)) for ticket in tickets]
    new = Clock.objects.bulk_create([c for _t, p in passes for c in p.new])
    ClockEvent.objects.bulk_create(
        [ClockEvent(clock_id=c.pk, at=now, kind=k, data=d) for _t, p in passes for c, k, d in p.history])
    changed = []
    for ticket, p in passes:
        due = _earliest_due(p.new)
        if due != ticket.due_at:
            ticket.due_at = due
            changed.append(ticket)
    if changed:
        type(changed[0]).objects.bulk_update(changed, ["due_at"])
    return new


def _earliest_due(clocks: list[Clock]) -> dt.datetime | None:
    """Ticket.due_at: the earliest due time of its running SLA clocks."""
    return min((c.due_at for c in clocks if c.current and c.state == RUNNING and c.kind == "sla"
                and c.due_at is not None), default=None)


def start_ticket(ticket: Any, *, now: dt.datetime | None = None) -> list[Clock]:
    """Start the clocks of a new ticket (no query for existing clocks: a new ticket has none)."""
    p = _starts(ticket, now or timezone.now())
    # The "created" event marks these starts on the timeline; a second entry at the same instant would
    # be noise (and cost the intake path an insert and a round of ticket_event receivers).
    p.notable.clear()
    _finish(ticket, [], p)
    return p.new


def _starts(ticket: Any, now: dt.datetime) -> Pass:
    """The clocks a new ticket starts with, planned in memory (nothing written yet)."""
    p = Pass(now, [], {}, [], [], [])
    if ticket.is_open:
        for info in select(facts_for(ticket)).values():
            if info is not None:
                _start_policy(ticket, info, p)
    return p


def _start_policy(ticket: Any, info: PolicyInfo, p: Pass, skip: set | None = None) -> None:
    for metric in START_METRICS:
        if skip and metric in skip:
            continue
        if metric == Metric.ONSITE_ARRIVAL and ticket.type not in ONSITE_TYPES:
            continue
        minutes = info.target(metric, ticket.priority)
        if minutes is not None:
            start_clock(ticket, info, metric, minutes, p)


def reconcile(ticket: Any, *, now: dt.datetime | None = None, reply: bool = False,
              reselect: bool = False) -> list[Clock]:
    """Bring the ticket's current clocks in line with its state; return them."""
    p = Pass(now or timezone.now(), [], {}, [], [], [])
    clocks = list(Clock.objects.filter(ticket_id=ticket.pk, current=True).order_by("id"))
    phase = ticket.phase
    if phase in ("resolved", "closed"):
        by = Clock.StoppedBy.RESOLVED if phase == "resolved" else Clock.StoppedBy.CLOSED
        for clock in clocks:
            if clock.state in LIVE:
                stop(clock, by, p)
        _finish(ticket, clocks, p)
        return clocks
    if not ticket.is_open:
        _finish(ticket, clocks, p)
        return clocks
    # Reopened: clocks that stopped because the ticket was resolved or closed.
    reopened = False
    for clock in clocks:
        if clock.state == STOPPED and clock.stopped_by in (Clock.StoppedBy.RESOLVED, Clock.StoppedBy.CLOSED):
            info = _info(clock)
            paused = ticket.status in info.pause_statuses
            if clock.metric == Metric.RESOLUTION:
                reopened = True
                if info.on_reopen == Policy.OnReopen.CONTINUE:
                    carry_on(clock, p, paused=paused)
                else:
                    restart(clock, info, clock.target_minutes, p, paused=paused)
            elif clock.metric == Metric.NEXT_UPDATE:
                restart(clock, info, clock.target_minutes, p, paused=paused)
    if reselect or reopened:
        clocks = _reselect(ticket, clocks, p)
    if reply:
        _reply(ticket, clocks, p)
    for clock in clocks:
        if clock.state not in LIVE or not clock.current:
            continue
        pausing = ticket.status in _info(clock).pause_statuses
        if clock.state == RUNNING and pausing:
            pause(clock, p)
        elif clock.state == PAUSED and not pausing:
            resume(clock, p)
    _finish(ticket, clocks, p)
    return [c for c in clocks if c.current] + p.new


def _reselect(ticket: Any, clocks: list[Clock], p: Pass) -> list[Clock]:
    chosen = select(facts_for(ticket))
    by_party: dict[str, list[Clock]] = {}
    for clock in clocks:
        by_party.setdefault(clock.party, []).append(clock)
    for party, info in chosen.items():
        existing = by_party.get(party, [])
        group_id, partner_id = _owner(party, ticket)
        if existing and (info is None or any((c.group_id, c.partner_org_id) != (group_id, partner_id)
                                             for c in existing)):
            if party == Party.CUSTOMER and info is not None:
                pass  # the SLA is never handed over, only re-targeted below
            else:
                for clock in existing:
                    if clock.state in LIVE:
                        stop(clock, Clock.StoppedBy.HANDOVER, p)
                    clock.current = False
                    p.touch(clock)
                existing = []
        if info is None:
            continue
        if not existing:
            _start_policy(ticket, info, p)
            continue
        have = set()
        for clock in existing:
            have.add(clock.metric)
            if clock.state not in LIVE:
                continue
            minutes = info.target(clock.metric, ticket.priority)
            if minutes is None:
                stop(clock, Clock.StoppedBy.RETARGET, p)
                clock.current = False
            elif (clock.policy_id, clock.target_minutes) != (info.id, minutes):
                retarget(clock, info, minutes, p)
        # A metric the new policy or type brings (on-site arrival for a work order, resolution).
        _start_policy(ticket, info, p, skip=have | {Metric.FIRST_RESPONSE})
    return clocks


def _reply(ticket: Any, clocks: list[Clock], p: Pass) -> None:
    """A public reply by staff: first response met, next update (re)started, per policy."""
    policies: dict[int, PolicyInfo] = {}
    next_updates = {}
    for clock in clocks:
        if not clock.current:
            continue
        info = _info(clock)
        if clock.metric == Metric.FIRST_RESPONSE and clock.state in LIVE:
            stop(clock, Clock.StoppedBy.REPLY, p, notable=False)  # the reply itself is on the timeline
            policies[info.id] = info
        elif clock.metric == Metric.NEXT_UPDATE:
            next_updates[clock.party] = clock
        elif clock.state in LIVE:
            policies[info.id] = info
    for info in policies.values():
        party = Party.CUSTOMER if info.kind == Policy.Kind.SLA else info.party
        minutes = info.target(Metric.NEXT_UPDATE, ticket.priority)
        if minutes is None:
            continue
        paused = ticket.status in info.pause_statuses
        clock = next_updates.get(party)
        if clock is None:
            start_clock(ticket, info, Metric.NEXT_UPDATE, minutes, p, notable=False)
        else:
            if clock.state in LIVE:
                # This cycle is answered: its breach (if any) stays counted in `breaches`.
                p.history.append((clock, ClockEvent.Kind.STOPPED, {"by": "reply", "elapsed": round(
                    elapsed_seconds(clock, _cal(clock), p.now))}))
            restart(clock, info, minutes, p, notable=False, paused=paused)


def _finish(ticket: Any, clocks: list[Clock], p: Pass) -> None:
    """Write what changed: new clocks, changed clocks, history, one timeline event, Ticket.due_at."""
    due = _earliest_due([*clocks, *p.new])
    if p.new and not p.dirty and not clocks and connection.vendor == "postgresql" and \
            all(c in p.new for c, _k, _d in p.history):
        _insert_started_pg(ticket, p, due)  # the intake path: one round trip
    elif p.new:
        Clock.objects.bulk_create(p.new)
    if p.dirty:
        Clock.objects.bulk_update(list(p.dirty.values()), DIRTY_FIELDS)
    if p.history:
        ClockEvent.objects.bulk_create([ClockEvent(clock_id=c.pk, at=p.now, kind=k, data=d) for c, k, d in p.history])
    if due != ticket.due_at:
        type(ticket).objects.filter(pk=ticket.pk).update(due_at=due)
        ticket.due_at = due
    if p.notable:
        from loopdesk.tickets.models import Event
        from loopdesk.tickets.services.core import record_event

        record_event(ticket, actor=None, kind=Event.Kind.SLA, data={"clocks": p.notable}, internal=True, at=p.now)
    if p.breached:
        from .signals import clock_breached

        for clock in p.breached:
            clock_breached.send(sender=Clock, ticket=ticket, clock=clock)


INSERT_FIELDS = [
    "ticket_id", "policy_id", "calendar_id", "kind", "party", "group_id", "partner_org_id", "metric", "state",
    "current", "target_minutes", "started_at", "elapsed_seconds", "running_since", "due_at", "paused_at",
    "stopped_at", "stopped_by", "breached_at", "met", "breaches", "last_percent", "next_action_at",
]


def _insert_started_pg(ticket: Any, p: Pass, due: dt.datetime | None) -> None:
    """A new ticket's clocks, their "started" history and Ticket.due_at in ONE statement (PostgreSQL):
    on the intake path each round trip counts. p.history is emptied (written here)."""
    clock_table, event_table = Clock._meta.db_table, ClockEvent._meta.db_table
    ticket_table = type(ticket)._meta.db_table
    columns = ", ".join(f'"{name}"' for name in INSERT_FIELDS)
    row = "(" + ", ".join(["%s"] * len(INSERT_FIELDS)) + ")"
    params: list[Any] = [getattr(c, name) for c in p.new for name in INSERT_FIELDS]
    order = {id(c): i for i, c in enumerate(p.new)}
    history = sorted(p.history, key=lambda h: order[id(h[0])])
    params += [p.now, [order[id(c)] + 1 for c, _k, _d in history], [k for _c, k, _d in history],
               [json.dumps(d, cls=DjangoJSONEncoder) for _c, _k, d in history], due, ticket.pk, due]
    with connection.cursor() as cursor:
        cursor.execute(
            f'WITH c AS (INSERT INTO "{clock_table}" ({columns}) VALUES {", ".join([row] * len(p.new))} '  # noqa: S608
            f"RETURNING id), n AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM c), "
            f'e AS (INSERT INTO "{event_table}" (clock_id, at, kind, data) '
            f"SELECT n.id, %s, h.kind, h.data::jsonb FROM unnest(%s::int[], %s::text[], %s::text[]) "
            f"AS h(rn, kind, data) JOIN n ON n.rn = h.rn), "
            f'u AS (UPDATE "{ticket_table}" SET due_at = %s WHERE id = %s AND due_at IS DISTINCT FROM %s) '
            f"SELECT id FROM n ORDER BY rn",
            params,
        )
        for clock, (pk,) in zip(p.new, cursor.fetchall(), strict=True):
            clock.pk = clock.id = pk
            clock._state.adding = False
    p.history.clear()
    ticket.due_at = due


DIRTY_FIELDS = [
    "policy", "calendar", "state", "current", "target_minutes", "started_at", "elapsed_seconds", "running_since",
    "due_at", "paused_at", "stopped_at", "stopped_by", "breached_at", "met", "breaches", "last_percent",
    "next_action_at",
]


# -- services --------------------------------------------------------------------------------------------


def _ticket_for(actor: Any, ticket: Any) -> Any:
    from loopdesk.tickets.models import Ticket

    return Ticket.objects.select_for_update().get(pk=ticket.pk)


@transaction.atomic
def start_onsite(*, actor: Any, ticket: Any, now: dt.datetime | None = None) -> list[Clock]:
    """Start the on-site arrival clocks of a ticket dispatched on site (a work order starts them at
    creation); a no-op for a policy without that target or a clock already live."""
    from loopdesk.accounts.roles import Perm, require

    require(actor, Perm.TICKET_EDIT)
    ticket = _ticket_for(actor, ticket)
    p = Pass(now or timezone.now(), [], {}, [], [], [])
    clocks = list(Clock.objects.filter(ticket_id=ticket.pk, current=True, metric=Metric.ONSITE_ARRIVAL))
    live = {c.party for c in clocks if c.state in LIVE}
    for party, info in select(facts_for(ticket)).items():
        if info is None or party in live or not ticket.is_open:
            continue
        minutes = info.target(Metric.ONSITE_ARRIVAL, ticket.priority)
        if minutes is None:
            continue
        for clock in clocks:
            if clock.party == party:
                clock.current = False
                p.touch(clock)
        start_clock(ticket, info, Metric.ONSITE_ARRIVAL, minutes, p)
    all_clocks = list(Clock.objects.filter(ticket_id=ticket.pk, current=True))
    _finish(ticket, all_clocks, p)
    return p.new


@transaction.atomic
def mark_arrived(*, actor: Any, ticket: Any, at: dt.datetime | None = None) -> list[Clock]:
    """The engineer arrived on site: stop the ticket's live on-site arrival clocks (met or breached).
    Refused (ValidationFailed) when no such clock runs."""
    from django.utils.translation import gettext as _

    from loopdesk.accounts.roles import Perm, require
    from loopdesk.core.errors import ValidationFailed

    require(actor, Perm.TICKET_EDIT)
    ticket = _ticket_for(actor, ticket)
    now = at or timezone.now()
    if now > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationFailed(fields={"at": [_("The arrival cannot lie in the future.")]})
    clocks = list(Clock.objects.filter(ticket_id=ticket.pk, current=True))
    onsite = [c for c in clocks if c.metric == Metric.ONSITE_ARRIVAL and c.state in LIVE]
    if not onsite:
        raise ValidationFailed(_("No on-site arrival clock is running for this ticket."),
                               fields={"ticket": [_("No on-site arrival clock is running for this ticket.")]})
    p = Pass(now, [], {}, [], [], [])
    for clock in onsite:
        stop(clock, Clock.StoppedBy.ARRIVED, p)
    _finish(ticket, clocks, p)
    return onsite


# -- reads -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockSummary:
    """One clock as lists and panels show it (no history)."""

    id: int
    ticket_id: int
    kind: str
    party: str
    metric: str
    state: str
    target_minutes: int
    elapsed_minutes: float
    remaining_minutes: float
    percent: float
    due_at: dt.datetime | None
    breached: bool
    met: bool | None
    policy_id: int
    group_id: int | None
    partner_org_id: int | None


def summarise(clock: Clock, now: dt.datetime, cal: BusinessCalendar | None = None) -> ClockSummary:
    """A clock's figures at `now` (elapsed and remaining in business minutes)."""
    if clock.state == RUNNING:
        cal = cal or business(clock.calendar_id)
        elapsed = elapsed_seconds(clock, cal, now) / 60
    else:
        elapsed = clock.elapsed_seconds / 60
    target = clock.target_minutes
    return ClockSummary(
        id=clock.pk, ticket_id=clock.ticket_id, kind=clock.kind, party=clock.party, metric=clock.metric,
        state=clock.state, target_minutes=target, elapsed_minutes=round(elapsed, 2),
        remaining_minutes=round(target - elapsed, 2), percent=round(100 * elapsed / target, 1) if target else 100.0,
        due_at=clock.due_at, breached=clock.breached_at is not None or elapsed > target + EPS, met=clock.met,
        policy_id=clock.policy_id, group_id=clock.group_id, partner_org_id=clock.partner_org_id,
    )


def clock_summaries(tickets: Any, *, now: dt.datetime | None = None, kinds: tuple[str, ...] = ("sla", "ola"),
                    ) -> dict[int, list[ClockSummary]]:
    """{ticket id: [ClockSummary of its current clocks, by id]} for tickets (objects or ids), ONE query.
    Pass kinds=("sla",) for customers (they never see OLA clocks)."""
    now = now or timezone.now()
    ids = [getattr(t, "pk", t) for t in tickets]
    out: dict[int, list[ClockSummary]] = {i: [] for i in ids}
    if not ids:
        return out
    for clock in Clock.objects.filter(ticket_id__in=ids, current=True, kind__in=kinds).order_by("ticket_id", "id"):
        out[clock.ticket_id].append(summarise(clock, now))
    return out
