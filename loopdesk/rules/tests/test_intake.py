"""New tickets: the "created" rules that only set fields act before the insert, the rest after it, and a
batch intake ends exactly where the same requests created one by one end, in far fewer queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loopdesk.accounts.models import Notification
from loopdesk.rules.models import RuleFiring
from loopdesk.sla.models import Clock
from loopdesk.sla.tests.clockkit import policy_24x7
from loopdesk.tickets import services as tickets
from loopdesk.tickets.models import Event, Ticket

from .helpers import cond, rule

pytestmark = pytest.mark.django_db

TITLES = ["凭证打印不出来", "登录密码忘记", "总账无法结账", "报表打印空白", "客户端很慢"]


def rules(world):
    """Classify by keywords (fields only), assign printing problems (more than fields), and an
    "updated" rule reacting to the category a "created" rule set."""
    rule(world, name="classify", order=10, conditions=cond("ticket.category", "is_empty"),
         actions=[{"type": "classify", "map": [{"keywords": ["打印"], "category": world.voucher.pk}]}])
    rule(world, name="route", order=20, conditions={"not": cond("ticket.category", "is_empty")},
         actions=[{"type": "assign", "group": world.group.pk}])
    rule(world, name="urgent print", order=30, conditions=cond("ticket.title", "contains", "报表"),
         actions=[{"type": "set_priority", "value": 1}])
    rule(world, name="login", order=25, conditions=cond("ticket.title", "contains", "登录"),
         actions=[{"type": "set_priority", "value": 2},
                  {"type": "notify", "to": "role", "role": "manager", "subject": "{number} 登录问题"}])
    rule(world, name="login is the customer's", order=27, conditions=cond("ticket.title", "contains", "登录"),
         actions=[{"type": "set_responsibility", "value": "customer"}])
    rule(world, name="on category", trigger="updated", conditions=cond("ticket.category", "changed"),
         actions=[{"type": "set_responsibility", "value": "customer"}])


def requests(world):
    return [{"title": t, "description": f"{t}，请尽快处理", "company": world.acme} for t in TITLES]


def outcome(ticket):
    t = Ticket.objects.get(pk=ticket.pk)
    return {
        "title": t.title, "category": t.category_id, "group": t.group_id, "priority": t.priority,
        "responsibility": t.responsibility, "phase": t.phase, "is_open": t.is_open,
        "due": t.due_at is not None,
        "rules": sorted(RuleFiring.objects.filter(ticket=t).values_list("rule_name", flat=True)),
        "events": sorted(Event.objects.filter(ticket=t).values_list("kind", flat=True)),
        "clocks": sorted(Clock.objects.filter(ticket=t).values_list("metric", "state", "target_minutes")),
        "notified": Notification.objects.filter(ticket_id=t.pk).count(),
    }


def test_a_batch_ends_where_single_creates_end(world):
    policy_24x7()
    rules(world)
    one_by_one = [outcome(tickets.create_ticket(actor=world.agent, **r)) for r in requests(world)]
    batch = [outcome(t) for t in tickets.create_tickets(actor=world.agent, requests=requests(world))]
    assert batch == one_by_one
    printing = one_by_one[0]
    assert printing["category"] == world.voucher.pk and printing["group"] == world.group.pk
    assert printing["responsibility"] == "customer"  # the "updated" rule heard of the classification
    assert printing["rules"] == ["classify", "on category", "route"]
    assert one_by_one[3]["priority"] == 1 and one_by_one[2]["category"] is None and one_by_one[2]["group"] is None
    assert all(o["due"] and o["clocks"] for o in one_by_one)
    login = one_by_one[1]  # a rule that sets a field, then notifies: the field before the insert
    assert login["priority"] == 2 and login["notified"] >= 1 and "changed" not in login["events"]
    assert login["responsibility"] == "customer"  # the rule after a side action still acted before the insert


def test_fields_set_by_rules_are_inserted_with_the_ticket(world):
    rules(world)
    t = tickets.create_ticket(actor=world.agent, title="凭证打印不出来", description="急", company=world.acme)
    created = Event.objects.get(ticket=t, kind=Event.Kind.CREATED)
    changed = Event.objects.filter(ticket=t, kind=Event.Kind.CHANGED).values_list("changes", flat=True)
    assert [list(c) for c in changed] == [["responsibility"]]  # the "updated" rule's; the category came inserted
    assert t.category == world.voucher and Ticket.objects.get(pk=t.pk).category == world.voucher
    kinds = list(Event.objects.filter(ticket=t).order_by("id").values_list("kind", "data__rule"))
    assert kinds[0] == (Event.Kind.CREATED, None) and created.data["priority"] == t.priority
    assert (Event.Kind.ASSIGNED, None) in kinds and (Event.Kind.RULE, "classify") in kinds


def test_a_batch_writes_in_bulk(world):
    policy_24x7()
    rule(world, name="classify", order=10, conditions=cond("ticket.category", "is_empty"),
         actions=[{"type": "classify", "map": [{"keywords": ["打印"], "category": world.voucher.pk}]}])
    rule(world, name="urgent print", order=30, conditions=cond("ticket.title", "contains", "报表"),
         actions=[{"type": "set_priority", "value": 1}])

    def queries(size):
        with CaptureQueriesContext(connection) as captured:
            tickets.create_tickets(actor=world.agent, requests=(requests(world) * 4)[:size])
        # Rules written in this test's own transaction are read afresh each time (never cached before
        # their commit); a server reads them from its cache.
        return [q["sql"] for q in captured.captured_queries if 'FROM "rules_rule"' not in q["sql"]]

    queries(5)  # warm the per-process caches
    five, twenty = queries(5), queries(20)
    # Tickets, events, clocks, clock history, firings and their events: one insert each for the whole
    # batch. Per ticket there is only the category a classification picks (2 of every 5 tickets).
    assert (len(twenty) - len(five)) / 15 <= 2 / 5, twenty


def test_a_ticket_created_by_a_rule_counts_one_level_down(world):
    """The recursion guard: a ticket created inside a rule's action (a problem record) starts at that
    action's depth, so the events its own rules cause trigger nothing more."""
    from loopdesk.rules import engine

    rule(world, name="classify", conditions=cond("ticket.category", "is_empty"),
         actions=[{"type": "set_field", "field": "category", "value": world.voucher.pk}])
    rule(world, name="on category", trigger="updated", conditions=cond("ticket.category", "changed"),
         actions=[{"type": "set_responsibility", "value": "customer"}])
    token = engine._chain.set(engine._Chain(depth=1))  # as inside the action of a rule fired at depth 0
    try:
        nested = tickets.create_ticket(actor=world.agent, title="凭证", description="由规则创建", company=world.acme)
    finally:
        engine._chain.reset(token)
    nested = Ticket.objects.get(pk=nested.pk)
    assert nested.category == world.voucher and nested.responsibility == ""
    top = Ticket.objects.get(pk=tickets.create_ticket(actor=world.agent, title="凭证", description="客户提交",
                                                      company=world.acme).pk)
    assert top.category == world.voucher and top.responsibility == "customer"
