import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from loopdesk.core.errors import Forbidden, ValidationFailed
from loopdesk.tickets import services
from loopdesk.tickets.choices import Status
from loopdesk.tickets.models import Event, Ticket


def new_ticket(w, actor=None, **kw):
    kw.setdefault("title", "凭证打印不出来")
    kw.setdefault("description", "打印凭证时提示 340 没有注册类别")
    return services.create_ticket(actor=actor or w.agent, company=w.acme, **kw)


def test_create_numbers_and_prioritises(world):
    t = new_ticket(world, impact=1, urgency=1)
    assert t.priority == 1 and t.status == Status.NEW and t.is_open
    assert t.owner_org == world.beijing
    assert len(t.number) == 13
    t2 = new_ticket(world)
    assert int(t2.number[-5:]) == int(t.number[-5:]) + 1
    assert t.events.get().kind == Event.Kind.CREATED


def test_customer_creates_for_own_company_only(world):
    t = services.create_ticket(actor=world.customer, company=world.acme, title="x", description="y")
    assert t.contact == world.acme_contact and t.channel == "portal"
    with pytest.raises(Forbidden):
        services.create_ticket(actor=world.customer, company=world.globex, title="x", description="y")
    with pytest.raises(ValidationFailed) as err:
        services.create_ticket(actor=world.customer, company=world.acme, title="x", description="y",
                               assignee=world.agent)
    assert "assignee" in err.value.fields


def test_bad_input_changes_nothing(world):
    with pytest.raises(ValidationFailed) as err:
        new_ticket(world, title="", impact=9, asset=world.globex_asset)
    assert set(err.value.fields) >= {"title", "impact", "asset_id"}
    assert Ticket.objects.count() == 0


def test_closed_loop_with_customer_confirmation(world):
    t = new_ticket(world)
    for to in (Status.ACCEPTED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER):
        t = services.transition_ticket(actor=world.agent, ticket=t, to=to)
    services.add_comment(actor=world.customer, ticket=t, body="补充了截图")
    t.refresh_from_db()
    assert t.status == Status.IN_PROGRESS  # the customer's reply resumes the ticket
    with pytest.raises(ValidationFailed):
        services.transition_ticket(actor=world.agent, ticket=t, to=Status.RESOLVED)  # no resolution
    t = services.transition_ticket(actor=world.agent, ticket=t, to=Status.RESOLVED, resolution="查杀病毒并打补丁")
    t = services.transition_ticket(actor=world.customer, ticket=t, to=Status.CLOSED)
    assert t.status == Status.CLOSED and not t.is_open and t.closed_at
    statuses = [e.changes["status"][1] for e in t.events.filter(kind=Event.Kind.STATUS)]
    assert statuses == ["accepted", "in_progress", "waiting_customer", "in_progress", "resolved", "closed"]


def test_invalid_transition_refused(world):
    t = new_ticket(world)
    with pytest.raises(ValidationFailed):
        services.transition_ticket(actor=world.agent, ticket=t, to=Status.CLOSED)
    with pytest.raises(ValidationFailed):
        services.transition_ticket(actor=world.customer, ticket=t, to=Status.RESOLVED)
    t.refresh_from_db()
    assert t.status == Status.NEW


@override_settings(LOOPDESK_REOPEN_WINDOW_DAYS=3)
def test_customer_reopens_only_within_window(world):
    t = new_ticket(world)
    now = timezone.now()
    t = services.transition_ticket(actor=world.agent, ticket=t, to=Status.RESOLVED, resolution="ok", now=now)
    later = now + datetime.timedelta(days=4)
    with pytest.raises(ValidationFailed):
        services.transition_ticket(actor=world.customer, ticket=t, to=Status.IN_PROGRESS, now=later)
    t = services.transition_ticket(actor=world.customer, ticket=t, to=Status.IN_PROGRESS,
                                   now=now + datetime.timedelta(days=1), comment="还是不行")
    assert t.status == Status.IN_PROGRESS and t.resolved_at is None
    assert t.comments.get().body == "还是不行"


@override_settings(LOOPDESK_AUTO_CLOSE_DAYS=7)
def test_auto_close_after_quiet_period(world):
    old, fresh = new_ticket(world), new_ticket(world)
    long_ago = timezone.now() - datetime.timedelta(days=8)
    services.transition_ticket(actor=world.agent, ticket=old, to=Status.RESOLVED, resolution="ok", now=long_ago)
    services.transition_ticket(actor=world.agent, ticket=fresh, to=Status.RESOLVED, resolution="ok")
    assert services.auto_close_resolved() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == Status.CLOSED and fresh.status == Status.RESOLVED
    assert old.events.last().data == {"reason": "auto_close"}


def test_internal_notes_are_staff_only(world):
    t = new_ticket(world)
    services.add_comment(actor=world.agent, ticket=t, body="内部：疑似病毒", internal=True)
    with pytest.raises(Forbidden):
        services.add_comment(actor=world.customer, ticket=t, body="x", internal=True)


def test_update_recomputes_priority_and_records_changes(world):
    t = new_ticket(world)
    t = services.update_ticket(actor=world.agent, ticket=t, impact=1, urgency=1, category=world.voucher)
    assert t.priority == 1
    ev = t.events.filter(kind=Event.Kind.CHANGED).get()
    assert ev.changes["priority"] == [3, 1] and ev.changes["category"] == [None, world.voucher.pk]
    with pytest.raises(Forbidden):
        services.update_ticket(actor=world.customer, ticket=t, title="mine")


def test_dispatch_to_partner_lets_partner_see_ticket_and_customer(world):
    from loopdesk.customers.models import Company

    t = new_ticket(world)
    assert not Ticket.objects.visible_to(world.partner_agent).exists()
    services.assign_ticket(actor=world.agent, ticket=t, partner=world.partner, group=world.group)
    assert list(Ticket.objects.visible_to(world.partner_agent)) == [t]
    assert list(Company.objects.visible_to(world.partner_agent)) == [world.acme]
    assert not Ticket.objects.visible_to(world.other_partner_agent).exists()


def test_scoping_by_organisation(world):
    bj = new_ticket(world)
    sh = services.create_ticket(actor=world.sh_agent, company=world.globex, title="t", description="d")
    assert set(Ticket.objects.visible_to(world.manager)) == {bj, sh}
    assert set(Ticket.objects.visible_to(world.agent)) == {bj}
    assert set(Ticket.objects.visible_to(world.engineer)) == set()  # a service centre sees only its subtree
    assert set(Ticket.objects.visible_to(world.customer)) == {bj}
    assert set(Ticket.objects.visible_to(world.other_customer)) == {sh}


def test_links_merge_and_cycles(world):
    a, b, c = new_ticket(world), new_ticket(world), new_ticket(world)
    services.link_tickets(actor=world.agent, source=a, target=b, kind="child_of")
    with pytest.raises(ValidationFailed):
        services.link_tickets(actor=world.agent, source=b, target=a, kind="child_of")
    services.merge_tickets(actor=world.manager, source=c, target=a)
    c.refresh_from_db()
    assert c.status == Status.CLOSED and c.merged_into == a
    assert a.comments.get().internal


def test_attachment_checks(world):
    t = new_ticket(world)
    png = SimpleUploadedFile("截图.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type="image/png")
    att = services.add_attachment(actor=world.customer, ticket=t, upload=png)
    assert att.size == 108 and att.content_type == "image/png"
    fake = SimpleUploadedFile("virus.png", b"MZ\x90\x00" + b"0" * 100)
    with pytest.raises(ValidationFailed):
        services.add_attachment(actor=world.agent, ticket=t, upload=fake)
    exe = SimpleUploadedFile("setup.exe", b"MZ" + b"0" * 10)
    with pytest.raises(ValidationFailed):
        services.add_attachment(actor=world.agent, ticket=t, upload=exe)
    with override_settings(LOOPDESK_ATTACHMENT_MAX_BYTES=50), pytest.raises(ValidationFailed):
        services.add_attachment(actor=world.agent, ticket=t, upload=png)
    assert t.attachments.count() == 1


def test_staff_see_tickets_assigned_to_them_or_their_groups(world):
    from loopdesk.accounts.models import Group

    t = new_ticket(world)
    assert not Ticket.objects.visible_to(world.engineer).exists()  # Beijing's ticket, engineer in Haidian
    services.assign_ticket(actor=world.agent, ticket=t, group=world.group)
    world.engineer.refresh_from_db()  # a fresh user object: the scope is cached per request
    assert list(Ticket.objects.visible_to(world.engineer)) == [t]
    other = Group.objects.create(name="上海二线", organization=world.shanghai)
    services.assign_ticket(actor=world.manager, ticket=t, group=other, assignee=world.sh_agent)
    sh_agent = type(world.sh_agent).objects.get(pk=world.sh_agent.pk)
    assert list(Ticket.objects.visible_to(sh_agent)) == [t]
    engineer = type(world.engineer).objects.get(pk=world.engineer.pk)
    assert not Ticket.objects.visible_to(engineer).exists()
