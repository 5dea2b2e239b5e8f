"""The issue's closed loop, end to end in two browsers: a contact submits a request on the portal;
an agent sees it in the queue, replies and resolves it; the contact confirms; the ticket is closed
and its timeline shows every step.

The agent side uses the workspace's stable selectors: queue rows `tr[data-ticket-number]`, the status
badge `#ticket-status[data-status]`, `form#reply-form` (`textarea[name=body]`, `input[name=internal]`,
`#reply-submit`), `form#transition-form` with `textarea[name=resolution]` and one
`button[data-transition=<status>]` per allowed move, and `#timeline` with one `li` per entry.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from loopdesk.tickets.models import Event, Ticket

pytestmark = pytest.mark.browser


def test_request_goes_round_the_loop(world, open_session):
    # 1. The contact submits a request on the portal.
    contact = open_session(world.customer, password=world.password)
    cp = contact.page
    cp.goto("/portal/new/")
    cp.select_option("select[name=type]", "incident")
    cp.select_option("select[name=asset]", str(world.acme_asset.pk))
    cp.fill("input[name=title]", "凭证打印提示 340 没有注册类别")
    cp.fill("textarea[name=description]", "总账模块打印凭证时报错：340 没有注册类别，今天上午开始。")
    cp.select_option("select[name=urgency]", "1")
    cp.click("#submit-request")
    expect(cp.locator("#request-status")).to_have_attribute("data-status", "new")
    ticket = Ticket.objects.get()
    number = ticket.number
    assert ticket.channel == "portal" and ticket.company == world.acme

    # 2. The agent of the Beijing branch sees it in the queue and opens it.
    agent = open_session(world.agent, password=world.password)
    ap = agent.page
    ap.goto("/tickets/")
    row = ap.locator(f'tr[data-ticket-number="{number}"]')
    expect(row).to_be_visible()
    row.locator("a").first.click()
    expect(ap).to_have_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    expect(ap.locator("#ticket-status")).to_have_attribute("data-status", "new")

    # 3. An internal note (never shown to the contact) and a public reply.
    ap.fill("form#reply-form textarea[name=body]", "内部：疑似打印控件未注册，先远程看看")
    ap.check("form#reply-form input[name=internal]")
    ap.click("#reply-submit")
    expect(ap.locator("#timeline")).to_contain_text("疑似打印控件未注册")
    ap.fill("form#reply-form textarea[name=body]", "您好，请以管理员身份运行一次 U8 注册控件工具后再试。")
    if ap.locator("form#reply-form input[name=internal]").is_checked():
        ap.uncheck("form#reply-form input[name=internal]")
    ap.click("#reply-submit")
    expect(ap.locator("#timeline")).to_contain_text("请以管理员身份运行一次")

    # 4. The agent starts work, then resolves with a resolution.
    ap.click('button[data-transition="in_progress"]')
    expect(ap.locator("#ticket-status")).to_have_attribute("data-status", "in_progress")
    ap.fill("form#transition-form textarea[name=resolution]", "重新注册打印控件后凭证打印恢复正常。")
    ap.click('button[data-transition="resolved"]')
    expect(ap.locator("#ticket-status")).to_have_attribute("data-status", "resolved")
    agent.screenshot("agent-ticket-resolved")

    # 5. The contact sees the public reply and the resolution (not the internal note) and confirms.
    cp.goto(f"/portal/{ticket.pk}/")
    expect(cp.locator("#request-status")).to_have_attribute("data-status", "resolved")
    expect(cp.locator("#conversation")).to_contain_text("请以管理员身份运行一次")
    expect(cp.locator("#resolution")).to_contain_text("重新注册打印控件后凭证打印恢复正常")
    expect(cp.locator("body")).not_to_contain_text("疑似打印控件未注册")
    contact.screenshot("portal-loop-resolved")
    cp.click("#confirm-button")
    expect(cp.locator("#request-status")).to_have_attribute("data-status", "closed")
    expect(cp.locator("#conversation")).to_contain_text("解决方案已确认，请求已关闭")
    contact.screenshot("portal-loop-closed")

    # 6. The ticket is closed, and its timeline shows every step.
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.closed_at and not ticket.is_open
    statuses = [e.changes["status"][1] for e in ticket.events.filter(kind=Event.Kind.STATUS)]
    assert statuses == ["in_progress", "resolved", "closed"]
    ap.reload()
    expect(ap.locator("#ticket-status")).to_have_attribute("data-status", "closed")
    entries = ap.locator("#timeline > li")
    # created, internal note, public reply, three status changes
    assert entries.count() >= 6, entries.all_inner_texts()
    timeline = ap.locator("#timeline")
    for text in ("疑似打印控件未注册", "请以管理员身份运行一次", "重新注册打印控件后凭证打印恢复正常"):
        expect(timeline).to_contain_text(text)
    expect(ap.locator('#timeline li[data-event="status"]')).to_have_count(3)
    expect(ap.locator('#timeline li[data-event="created"]')).to_have_count(1)
    expect(ap.locator('#timeline li[data-kind="comment"]')).to_have_count(2)
    agent.screenshot("agent-ticket-closed")
