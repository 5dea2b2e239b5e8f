"""Compliance figures on a hand-built set of clocks: the math, the periods, the zone, the scoping."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from loopdesk.accounts.roles import Role
from loopdesk.accounts.services import create_user
from loopdesk.core.errors import Forbidden, ValidationFailed
from loopdesk.sla.compliance import compliance, default_range
from loopdesk.sla.models import Clock, Policy
from loopdesk.tickets import services
from loopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
JAN1, MAR31 = dt.date(2026, 1, 1), dt.date(2026, 3, 31)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def clock(ticket, policy, stopped_at, minutes, met, *, target=60, metric="resolution", kind="sla", **kw) -> Clock:
    return Clock.objects.create(
        ticket=ticket, policy=policy, calendar=policy.calendar, kind=kind, party=kw.pop("party", "customer"),
        metric=metric, state=Clock.State.STOPPED, target_minutes=target, started_at=stopped_at - dt.timedelta(days=1),
        elapsed_seconds=minutes * 60, stopped_at=stopped_at, met=met, current=kw.pop("current", True), **kw,
    )


@pytest.fixture
def book(world):
    """Gold policy, January, on an acme ticket (Beijing, group 北京一线): ten clocks of 10 … 100 minutes
    against 60 (six met, four breached) and one handed over (no verdict). Standard policy, February, on a
    globex ticket (Shanghai): 30 and 45 met, 200 breached. Plus clocks outside the range or still running."""
    acme = services.create_ticket(actor=world.agent, company=world.acme, title="a", description="a", group=world.group)
    globex = services.create_ticket(actor=world.sh_agent, company=world.globex, title="g", description="g")
    Clock.objects.all().delete()  # the engine's own clocks: this test counts hand-built ones only
    gold, standard = Policy.objects.get(code="gold"), Policy.objects.get(code="standard")
    for i, minutes in enumerate(range(10, 101, 10)):
        clock(acme, gold, at(2026, 1, 5 + i, 10), minutes, minutes <= 60)
    clock(acme, gold, at(2026, 1, 20, 10), 5, None, stopped_by="handover", current=False)
    # 2026-01-31 20:00 UTC is 2026-02-01 04:00 in Shanghai: February.
    clock(globex, standard, dt.datetime(2026, 1, 31, 20, tzinfo=dt.UTC), 30, True)
    clock(globex, standard, at(2026, 2, 10, 9), 45, True)
    clock(globex, standard, at(2026, 2, 28, 23, 59), 200, False)
    clock(globex, standard, at(2026, 4, 1, 0, 0), 1, True)  # after the range
    clock(globex, standard, at(2025, 12, 31, 23, 59), 1, True)  # before it
    Clock.objects.create(ticket=acme, policy=gold, calendar=gold.calendar, kind="sla", party="customer",
                         metric="first_response", state=Clock.State.RUNNING, target_minutes=60,
                         started_at=at(2026, 2, 1, 9), running_since=at(2026, 2, 1, 9))
    return {"acme": acme, "globex": globex, "gold": gold, "standard": standard}


def figures(rows) -> list[tuple]:
    return [(r.period.isoformat(), r.label, r.stopped, r.met, r.breached, r.compliance, r.avg_minutes, r.p90_minutes)
            for r in rows]


def test_per_policy_and_month(world, book):
    rows = compliance(world.manager, by="policy", period="month", start=JAN1, end=MAR31)
    assert figures(rows) == [
        ("2026-01-01", book["gold"].name, 11, 6, 4, 60.0, 55.0, 90.0),
        ("2026-02-01", book["standard"].name, 3, 2, 1, 66.7, 91.7, 200.0),
    ]
    assert rows[0].key == book["gold"].pk


def test_per_customer_group_partner_and_all(world, book):
    rows = compliance(world.manager, by="customer", period="month", start=JAN1, end=MAR31)
    assert [(r.label, r.stopped) for r in rows] == [(world.acme.name, 11), (world.globex.name, 3)]
    rows = compliance(world.manager, by="group", period="month", start=JAN1, end=MAR31)
    assert [(r.key, r.stopped) for r in rows] == [(world.group.pk, 11), (None, 3)]
    assert rows[0].label == "北京一线"
    Ticket.objects.filter(pk=book["globex"].pk).update(partner_org=world.partner)
    rows = compliance(world.manager, by="partner", period="month", start=JAN1, end=MAR31)
    assert [(r.key, r.stopped) for r in rows] == [(None, 11), (world.partner.pk, 3)]
    rows = compliance(world.manager, by="all", period="month", start=JAN1, end=MAR31)
    assert [(r.period.month, r.stopped, r.met, r.breached) for r in rows] == [(1, 11, 6, 4), (2, 3, 2, 1)]


def test_an_ola_clock_counts_for_its_own_group(world, book):
    from loopdesk.accounts.models import Group

    second = Group.objects.create(name="二线", organization=world.beijing)
    clock(book["acme"], book["gold"], at(2026, 3, 2, 10), 20, True, kind="ola", party="group", group=second)
    rows = compliance(world.manager, by="group", period="month", start=dt.date(2026, 3, 1), end=MAR31, kind="ola")
    assert [(r.key, r.stopped, r.met) for r in rows] == [(second.pk, 1, 1)]


def test_days_and_weeks(world, book):
    rows = compliance(world.manager, by="all", period="day", start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
    assert [(r.period.isoformat(), r.stopped) for r in rows] == [
        ("2026-02-01", 1), ("2026-02-10", 1), ("2026-02-28", 1)]
    rows = compliance(world.manager, by="all", period="week", start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
    assert [r.period.isoformat() for r in rows] == ["2026-01-26", "2026-02-09", "2026-02-23"]  # Mondays


def test_metric_filter(world, book):
    assert compliance(world.manager, by="all", period="month", start=JAN1, end=MAR31, metric="first_response") == []


def test_scoping_and_permission(world, book):
    sh_manager = create_user(username="sh_manager", password=world.password, memberships=[(world.shanghai, Role.MANAGER)])
    rows = compliance(sh_manager, by="policy", period="month", start=JAN1, end=MAR31)
    assert [(r.label, r.stopped) for r in rows] == [(book["standard"].name, 3)]
    for user in (world.agent, world.partner_agent, world.customer):
        with pytest.raises(Forbidden):
            compliance(user, by="policy", period="month", start=JAN1, end=MAR31)


def test_parameters_are_checked(world):
    with pytest.raises(ValidationFailed):
        compliance(world.manager, by="policy", period="month", start=MAR31, end=JAN1)
    with pytest.raises(ValidationFailed):
        compliance(world.manager, by="policy", period="month", start=JAN1, end=dt.date(2027, 1, 2))  # 367 days
    with pytest.raises(ValidationFailed):
        compliance(world.manager, by="colour", period="month", start=JAN1, end=MAR31)
    assert default_range(dt.date(2026, 2, 15)) == (dt.date(2025, 12, 1), dt.date(2026, 2, 15))


def test_page(client, world, book):
    client.force_login(world.manager)
    r = client.get(reverse("sla:compliance"), {"by": "policy", "period": "month", "from": "2026-01-01", "to": "2026-03-31"})
    assert r.status_code == 200
    html = r.content.decode()
    assert book["gold"].name in html and "60.0 %" in html
    assert r.context["totals"] == {"stopped": 14, "met": 8, "breached": 5, "compliance": 61.5}
    r = client.get(reverse("sla:compliance"), {"from": "2026-03-31", "to": "2026-01-01"})
    assert r.status_code == 200 and r.context["error"]
    client.force_login(world.agent)
    assert client.get(reverse("sla:compliance")).status_code == 403


def test_api(client, world, book):
    client.force_login(world.manager)
    r = client.get("/api/v1/sla/compliance", {"by": "policy", "period": "month", "from": "2026-01-01", "to": "2026-03-31"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["from"] == "2026-01-01" and body["to"] == "2026-03-31" and body["by"] == "policy"
    assert [(i["key"], i["period"], i["stopped"], i["met"], i["breached"], i["compliance"], i["p90_minutes"])
            for i in body["items"]] == [
        (book["gold"].pk, "2026-01-01", 11, 6, 4, 60.0, 90.0),
        (book["standard"].pk, "2026-02-01", 3, 2, 1, 66.7, 200.0),
    ]
    assert client.get("/api/v1/sla/compliance", {"by": "colour"}).status_code == 422
    assert client.get("/api/v1/sla/compliance", {"from": "2026-03-31", "to": "2026-01-01"}).status_code == 422


def test_api_scoping(client, world, book):
    sh_manager = create_user(username="sh_manager", password=world.password, memberships=[(world.shanghai, Role.MANAGER)])
    client.force_login(sh_manager)
    items = client.get("/api/v1/sla/compliance", {"from": "2026-01-01", "to": "2026-03-31"}).json()["items"]
    assert [(i["label"], i["stopped"]) for i in items] == [(book["standard"].name, 3)]
    for user in (world.agent, world.partner_agent, world.other_partner_agent, world.customer):
        client.force_login(user)
        r = client.get("/api/v1/sla/compliance", {"from": "2026-01-01", "to": "2026-03-31"})
        assert r.status_code == 403
        assert "items" not in r.json()


def test_two_queries_whatever_the_number_of_clocks(world, book, django_assert_num_queries):
    from loopdesk.accounts.scope import scope_for

    scope_for(world.manager), world.manager.permissions  # once per request, whatever the page
    with django_assert_num_queries(2):  # the figures, then the names
        rows = compliance(world.manager, by="customer", period="day", start=JAN1, end=MAR31)
    assert sum(r.stopped for r in rows) == 14
