"""Every clock transition, driven through the ticket services like a user would."""

from __future__ import annotations

import pytest
from django.utils import timezone

from loopdesk.core.errors import ValidationFailed
from loopdesk.sla import cn
from loopdesk.sla.clocks import clock_summaries, mark_arrived, start_onsite
from loopdesk.sla.models import Calendar, Clock, ClockEvent
from loopdesk.sla.signals import clock_breached
from loopdesk.tickets import services as tickets
from loopdesk.tickets.models import Event, Ticket

from .clockkit import MIN, clocks, policy_24x7

pytestmark = pytest.mark.django_db


@pytest.fixture
def sla(world):
    return policy_24x7()


def new(world, *, ago: int = 0, **kw) -> Ticket:
    kw.setdefault("priority", 3)
    return tickets.create_ticket(actor=world.agent, title="总账无法结账", description="月末结账报错",
                                 company=world.acme, now=timezone.now() - ago * MIN, **kw)


def test_create_starts_first_response_and_resolution(world, sla):
    t = new(world)
    c = clocks(t)
    assert set(c) == {"first_response", "resolution"}
    assert c["first_response"].due_at == t.created_at + 60 * MIN
    assert c["resolution"].due_at == t.created_at + 240 * MIN
    assert c["first_response"].next_action_at == c["first_response"].due_at  # no level below 100 %
    t.refresh_from_db()
    assert t.due_at == t.created_at + 60 * MIN
    assert not t.events.filter(kind=Event.Kind.SLA).exists()  # the "created" entry marks the start
    assert ClockEvent.objects.filter(clock__ticket=t, kind="started").count() == 2


def test_start_outside_hours_counts_from_the_next_opening(world):
    t = new(world)  # the shipped Standard policy on the China calendar
    c = clocks(t)["first_response"]
    china = Calendar.objects.get(name=cn.CHINA_STANDARD)
    from loopdesk.sla.services import to_business_calendar

    assert c.due_at == to_business_calendar(china).add(t.created_at, 240)  # P3 first response: 240 minutes


def test_public_staff_reply_meets_first_response_and_starts_next_update(world, sla):
    t = new(world, ago=10)
    tickets.add_comment(actor=world.agent, ticket=t, body="内部备注", internal=True)
    tickets.add_comment(actor=world.customer, ticket=t, body="还有问题吗?")
    assert clocks(t)["first_response"].state == "running"  # neither a note nor the customer responds
    tickets.add_comment(actor=world.agent, ticket=t, body="我们正在处理")
    c = clocks(t)
    assert c["first_response"].state == "stopped" and c["first_response"].met is True
    assert c["first_response"].stopped_by == "reply"
    assert c["next_update"].state == "running"
    first_cycle = c["next_update"].started_at
    tickets.add_comment(actor=world.agent, ticket=t, body="更新:已定位原因")
    again = clocks(t)["next_update"]
    assert again.pk == c["next_update"].pk and again.started_at > first_cycle  # a new cycle
    assert again.elapsed_seconds == 0 and again.last_percent == 0
    # a reply is on the timeline already: what it does to the clocks adds no entry
    assert not t.events.filter(kind=Event.Kind.SLA).exists()
    tickets.transition_ticket(actor=world.agent, ticket=t, to="accepted")
    tickets.transition_ticket(actor=world.agent, ticket=t, to="waiting_customer")
    paused = t.events.filter(kind=Event.Kind.SLA).get()  # a pause is worth one (internal) entry
    assert paused.internal and {c["event"] for c in paused.data["clocks"]} == {"paused"}


def test_status_change_with_public_comment_is_a_reply(world, sla):
    t = new(world)
    tickets.transition_ticket(actor=world.agent, ticket=t, to="accepted", comment="已受理")
    assert clocks(t)["first_response"].stopped_by == "reply"


def test_pause_and_resume_bank_the_elapsed_time(world, sla):
    start = timezone.now() - 100 * MIN
    t = tickets.create_ticket(actor=world.agent, title="a", description="b", company=world.acme, now=start)
    tickets.transition_ticket(actor=world.agent, ticket=t, to="accepted", now=start + 10 * MIN)
    tickets.transition_ticket(actor=world.agent, ticket=t, to="waiting_customer", now=start + 30 * MIN)
    c = clocks(t)["resolution"]
    assert c.state == "paused" and c.due_at is None and c.next_action_at is None
    assert c.elapsed_seconds == pytest.approx(30 * 60)
    t.refresh_from_db()
    assert t.due_at is None  # no running SLA clock: first response is paused too
    tickets.transition_ticket(actor=world.agent, ticket=t, to="in_progress", now=start + 90 * MIN)
    c = clocks(t)["resolution"]
    assert c.state == "running"
    assert c.due_at == start + 90 * MIN + (240 - 30) * MIN  # 60 paused minutes do not count
    assert [e.kind for e in ClockEvent.objects.filter(clock=c)] == ["started", "paused", "resumed"]


def test_customer_reply_resumes(world, sla):
    t = new(world)
    tickets.transition_ticket(actor=world.agent, ticket=t, to="accepted")
    tickets.transition_ticket(actor=world.agent, ticket=t, to="waiting_customer")
    tickets.add_comment(actor=world.customer, ticket=t, body="补充了截图")
    assert clocks(t)["resolution"].state == "running"


def test_policy_pause_statuses_are_configurable(world):
    policy_24x7(pause_statuses=[])
    t = new(world)
    tickets.transition_ticket(actor=world.agent, ticket=t, to="accepted")
    tickets.transition_ticket(actor=world.agent, ticket=t, to="waiting_customer")
    assert clocks(t)["resolution"].state == "running"


def test_resolve_stops_met_and_late_stop_breaches(world, sla):
    received = []

    def receiver(sender, **kw):
        received.append((kw["clock"].metric, kw["ticket"].pk))

    clock_breached.connect(receiver)
    try:
        t = new(world, ago=70)  # first response (60) is already late, resolution (240) is not
        tickets.transition_ticket(actor=world.agent, ticket=t, to="resolved", resolution="重装补丁")
    finally:
        clock_breached.disconnect(receiver)
    c = clocks(t)
    assert (c["first_response"].met, c["first_response"].stopped_by) == (False, "resolved")
    assert c["first_response"].breached_at == t.created_at + 60 * MIN and c["first_response"].breaches == 1
    assert (c["resolution"].met, c["resolution"].state) == (True, "stopped")
    assert received == [("first_response", t.pk)]
    t.refresh_from_db()
    assert t.due_at is None


def test_close_stops_everything(world, sla):
    t = new(world)
    tickets.transition_ticket(actor=world.agent, ticket=t, to="cancelled")
    assert {c.state for c in clocks(t).values()} == {"stopped"}
    assert {c.stopped_by for c in clocks(t).values()} == {"closed"}


@pytest.mark.parametrize("mode", ["restart", "continue"])
def test_reopen(world, mode):
    policy_24x7(on_reopen=mode)
    start = timezone.now() - 200 * MIN
    t = tickets.create_ticket(actor=world.agent, title="a", description="b", company=world.acme, now=start)
    tickets.transition_ticket(actor=world.agent, ticket=t, to="resolved", resolution="ok", now=start + 50 * MIN)
    tickets.transition_ticket(actor=world.agent, ticket=t, to="in_progress", now=start + 150 * MIN)
    c = clocks(t)
    assert c["resolution"].state == "running" and c["resolution"].met is None
    if mode == "restart":
        assert c["resolution"].due_at == start + 150 * MIN + 240 * MIN
        assert c["resolution"].started_at == start + 150 * MIN
    else:
        assert c["resolution"].due_at == start + 150 * MIN + 190 * MIN
    assert c["first_response"].state == "stopped"  # resolving answered the customer; not restarted
    kinds = list(ClockEvent.objects.filter(clock=c["resolution"]).values_list("kind", flat=True))
    assert kinds[-1] == ("restarted" if mode == "restart" else "continued")


def test_priority_change_retargets_keeping_elapsed_time(world):
    policy_24x7(targets={("resolution", None): 240, ("resolution", 1): 60, ("first_response", None): 60})
    start = timezone.now() - 30 * MIN
    t = tickets.create_ticket(actor=world.agent, title="a", description="b", company=world.acme, now=start)
    tickets.update_ticket(actor=world.agent, ticket=t, priority=1)
    c = clocks(t)["resolution"]
    assert c.target_minutes == 60
    assert c.due_at == start + 60 * MIN  # elapsed 30 minutes kept, new target 60
    event = ClockEvent.objects.filter(clock=c, kind="retargeted").get()
    assert event.data["target"] == [240, 60]


def test_policy_change_on_retarget_moves_the_clock_to_the_new_policy(world):
    policy_24x7(name="P1 only", priorities=[1], order=1, targets={("resolution", None): 30})
    general = policy_24x7(name="General", order=2)
    t = new(world)
    assert clocks(t)["resolution"].policy_id == general.pk
    tickets.update_ticket(actor=world.agent, ticket=t, priority=1)
    c = clocks(t)
    assert c["resolution"].target_minutes == 30 and c["resolution"].policy.name == "P1 only"
    assert "first_response" not in c  # the new policy has no first-response target: no longer current
    stale = Clock.objects.get(ticket=t, metric="first_response")
    assert (stale.current, stale.stopped_by, stale.met) == (False, "retarget", None)


def test_group_change_hands_the_ola_over(world):
    from loopdesk.accounts.models import Group

    ola = policy_24x7(name="L2 OLA", kind="ola", party="group", targets={("resolution", None): 120})
    second = Group.objects.create(name="上海二线", organization=world.hq)
    t = new(world, group=world.group)
    first = clocks(t, kind="ola")["resolution"]
    assert first.group_id == world.group.pk and first.policy_id == ola.pk
    tickets.assign_ticket(actor=world.agent, ticket=t, group=second)
    first.refresh_from_db()
    assert (first.current, first.state, first.stopped_by) == (False, "stopped", "handover")
    now = clocks(t, kind="ola")["resolution"]
    assert now.group_id == second.pk and now.state == "running"
    assert clocks(t)["resolution"].state == "running"  # the customer's SLA goes on untouched


def test_onsite_arrival_for_work_orders(world, sla):
    from loopdesk.sla.models import Target

    Target.objects.create(policy=sla, metric="onsite_arrival", minutes=180)
    t = new(world, type="work_order")
    assert clocks(t)["onsite_arrival"].state == "running"
    mark_arrived(actor=world.engineer, ticket=t)
    c = clocks(t)["onsite_arrival"]
    assert (c.state, c.met, c.stopped_by) == ("stopped", True, "arrived")
    with pytest.raises(ValidationFailed):
        mark_arrived(actor=world.engineer, ticket=t)
    incident = new(world)
    assert "onsite_arrival" not in clocks(incident)
    start_onsite(actor=world.agent, ticket=incident)
    assert clocks(incident)["onsite_arrival"].state == "running"


def test_clock_summaries_in_one_query(world, sla, django_assert_num_queries):
    a, b = new(world, ago=30), new(world)
    with django_assert_num_queries(1):
        out = clock_summaries([a, b.pk, 999999])
    assert out[999999] == []
    first = {s.metric: s for s in out[a.pk]}["first_response"]
    assert first.percent == pytest.approx(50, abs=1) and first.remaining_minutes == pytest.approx(30, abs=1)
    assert not first.breached and first.state == "running"


def test_creating_a_ticket_costs_few_extra_queries(world, sla, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from loopdesk.sla.clocks import on_ticket_event, on_tickets_created
    from loopdesk.tickets.signals import ticket_event, tickets_created

    new(world)  # warm the per-process caches as a running server has them
    ticket_event.disconnect(dispatch_uid="sla-clocks")
    tickets_created.disconnect(dispatch_uid="sla-clocks-start")
    try:
        with CaptureQueriesContext(connection) as without:
            new(world)
    finally:
        ticket_event.connect(on_ticket_event, dispatch_uid="sla-clocks")
        tickets_created.connect(on_tickets_created, dispatch_uid="sla-clocks-start")
    # PostgreSQL: clocks, their history and Ticket.due_at in one statement; SQLite: one each. The
    # policies, calendars and the company's contract level come from per-process caches.
    extra = 1 if connection.vendor == "postgresql" else 3
    with django_assert_max_num_queries(len(without) + extra):
        new(world)
