"""The request page shows the customer what their SLA promises: targets met, missed, due or paused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from loopdesk.core.caches import clear_all
from loopdesk.portal.queries import service_levels
from loopdesk.sla.models import Policy
from loopdesk.sla.tests.clockkit import policy_24x7
from loopdesk.tickets import services

pytestmark = pytest.mark.django_db


def test_the_request_page_shows_its_sla_targets_and_never_an_ola(world, contact_client, make_ticket):
    policy_24x7()
    policy_24x7(name="一线 OLA", kind="ola", party="group", targets={("resolution", None): 30})
    ticket = make_ticket(group=world.group)
    before = {p.metric: p.state for p in service_levels(ticket)}
    assert before == {"first_response": "due", "resolution": "due"}  # next update is the team's, not shown

    services.add_comment(actor=world.agent, ticket=ticket, body="您好，我们正在处理。")
    after = {p.metric: p.state for p in service_levels(ticket)}
    assert after["first_response"] == "met"

    html = contact_client.get(reverse("portal:detail", args=[ticket.pk])).content.decode()
    assert "您的服务级别" in html
    assert 'data-metric="first_response" data-state="met"' in html
    assert 'data-metric="resolution" data-state="due"' in html
    assert "一线 OLA" not in html and html.count("data-metric=") == 2


def test_no_card_without_an_sla(world, contact_client, make_ticket):
    Policy.objects.update(active=False)
    clear_all()  # the active policies are remembered per process
    ticket = make_ticket()
    assert service_levels(ticket) == []
    assert 'id="service-levels"' not in contact_client.get(reverse("portal:detail", args=[ticket.pk])).content.decode()
