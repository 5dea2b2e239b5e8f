"""The webhook API (/api/v1/webhooks): endpoints, deliveries, links, and the signed callback."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from loopdesk.accounts.services import issue_token
from loopdesk.integrations import services, signing
from loopdesk.integrations.models import Delivery, Endpoint, ExternalLink
from loopdesk.tickets.models import Event

from .test_delivery import make_ticket

PREFIX = "/api/v1/webhooks"


@pytest.fixture
def call(world):
    def make(user=None):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user=user)}") if user else Client()

        def request(method: str, url: str, body=None, **headers):
            if method in ("get", "delete"):
                return getattr(client, method)(PREFIX + url)
            return getattr(client, method)(PREFIX + url, json.dumps(body or {}), content_type="application/json",
                                           headers=headers)
        return request

    return make


@pytest.fixture
def rnd(world):
    return services.create_endpoint(actor=world.admin, name="研发缺陷系统", kind="rnd", url="http://127.0.0.1:9/rnd")


def test_endpoint_crud(world, call):
    admin = call(world.admin)
    created = admin("post", "/endpoints", {"name": "CRM", "kind": "lead_to_cash", "url": "https://crm.example/hook"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["opportunity.requested"]
    pk = body["id"]
    got = admin("get", f"/endpoints/{pk}").json()
    assert "secret" not in got and got["name"] == "CRM"
    assert "secret" not in admin("get", "/endpoints").json()[0]
    patched = admin("patch", f"/endpoints/{pk}", {"active": False, "timeout": 5})
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert admin("patch", f"/endpoints/{pk}", {"name": None}).status_code == 422
    assert admin("patch", f"/endpoints/{pk}", {"secret": "x"}).status_code == 422
    rotated = admin("post", f"/endpoints/{pk}/rotate-secret").json()
    assert rotated["secret"] != body["secret"] and Endpoint.objects.get(pk=pk).secret == rotated["secret"]
    assert admin("delete", f"/endpoints/{pk}").status_code == 204
    assert admin("get", f"/endpoints/{pk}").status_code == 404


@pytest.mark.parametrize("who", ["agent", "manager", "customer", "partner_agent"])
def test_endpoints_need_integration_admin(world, call, rnd, who):
    user = call(getattr(world, who))
    assert user("get", "/endpoints").status_code == 403
    assert user("post", "/endpoints", {"name": "X", "url": "http://127.0.0.1:9/"}).status_code == 403
    assert user("get", "/deliveries").status_code == 403
    assert Endpoint.objects.count() == 1


def test_deliveries_list_get_redeliver(world, call, rnd):
    ticket = make_ticket(world)
    first = services.send(endpoint=rnd, event="defect.requested", ticket=ticket)
    second = services.send(endpoint=rnd, event="requirement.requested", ticket=ticket)
    Delivery.objects.filter(pk=first.pk).update(status="dead", next_attempt_at=None)
    admin = call(world.admin)
    listed = admin("get", "/deliveries").json()
    assert [d["id"] for d in listed["items"]] == [second.pk, first.pk] and listed["next_cursor"] is None
    assert [d["id"] for d in admin("get", "/deliveries?status=dead").json()["items"]] == [first.pk]
    assert admin("get", "/deliveries?cursor=abc").status_code == 422
    detail = admin("get", f"/deliveries/{first.pk}").json()
    assert detail["payload"]["ticket"]["number"] == ticket.number and detail["attempt_log"] == []
    again = admin("post", f"/deliveries/{first.pk}/redeliver")
    assert again.status_code == 200 and again.json()["status"] == "pending"
    assert admin("get", "/deliveries/999999").status_code == 404


def test_raise_and_list_links_are_scoped(world, call, rnd):
    ticket = make_ticket(world)
    created = call(world.agent)("post", "/links", {"ticket_id": ticket.pk, "kind": "defect", "note": "复现步骤见附件"})
    assert created.status_code == 201, created.content
    link = ExternalLink.objects.get()
    assert created.json()["external_status"] == link.external_status
    delivery = Delivery.objects.get(event="defect.requested")
    assert delivery.payload["callback_url"].endswith(f"/api/v1/webhooks/callback/{link.callback_token}")
    assert call(world.agent)("get", f"/links?ticket_id={ticket.pk}").json()[0]["kind"] == "defect"
    # Outside the ticket's scope: 404, and nothing raised.
    for who in ("sh_agent", "customer", "other_customer", "partner_agent"):
        user = call(getattr(world, who))
        assert user("get", f"/links?ticket_id={ticket.pk}").status_code == 404, who
        assert user("post", "/links", {"ticket_id": ticket.pk, "kind": "defect"}).status_code == 404, who
    assert ExternalLink.objects.count() == 1
    # No endpoint takes opportunities yet.
    refused = call(world.agent)("post", "/links", {"ticket_id": ticket.pk, "kind": "opportunity"})
    assert refused.status_code == 422 and ExternalLink.objects.count() == 1


def _signed(secret: str, body: dict, *, timestamp: int | None = None) -> tuple[bytes, dict]:
    raw = json.dumps(body).encode()
    ts = str(timestamp or int(time.time()))
    return raw, {"X-Loopdesk-Timestamp": ts, "X-Loopdesk-Signature": signing.sign(secret, ts, raw)}


def _callback(token: str, raw: bytes, headers: dict):
    return Client().post(f"{PREFIX}/callback/{token}", raw, content_type="application/json", headers=headers)


def test_callback_updates_the_link_and_the_timeline(world, rnd):
    ticket = make_ticket(world)
    link = services.raise_external(actor=world.agent, ticket=ticket, kind="defect")
    raw, headers = _signed(rnd.secret, {"external_id": "BUG-4711", "external_url": "https://rnd.example/BUG-4711",
                                        "status": "已修复", "note": "修复于 16.5 补丁 3", "public": True})
    response = _callback(link.callback_token, raw, headers)
    assert response.status_code == 200, response.content
    assert response.json()["external_id"] == "BUG-4711"
    link.refresh_from_db()
    assert (link.external_id, link.external_status, link.external_note) == ("BUG-4711", "已修复", "修复于 16.5 补丁 3")
    event = Event.objects.filter(ticket=ticket, kind=Event.Kind.INTEGRATION).latest("id")
    assert event.data["action"] == "callback" and event.internal is False and "BUG-4711" in event.data["text"]
    # The same callback again (their retry) changes nothing and adds nothing to the timeline.
    events = Event.objects.filter(ticket=ticket).count()
    assert _callback(link.callback_token, raw, headers).status_code == 200
    assert Event.objects.filter(ticket=ticket).count() == events


@pytest.mark.parametrize("tamper", ["signature", "secret", "old", "missing", "body"])
def test_bad_callback_is_refused_and_changes_nothing(world, rnd, tamper):
    ticket = make_ticket(world)
    link = services.raise_external(actor=world.agent, ticket=ticket, kind="defect")
    events_before = Event.objects.filter(ticket=ticket).count()
    body = {"external_id": "BUG-1", "status": "fixed"}
    raw, headers = _signed("wrong-secret" if tamper == "secret" else rnd.secret, body,
                           timestamp=int(time.time()) - 600 if tamper == "old" else None)
    if tamper == "signature":
        headers["X-Loopdesk-Signature"] = "sha256=" + "0" * 64
    if tamper == "missing":
        headers = {}
    if tamper == "body":
        raw = raw.replace(b"BUG-1", b"BUG-2")
    response = _callback(link.callback_token, raw, headers)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    link.refresh_from_db()
    assert link.external_id == "" and Event.objects.filter(ticket=ticket).count() == events_before


def test_callback_unknown_token_and_bad_fields(world, rnd):
    ticket = make_ticket(world)
    link = services.raise_external(actor=world.agent, ticket=ticket, kind="requirement")
    raw, headers = _signed(rnd.secret, {"status": "planned"})
    assert _callback("no-such-token", raw, headers).status_code == 404
    raw, headers = _signed(rnd.secret, {"status": "planned", "owner": "x"})
    assert _callback(link.callback_token, raw, headers).status_code == 422
    raw, headers = _signed(rnd.secret, {"external_url": "javascript:alert(1)"})
    assert _callback(link.callback_token, raw, headers).status_code == 422
    link.refresh_from_db()
    assert link.external_status == ""
