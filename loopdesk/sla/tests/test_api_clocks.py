"""Policies, a ticket's clocks, arrival, calendar edit and delete through the real API."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from loopdesk.accounts.services import issue_token
from loopdesk.sla import cn
from loopdesk.sla.models import Calendar, Policy, Target
from loopdesk.tickets import services as tickets

from .clockkit import clocks, policy_24x7

PREFIX = "/api/v1/sla"
pytestmark = pytest.mark.django_db


@pytest.fixture
def call(world):
    def make(user):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user=user)}")

        def request(method: str, url: str, body=None):
            if method in ("get", "delete"):
                return getattr(client, method)(PREFIX + url)
            return getattr(client, method)(PREFIX + url, json.dumps(body or {}), content_type="application/json")
        return request

    return make


@pytest.fixture
def ticket(world):
    policy_24x7(name="API SLA")
    policy_24x7(name="API OLA", kind="ola", party="partner", targets={("resolution", None): 480})
    t = tickets.create_ticket(actor=world.agent, title="发票打印乱码", description="b", company=world.acme)
    return tickets.assign_ticket(actor=world.agent, ticket=t, partner=world.partner)


def test_policies_read_by_staff_only(world, call):
    r = call(world.agent)("get", "/policies")
    assert r.status_code == 200, r.content
    names = [p["name"] for p in r.json()["items"]]
    assert "标准 (Standard)" in names and r.json()["next_cursor"] is None
    standard = next(p for p in r.json()["items"] if p["code"] == "standard")
    assert {"metric": "first_response", "priority": 1, "minutes": 30} in standard["targets"]
    assert call(world.agent)("get", f"/policies/{standard['id']}").json()["name"] == "标准 (Standard)"
    assert call(world.agent)("get", "/policies?kind=ola").json()["items"][0]["kind"] == "ola"
    assert call(world.customer)("get", "/policies").status_code == 403
    assert call(world.agent)("get", "/policies/999999").status_code == 404


def test_create_and_patch_policy(world, call):
    china = Calendar.objects.get(name=cn.CHINA_STANDARD)
    body = {"name": "投诉 SLA", "kind": "sla", "order": 5, "calendar_id": china.pk, "ticket_types": ["complaint"],
            "targets": [{"metric": "first_response", "minutes": 30}, {"metric": "resolution", "priority": 1,
                                                                     "minutes": 240}],
            "levels": [{"metric": "resolution", "percent": 75,
                        "actions": [{"type": "notify", "to": "manager"}]}]}
    assert call(world.agent)("post", "/policies", body).status_code == 403
    r = call(world.admin)("post", "/policies", body)
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["party"] == "customer" and created["levels"][0]["actions"] == [{"type": "notify", "to": "manager"}]
    r = call(world.admin)("patch", f"/policies/{created['id']}", {"active": False, "on_reopen": "continue",
                                                                  "targets": [{"metric": "resolution", "minutes": 60}]})
    assert r.status_code == 200, r.content
    assert r.json()["active"] is False and r.json()["targets"] == [{"metric": "resolution", "priority": None,
                                                                     "minutes": 60}]
    bad = call(world.admin)("post", "/policies", {**body, "name": "坏", "unknown": 1})
    assert bad.status_code == 422
    bad = call(world.admin)("post", "/policies", {**body, "name": "坏", "contract_levels": ["diamond"]})
    assert bad.status_code == 422 and "contract_levels" in bad.content.decode()
    assert not Policy.objects.filter(name="坏").exists()
    assert call(world.admin)("patch", f"/policies/{created['id']}", {"name": None}).status_code == 422


def test_ticket_clocks_for_staff(world, call, ticket):
    r = call(world.agent)("get", f"/tickets/{ticket.pk}/clocks")
    assert r.status_code == 200, r.content
    data = r.json()
    kinds = {(c["kind"], c["metric"]) for c in data["items"]}
    assert kinds == {("sla", "first_response"), ("sla", "resolution"), ("ola", "resolution")}
    first = next(c for c in data["items"] if c["metric"] == "first_response")
    assert first["state"] == "running" and first["target_minutes"] == 60 and first["policy"]["name"] == "API SLA"
    assert first["history"][0]["kind"] == "started" and first["due_at"].endswith("+08:00")
    assert data["due_at"] == first["due_at"]
    # the partner the ticket was dispatched to sees it too
    assert call(world.partner_agent)("get", f"/tickets/{ticket.pk}/clocks").status_code == 200


def test_customers_see_only_sla_clocks_without_history(world, call, ticket):
    r = call(world.customer)("get", f"/tickets/{ticket.pk}/clocks")
    assert r.status_code == 200, r.content
    assert {c["kind"] for c in r.json()["items"]} == {"sla"}
    assert all(c["history"] is None for c in r.json()["items"])
    assert "API OLA" not in r.content.decode()


def test_clocks_outside_scope_are_404(world, call, ticket):
    for user in (world.other_customer, world.other_partner_agent):
        r = call(user)("get", f"/tickets/{ticket.pk}/clocks")
        assert r.status_code == 404, (user, r.content)
        assert "first_response" not in r.content.decode()
        assert call(user)("post", f"/tickets/{ticket.pk}/arrived", {}).status_code == 404
    assert call(world.agent)("get", "/tickets/999999/clocks").status_code == 404


def test_arrived(world, call):
    sla = policy_24x7(name="Onsite")
    Target.objects.create(policy=sla, metric="onsite_arrival", minutes=240)
    t = tickets.create_ticket(actor=world.agent, title="上门", description="b", company=world.acme, type="work_order")
    assert call(world.customer)("post", f"/tickets/{t.pk}/arrived", {}).status_code == 403
    r = call(world.agent)("post", f"/tickets/{t.pk}/arrived", {})
    assert r.status_code == 200, r.content
    onsite = next(c for c in r.json()["items"] if c["metric"] == "onsite_arrival")
    assert onsite["state"] == "stopped" and onsite["met"] is True
    assert call(world.agent)("post", f"/tickets/{t.pk}/arrived", {}).status_code == 422
    assert call(world.agent)("post", f"/tickets/{t.pk}/arrived", {"at": "2026-01-01T09:00:00"}).status_code == 422
    assert clocks(t)["onsite_arrival"].stopped_by == "arrived"


def test_calendar_patch_and_delete(world, call):
    spare = call(world.admin)("post", "/calendars", {"name": "备用", "periods": [
        {"weekday": 1, "start": "09:00", "end": "17:00"}]}).json()
    r = call(world.admin)("patch", f"/calendars/{spare['id']}", {
        "zone": "Asia/Urumqi", "periods": [{"weekday": 2, "start": "10:00", "end": "16:00"}]})
    assert r.status_code == 200, r.content
    assert r.json()["zone"] == "Asia/Urumqi" and r.json()["periods"] == [{"weekday": 2, "start": "10:00",
                                                                           "end": "16:00"}]
    assert call(world.agent)("patch", f"/calendars/{spare['id']}", {"active": False}).status_code == 403
    assert call(world.admin)("patch", f"/calendars/{spare['id']}", {"bogus": 1}).status_code == 422
    assert call(world.admin)("patch", f"/calendars/{spare['id']}", {"zone": "Mars/Base"}).status_code == 422
    china = Calendar.objects.get(name=cn.CHINA_STANDARD)
    r = call(world.admin)("delete", f"/calendars/{china.pk}")
    assert r.status_code == 409 and Calendar.objects.filter(pk=china.pk).exists()
    assert call(world.agent)("delete", f"/calendars/{spare['id']}").status_code == 403
    assert call(world.admin)("delete", f"/calendars/{spare['id']}").status_code == 204
    assert call(world.admin)("delete", f"/calendars/{spare['id']}").status_code == 404
