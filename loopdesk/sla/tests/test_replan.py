"""A calendar edit re-plans the running clocks on it (due time, next action, Ticket.due_at)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from loopdesk.sla import cn, services
from loopdesk.sla.models import Calendar, Policy
from loopdesk.sla.replan import bulk_set, replan_calendar
from loopdesk.tickets import services as tickets

from .clockkit import clocks

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def office(world):
    """A Mon–Fri 09:00–18:00 calendar and a policy on it: resolution 540 minutes (one day)."""
    calendar = services.create_calendar(actor=None, name="Office", periods=[(w, 540, 1080) for w in range(1, 6)])
    policy = Policy.objects.create(name="Office SLA", order=1, calendar=calendar)
    policy.targets.create(metric="resolution", minutes=540)
    policy.levels.create(metric="resolution", percent=50, actions=[])
    return calendar


def test_editing_periods_replans_running_clocks(world, office):
    start = dt.datetime(2026, 12, 7, 10, 0, tzinfo=SH)  # a Monday
    t = tickets.create_ticket(actor=world.agent, title="a", description="b", company=world.acme, now=start)
    c = clocks(t)["resolution"]
    assert c.due_at == dt.datetime(2026, 12, 8, 10, 0, tzinfo=SH)
    assert c.next_action_at == dt.datetime(2026, 12, 7, 14, 30, tzinfo=SH)
    services.set_periods(actor=world.admin, calendar=office, periods=[(w, 540, 720) for w in range(1, 6)])
    c.refresh_from_db()
    # 09:00–12:00 only: 2 hours on Monday, 3 on Tuesday … 540 minutes = 9 hours → Thursday 10:00
    assert c.due_at == dt.datetime(2026, 12, 10, 10, 0, tzinfo=SH)
    assert c.next_action_at == dt.datetime(2026, 12, 8, 11, 30, tzinfo=SH)
    t.refresh_from_db()
    assert t.due_at == c.due_at


def test_a_new_holiday_moves_the_due_time(world, office):
    start = dt.datetime(2026, 12, 7, 10, 0, tzinfo=SH)
    t = tickets.create_ticket(actor=world.agent, title="a", description="b", company=world.acme, now=start)
    services.add_day(actor=world.admin, calendar=office, date="2026-12-08", kind="holiday", name="停电")
    assert clocks(t)["resolution"].due_at == dt.datetime(2026, 12, 9, 10, 0, tzinfo=SH)
    services.remove_day(actor=world.admin, calendar=office, date="2026-12-08")
    assert clocks(t)["resolution"].due_at == dt.datetime(2026, 12, 8, 10, 0, tzinfo=SH)


def test_paused_and_stopped_clocks_are_left_alone(world, office):
    start = timezone.now() - dt.timedelta(hours=1)
    t = tickets.create_ticket(actor=world.agent, title="a", description="b", company=world.acme, now=start)
    tickets.transition_ticket(actor=world.agent, ticket=t, to="accepted")
    tickets.transition_ticket(actor=world.agent, ticket=t, to="waiting_customer")
    before = clocks(t)["resolution"]
    assert replan_calendar(office.pk) == 0
    after = clocks(t)["resolution"]
    assert (after.state, after.elapsed_seconds, after.due_at) == ("paused", before.elapsed_seconds, None)


def test_bulk_set_writes_by_id(world):
    t = tickets.create_ticket(actor=world.agent, title="a", description="b", company=world.acme)
    c = clocks(t)["resolution"]
    when = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    bulk_set([(c.pk, when, None)])
    c.refresh_from_db()
    assert (c.due_at, c.next_action_at) == (when, None)


def test_delete_refused_while_used(world):
    from loopdesk.core.errors import Conflict

    china = Calendar.objects.get(name=cn.CHINA_STANDARD)
    with pytest.raises(Conflict):
        services.delete_calendar(actor=world.admin, calendar=china)
    spare = services.create_calendar(actor=None, name="Spare", is_24x7=True)
    services.delete_calendar(actor=world.admin, calendar=spare)
    assert not Calendar.objects.filter(name="Spare").exists()


def test_aliases(db):
    assert services.calendar_named("cn").name == cn.CHINA_STANDARD
    assert services.calendar_named("24x7").name == cn.ALWAYS_OPEN


def test_command_takes_the_short_name(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("sla", "due", "--calendar", "cn", "--start", "2026-02-13T17:00:00+08:00", "--minutes", "61",
                 stdout=out)
    assert out.getvalue().strip() == "2026-02-14T09:01:00+08:00"
