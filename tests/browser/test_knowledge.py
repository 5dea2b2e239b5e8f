"""Knowledge in the browser: an engineer writes a troubleshooting article with the editor's toolbar,
a reviewer approves it, and an agent drafts an article from a resolved ticket's knowledge panel."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from loopdesk.accounts.roles import Role
from loopdesk.accounts.services import create_user
from loopdesk.knowledge.models import Article
from loopdesk.tickets.models import Ticket
from loopdesk.tickets.services import create_ticket

pytestmark = pytest.mark.browser


def test_write_review_publish(world, open_session):
    reviewer = create_user(username="reviewer", password=world.password, display_name="审核员",
                           memberships=[(world.hq, Role.KNOWLEDGE_REVIEWER)])
    engineer = open_session(world.engineer, password=world.password)
    page = engineer.page
    page.goto("/knowledge/new/")
    page.fill("#id_title", "U8 登录提示未检测到加密锁")
    page.select_option("#id_type", "troubleshooting")
    expect(page.locator("#field-workaround")).to_be_hidden()
    page.fill("#id_symptom", "找不到加密锁")
    page.eval_on_selector("#id_symptom", "e => { e.focus(); e.setSelectionRange(0, e.value.length); }")
    page.locator("#field-symptom .kb-toolbar button[data-action=b]").click()
    page.fill("#id_resolution", "重装加密锁驱动")
    page.select_option("#id_audience", "public")
    engineer.screenshot("knowledge-form")
    page.click("#kb-save")
    expect(page.locator("#kb-content strong")).to_have_text("找不到加密锁")
    page.click("button[data-to=review]")
    expect(page.locator("#kb-status")).to_contain_text("审核")
    engineer.screenshot("knowledge-article")

    review = open_session(reviewer, password=world.password)
    review.page.goto("/knowledge/?view=review")
    review.screenshot("knowledge-review-queue")
    review.page.click("text=U8 登录提示未检测到加密锁")
    review.page.click("button[data-to=published]")
    expect(review.page.locator("#kb-status")).to_contain_text("已发布")
    assert Article.objects.get().status == "published"


def test_draft_from_a_resolved_ticket(world, open_session):
    ticket = create_ticket(actor=world.agent, company=world.acme, contact=world.acme_contact, asset=world.acme_asset,
                           title="凭证打印缺少模板", description="王小明反映打印凭证报错，电话 13912345678")
    Ticket.objects.filter(pk=ticket.pk).update(status="resolved", phase="resolved", is_open=False,
                                               resolution="重新导入打印模板")
    agent = open_session(world.agent, password=world.password)
    page = agent.page
    page.goto(f"/tickets/{ticket.pk}/")
    panel = page.locator("#panel-knowledge")
    expect(panel.locator("#kb-draft-from-ticket")).to_be_visible()
    panel.locator("#kb-draft-from-ticket").click()
    page.wait_for_url("**/knowledge/*/edit/")
    expect(page.locator("#id_title")).to_have_value("凭证打印缺少模板")
    symptom = page.locator("#id_symptom").input_value()
    assert "13912345678" not in symptom and "王小明" not in symptom and "打印凭证报错" in symptom
