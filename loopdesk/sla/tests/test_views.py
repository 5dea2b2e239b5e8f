"""The ticket's clock panel and the breached / about-to-breach overview, with their scoping."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from loopdesk.catalog.models import Contract
from loopdesk.sla.models import Clock
from loopdesk.sla.views import clock_rows, minutes_text
from loopdesk.tickets import services
from loopdesk.tickets.choices import Status
from loopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


def gold(company) -> Contract:
    today = timezone.localdate()
    return Contract.objects.create(company=company, number=f"HT-{company.pk}", level="gold",
                                   starts_on=today - dt.timedelta(days=30), ends_on=today + dt.timedelta(days=30))


def urgent(world, **kw):
    """An urgent incident (impact 1, urgency 1 → P1) of a gold customer: the 24×7 gold P1 policy."""
    gold(world.acme)
    return services.create_ticket(actor=world.agent, company=world.acme, title="总账无法登录", description="全部用户",
                                  impact=1, urgency=1, **kw)


def widths(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-clock-metric="(\w+)".*?style="width: ([\d.]+%)"', html, re.S))


@translation.override("en")
def test_minutes_text():
    assert minutes_text(45) == "45 min"
    assert minutes_text(120) == "2 h"
    assert minutes_text(125.4) == "2 h 05 min"
    assert minutes_text(-30) == "30 min"


# --- the panel ------------------------------------------------------------------------------------

def test_panel_shows_each_clock_with_a_bar(client, world):
    ticket = urgent(world)
    assert ticket.priority == 1
    client.force_login(world.agent)
    r = client.get(reverse("sla:ticket_clocks", args=[ticket.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    assert html.lstrip().startswith("<h2>")
    assert set(widths(html)) >= {"first_response", "resolution"}
    assert 'data-state="running"' in html
    assert "金牌/VIP P1" in html  # the policy's name
    assert "目标 4 小时" in html  # the resolution target, 240 minutes, in the default language


def test_the_ticket_page_loads_the_panel(client, world):
    ticket = urgent(world)
    client.force_login(world.agent)
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert 'id="panel-sla"' in html
    assert reverse("sla:ticket_clocks", args=[ticket.pk]) in html


def test_a_paused_clock_does_not_move(world):
    ticket = urgent(world)
    now = timezone.now()
    running = {c["metric"]: c for c in clock_rows(ticket.pk, now)}
    later = {c["metric"]: c for c in clock_rows(ticket.pk, now + HOUR)}
    assert later["resolution"]["percent"] > running["resolution"]["percent"]

    services.transition_ticket(actor=world.agent, ticket=ticket, to=Status.IN_PROGRESS)
    services.transition_ticket(actor=world.agent, ticket=ticket, to=Status.WAITING_CUSTOMER)
    assert Clock.objects.get(ticket=ticket, metric="resolution", current=True).state == "paused"
    paused = {c["metric"]: c for c in clock_rows(ticket.pk, timezone.now())}
    paused_later = {c["metric"]: c for c in clock_rows(ticket.pk, timezone.now() + 2 * HOUR)}
    assert paused["resolution"]["state"] == "paused"
    assert paused_later["resolution"]["width"] == paused["resolution"]["width"]
    assert paused_later["resolution"]["elapsed"] == paused["resolution"]["elapsed"]


def test_bar_colours(world):
    ticket = urgent(world)
    now = timezone.now()
    colour = lambda at: {c["metric"]: c["colour"] for c in clock_rows(ticket.pk, at)}["resolution"]  # noqa: E731
    assert colour(now) == "green"  # 0 % of 240 minutes
    assert colour(now + dt.timedelta(minutes=190)) == "amber"  # 79 %
    assert colour(now + dt.timedelta(minutes=250)) == "red"  # past the target
    row = {c["metric"]: c for c in clock_rows(ticket.pk, now + dt.timedelta(minutes=250))}["resolution"]
    assert row["overdue"] and row["width"] == "100.0%"


def test_panel_scoping(client, world):
    ticket = urgent(world)
    url = reverse("sla:ticket_clocks", args=[ticket.pk])
    for user in (world.sh_agent, world.partner_agent, world.other_partner_agent):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(world.customer)
    assert client.get(url).status_code in (302, 404)  # customers never reach the workspace
    client.force_login(world.manager)
    assert client.get(url).status_code == 200


# --- the overview ---------------------------------------------------------------------------------

def due_ticket(world, due, actor=None, company=None, partner_org=None, **kw):
    t = services.create_ticket(actor=actor or world.agent, company=company or world.acme, title="凭证",
                               description="报错", **kw)
    Ticket.objects.filter(pk=t.pk).update(due_at=timezone.now() + due, partner_org=partner_org)
    return t


@pytest.fixture
def risky(world):
    return {
        "late": due_ticket(world, -HOUR, group=world.group, assignee=world.agent),
        "soon": due_ticket(world, dt.timedelta(minutes=20), group=world.group),
        "later": due_ticket(world, 3 * HOUR, assignee=world.engineer),
        "fine": due_ticket(world, 30 * HOUR),
        "sh": due_ticket(world, -HOUR, actor=world.sh_agent, company=world.globex),
        "partner": due_ticket(world, dt.timedelta(minutes=30), partner_org=world.partner),
    }


def test_overview_counts_and_lists(client, world, risky):
    client.force_login(world.agent)
    r = client.get(reverse("sla:overview"))
    assert r.status_code == 200
    o = r.context["o"]
    assert (o.total.breached, o.total.within_1h, o.total.within_4h) == (1, 2, 3)
    groups = {g.key: (g.breached, g.within_1h, g.within_4h) for g in o.groups}
    assert groups == {world.group.pk: (1, 1, 1), None: (0, 1, 2)}
    people = {a.key: (a.breached, a.within_1h, a.within_4h) for a in o.assignees}
    assert people == {world.agent.pk: (1, 0, 0), world.engineer.pk: (0, 0, 1), None: (0, 2, 2)}
    assert [t.number for t in o.breached] == [risky["late"].number]
    assert [t.number for t in o.soon] == [risky[k].number for k in ("soon", "partner", "later")]
    html = r.content.decode()
    assert f"?due=breached&amp;sort=due&amp;group={world.group.pk}" in html
    assert risky["fine"].number not in html and risky["sh"].number not in html


def test_overview_scoping(client, world, risky):
    client.force_login(world.sh_agent)
    o = client.get(reverse("sla:overview")).context["o"]
    assert (o.total.breached, o.total.within_1h, o.total.within_4h) == (1, 0, 0)
    assert [t.number for t in o.breached] == [risky["sh"].number]
    client.force_login(world.partner_agent)
    o = client.get(reverse("sla:overview")).context["o"]
    assert (o.total.breached, o.total.within_1h, o.total.within_4h) == (0, 1, 1)
    assert [t.number for t in o.soon] == [risky["partner"].number]
    client.force_login(world.other_partner_agent)
    o = client.get(reverse("sla:overview")).context["o"]
    assert (o.total.breached, o.total.within_1h, o.total.within_4h) == (0, 0, 0)
    assert o.groups == [] and o.assignees == [] and o.breached == [] and o.soon == []
    client.force_login(world.customer)
    assert client.get(reverse("sla:overview")).status_code in (302, 404)


def test_overview_query_count_does_not_grow_with_tickets(world, risky, django_assert_num_queries):
    from loopdesk.accounts.scope import scope_for
    from loopdesk.sla.breaching import overview

    scope_for(world.agent)  # computed once per request anyway
    with django_assert_num_queries(5):
        overview(world.agent, timezone.now())
    for _ in range(5):
        due_ticket(world, -HOUR, group=world.group, assignee=world.engineer)
    with django_assert_num_queries(5):
        o = overview(world.agent, timezone.now())
    assert o.total.breached == 6
