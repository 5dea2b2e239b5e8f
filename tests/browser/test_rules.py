"""Automation rules in the browser: an administrator writes a rule, sees errors with their paths while
typing, saves it; a new ticket whose title matches is classified and shows the rule on its timeline;
the agent who gets the rule's notification sees the unread badge and the inbox."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from loopdesk.rules.models import Rule
from loopdesk.tickets import services

pytestmark = pytest.mark.browser


def test_write_a_rule_and_see_it_act(world, open_session):
    admin = open_session(world.admin, password=world.password)
    page = admin.page
    page.goto("/rules/new/")
    page.fill("input[name=name]", "打印问题归类")
    page.select_option("select[name=trigger]", "created")
    page.fill("textarea[name=conditions]", json.dumps({"field": "ticket.title", "op": "containz", "value": "打印"}))
    page.fill("textarea[name=actions]", "[]")
    page.locator("textarea[name=actions]").press("End")  # a keyup: live validation
    errors = page.locator("#rule-errors")
    expect(errors).to_contain_text("conditions.op")
    expect(errors).to_contain_text("actions")
    page.fill("textarea[name=conditions]", json.dumps({"field": "ticket.title", "op": "contains", "value": "打印"}))
    page.fill("textarea[name=actions]", json.dumps([
        {"type": "classify", "map": [{"keywords": ["打印"], "category": world.voucher.pk}]},
        {"type": "notify", "to": "user", "user": world.agent.pk, "subject": "{number} 已自动归类"},
    ], ensure_ascii=False))
    page.locator("textarea[name=actions]").press("End")
    expect(errors).to_contain_text("规则有效")
    with page.expect_navigation():
        page.click("button.primary[type=submit]")
    expect(page.locator("main")).to_contain_text("打印问题归类")
    assert Rule.objects.get().trigger == "created"

    ticket = services.create_ticket(actor=world.agent, company=world.acme, title="凭证打印不出来",
                                    description="打印凭证时报错")
    agent = open_session(world.agent, password=world.password)
    agent.page.goto(f"/tickets/{ticket.pk}/")
    expect(agent.page.locator("main")).to_contain_text("凭证打印")
    expect(agent.page.locator(".notif-count")).to_have_text("1")
    agent.page.click(".notif-link")
    expect(agent.page.locator("main")).to_contain_text(f"{ticket.number} 已自动归类")

    page.goto(f"/rules/dry-run/?numbers={ticket.number}")
    expect(page.locator(".dry-run-ticket")).to_contain_text("打印问题归类")
    admin.screenshot("rules-dry-run")
