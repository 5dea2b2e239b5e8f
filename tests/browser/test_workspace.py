"""The agent's ticket page beyond the loop: the edit form loads when opened and saves without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from loopdesk.tickets import services
from loopdesk.tickets.models import Event

pytestmark = pytest.mark.browser


def test_edit_fields_load_on_open_and_save(world, open_session):
    ticket = services.create_ticket(actor=world.agent, company=world.acme, title="报表导出乱码", description="导出 Excel 后中文乱码")
    agent = open_session(world.agent, password=world.password)
    page = agent.page
    page.goto(f"/tickets/{ticket.pk}/")
    expect(page.locator("#edit-form")).to_have_count(0)
    page.click("#edit-panel summary")
    expect(page.locator("#edit-form")).to_be_visible()
    page.select_option("#edit-form select[name=impact]", "1")
    page.select_option("#edit-form select[name=urgency]", "1")
    page.click("#edit-submit")
    expect(page.locator("#timeline")).to_contain_text("P1")
    ticket.refresh_from_db()
    assert ticket.priority == 1 and ticket.events.filter(kind=Event.Kind.CHANGED).exists()
