"""Garbage posted to every form of the UI gets a 4xx or a page with messages, never a 5xx, and
changes nothing (the API has its own, stricter tests and a schemathesis run, see docs/api.md)."""

from __future__ import annotations

import pytest

from loopdesk.core.models import AuditEvent
from loopdesk.customers.models import Company, Contact, Site
from loopdesk.tickets import services
from loopdesk.tickets.models import Comment, Event, Link, Ticket

GARBAGE = [
    {},
    {"to": "flying", "body": "", "resolution": "\x00", "kind": "eats", "number": "x" * 500},
    {"group": "abc", "assignee": "99999999999999999999", "partner": "-1", "category": "1.5", "impact": "9",
     "urgency": "", "priority": "P0", "type": "unknown", "channel": "pigeon", "contact": "0", "asset": "null"},
    {"name": "", "code": "", "org": "999999", "vip_level": "gold", "email": "not-an-email", "installed_on": "2026-02-30",
     "product_version": "x", "licences": "-3", "title": "", "description": "", "internal": "maybe"},
]


def _state():
    return (Ticket.objects.count(), Event.objects.count(), Comment.objects.count(), Link.objects.count(),
            Company.objects.count(), Contact.objects.count(), Site.objects.count(), AuditEvent.objects.count())


@pytest.fixture
def ticket(world):
    return services.create_ticket(actor=world.agent, company=world.acme, title="坏输入", description="d")


def test_staff_forms_refuse_garbage(world, client, ticket):
    client.force_login(world.manager)
    acme, contact = world.acme.pk, world.acme_contact.pk
    urls = [f"/tickets/{ticket.pk}/{a}/" for a in ("reply", "transition", "assign", "edit", "links", "merge")]
    urls += ["/tickets/new/", f"/customers/{acme}/edit/", f"/customers/{acme}/contacts/new/",
             f"/customers/{acme}/contacts/{contact}/edit/", f"/customers/{acme}/sites/new/",
             f"/customers/{acme}/assets/new/", "/imports/"]
    before = _state()
    for url in urls:
        for data in GARBAGE:
            for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                response = client.post(url, data, **headers)
                assert response.status_code < 500, (url, data, response.status_code)
    assert _state() == before


def test_portal_forms_refuse_garbage(world, client, ticket):
    client.force_login(world.customer)
    urls = ["/portal/new/"] + [f"/portal/{ticket.pk}/{a}/" for a in ("reply", "confirm", "reopen", "withdraw")]
    before = _state()
    for url in urls:
        for data in GARBAGE[:2] + [{"type": "problem", "asset": str(world.globex_asset.pk), "urgency": "0"}]:
            response = client.post(url, data)
            assert response.status_code < 500, (url, data, response.status_code)
    # A customer may withdraw a new request: that one changes state legitimately, so compare the rest.
    assert _state()[2:] == before[2:]


def test_queue_filters_refuse_garbage(world, client):
    client.force_login(world.agent)
    for query in ("?status=x&priority=P0&category=abc&group=-1&assignee=x&customer=9e9&sort=evil&cursor=%%%",
                  "?cf=nokey&q=" + "票" * 2000, "?tab=other&cursor=eyJ4IjoxfQ"):
        assert client.get("/tickets/" + query).status_code < 500, query
        assert client.get("/tickets/export.csv" + query).status_code < 500, query
    for query in ("?q=\x00", "?q=" + "1" * 300, "?org=x&vip=9&page=-1", "?page=abc"):
        assert client.get("/customers/" + query).status_code < 500, query
        assert client.get("/customers/search/" + query).status_code < 500, query


def test_nul_in_a_query_string_is_a_400(world, client):
    client.force_login(world.agent)
    assert client.get("/customers/search/?q=a%00b").status_code == 400
    response = client.get("/api/v1/tickets?q=%00")  # the API names the parameter itself
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
