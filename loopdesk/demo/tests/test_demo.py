"""`loopdesk demo`: the generated network and history are complete, consistent and reproducible."""

from __future__ import annotations

import datetime
import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from loopdesk.accounts.models import Group, User
from loopdesk.accounts.roles import Role
from loopdesk.core.models import Counter
from loopdesk.customers.models import Company, Contact
from loopdesk.orgs.models import Organization
from loopdesk.tickets.choices import OPEN_STATUSES, Status
from loopdesk.tickets.models import Comment, Event, Ticket
from loopdesk.tickets.services import create_ticket
from loopdesk.tickets.services.lifecycle import CUSTOMER_TRANSITIONS, STAFF_TRANSITIONS

PASSWORD = "demo-pass-123"
NOW = "2026-06-15T10:00:00+08:00"
LOGINS = ["admin", "manager", "agent", "engineer", "partner", "customer", "dispatcher", "reviewer", "executive"]


def run_demo(**options) -> str:
    out = StringIO()
    args = {"customers": 25, "tickets": 400, "seed": 7, "password": PASSWORD, "now": NOW, **options}
    call_command("demo", stdout=out, **args)
    return out.getvalue()


@pytest.fixture
def demo(db):
    return run_demo()


def test_network_and_counts(demo):
    assert Ticket.objects.count() == 400
    assert Company.objects.count() == 25
    kinds = Organization.objects.values_list("kind", flat=True)
    assert list(kinds).count(Organization.Kind.HEADQUARTERS) == 1
    assert list(kinds).count(Organization.Kind.BRANCH) == 8
    assert list(kinds).count(Organization.Kind.PARTNER) == 3
    assert Organization.objects.filter(kind=Organization.Kind.SERVICE_CENTRE).count() >= 8
    for role in Role.values:
        if role != Role.ADMIN:
            assert User.objects.filter(memberships__role=role).exists(), role
    assert Group.objects.filter(members__isnull=False).distinct().count() >= 17
    assert all(c.contacts.exists() and c.assets.exists() and c.sites.exists() for c in Company.objects.all())
    assert re.search(r"[\u4e00-\u9fff]", Company.objects.first().name)
    assert "Demo logins" in demo


def test_every_ticket_is_consistent_with_its_history(demo):
    now = datetime.datetime.fromisoformat(NOW)
    events: dict[int, list[Event]] = {}
    for e in Event.objects.order_by("at", "id"):
        events.setdefault(e.ticket_id, []).append(e)
    comment_ids = set(Comment.objects.values_list("pk", flat=True))
    customers = set(User.objects.filter(memberships__role=Role.CUSTOMER).values_list("pk", flat=True))
    for t in Ticket.objects.select_related("company", "contact", "asset"):
        assert t.is_open == (t.status in OPEN_STATUSES)
        assert t.owner_org_id == t.company.org_id
        assert t.contact is None or t.contact.company_id == t.company_id
        assert t.asset is None or t.asset.company_id == t.company_id
        assert t.created_at <= t.updated_at <= now
        history = events[t.pk]
        assert history[0].kind == Event.Kind.CREATED and history[0].at == t.created_at
        assert history[-1].at == t.updated_at
        status, assigned = Status.NEW, {"group": None, "assignee": None, "partner_org": None}
        for e in history:
            if e.kind == Event.Kind.STATUS:
                old, new = e.changes["status"]
                assert old == status
                if e.data.get("reason") == "customer_reply":  # add_comment resumes a waiting ticket
                    assert (old, new) == (Status.WAITING_CUSTOMER, Status.IN_PROGRESS)
                else:
                    table = CUSTOMER_TRANSITIONS if e.actor_id in customers else STAFF_TRANSITIONS
                    assert new in table.get(old, ()), (t.number, old, new)
                status = new
            elif e.kind == Event.Kind.ASSIGNED:
                assigned.update({k: v[1] for k, v in e.changes.items()})
            elif e.kind == Event.Kind.COMMENTED:
                assert e.data["comment_id"] in comment_ids
        assert status == t.status
        assert (assigned["group"], assigned["assignee"], assigned["partner_org"]) == (
            t.group_id, t.assignee_id, t.partner_org_id)
        assert (t.accepted_at is None) == (t.status == Status.NEW or (t.status == Status.CANCELLED and not any(
            e.kind == Event.Kind.STATUS and e.changes["status"][1] in ("accepted", "in_progress") for e in history)))
        if t.status in (Status.RESOLVED, Status.CLOSED):
            assert t.accepted_at <= t.resolved_at and t.resolution
        if t.status == Status.CLOSED:
            assert t.resolved_at <= t.closed_at
        else:
            assert t.closed_at is None
        if t.partner_org_id:
            assert t.company.partners.filter(pk=t.partner_org_id).exists()


def test_mix_is_realistic(demo):
    tickets = Ticket.objects.all()
    old = tickets.filter(created_at__lt=datetime.datetime.fromisoformat(NOW) - datetime.timedelta(days=30))
    assert old.filter(is_open=False).count() / old.count() > 0.9  # old tickets are mostly finished
    assert tickets.filter(is_open=True).exists()
    assert len(set(tickets.values_list("channel", flat=True))) >= 5
    assert len(set(tickets.values_list("type", flat=True))) >= 4
    assert tickets.filter(partner_org__isnull=False).exists()
    assert Comment.objects.filter(internal=True).exists() and Comment.objects.filter(internal=False).exists()


def test_numbers_follow_the_service_format_and_continue(demo):
    numbers = list(Ticket.objects.values_list("number", "created_at"))
    assert len({n for n, _ in numbers}) == len(numbers)
    last: dict[str, int] = {}
    for number, created in numbers:
        assert re.fullmatch(r"\d{13}", number)
        day = timezone.localtime(created, timezone.get_default_timezone()).strftime("%Y%m%d")
        assert number[:8] == day
        last[day] = max(last.get(day, 0), int(number[8:]))
    for day, seq in last.items():
        assert Counter.objects.get(name=f"ticket:{day}").value == seq
    # A real ticket created on the last demo day continues that day's sequence.
    agent = User.objects.get(username="agent")
    company = Company.objects.visible_to(agent).first()
    when = datetime.datetime.fromisoformat(NOW)
    ticket = create_ticket(actor=agent, title="打印机无法打印凭证", description="新建工单", company=company, now=when)
    day = when.strftime("%Y%m%d")
    assert ticket.number == f"{day}{last.get(day, 0) + 1:05d}"


def test_demo_logins_authenticate_and_see_their_part(demo):
    for username in LOGINS:
        assert authenticate(username=username, password=PASSWORD) is not None, username
    assert User.objects.get(username="admin").is_superuser
    customer = User.objects.get(username="customer")
    contact = Contact.objects.get(user=customer)
    assert Ticket.objects.visible_to(customer).exists()
    assert set(Ticket.objects.visible_to(customer).values_list("company_id", flat=True)) == {contact.company_id}
    partner = User.objects.get(username="partner")
    assert Ticket.objects.visible_to(partner).exists()
    assert not Ticket.objects.visible_to(partner).filter(partner_org__isnull=True).exists()
    agent = User.objects.get(username="agent")
    assert 0 < Ticket.objects.visible_to(agent).count() < Ticket.objects.count()


def test_refuses_a_non_empty_database_unless_adding(demo):
    with pytest.raises(CommandError, match="not empty"):
        run_demo()
    run_demo(add=True, customers=3, tickets=50, seed=8)
    assert Ticket.objects.count() == 450 and Company.objects.count() == 28
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)


def test_add_needs_a_demo_network(db):
    with pytest.raises(CommandError, match="demo network"):
        run_demo(add=True)


def test_set_password_for_logins(demo):
    out = StringIO()
    call_command("demo", logins=True, set_password="another-pass-9", stdout=out)
    assert "another-pass-9" in out.getvalue()
    assert authenticate(username="agent", password="another-pass-9") is not None


def _snapshot() -> list[tuple]:
    return list(
        Ticket.objects.order_by("number").values_list(
            "number", "title", "description", "status", "type", "channel", "priority", "company__code",
            "assignee__username", "created_at", "updated_at",
        )
    ) + list(Company.objects.order_by("code").values_list("code", "name", "vip_level", "org__code"))


@pytest.mark.django_db(transaction=True)  # reference data: root conftest
def test_same_seed_same_data():
    run_demo(tickets=150, customers=10)
    first = _snapshot()
    call_command("flush", interactive=False, verbosity=0)
    run_demo(tickets=150, customers=10)
    assert _snapshot() == first
    call_command("flush", interactive=False, verbosity=0)
    run_demo(tickets=150, customers=10, seed=8)
    assert _snapshot() != first
