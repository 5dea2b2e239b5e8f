"""The queue's time-to-breach sort, filters and row badge (loopdesk.tickets.views.queue), and the API's."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.urls import reverse
from django.utils import timezone

from loopdesk.tickets import services
from loopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)
HX = {"HTTP_HX_REQUEST": "true"}


def new_ticket(w, due=None, actor=None, company=None, **kw):
    """A ticket whose earliest due time is `due` (from now; None: no running clock)."""
    t = services.create_ticket(actor=actor or w.agent, company=company or w.acme, title=kw.pop("title", "凭证打印"),
                               description="报错", **kw)
    Ticket.objects.filter(pk=t.pk).update(due_at=None if due is None else timezone.now() + due)
    return t


def numbers(response) -> list[str]:
    return [t["number"] for t in response.context["rows"]]


@pytest.fixture
def agent_client(client, world):
    client.force_login(world.agent)
    return client


@pytest.fixture
def tickets(world):
    """Breached 2 h ago, breached 5 min ago, due in 30 min, in 2 h, in 6 h, and one without a clock."""
    return {
        "late2h": new_ticket(world, -2 * HOUR, assignee=world.agent),
        "late5m": new_ticket(world, -dt.timedelta(minutes=5), group=world.group),
        "in30m": new_ticket(world, dt.timedelta(minutes=30)),
        "in2h": new_ticket(world, 2 * HOUR, assignee=world.agent),
        "in6h": new_ticket(world, 6 * HOUR),
        "none": new_ticket(world, None),
        "other_branch": new_ticket(world, -3 * HOUR, actor=world.sh_agent, company=world.globex),
    }


def test_sort_by_time_to_breach_soonest_first_undated_last(agent_client, world, tickets):
    r = agent_client.get(reverse("tickets:queue"), {"sort": "due"})
    assert r.status_code == 200
    order = ["late2h", "late5m", "in30m", "in2h", "in6h", "none"]
    assert numbers(r) == [tickets[k].number for k in order]


def test_sort_by_due_pages_across_the_undated_tickets(agent_client, world, tickets, monkeypatch):
    monkeypatch.setattr(importlib.import_module("loopdesk.tickets.views.queue"), "PAGE_SIZE", 2)
    extra = new_ticket(world, None)
    seen, cursor = [], ""
    for _ in range(6):
        r = agent_client.get(reverse("tickets:queue"), {"sort": "due", "cursor": cursor}, **HX,
                             HTTP_HX_TARGET="load-more-row")
        seen += numbers(r)
        cursor = r.context["next_cursor"]
        if not cursor:
            break
    expected = [tickets[k].number for k in ("late2h", "late5m", "in30m", "in2h", "in6h")]
    expected += sorted([tickets["none"], extra], key=lambda t: t.pk)
    assert seen == [t if isinstance(t, str) else t.number for t in expected]


@pytest.mark.parametrize(("due", "expected"), [
    ("breached", ["late2h", "late5m"]),
    ("1h", ["in30m"]),
    ("4h", ["in30m", "in2h"]),
])
def test_time_to_breach_filters(agent_client, tickets, due, expected):
    r = agent_client.get(reverse("tickets:queue"), {"due": due, "sort": "due"})
    assert numbers(r) == [tickets[k].number for k in expected]


def test_filters_apply_on_every_tab(agent_client, world, tickets):
    assert numbers(agent_client.get(reverse("tickets:queue"), {"due": "breached", "tab": "mine"})) == [
        tickets["late2h"].number]
    assert numbers(agent_client.get(reverse("tickets:queue"), {"due": "breached", "tab": "groups"})) == [
        tickets["late5m"].number]
    assert numbers(agent_client.get(reverse("tickets:queue"), {"due": "4h", "tab": "mine", "sort": "due"})) == [
        tickets["in2h"].number]


def test_breached_ticket_closed_is_not_breached(agent_client, world, tickets):
    Ticket.objects.filter(pk=tickets["late2h"].pk).update(is_open=False)
    assert numbers(agent_client.get(reverse("tickets:queue"), {"due": "breached", "status": "all"})) == [
        tickets["late5m"].number]


def test_rows_show_a_coloured_time_to_breach_badge(agent_client, tickets):
    html = agent_client.get(reverse("tickets:queue"), {"sort": "due"}).content.decode()
    row = lambda key: html.split(f'data-ticket-number="{tickets[key].number}"')[1].split("</tr>")[0]  # noqa: E731
    assert "ttb-overdue" in row("late2h")
    assert "ttb-soon" in row("in30m")
    assert "ttb-ok" in row("in6h")
    assert "ttb" not in row("none")


def test_another_branch_never_sees_the_rows(client, world, tickets):
    client.force_login(world.sh_agent)
    r = client.get(reverse("tickets:queue"), {"due": "breached"})
    assert numbers(r) == [tickets["other_branch"].number]


# --- the API ------------------------------------------------------------------------------------

def api_numbers(client, **params) -> list[str]:
    r = client.get("/api/v1/tickets", params)
    assert r.status_code == 200, r.content
    return [t["number"] for t in r.json()["items"]]


def test_api_sort_by_due_at_with_keyset_pages(agent_client, world, tickets):
    extra = new_ticket(world, None)
    seen, cursor = [], None
    for _ in range(8):
        params = {"sort": "due_at", "limit": 2, "is_open": "true"}
        if cursor:
            params["cursor"] = cursor
        r = agent_client.get("/api/v1/tickets", params)
        assert r.status_code == 200, r.content
        seen += [t["number"] for t in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    expected = [tickets[k].number for k in ("late2h", "late5m", "in30m", "in2h", "in6h")]
    expected += [t.number for t in sorted([tickets["none"], extra], key=lambda t: t.pk)]
    assert seen == expected


def test_api_breached_and_due_within(agent_client, tickets):
    assert api_numbers(agent_client, breached="true", sort="due_at") == [
        tickets["late2h"].number, tickets["late5m"].number]
    assert tickets["late2h"].number not in api_numbers(agent_client, breached="false")
    assert api_numbers(agent_client, due_within=60, sort="due_at") == [tickets["in30m"].number]
    assert api_numbers(agent_client, due_within=240, sort="due_at") == [
        tickets["in30m"].number, tickets["in2h"].number]


def test_api_rejects_a_bad_due_within_and_a_foreign_cursor(agent_client, tickets):
    assert agent_client.get("/api/v1/tickets", {"due_within": 0}).status_code == 422
    first = agent_client.get("/api/v1/tickets", {"limit": 1}).json()["next_cursor"]
    assert agent_client.get("/api/v1/tickets", {"sort": "due_at", "cursor": first}).status_code == 422


def test_api_scoping(client, world, tickets):
    client.force_login(world.sh_agent)
    assert api_numbers(client, breached="true") == [tickets["other_branch"].number]
    client.force_login(world.other_partner_agent)
    assert api_numbers(client, breached="true", sort="due_at") == []
    client.force_login(world.customer)
    assert api_numbers(client, breached="true", sort="due_at") == [
        tickets["late2h"].number, tickets["late5m"].number]  # the contact's own company's tickets
