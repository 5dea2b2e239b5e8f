"""The ticket page's actions over htmx and plain POST: each works, records history, and on error
shows the message and changes nothing. Downloads follow the ticket's visibility."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from loopdesk.tickets import services
from loopdesk.tickets.choices import Status
from loopdesk.tickets.models import Attachment, Comment, Event, Link, Ticket

HX = {"HTTP_HX_REQUEST": "true"}
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def new_ticket(w, actor=None, company=None, **kw):
    kw.setdefault("title", "凭证打印不出来")
    kw.setdefault("description", "打印凭证时提示 340 没有注册类别")
    return services.create_ticket(actor=actor or w.agent, company=company or w.acme, **kw)


@pytest.fixture
def agent_client(client, world):
    client.force_login(world.agent)
    return client


@pytest.fixture
def ticket(world):
    return new_ticket(world)


def url(name, ticket, *args):
    return reverse(f"tickets:{name}", args=[ticket.pk, *args])


def test_reply_and_internal_note_with_files(agent_client, world, ticket):
    r = agent_client.post(url("reply", ticket), {"body": "请重启试试"}, **HX)
    assert r.status_code == 200
    html = r.content.decode()
    # Out-of-band panels: the timeline shows the reply, the reply form comes back empty.
    assert 'id="timeline-panel"' in html and 'hx-swap-oob="true"' in html and "请重启试试" in html
    assert 'id="reply-panel"' in html and 'id="ticket-header"' in html
    upload = SimpleUploadedFile("截图.png", PNG, content_type="image/png")
    agent_client.post(url("reply", ticket), {"body": "内部：疑似病毒", "internal": "on", "files": [upload]}, **HX)
    note = Comment.objects.get(body="内部：疑似病毒")
    assert note.internal and note.attachments.get().internal and note.attachments.get().name == "截图.png"
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds == ["created", "commented", "commented", "attached"]


def test_reply_errors_change_nothing(agent_client, world, ticket):
    r = agent_client.post(url("reply", ticket), {"body": "  "}, **HX)
    assert r.status_code == 200 and "errorlist" in r.content.decode()
    assert 'id="timeline-panel"' not in r.content.decode()  # only the acting panel comes back
    fake = SimpleUploadedFile("virus.png", b"MZ\x90\x00" + b"0" * 100)
    r = agent_client.post(url("reply", ticket), {"body": "带附件", "files": [fake]}, **HX)
    assert "请重启" not in r.content.decode() and 'value' in r.content.decode()
    assert "带附件" in r.content.decode()  # what was typed is kept
    assert not Comment.objects.exists() and not Attachment.objects.exists()
    assert ticket.events.count() == 1


def test_partner_may_not_write_internal_note_to_customer(client, world, ticket):
    client.force_login(world.executive)  # may read internal notes, but has no right to edit... only internal
    r = client.post(url("reply", ticket), {"body": "看一下", "internal": "on"}, **HX)
    assert r.status_code == 200 and Comment.objects.get().internal


def test_transitions_and_resolution(agent_client, world, ticket):
    r = agent_client.post(url("transition", ticket), {"to": "accepted"}, **HX)
    assert 'data-status="accepted"' in r.content.decode()
    r = agent_client.post(url("transition", ticket), {"to": "resolved"}, **HX)  # no resolution
    ticket.refresh_from_db()
    assert ticket.status == Status.ACCEPTED and "errorlist" in r.content.decode()
    r = agent_client.post(url("transition", ticket), {"to": "closed"}, **HX)  # not allowed now
    assert "msg-error" in r.content.decode()
    r = agent_client.post(url("transition", ticket), {"to": "resolved", "resolution": "打了补丁", "comment": "已修复"},
                          **HX)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and ticket.resolution == "打了补丁"
    html = r.content.decode()
    assert 'data-status="resolved"' in html and 'data-transition="closed"' in html and "已修复" in html
    assert list(ticket.events.filter(kind=Event.Kind.STATUS).values_list("changes", flat=True)) == [
        {"status": ["new", "accepted"]}, {"status": ["accepted", "resolved"]},
    ]


def test_plain_post_redirects_or_shows_errors(agent_client, world, ticket):
    r = agent_client.post(url("transition", ticket), {"to": "in_progress"})
    assert r.status_code == 302 and r["Location"] == url("detail", ticket)
    r = agent_client.post(url("transition", ticket), {"to": "resolved"})
    assert r.status_code == 422 and "<html" in r.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_assign_take_and_dispatch(agent_client, world, ticket):
    r = agent_client.post(url("assign", ticket), {"group": world.group.pk, "assignee": world.engineer.pk,
                                                  "partner": world.partner.pk}, **HX)
    ticket.refresh_from_db()
    assert (ticket.group, ticket.assignee, ticket.partner_org) == (world.group, world.engineer, world.partner)
    assert "北京一线" in r.content.decode()
    agent_client.post(url("assign", ticket), {"take": "1"}, **HX)
    ticket.refresh_from_db()
    assert ticket.assignee == world.agent and ticket.group == world.group
    assert ticket.events.filter(kind=Event.Kind.ASSIGNED).count() == 2
    # A customer contact cannot be assigned: the error shows, nothing changes.
    r = agent_client.post(url("assign", ticket), {"assignee": world.customer.pk}, **HX)
    ticket.refresh_from_db()
    assert ticket.assignee == world.agent and "errorlist" in r.content.decode()


def test_partner_agent_may_not_assign(client, world, ticket):
    services.assign_ticket(actor=world.agent, ticket=ticket, partner=world.partner)
    client.force_login(world.partner_agent)
    r = client.post(url("assign", ticket), {"take": "1"}, **HX)
    ticket.refresh_from_db()
    assert ticket.assignee is None and "msg-error" in r.content.decode()


def test_edit_fields(agent_client, world, ticket):
    from loopdesk.core.models import CustomField

    CustomField.objects.create(target="ticket", key="module", label="模块")
    data = {
        "title": "新标题", "description": "新描述", "type": "incident", "category": world.voucher.pk, "impact": 1,
        "urgency": 1, "priority": ticket.priority, "channel": "phone", "contact": world.acme_contact.pk,
        "asset": world.acme_asset.pk, "cf_module": "总账",
    }
    r = agent_client.post(url("edit", ticket), data, **HX)
    ticket.refresh_from_db()
    assert (ticket.title, ticket.priority, ticket.category, ticket.custom_fields) == (
        "新标题", 1, world.voucher, {"module": "总账"},
    )  # priority recomputed since it was not overridden
    assert "新标题" in r.content.decode()
    changed = ticket.events.get(kind=Event.Kind.CHANGED).changes
    assert changed["priority"] == [3, 1] and changed["contact"] == [None, world.acme_contact.pk]
    r = agent_client.post(url("edit", ticket), data | {"priority": 4}, **HX)
    ticket.refresh_from_db()
    assert ticket.priority == 4
    # Another customer's asset: refused, nothing changes.
    r = agent_client.post(url("edit", ticket), data | {"asset": world.globex_asset.pk, "title": "坏"}, **HX)
    ticket.refresh_from_db()
    assert ticket.title == "新标题" and "errorlist" in r.content.decode()


def test_links_and_unlink(agent_client, world, ticket):
    other = new_ticket(world)
    hidden = new_ticket(world, actor=world.sh_agent, company=world.globex)
    r = agent_client.post(url("link", ticket), {"link-number": other.number, "link-kind": "related"}, **HX)
    link = Link.objects.get()
    assert (link.source, link.target) == (ticket, other) and other.number in r.content.decode()
    r = agent_client.post(url("link", ticket), {"link-number": other.number, "link-kind": "related"}, **HX)
    assert "msg-error" in r.content.decode() and Link.objects.count() == 1  # already linked
    r = agent_client.post(url("link", ticket), {"link-number": hidden.number, "link-kind": "related"}, **HX)
    assert "errorlist" in r.content.decode() and Link.objects.count() == 1  # not visible: not found
    agent_client.post(url("unlink", ticket, link.pk), **HX)
    assert not Link.objects.exists()
    assert list(ticket.events.values_list("kind", flat=True)) == ["created", "linked", "unlinked"]


def test_merge(client, world, ticket):
    target = new_ticket(world)
    client.force_login(world.agent)  # agents may not merge
    r = client.post(url("merge", ticket), {"merge-number": target.number}, **HX)
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and "msg-error" in r.content.decode()
    client.force_login(world.manager)
    r = client.post(url("merge", ticket), {"merge-number": target.number}, **HX)
    ticket.refresh_from_db()
    assert ticket.merged_into == target and ticket.status == Status.CLOSED
    assert 'data-status="closed"' in r.content.decode()


def test_watch_and_unwatch(agent_client, world, ticket):
    r = agent_client.post(url("watch", ticket), {"watching": "1"}, **HX)
    assert world.agent in ticket.watchers.all() and 'data-watching="1"' in r.content.decode()
    agent_client.post(url("watch", ticket), {"watching": "0"}, **HX)
    assert world.agent not in ticket.watchers.all()
    assert ticket.events.filter(kind=Event.Kind.WATCHERS).count() == 2


@pytest.mark.parametrize("name", ["reply", "transition", "assign", "edit", "link", "merge", "watch"])
def test_actions_404_for_outsiders(client, world, ticket, name):
    for user in (world.other_customer, world.other_partner_agent, world.sh_agent, world.customer):
        client.force_login(user)
        assert client.post(url(name, ticket), {"body": "x", "to": "accepted"}, **HX).status_code == 404
    assert Ticket.objects.get().events.count() == 1


def test_attachment_download(client, world, ticket):
    public = services.add_attachment(actor=world.agent, ticket=ticket,
                                     upload=SimpleUploadedFile("发票 截图.png", PNG, content_type="image/png"))
    internal = services.add_attachment(actor=world.agent, ticket=ticket, internal=True,
                                       upload=SimpleUploadedFile("内部.png", PNG, content_type="image/png"))
    client.force_login(world.agent)
    r = client.get(reverse("tickets:attachment", args=[public.pk]))
    assert r.status_code == 200 and b"".join(r.streaming_content) == PNG
    assert r["Content-Type"] == "image/png"
    assert "filename*=utf-8''%E5%8F%91%E7%A5%A8%20%E6%88%AA%E5%9B%BE.png" in r["Content-Disposition"]
    assert client.get(reverse("tickets:attachment", args=[internal.pk])).status_code == 200
    client.force_login(world.customer)
    assert client.get(reverse("tickets:attachment", args=[public.pk])).status_code == 200
    assert client.get(reverse("tickets:attachment", args=[internal.pk])).status_code == 404
    for user in (world.other_customer, world.other_partner_agent, world.sh_agent):
        client.force_login(user)
        assert client.get(reverse("tickets:attachment", args=[public.pk])).status_code == 404
