"""Submitting a request, the public conversation and the contact's actions (plain POST and htmx)."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from loopdesk.core.models import CustomField
from loopdesk.tickets import services
from loopdesk.tickets.models import Attachment, Comment, Ticket

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HTMX = {"HTTP_HX_REQUEST": "true"}


def png(name="截图.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def new_request(world, **overrides):
    data = {
        "company": world.acme.pk, "type": "incident", "title": "凭证打印不出来",
        "description": "打印凭证时提示 340 没有注册类别", "urgency": "1", "asset": world.acme_asset.pk,
    }
    return {**data, **overrides}


def stored_files():
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- new request -----------------------------------------------------------------------------------


def test_new_request_form_offers_only_own_assets_and_portal_types(world, contact_client):
    page = contact_client.get(reverse("portal:new")).content.decode()
    assert "U8-0001" in page and "U8-0002" not in page
    assert 'value="incident"' in page and 'value="complaint"' in page and 'value="problem"' not in page
    assert '<select name="company"' not in page  # one company: nothing to choose


def test_submit_creates_the_request_with_files_and_goes_to_it(world, contact_client):
    response = contact_client.post(
        reverse("portal:new"), {**new_request(world), "attachments": [png("a.png"), png("b.png")]}
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("portal:detail", args=[ticket.pk])
    assert (ticket.company, ticket.asset, ticket.contact) == (world.acme, world.acme_asset, world.acme_contact)
    assert ticket.channel == "portal" and ticket.urgency == 1 and ticket.created_by == world.customer
    assert sorted(ticket.attachments.values_list("name", flat=True)) == ["a.png", "b.png"]
    assert not ticket.attachments.filter(internal=True).exists()
    page = contact_client.get(response["Location"]).content.decode()
    assert f"您的请求 {ticket.number} 已提交" in page and "a.png" in page


def test_submit_refused_changes_nothing(world, contact_client):
    response = contact_client.post(reverse("portal:new"), new_request(world, title="  "))
    assert response.status_code == 200 and Ticket.objects.count() == 0
    # Another company's asset is not among the choices.
    response = contact_client.post(reverse("portal:new"), new_request(world, asset=world.globex_asset.pk))
    assert response.context["form"].errors["asset"] and Ticket.objects.count() == 0


def test_a_refused_file_leaves_no_request_and_no_file(world, contact_client):
    bad = SimpleUploadedFile("setup.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = contact_client.post(reverse("portal:new"), {**new_request(world), "attachments": [png(), bad]})
    assert response.status_code == 200
    assert "attachments" in response.context["form"].errors
    assert Ticket.objects.count() == 0 and Attachment.objects.count() == 0
    assert stored_files() == []


def test_custom_fields_follow_the_type(world, contact_client):
    CustomField.objects.create(target="ticket", ticket_type="service_request", key="module", label="涉及模块",
                               kind="choice", choices=["总账", "工资"], required=True)
    CustomField.objects.create(target="ticket", key="callback", label="回电号码", kind="text")
    page = contact_client.get(reverse("portal:new")).content.decode()
    assert "回电号码" in page and "涉及模块" not in page
    fragment = contact_client.get(reverse("portal:new_fields"), {"type": "service_request"}, **HTMX)
    assert "涉及模块" in fragment.content.decode() and "回电号码" in fragment.content.decode()
    # Required and missing: the service names the field, the form shows it, nothing is created.
    response = contact_client.post(reverse("portal:new"), new_request(world, type="service_request"))
    assert response.context["form"].errors["cf_module"] and Ticket.objects.count() == 0
    response = contact_client.post(
        reverse("portal:new"), new_request(world, type="service_request", cf_module="工资", cf_callback="010-1")
    )
    assert response.status_code == 302
    assert Ticket.objects.get().custom_fields == {"module": "工资", "callback": "010-1"}


def test_contact_of_several_companies_submits_for_the_chosen_one(world, contact_client):
    from loopdesk.customers.services import create_contact

    create_contact(actor=world.admin, company=world.globex, name="王小明", user=world.customer)
    response = contact_client.post(
        reverse("portal:new"), new_request(world, company=world.globex.pk, asset=world.globex_asset.pk)
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.company == world.globex and ticket.owner_org == world.shanghai
    # An asset of the other company is refused by the service and shown on the field.
    response = contact_client.post(
        reverse("portal:new"), new_request(world, company=world.globex.pk, asset=world.acme_asset.pk)
    )
    assert response.context["form"].errors["asset"] and Ticket.objects.count() == 1


# --- the public conversation ------------------------------------------------------------------------


def test_detail_never_shows_internal_content(world, contact_client, make_ticket):
    ticket = make_ticket()
    services.add_comment(actor=world.agent, ticket=ticket, body="公开回复：请提供截图")
    services.add_comment(actor=world.agent, ticket=ticket, body="内部备注：客户欠费，先别上门", internal=True)
    note = Comment.objects.get(internal=True)
    services.add_attachment(actor=world.agent, ticket=ticket, upload=png("内部排查日志.png"), internal=True,
                            comment=note)
    services.add_attachment(actor=world.agent, ticket=ticket, upload=png("操作手册.png"))
    services.assign_ticket(actor=world.agent, ticket=ticket, group=world.group, assignee=world.engineer)
    services.set_watcher(actor=world.agent, ticket=ticket, user=world.engineer, watching=True)
    services.transition_ticket(actor=world.agent, ticket=ticket, to="in_progress")
    page = contact_client.get(reverse("portal:detail", args=[ticket.pk])).content.decode()
    assert "公开回复：请提供截图" in page and "操作手册.png" in page
    assert "服务团队正在处理" in page and "处理中" in page
    assert "内部备注" not in page and "客户欠费" not in page and "内部排查日志" not in page
    assert world.group.name not in page  # assignment is internal routing, not the customer's business
    # The htmx partial after an action obeys the same rule.
    partial = contact_client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "截图已补充"}, **HTMX)
    body = partial.content.decode()
    assert "截图已补充" in body and "客户欠费" not in body and "内部排查日志" not in body


def test_public_files_link_to_the_guarded_download(world, contact_client, make_ticket):
    ticket = make_ticket()
    attachment = services.add_attachment(actor=world.agent, ticket=ticket, upload=png("手册.png"))
    page = contact_client.get(reverse("portal:detail", args=[ticket.pk])).content.decode()
    try:
        url = reverse("tickets:attachment", args=[attachment.pk])
    except Exception:  # the workspace's download view is not installed: the name is shown unlinked
        url = None
    assert "手册.png" in page
    if url:
        assert f'href="{url}"' in page


# --- actions ---------------------------------------------------------------------------------------


def test_reply_plain_post_and_htmx(world, contact_client, make_ticket):
    ticket = make_ticket()
    response = contact_client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "补充：只有 A4 纸不行"})
    assert response.status_code == 302
    response = contact_client.post(
        reverse("portal:reply", args=[ticket.pk]), {"body": "再补充一张图", "attachments": [png("图.png")]}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'id="request-body"' in body and "<html" not in body
    assert 'hx-swap-oob="true"' in body and "您的回复已发送" in body
    comments = list(ticket.comments.values_list("body", flat=True))
    assert comments == ["补充：只有 A4 纸不行", "再补充一张图"]
    assert ticket.attachments.get().comment.body == "再补充一张图"


def test_empty_reply_is_refused_and_changes_nothing(world, contact_client, make_ticket):
    ticket = make_ticket()
    before = ticket.events.count()
    response = contact_client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "   "}, **HTMX)
    assert response.status_code == 200 and response.context["reply_form"].errors["body"]
    assert not ticket.comments.exists() and ticket.events.count() == before
    response = contact_client.post(reverse("portal:reply", args=[ticket.pk]), {"body": ""})
    assert response.status_code == 422 and not ticket.comments.exists()


def test_reply_resumes_a_ticket_waiting_for_the_customer(world, contact_client, make_ticket):
    ticket = make_ticket()
    services.transition_ticket(actor=world.agent, ticket=ticket, to="accepted")
    services.transition_ticket(actor=world.agent, ticket=ticket, to="waiting_customer")
    page = contact_client.get(reverse("portal:detail", args=[ticket.pk])).content.decode()
    assert "待您回复" in page
    contact_client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "日志见附件"})
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    page = contact_client.get(reverse("portal:detail", args=[ticket.pk])).content.decode()
    assert "收到您的回复，服务团队继续处理" in page


def test_confirm_closes_a_resolved_request(world, contact_client, resolved_ticket):
    page = contact_client.get(reverse("portal:detail", args=[resolved_ticket.pk])).content.decode()
    assert "重新注册打印控件后恢复正常" in page and 'id="confirm-button"' in page and 'id="reopen-form"' in page
    response = contact_client.post(reverse("portal:confirm", args=[resolved_ticket.pk]), **HTMX)
    resolved_ticket.refresh_from_db()
    assert resolved_ticket.status == "closed" and resolved_ticket.closed_at
    body = response.content.decode()
    assert 'data-status="closed"' in body and "感谢您的确认" in body and 'id="confirm-button"' not in body
    assert "解决方案已确认，请求已关闭" in body


def test_confirm_refused_when_not_resolved(world, contact_client, make_ticket):
    ticket = make_ticket()
    response = contact_client.post(reverse("portal:confirm", args=[ticket.pk]), follow=False)
    assert response.status_code == 422
    assert "只有已解决的请求才能确认" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_reopen_needs_a_reason(world, contact_client, resolved_ticket):
    response = contact_client.post(reverse("portal:reopen", args=[resolved_ticket.pk]), {"reason": " "}, **HTMX)
    assert "请说明还有什么问题没有解决" in response.content.decode()
    assert 'id="reopen-panel" open' in response.content.decode()  # the form stays open with its error
    resolved_ticket.refresh_from_db()
    assert resolved_ticket.status == "resolved"
    response = contact_client.post(reverse("portal:reopen", args=[resolved_ticket.pk]), {"reason": "换了打印机又不行了"})
    assert response.status_code == 302
    resolved_ticket.refresh_from_db()
    assert resolved_ticket.status == "in_progress" and resolved_ticket.resolved_at is None
    page = contact_client.get(reverse("portal:detail", args=[resolved_ticket.pk])).content.decode()
    assert "请求已重新打开" in page and "换了打印机又不行了" in page


@override_settings(LOOPDESK_REOPEN_WINDOW_DAYS=3)
def test_reopen_only_within_the_window(world, contact_client, make_ticket):
    ticket = make_ticket()
    long_ago = timezone.now() - datetime.timedelta(days=4)
    services.transition_ticket(actor=world.agent, ticket=ticket, to="resolved", resolution="已处理", now=long_ago)
    page = contact_client.get(reverse("portal:detail", args=[ticket.pk])).content.decode()
    assert 'id="reopen-form"' not in page and 'id="confirm-button"' in page
    response = contact_client.post(reverse("portal:reopen", args=[ticket.pk]), {"reason": "还是不行"})
    assert response.status_code == 422
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and not ticket.comments.exists()


def test_closed_request_can_be_reopened_within_the_window(world, contact_client, resolved_ticket):
    services.transition_ticket(actor=world.customer, ticket=resolved_ticket, to="closed")
    page = contact_client.get(reverse("portal:detail", args=[resolved_ticket.pk])).content.decode()
    assert 'id="reopen-form"' in page and 'id="portal-reply-form"' not in page
    contact_client.post(reverse("portal:reopen", args=[resolved_ticket.pk]), {"reason": "又出现了"})
    resolved_ticket.refresh_from_db()
    assert resolved_ticket.status == "in_progress"


def test_withdraw_a_request_nobody_started(world, contact_client, make_ticket):
    ticket = make_ticket(actor=world.customer)
    page = contact_client.get(reverse("portal:detail", args=[ticket.pk])).content.decode()
    assert 'id="withdraw-form"' in page
    response = contact_client.post(reverse("portal:withdraw", args=[ticket.pk]), {"reason": "自己解决了"}, **HTMX)
    ticket.refresh_from_db()
    assert ticket.status == "cancelled"
    body = response.content.decode()
    assert "请求已撤销" in body and 'id="portal-reply-form"' not in body and "自己解决了" in body


def test_withdraw_refused_once_work_started(world, contact_client, make_ticket):
    ticket = make_ticket()
    services.transition_ticket(actor=world.agent, ticket=ticket, to="in_progress")
    page = contact_client.get(reverse("portal:detail", args=[ticket.pk])).content.decode()
    assert 'id="withdraw-form"' not in page
    response = contact_client.post(reverse("portal:withdraw", args=[ticket.pk]), {"reason": ""}, **HTMX)
    assert response.status_code == 200 and "msg-error" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def test_actions_need_post(world, contact_client, make_ticket):
    ticket = make_ticket()
    for action in ("reply", "confirm", "reopen", "withdraw"):
        assert contact_client.get(reverse(f"portal:{action}", args=[ticket.pk])).status_code == 405


def test_merged_and_auto_closed_requests_explain_themselves(world, contact_client, make_ticket):
    duplicate, original = make_ticket(title="重复提交"), make_ticket(title="原始请求")
    services.merge_tickets(actor=world.manager, source=duplicate, target=original)
    page = contact_client.get(reverse("portal:detail", args=[duplicate.pk])).content.decode()
    assert f"本请求已合并到请求 {original.number}" in page
    assert reverse("portal:detail", args=[original.pk]) in page
    page = contact_client.get(reverse("portal:detail", args=[original.pk])).content.decode()
    assert f"请求 {duplicate.number} 已合并到本请求" in page
    assert f"{duplicate.number}: 重复提交" not in page  # the merge's internal note stays internal

    resolved = make_ticket(title="无人回复")
    long_ago = timezone.now() - datetime.timedelta(days=settings.LOOPDESK_AUTO_CLOSE_DAYS + 1)
    services.transition_ticket(actor=world.agent, ticket=resolved, to="resolved", resolution="已处理", now=long_ago)
    assert services.auto_close_resolved() == 1
    page = contact_client.get(reverse("portal:detail", args=[resolved.pk])).content.decode()
    assert "已自动关闭" in page and 'data-status="closed"' in page
