"""The customer portal in a real browser: submit, follow, confirm; language switch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from loopdesk.tickets import services
from loopdesk.tickets.models import Ticket

pytestmark = pytest.mark.browser


def test_contact_submits_replies_and_withdraws(world, open_session):
    contact = open_session(world.customer, password=world.password)
    page = contact.page
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/portal/$"))  # home sends a contact to the portal
    contact.screenshot("portal-home-empty")
    page.click("#new-request")
    page.select_option("select[name=type]", "consultation")
    page.select_option("select[name=asset]", str(world.acme_asset.pk))
    page.fill("input[name=title]", "年结后如何重新计算成本？")
    page.fill("textarea[name=description]", "年结完成后发现存货成本有误，想知道能否重新计算。")
    page.select_option("select[name=urgency]", "3")
    page.set_input_files("input[name=attachments]", files=[
        {"name": "成本报表.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64},
    ])
    contact.screenshot("portal-new")
    page.click("#submit-request")
    expect(page.locator("#request-status")).to_have_attribute("data-status", "new")
    ticket = Ticket.objects.get()
    assert ticket.type == "consultation" and ticket.asset == world.acme_asset and ticket.urgency == 3
    expect(page.locator("#messages")).to_contain_text(ticket.number)
    expect(page.locator("#conversation")).to_contain_text("成本报表.png")

    # A reply goes through htmx: the page is not reloaded (the marker set on window survives).
    page.evaluate("window.__noReload = true")
    page.fill("#portal-reply-form textarea[name=body]", "补充：涉及 2025 年度的全部仓库。")
    page.click("#portal-reply-submit")
    expect(page.locator("#conversation")).to_contain_text("涉及 2025 年度的全部仓库")
    expect(page.locator("#messages")).to_contain_text("您的回复已发送")
    assert page.evaluate("window.__noReload") is True
    expect(page.locator("#portal-reply-form textarea[name=body]")).to_have_value("")

    # An empty reply is refused with a message, nothing changes.
    page.click("#portal-reply-submit")
    expect(page.locator("#portal-reply-form .errorlist")).to_be_visible()
    assert ticket.comments.count() == 1
    contact.screenshot("portal-detail")

    page.click("#withdraw-panel summary")
    page.fill("#withdraw-form textarea[name=reason]", "已经找到操作手册")
    page.click("#withdraw-button")
    expect(page.locator("#request-status")).to_have_attribute("data-status", "cancelled")
    expect(page.locator("#portal-reply-form")).to_have_count(0)
    assert page.evaluate("window.__noReload") is True

    page.goto("/portal/?state=finished")
    expect(page.locator(f'tr[data-ticket-number="{ticket.number}"]')).to_contain_text("已撤销")
    contact.screenshot("portal-home")


def test_contact_reopens_with_a_reason_and_never_sees_internal_notes(world, open_session):
    ticket = services.create_ticket(actor=world.customer, company=world.acme, title="凭证打印空白",
                                    description="打印预览正常，打印出来是空白页")
    services.add_comment(actor=world.agent, ticket=ticket, body="内部：怀疑是驱动问题", internal=True)
    services.add_comment(actor=world.agent, ticket=ticket, body="请更新打印驱动后再试。")
    services.transition_ticket(actor=world.agent, ticket=ticket, to="resolved", resolution="更新打印驱动")
    contact = open_session(world.customer, password=world.password)
    page = contact.page
    page.goto(f"/portal/{ticket.pk}/")
    expect(page.locator("#resolution")).to_contain_text("更新打印驱动")
    expect(page.locator("#conversation")).to_contain_text("请更新打印驱动后再试")
    expect(page.locator("body")).not_to_contain_text("怀疑是驱动问题")
    contact.screenshot("portal-resolved")
    page.click("#reopen-toggle")
    page.fill("#reopen-form textarea[name=reason]", "更新驱动后仍然是空白页")
    page.click("#reopen-button")
    expect(page.locator("#request-status")).to_have_attribute("data-status", "in_progress")
    expect(page.locator("#conversation")).to_contain_text("更新驱动后仍然是空白页")
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def test_custom_fields_follow_the_type_and_search_filters(world, open_session):
    from loopdesk.core.models import CustomField

    CustomField.objects.create(target="ticket", ticket_type="service_request", key="module", label="涉及模块",
                               kind="choice", choices=["总账", "工资"], required=True)
    services.create_ticket(actor=world.agent, company=world.acme, title="工资表导出乱码", description="导出 Excel 乱码")
    contact = open_session(world.customer, password=world.password)
    page = contact.page
    page.goto("/portal/new/")
    expect(page.locator("select[name=cf_module]")).to_have_count(0)
    page.select_option("select[name=type]", "service_request")  # htmx fetches this type's fields
    expect(page.locator("select[name=cf_module]")).to_be_visible()
    page.fill("input[name=title]", "申请增加一个工资类别")
    page.fill("textarea[name=description]", "新成立的分公司需要单独的工资类别。")
    page.select_option("select[name=cf_module]", "工资")
    page.click("#submit-request")
    expect(page.locator("#request-status")).to_have_attribute("data-status", "new")
    assert Ticket.objects.get(title="申请增加一个工资类别").custom_fields == {"module": "工资"}

    page.goto("/portal/")
    expect(page.locator("tr[data-ticket-number]")).to_have_count(2)
    page.fill("input[name=q]", "乱码")  # the list narrows as the contact types, without a reload
    expect(page.locator("tr[data-ticket-number]")).to_have_count(1)
    expect(page.locator("#request-list")).to_contain_text("工资表导出乱码")
    expect(page).to_have_url(re.compile(r"q=%E4%B9%B1%E7%A0%81|q=乱码"))


def test_language_switch_changes_the_portal(world, open_session):
    ticket = services.create_ticket(actor=world.customer, company=world.acme, title="Voucher printing fails",
                                    description="Error 340 when printing vouchers.")
    services.add_comment(actor=world.agent, ticket=ticket, body="Please run the U8 control registration tool.")
    contact = open_session(world.customer, password=world.password)
    page = contact.page
    page.goto("/portal/")
    expect(page.locator("h1")).to_have_text("我的请求")
    with page.expect_navigation():
        page.select_option(".langswitch select[name=language]", "en")
    expect(page.locator("h1")).to_have_text("My requests")
    expect(page.locator("#new-request")).to_have_text("Submit a request")
    contact.screenshot("portal-home-en")
    page.goto(f"/portal/{ticket.pk}/")
    expect(page.locator("#request-status")).to_have_text("Received, waiting to be accepted")
    contact.screenshot("portal-detail-en")
    page.goto("/portal/new/")
    contact.screenshot("portal-new-en")
    expect(page.locator("h1")).to_have_text("Submit a request")
    with page.expect_navigation():
        page.select_option(".langswitch select[name=language]", "zh-hans")
    expect(page.locator("h1")).to_have_text("提交请求")  # back in Chinese, on the same page
    expect(page.locator("label[for=id_urgency]")).to_contain_text("紧急程度")
