"""Warnings, escalations and breaches fire once, at the right moment, from next_action_at."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from loopdesk.accounts.models import Notification
from loopdesk.sla.clocks import RUNNING
from loopdesk.sla.escalations import fire_clock, fire_due
from loopdesk.sla.models import Clock, ClockEvent
from loopdesk.sla.signals import clock_breached, clock_warning
from loopdesk.tickets import services as tickets
from loopdesk.tickets.models import Event

from .clockkit import MIN, clocks, policy_24x7

LEVELS = [
    ("resolution", 50, [{"type": "notify", "to": "assignee"}]),
    ("resolution", 100, [{"type": "notify", "to": "manager"}]),
    ("resolution", 150, [{"type": "raise_priority"}]),
]


@pytest.fixture
def signals():
    got = []

    def warned(sender, **kw):
        got.append(("warning", kw["clock"].metric, kw["percent"], kw["level"].percent if kw["level"] else None))

    def breached(sender, **kw):
        got.append(("breached", kw["clock"].metric))

    clock_warning.connect(warned)
    clock_breached.connect(breached)
    yield got
    clock_warning.disconnect(warned)
    clock_breached.disconnect(breached)


def make(world, start, **kw):
    return tickets.create_ticket(actor=world.agent, title="工资表打不开", description="急", company=world.acme,
                                 assignee=world.engineer, priority=3, now=start, **kw)


@pytest.mark.django_db
def test_levels_fire_once_each_at_their_moment(world, signals):
    policy_24x7(targets={("resolution", None): 100}, levels=LEVELS)
    start = timezone.now() - 200 * MIN
    t = make(world, start)
    c = clocks(t)["resolution"]
    assert c.next_action_at == start + 50 * MIN
    assert fire_due(now=start + 49 * MIN) == 0
    assert fire_due(now=start + 50 * MIN) == 1
    c.refresh_from_db()
    assert (c.last_percent, c.next_action_at) == (50, start + 100 * MIN)
    assert Notification.objects.filter(recipient=world.engineer, kind="sla").count() == 1
    assert fire_due(now=start + 60 * MIN) == 0  # nothing new: never twice
    assert fire_due(now=start + 151 * MIN) == 2  # the breach (100 %) and 150 % together, in order
    c.refresh_from_db()
    assert c.breached_at == start + 100 * MIN and c.breaches == 1 and c.next_action_at is None
    assert Notification.objects.filter(recipient=world.manager, kind="sla").count() == 1
    t.refresh_from_db()
    assert t.priority == 2  # raised by the 150 % level
    assert signals == [("warning", "resolution", 50, 50), ("breached", "resolution"),
                       ("warning", "resolution", 150, 150)]
    kinds = list(ClockEvent.objects.filter(clock=c).values_list("kind", flat=True))
    assert kinds.count("escalated") == 2 and kinds.count("breached") == 1
    assert t.events.filter(kind=Event.Kind.SLA).count() == 2  # one per escalation run that fired
    assert fire_due(now=start + 1000 * MIN) == 0


@pytest.mark.django_db
def test_pause_and_resume_replan_the_next_action(world):
    policy_24x7(targets={("resolution", None): 100}, levels=LEVELS)
    start = timezone.now() - 200 * MIN
    t = make(world, start)
    tickets.transition_ticket(actor=world.agent, ticket=t, to="accepted", now=start + 10 * MIN)
    tickets.transition_ticket(actor=world.agent, ticket=t, to="waiting_customer", now=start + 20 * MIN)
    assert clocks(t)["resolution"].next_action_at is None
    assert fire_due(now=start + 60 * MIN) == 0  # a paused clock never fires
    tickets.transition_ticket(actor=world.agent, ticket=t, to="in_progress", now=start + 80 * MIN)
    assert clocks(t)["resolution"].next_action_at == start + 110 * MIN  # 30 minutes left to 50 %


@pytest.mark.django_db
def test_reassign_action_and_retarget_after_raise(world):
    from loopdesk.accounts.models import Group

    night = Group.objects.create(name="值班组", organization=world.hq)
    policy_24x7(targets={("resolution", None): 100, ("resolution", 2): 400},
                levels=[("resolution", 80, [{"type": "reassign", "group_id": night.pk}, {"type": "raise_priority"}])])
    start = timezone.now() - 90 * MIN
    t = make(world, start)
    assert fire_due(now=start + 85 * MIN) == 1
    t.refresh_from_db()
    assert (t.group_id, t.priority) == (night.pk, 2)
    c = clocks(t)["resolution"]
    assert c.target_minutes == 400 and c.last_percent == 80  # re-targeted; 80 % does not fire again
    assert c.next_action_at == c.due_at


@pytest.mark.django_db
def test_a_stale_claim_fires_nothing(world):
    policy_24x7(targets={("resolution", None): 100}, levels=LEVELS)
    start = timezone.now() - 60 * MIN
    t = make(world, start)
    c = clocks(t)["resolution"]
    at, last = c.next_action_at, c.last_percent
    assert fire_clock(c.pk, at, last, timezone.now()) == 1
    assert fire_clock(c.pk, at, last, timezone.now()) == 0  # a second worker with the same read
    assert Notification.objects.filter(kind="sla").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_fire_once(world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks between two connections: PostgreSQL (SQLite serialises writers anyway)")
    policy_24x7(targets={("resolution", None): 100}, levels=LEVELS)
    start = timezone.now() - 60 * MIN
    t = make(world, start)
    c = clocks(t)["resolution"]
    assert c.state == RUNNING
    barrier, results = threading.Barrier(2), []

    def worker():
        from django.db import connections

        try:
            barrier.wait()
            results.append(fire_due(now=timezone.now()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1]
    assert Notification.objects.filter(kind="sla").count() == 1
    assert ClockEvent.objects.filter(clock=c, kind="escalated").count() == 1
    assert Clock.objects.get(pk=c.pk).last_percent == 50
