"""Contracts meet tickets: the entitlement panel, give-back on cancel, inspection work orders, edits."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from loopdesk.accounts.services import issue_token
from loopdesk.catalog import periods, services
from loopdesk.catalog.inspections import generate_inspections, ref_for
from loopdesk.catalog.models import Consumption, InspectionRun
from loopdesk.tickets import services as tickets
from loopdesk.tickets.choices import TicketType
from loopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

SH = periods.SERVICE_ZONE


def at(day: str, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=SH)


def login(client: Client, user, world) -> Client:
    assert client.login(username=user.username, password=world.password)
    return client


@pytest.fixture
def ticket(world, contract):
    return tickets.create_ticket(actor=world.agent, company=world.acme, title="远程协助月结", description="月结报错")


# --- slots -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("period", "start", "quantity", "expected"), [
    ("yearly", "2026-01-01", 4, ["2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01"]),
    ("quarterly", "2026-04-01", 1, ["2026-04-01"]),
    ("quarterly", "2026-04-01", 3, ["2026-04-01", "2026-05-01", "2026-06-01"]),
    ("quarterly", "2026-04-01", 10, ["2026-04-01", "2026-05-01", "2026-06-01"]),
    ("monthly", "2026-02-01", None, ["2026-02-01"]),
    ("yearly", "2026-01-01", 5, ["2026-01-01", "2026-03-01", "2026-05-01", "2026-07-01", "2026-09-01"]),
])
def test_inspection_slots_split_the_period_in_whole_months(period, start, quantity, expected):
    start = datetime.date.fromisoformat(start)
    slots = periods.inspection_slots(period, start, quantity, term_end=datetime.date(2026, 12, 31))
    assert [s.isoformat() for s in slots] == expected


def test_a_term_starting_mid_month_is_due_from_its_first_day():
    slots = periods.inspection_slots("term", datetime.date(2026, 3, 15), 2, term_end=datetime.date(2027, 3, 14))
    assert slots == [datetime.date(2026, 3, 15), datetime.date(2026, 9, 1)]
    assert periods.current_slot(slots, datetime.date(2026, 8, 31)) == datetime.date(2026, 3, 15)
    assert periods.current_slot(slots, datetime.date(2026, 3, 1)) is None


# --- inspections -------------------------------------------------------------------------------------

def test_inspection_work_orders_are_generated_once_per_slot(world, contract):
    runs = generate_inspections(now=at("2026-05-06"))
    assert len(runs) == 1
    run = runs[0]
    assert run.slot_start == datetime.date(2026, 4, 1) and run.outcome == "consumed"
    order = run.ticket
    assert order.type == TicketType.WORK_ORDER and order.company == world.acme
    assert order.assignee == world.engineer  # the contract's designated engineer
    assert Consumption.objects.filter(ref=ref_for(order), status="consumed", units=1).count() == 1
    assert generate_inspections(now=at("2026-05-20")) == []  # same slot: nothing more
    assert InspectionRun.objects.count() == 1
    assert len(generate_inspections(now=at("2026-07-01", 9))) == 1  # the next quarter's slot


def test_no_work_order_when_the_inspections_are_used_up(world, contract):
    for n in range(4):
        services.consume(actor=world.admin, product_code="INSPECTION", ref=f"manual:{n}", contract=contract,
                         on=datetime.date(2026, 2, 1))
    before = Ticket.objects.count()
    runs = generate_inspections(now=at("2026-04-02"))
    assert [r.outcome for r in runs] == ["refused"] and runs[0].ticket is None
    assert Ticket.objects.count() == before
    assert generate_inspections(now=at("2026-04-03")) == []  # the refusal is remembered too


def test_no_inspection_outside_the_contract_term(world, contract):
    assert generate_inspections(now=at("2027-02-01")) == []


# --- the ticket panel ------------------------------------------------------------------------------------

def test_agent_records_a_delivery_on_the_ticket_and_gives_it_back(world, contract, ticket):
    client = login(Client(), world.agent, world)
    panel = client.get(reverse("catalog:ticket_entitlements", args=[ticket.pk]))
    assert panel.status_code == 200
    assert "HT-2026-001" in panel.content.decode()
    done = client.post(reverse("catalog:ticket_consume", args=[ticket.pk]), {"product_code": "REMOTE", "units": 1})
    assert done.status_code == 200
    assert Consumption.objects.get(ref=ref_for(ticket)).status == "consumed"
    back = client.post(reverse("catalog:ticket_give_back", args=[ticket.pk]))
    assert back.status_code == 200
    assert sorted(Consumption.objects.filter(ref=ref_for(ticket)).values_list("units", flat=True)) == [-1, 1]


def test_delivery_beyond_the_entitlement_is_refused_and_shown(world, contract, ticket):
    client = login(Client(), world.agent, world)
    url = reverse("catalog:ticket_consume", args=[ticket.pk])
    refused = client.post(url, {"product_code": "REMOTE", "units": 3})
    assert refused.status_code == 422
    assert not Consumption.objects.filter(ref=ref_for(ticket)).exists()
    assert client.post(url, {"product_code": "NOPE", "units": 1}).status_code == 422


@pytest.mark.parametrize("who", ["sh_agent", "other_partner_agent", "customer", "other_customer"])
def test_the_panel_is_404_outside_the_tickets_scope(world, contract, ticket, who):
    client = login(Client(), getattr(world, who), world)
    assert client.get(reverse("catalog:ticket_entitlements", args=[ticket.pk])).status_code == 404
    response = client.post(reverse("catalog:ticket_consume", args=[ticket.pk]), {"product_code": "REMOTE", "units": 1})
    assert response.status_code == 404
    assert not Consumption.objects.filter(ref=ref_for(ticket)).exists()


def test_cancelling_a_ticket_gives_back_its_units(world, contract, ticket):
    services.consume(actor=world.agent, product_code="REMOTE", ref=ref_for(ticket), company=world.acme)
    tickets.transition_ticket(actor=world.agent, ticket=ticket, to="cancelled")
    assert sorted(Consumption.objects.filter(ref=ref_for(ticket)).values_list("units", flat=True)) == [-1, 1]
    assert services.company_balances(world.admin, world.acme, periods.service_date(timezone.now()))


# --- editing a contract ----------------------------------------------------------------------------------

def test_manager_edits_a_contract_in_the_browser_form(world, contract):
    client = login(Client(), world.manager, world)
    url = reverse("catalog:contract_edit", args=[contract.pk])
    assert client.get(url).status_code == 200
    data = {"level": "vip", "status": "active", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
            "overage": "approval", "designated_engineer": world.engineer.pk, "notes": "升级为VIP"}
    assert client.post(url, data).status_code == 302
    contract.refresh_from_db()
    assert (contract.level, contract.overage, contract.notes) == ("vip", "approval", "升级为VIP")
    bad = client.post(url, {**data, "ends_on": "2025-12-31"})
    assert bad.status_code == 422
    contract.refresh_from_db()
    assert contract.ends_on == datetime.date(2026, 12, 31)


def test_agent_may_not_edit_a_contract(world, contract):
    client = login(Client(), world.agent, world)
    response = client.post(reverse("catalog:contract_edit", args=[contract.pk]), {"level": "vip"})
    assert response.status_code == 403
    contract.refresh_from_db()
    assert contract.level == "gold"


def api(user, method: str, path: str, body: dict):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user=user)}")
    return getattr(client, method)(f"/api/v1/catalog{path}", json.dumps(body), content_type="application/json")


def test_patch_contract_through_the_api(world, contract):
    response = api(world.manager, "patch", f"/contracts/{contract.pk}", {"level": "vip", "designated_engineer_id": None})
    assert response.status_code == 200, response.content
    assert response.json()["level"] == "vip" and response.json()["designated_engineer_id"] is None
    bad = api(world.manager, "patch", f"/contracts/{contract.pk}", {"ends_on": "2025-01-01"})
    assert bad.status_code == 422 and "ends_on" in bad.json()["errors"]
    assert api(world.manager, "patch", f"/contracts/{contract.pk}", {"level": None}).status_code == 422
    assert api(world.manager, "patch", f"/contracts/{contract.pk}", {"colour": "red"}).status_code == 422
    assert api(world.agent, "patch", f"/contracts/{contract.pk}", {"level": "standard"}).status_code == 403
    assert api(world.sh_agent, "patch", f"/contracts/{contract.pk}", {"level": "standard"}).status_code == 404
    contract.refresh_from_db()
    assert contract.level == "vip"
