"""Service levels in the browser: a gold customer's urgent incident shows its clocks with bars; while
the ticket waits for the customer the resolution clock is paused and its bar stands still."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from loopdesk.catalog.models import Contract
from loopdesk.sla.models import Clock
from loopdesk.sla.tests.clockkit import policy_24x7
from loopdesk.tickets import services

pytestmark = pytest.mark.browser

RESOLUTION = '#panel-sla [data-clock-metric="resolution"][data-clock-kind="sla"]'


def bar_width(page) -> float:
    """The resolution bar's width in percent, after the panel was fetched afresh from the server."""
    with page.expect_response(lambda r: "/clocks/" in r.url):
        page.evaluate("htmx.trigger(document.body, 'ticket-changed')")
    page.wait_for_timeout(200)  # let htmx swap the fragment in
    return float(page.locator(f"{RESOLUTION} .sla-bar > span").evaluate("e => e.style.width").rstrip("%"))


def test_gold_urgent_incident_clocks_pause_for_the_customer(world, open_session):
    today = timezone.localdate()
    Contract.objects.create(company=world.acme, number="HT-GOLD", level="gold",
                            starts_on=today - dt.timedelta(days=10), ends_on=today + dt.timedelta(days=300))
    # A gold P1 policy round the clock with a 2-minute resolution target, so the bar visibly moves in seconds.
    policy_24x7(name="金牌 P1 演示", contract_levels=["gold"], priorities=[1],
                targets={("first_response", None): 1, ("resolution", None): 2})
    ticket = services.create_ticket(actor=world.agent, company=world.acme, contact=world.acme_contact,
                                    title="总账全部用户无法登录", description="今天上午开始所有用户登录报错",
                                    impact=1, urgency=1)
    assert ticket.priority == 1

    agent = open_session(world.agent, password=world.password)
    page = agent.page
    page.goto(f"/tickets/{ticket.pk}/")
    panel = page.locator("#panel-sla")
    expect(panel.locator("h2")).to_have_count(1)
    expect(panel.locator('[data-clock-metric="first_response"]')).to_be_visible()
    expect(page.locator(RESOLUTION)).to_have_attribute("data-state", "running")
    expect(panel).to_contain_text("金牌 P1 演示")
    assert panel.locator(".sla-bar > span").count() >= 2

    first = bar_width(page)
    page.wait_for_timeout(2500)
    assert bar_width(page) > first  # running: the bar grows
    agent.screenshot("sla-running")

    page.click('button[data-transition="in_progress"]')
    expect(page.locator("#ticket-status")).to_have_attribute("data-status", "in_progress")
    page.click('button[data-transition="waiting_customer"]')
    expect(page.locator("#ticket-status")).to_have_attribute("data-status", "waiting_customer")
    expect(page.locator(RESOLUTION)).to_have_attribute("data-state", "paused")
    expect(page.locator(f"{RESOLUTION} .badge")).to_have_class("badge clock-paused")

    paused = bar_width(page)
    page.wait_for_timeout(2500)
    assert bar_width(page) == paused  # paused: the bar stands still
    agent.screenshot("sla-paused")

    page.click('button[data-transition="in_progress"]')
    expect(page.locator("#ticket-status")).to_have_attribute("data-status", "in_progress")
    expect(page.locator(RESOLUTION)).to_have_attribute("data-state", "running")
    resumed = bar_width(page)
    page.wait_for_timeout(2500)
    assert bar_width(page) > resumed >= paused  # running again
    assert Clock.objects.get(ticket=ticket, metric="resolution", kind="sla", current=True).state == "running"

    # The queue sorted by time to breach shows it first with an amber badge; the overview lists it.
    page.goto("/tickets/?sort=due")
    row = page.locator(f'tr[data-ticket-number="{ticket.number}"]')
    expect(row.locator(".ttb")).to_be_visible()
    assert page.locator("tr[data-ticket-number]").first.get_attribute("data-ticket-number") == ticket.number
    agent.screenshot("sla-queue")
    page.goto("/sla/")
    expect(page.locator(f'#soon-list tr[data-ticket-number="{ticket.number}"], '
                        f'#breached-list tr[data-ticket-number="{ticket.number}"]')).to_have_count(1)
    agent.screenshot("sla-overview")
