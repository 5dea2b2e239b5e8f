"""Issue 5's browser test: an administrator adds the state "waiting for parts" to the work-order
workflow in the browser editor (watching the live preview), publishes it, and an engineer moves a
work order through the new state on the ticket page; the ticket's workflow diagram shows it.

Selectors: the editor `form#wf-editor` (blank rows `tr.wf-new-row` for a state and
`details.wf-new-row` for a transition), the preview `#wf-preview` (`#wf-valid` when there is no
problem), `#save-draft`, `#save-publish`, `#publish-button`; the diagram's `g[data-state]` boxes
(`.wf-current`, `.wf-visited`) and `g[data-from][data-to]` edges (`.wf-trail`); the ticket page's
`button[data-transition=<state>]`, `#ticket-status[data-status]` and the panel `#panel-workflow`.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from loopdesk.tickets.services import create_ticket
from loopdesk.workflows import services
from loopdesk.workflows.models import Workflow

pytestmark = pytest.mark.browser


def publish_without_parts(admin) -> None:
    """Start from a work-order workflow that has no "waiting_parts" state (the issue's situation)."""
    workflow = Workflow.objects.get(key="work_order")
    definition = services.published_of(workflow).definition
    if not any(s["key"] == "waiting_parts" for s in definition["states"]):
        return
    definition = {
        "states": [s for s in definition["states"] if s["key"] != "waiting_parts"],
        "transitions": [{**t, "from": [s for s in t["from"] if s != "waiting_parts"]}
                        for t in definition["transitions"] if t["to"] != "waiting_parts"],
    }
    version = services.create_draft(actor=admin, workflow=workflow, definition=definition)
    services.publish(actor=admin, version=version)


def test_admin_adds_waiting_for_parts_and_an_engineer_uses_it(world, open_session):
    publish_without_parts(world.admin)
    workflow = Workflow.objects.get(key="work_order")
    before = services.published_of(workflow)

    # 1. The administrator opens the work-order workflow and starts a draft.
    admin = open_session(world.admin, password=world.password)
    page = admin.page
    page.goto("/workflows/")
    page.click('tr[data-workflow="work_order"] a')
    expect(page).to_have_url(re.compile(r"/workflows/work_order/$"))
    expect(page.locator('#workflow-diagram g[data-state="in_progress"]')).to_have_count(1)
    expect(page.locator('#workflow-diagram g[data-state="waiting_parts"]')).to_have_count(0)
    page.click("#create-draft")
    expect(page).to_have_url(re.compile(r"/workflows/work_order/edit/$"))

    # 2. Adds the state: the preview draws it at once and says it cannot be reached yet.
    row = page.locator("tr.wf-new-row")
    row.locator('input[name$="-key"]').fill("waiting_parts")
    row.locator('input[name$="-zh"]').fill("等待备件")
    row.locator('input[name$="-en"]').fill("Waiting for parts")
    row.locator('select[name$="-phase"]').select_option("waiting")
    preview = page.locator("#wf-preview")
    expect(preview.locator('g[data-state="waiting_parts"]')).to_have_count(1)
    expect(preview.locator("#wf-problems")).to_contain_text("waiting_parts")
    page.click("#save-draft")
    expect(page.locator("#messages")).to_contain_text("草稿")

    # 3. Adds in_progress → waiting_parts → in_progress; the preview shows both edges and no problem.
    new_rows = page.locator("details.wf-new-row")
    first, second = new_rows.nth(0), new_rows.nth(1)
    first.locator('input[name$="-key"]').fill("wait_parts")
    first.locator('input[name$="-zh"]').fill("等待备件")
    first.locator('input[name$="-en"]').fill("Wait for parts")
    first.locator('input[name$="-from"][value="in_progress"]').check()
    first.locator('select[name$="-to"]').select_option("waiting_parts")
    expect(first.locator('input[name$="-roles"][value="engineer"]')).to_be_checked()
    second.locator('input[name$="-key"]').fill("parts_arrived")
    second.locator('input[name$="-zh"]').fill("备件到货")
    second.locator('input[name$="-en"]').fill("Parts arrived")
    second.locator('input[name$="-from"][value="waiting_parts"]').check()
    second.locator('select[name$="-to"]').select_option("in_progress")
    expect(preview.locator("#wf-valid")).to_be_visible()
    expect(preview.locator('g[data-from="in_progress"][data-to="waiting_parts"]')).to_have_count(1)
    expect(preview.locator('g[data-from="waiting_parts"][data-to="in_progress"]')).to_have_count(1)
    admin.screenshot("workflow-editor-preview")

    # 4. Saves and publishes (no open work order runs on the old version, so nothing to map).
    page.click("#save-publish")
    expect(page).to_have_url(re.compile(r"/workflows/work_order/publish/$"))
    page.click("#publish-button")
    expect(page).to_have_url(re.compile(r"/workflows/work_order/$"))
    expect(page.locator('#workflow-diagram g[data-state="waiting_parts"]')).to_have_count(1)
    admin.screenshot("workflow-published")
    current = services.published_of(workflow)
    assert current.number == before.number + 1
    assert "waiting_parts" in {s["key"] for s in current.definition["states"]}

    # 5. A work order created now runs on the new version; the engineer moves it through the new state.
    ticket = create_ticket(actor=world.agent, title="服务器主板更换", description="需要上门更换主板，备件待到货",
                           company=world.acme, asset=world.acme_asset, type="work_order", assignee=world.engineer)
    assert ticket.workflow_version_id == current.pk
    engineer = open_session(world.engineer, password=world.password)
    ep = engineer.page
    ep.goto(f"/tickets/{ticket.pk}/")
    diagram = ep.locator("#panel-workflow")
    expect(diagram.locator('g.wf-current[data-state="new"]')).to_have_count(1)
    for state in ("in_progress", "waiting_parts"):
        ep.click(f'button[data-transition="{state}"]')
        expect(ep.locator("#ticket-status")).to_have_attribute("data-status", state)
    expect(diagram.locator('g.wf-current[data-state="waiting_parts"]')).to_have_count(1)
    ep.click('button[data-transition="in_progress"]')
    expect(ep.locator("#ticket-status")).to_have_attribute("data-status", "in_progress")

    # 6. The ticket's diagram highlights the current state and traces the path through waiting_parts.
    expect(diagram.locator('g.wf-current[data-state="in_progress"]')).to_have_count(1)
    expect(diagram.locator('g.wf-visited[data-state="waiting_parts"]')).to_have_count(1)
    expect(diagram.locator('g.wf-trail[data-from="in_progress"][data-to="waiting_parts"]')).to_have_attribute(
        "data-steps", "2")
    expect(diagram.locator('g.wf-trail[data-from="waiting_parts"][data-to="in_progress"]')).to_have_attribute(
        "data-steps", "3")
    expect(diagram).to_contain_text("等待备件")
    engineer.screenshot("ticket-workflow-diagram")
