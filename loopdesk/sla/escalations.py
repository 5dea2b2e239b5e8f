"""Warnings, escalations and breaches, fired from the clocks' `next_action_at` (docs/sla.md).

`fire_due(now)` takes the clocks whose `next_action_at` has come through its partial index, oldest
first, in batches. Each clock is claimed by a conditional UPDATE (`next_action_at` and `last_percent`
still as read), inside the transaction that then records the thresholds reached, re-plans the clock,
performs the levels' actions and sends `clock_warning` / `clock_breached`. A second worker's UPDATE
matches no row (PostgreSQL re-checks the condition after the first commits; SQLite serialises
writers), so every threshold fires exactly once; a crash rolls the claim back and the next run fires
it. Nothing lives in memory between runs: a restart loses nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .clocks import RUNNING, _cal, _info, moment, next_threshold, plan
from .models import Clock, ClockEvent, Metric

log = logging.getLogger(__name__)

NOTIFY_TARGETS = ("assignee", "group_lead", "manager")


def fire_due(now: dt.datetime | None = None, *, batch: int = 200, limit: int = 10_000) -> int:
    """Fire every threshold that has come; return how many thresholds fired."""
    now = now or timezone.now()
    fired = 0
    seen = 0
    while seen < limit:
        rows = list(Clock.objects.due_to_act(now).order_by("next_action_at", "id")
                    .values_list("pk", "next_action_at", "last_percent")[:batch])
        if not rows:
            break
        for pk, at, last in rows:
            seen += 1
            try:
                n = fire_clock(pk, at, last, now)
            except Exception:  # one bad clock must not stop the others
                log.exception("SLA clock %s could not fire", pk)
                Clock.objects.filter(pk=pk, next_action_at=at).update(next_action_at=None)
                n = 0
            fired += n
        if len(rows) < batch:
            break
    return fired


@transaction.atomic
def fire_clock(pk: int, at: dt.datetime, last_percent: int, now: dt.datetime) -> int:
    """Claim one clock and fire its thresholds up to `now`; 0 when another worker had it."""
    claimed = Clock.objects.filter(pk=pk, next_action_at=at, last_percent=last_percent, state=RUNNING) \
        .update(next_action_at=None)
    if not claimed:
        return 0
    clock = Clock.objects.select_related("ticket").get(pk=pk)
    info, cal = _info(clock), _cal(clock)
    reached = []
    threshold = next_threshold(info.thresholds(clock.metric), clock.last_percent)
    while threshold is not None and moment(clock, cal, threshold) <= now:
        reached.append(threshold)
        threshold = next_threshold(info.thresholds(clock.metric), threshold)
    if not reached:
        plan(clock, cal, info)
        clock.save(update_fields=["due_at", "next_action_at"])
        return 0
    history = []
    if clock.breached_at is None and reached[-1] >= 100:
        clock.breached_at = moment(clock, cal, 100)
        clock.breaches += 1
    clock.last_percent = reached[-1]
    plan(clock, cal, info)
    clock.save(update_fields=["last_percent", "breached_at", "breaches", "due_at", "next_action_at"])
    ticket = clock.ticket
    notable = []
    for percent in reached:
        level = info.level_at(clock.metric, percent)
        actions = level[1] if level else []
        kind = ClockEvent.Kind.BREACHED if percent == 100 else (
            ClockEvent.Kind.ESCALATED if actions else ClockEvent.Kind.WARNED)
        history.append(ClockEvent(clock=clock, at=now, kind=kind, data={"percent": percent, "actions": actions}))
        notable.append({"metric": clock.metric, "kind": clock.kind, "event": kind, "percent": percent,
                        "actions": [a.get("type") for a in actions]})
    ClockEvent.objects.bulk_create(history)
    from loopdesk.tickets.models import Event
    from loopdesk.tickets.services.core import record_event

    record_event(ticket, actor=None, kind=Event.Kind.SLA, data={"clocks": notable}, internal=True, at=now)
    from .models import EscalationLevel
    from .signals import clock_breached, clock_warning

    for percent in reached:
        level = info.level_at(clock.metric, percent)
        for action in level[1] if level else []:
            ticket = perform(action, ticket=ticket, clock=clock, percent=percent)
        if percent == 100:
            clock_breached.send(sender=Clock, ticket=ticket, clock=clock)
        else:
            row = EscalationLevel.objects.filter(policy_id=clock.policy_id, metric=clock.metric,
                                                 percent=percent).first() if level else None
            clock_warning.send(sender=Clock, ticket=ticket, clock=clock, level=row, percent=percent)
    return len(reached)


# -- actions ---------------------------------------------------------------------------------------------


def recipients(to: str, ticket: Any, clock: Clock) -> list[Any]:
    """assignee: the ticket's assignee; group_lead: the members of the ticket's group (the OLA clock's
    group) who are service managers, else the managers of the group's organisation; manager: the
    service managers of the responsible branch (of the partner, for a partner OLA), else of the
    nearest organisation above it that has one."""
    from loopdesk.accounts.models import Group, User
    from loopdesk.accounts.roles import Role
    from loopdesk.orgs.models import Organization

    def managers_of(org_id: int | None) -> list[Any]:
        if org_id is None:
            return []
        org = Organization.objects.filter(pk=org_id).only("path").first()
        if org is None:
            return []
        ancestor_ids = [int(x) for x in org.path.strip("/").split("/") if x.isdigit()] or [org_id]
        for candidate in reversed(ancestor_ids):
            users = list(User.objects.filter(memberships__organization_id=candidate, memberships__role=Role.MANAGER,
                                             is_active=True).distinct())
            if users:
                return users
        return []

    if to == "assignee":
        return [ticket.assignee] if ticket.assignee_id else []
    if to == "group_lead":
        group_id = clock.group_id or ticket.group_id
        group = Group.objects.filter(pk=group_id).first() if group_id else None
        if group is None:
            return managers_of(ticket.owner_org_id)
        leads = list(group.members.filter(memberships__role=Role.MANAGER, is_active=True).distinct())
        return leads or managers_of(group.organization_id)
    if to == "manager":
        return managers_of(clock.partner_org_id or ticket.owner_org_id)
    return []


def perform(action: dict, *, ticket: Any, clock: Clock, percent: int) -> Any:
    """Do one level action as the system; return the ticket (re-read when the action changed it)."""
    from loopdesk.accounts.models import Group
    from loopdesk.accounts.services import notify
    from loopdesk.tickets import services as tickets

    kind = action.get("type")
    metric = Metric(clock.metric).label
    if kind == "notify":
        breached = percent >= 100
        subject = (_("SLA breached: %(number)s %(metric)s (%(percent)s%%)") if breached
                   else _("SLA warning: %(number)s %(metric)s at %(percent)s%%")) % {
            "number": ticket.number, "metric": metric, "percent": percent}
        body = _("%(title)s — due %(due)s.") % {
            "title": ticket.title, "due": timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M")
            if clock.due_at else "-"}
        notify(recipients(action.get("to", ""), ticket, clock), subject=subject, body=body,
               url=f"/tickets/{ticket.pk}/", ticket_id=ticket.pk, kind="sla")
        return ticket
    if kind == "reassign":
        group = Group.objects.filter(pk=action.get("group_id"), active=True).first()
        if group is not None and group.pk != ticket.group_id and ticket.is_open:
            return tickets.assign_ticket(actor=None, ticket=ticket, group=group)
        return ticket
    if kind == "raise_priority":
        if ticket.priority > 1 and ticket.is_open:
            return tickets.update_ticket(actor=None, ticket=ticket, priority=ticket.priority - 1)
        return ticket
    log.warning("unknown SLA action %r", action)
    return ticket
