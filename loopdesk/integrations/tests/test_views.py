"""The webhook pages and the ticket panel "Linked systems"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from loopdesk.integrations import services
from loopdesk.integrations.models import Delivery, Endpoint, ExternalLink

from .test_delivery import make_ticket


def login(client, world, who):
    assert client.login(username=getattr(world, who).username, password=world.password)
    return client


@pytest.fixture
def rnd(world):
    return services.create_endpoint(actor=world.admin, name="研发缺陷系统", kind="rnd", url="http://127.0.0.1:9/rnd")


def test_pages_need_integration_admin(client, world, rnd):
    url = reverse("integrations:list")
    assert login(client, world, "agent").get(url).status_code == 403
    client.logout()
    assert login(client, world, "customer").get(url).status_code == 404
    client.logout()
    page = login(client, world, "admin").get(url)
    assert page.status_code == 200 and "研发缺陷系统" in page.content.decode()


def test_create_shows_the_secret_once(client, world):
    login(client, world, "admin")
    response = client.post(reverse("integrations:endpoint_add"), {
        "name": "CRM", "kind": "lead_to_cash", "url": "https://crm.example/hook",
        "events": ["opportunity.requested"], "active": "on", "timeout": 10, "max_attempts": 8})
    assert response.status_code == 200, response.content
    endpoint = Endpoint.objects.get()
    assert endpoint.secret in response.content.decode()
    assert endpoint.secret not in client.get(reverse("integrations:endpoint", args=[endpoint.pk])).content.decode()
    rotated = client.post(reverse("integrations:endpoint_rotate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret in rotated.content.decode()


def test_bad_endpoint_form_changes_nothing(client, world):
    login(client, world, "admin")
    response = client.post(reverse("integrations:endpoint_add"), {
        "name": "CRM", "kind": "generic", "url": "ftp://x", "timeout": 10, "max_attempts": 8})
    assert response.status_code == 422 and not Endpoint.objects.exists()


def test_delivery_page_and_redeliver(client, world, rnd):
    ticket = make_ticket(world)
    delivery = services.send(endpoint=rnd, event="defect.requested", ticket=ticket)
    Delivery.objects.filter(pk=delivery.pk).update(status="dead", next_attempt_at=None, attempts=8)
    login(client, world, "admin")
    page = client.get(reverse("integrations:delivery", args=[delivery.pk]))
    assert page.status_code == 200 and ticket.number in page.content.decode()
    assert client.post(reverse("integrations:redeliver", args=[delivery.pk])).status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 0


def test_ticket_panel_is_scoped(client, world, rnd):
    ticket = make_ticket(world)
    url = reverse("integrations:ticket_panel", args=[ticket.pk])
    for who in ("sh_agent", "customer", "partner_agent"):
        assert login(client, world, who).get(url).status_code == 404, who
        assert client.post(reverse("integrations:ticket_raise", args=[ticket.pk]), {"kind": "defect"}).status_code == 404
        client.logout()
    assert not ExternalLink.objects.exists()
    panel = login(client, world, "agent").get(url)
    assert panel.status_code == 200 and 'id="raise-external"' in panel.content.decode()


def test_raise_from_the_panel(client, world, rnd):
    ticket = make_ticket(world)
    login(client, world, "agent")
    response = client.post(reverse("integrations:ticket_raise", args=[ticket.pk]),
                           {"kind": "defect", "note": "凭证打印崩溃"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    link = ExternalLink.objects.get()
    assert link.kind == "defect" and link.note == "凭证打印崩溃" and link.endpoint == rnd
    assert "研发缺陷系统" in response.content.decode()
    # Opportunities have no endpoint: the choice is not offered and a forged post is refused.
    refused = client.post(reverse("integrations:ticket_raise", args=[ticket.pk]), {"kind": "opportunity"},
                          HTTP_HX_REQUEST="true")
    assert refused.status_code == 200 and ExternalLink.objects.count() == 1
