"""The staff ticket page follows the ticket's workflow: its states as buttons, the step's form fields,
labels from the version; the history shows state labels."""

from __future__ import annotations

import pytest
from django.urls import reverse

from loopdesk.tickets.models import Ticket
from loopdesk.tickets.services import create_ticket
from loopdesk.workflows import defaults, services
from loopdesk.workflows.models import Workflow

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def test_work_order_page_and_transition_with_form_fields(client, world):
    d = defaults.definition("work_order")
    for t in d["transitions"]:
        if t["key"] == "resolve":
            t["required"] = ["resolution", "responsibility"]
            t["form"] = ["resolution", "responsibility", "comment"]
    wf = Workflow.objects.get(key="work_order")
    services.publish(actor=world.admin, version=services.create_draft(actor=world.admin, workflow=wf, definition=d))
    ticket = create_ticket(actor=world.agent, title="上门更换硬盘", description="服务器硬盘告警", company=world.acme,
                           type="work_order")
    client.force_login(world.agent)
    html = client.get(reverse("tickets:detail", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for code in ("accepted", "dispatched", "in_progress", "resolved", "cancelled"):
        assert f'data-transition="{code}"' in html
    assert 'data-step="dispatch"' in html and "已派工" in html
    assert 'name="resolution"' in html and 'name="responsibility"' in html
    r = client.post(reverse("tickets:transition", args=[ticket.pk]), {"to": "dispatched"}, **HX)
    assert r.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == "dispatched" and ticket.phase == "working" and ticket.accepted_at
    # resolving needs the responsibility the step asks for; the refusal changes nothing
    r = client.post(reverse("tickets:transition", args=[ticket.pk]), {"to": "resolved", "resolution": "已更换"}, **HX)
    ticket.refresh_from_db()
    assert ticket.status == "dispatched"
    r = client.post(reverse("tickets:transition", args=[ticket.pk]),
                    {"to": "resolved", "resolution": "已更换", "responsibility": "environment"}, **HX)
    assert r.status_code == 200
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.status, ticket.responsibility, ticket.resolution) == ("resolved", "environment", "已更换")
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "已派工" in html  # the history names the state by its label
