"""Triggers, order, stop_processing, the recursion guard, the timeline and the rule cache."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loopdesk.rules import engine
from loopdesk.rules.facts import ticket_facts
from loopdesk.rules.models import Rule, RuleFiring
from loopdesk.rules.services import run_scheduled
from loopdesk.tickets import services as tickets
from loopdesk.tickets.models import Event, Ticket

from .helpers import cond, rule, ticket


def rule_events(t):
    return list(Event.objects.filter(ticket=t, kind=Event.Kind.RULE).order_by("id"))


def test_created_trigger_fires_records_and_updates_the_callers_ticket(world):
    r = rule(world, conditions=cond("ticket.title", "contains", "凭证"), name="凭证 → P1")
    t = ticket(world)
    assert t.priority == 1  # the instance create_ticket returned is brought up to date
    assert Ticket.objects.get(pk=t.pk).priority == 1
    [event] = rule_events(t)
    assert event.internal and event.actor is None
    assert event.data["rule"] == "凭证 → P1" and event.data["trigger"] == "created"
    assert event.data["actions"] == [{"type": "set_priority", "value": 1}]
    firing = RuleFiring.objects.get(ticket=t)
    assert firing.rule == r and firing.trigger == "created" and not firing.dry_run
    other = ticket(world, title="登录失败")
    assert other.priority == 3 and not rule_events(other)


def test_updated_trigger_with_changed_operator(world):
    rule(world, trigger="updated", conditions=cond("ticket.urgency", "changed", to=1),
         actions=[{"type": "set_responsibility", "value": "customer"}])
    t = ticket(world)
    assert t.responsibility == ""
    t = tickets.update_ticket(actor=world.agent, ticket=t, urgency=2, description="更多信息")
    assert Ticket.objects.get(pk=t.pk).responsibility == ""
    t = tickets.update_ticket(actor=world.agent, ticket=t, urgency=1)
    assert Ticket.objects.get(pk=t.pk).responsibility == "customer"


def test_assignment_counts_as_update(world):
    rule(world, trigger="updated", conditions=cond("ticket.assignee", "changed"),
         actions=[{"type": "add_watcher", "user": world.manager.pk}])
    t = ticket(world)
    tickets.assign_ticket(actor=world.agent, ticket=t, assignee=world.engineer)
    assert list(t.watchers.all()) == [world.manager]


def test_transitioned_trigger(world):
    rule(world, trigger="transitioned", conditions=cond("ticket.status", "changed", to="resolved"),
         actions=[{"type": "set_responsibility", "value": "environment"}])
    t = ticket(world)
    tickets.transition_ticket(actor=world.agent, ticket=t, to="accepted")
    assert Ticket.objects.get(pk=t.pk).responsibility == ""
    tickets.transition_ticket(actor=world.agent, ticket=t, to="resolved", resolution="重装驱动")
    assert Ticket.objects.get(pk=t.pk).responsibility == "environment"


def test_sla_triggers(world):
    from loopdesk.sla.models import Clock
    from loopdesk.sla.signals import clock_breached, clock_warning

    rule(world, trigger="sla_warning", conditions=cond("sla.percent", "ge", 75),
         actions=[{"type": "notify", "to": "user", "user": world.manager.pk, "subject": "{number} 快超时"}])
    rule(world, trigger="sla_breach", actions=[{"type": "set_priority", "value": 1}])
    t = ticket(world)
    clock_warning.send(sender=Clock, ticket=t, clock=None, level=None, percent=50)
    assert not world.manager.notifications.exists()
    clock_warning.send(sender=Clock, ticket=t, clock=None, level=None, percent=80)
    assert world.manager.notifications.get().subject == f"{t.number} 快超时"
    clock_breached.send(sender=Clock, ticket=t, clock=None)
    assert Ticket.objects.get(pk=t.pk).priority == 1
    assert [e.data["trigger"] for e in rule_events(t)] == ["sla_warning", "sla_breach"]


def test_scheduled_trigger_once_per_ticket_per_version(world):
    r = rule(world, trigger="scheduled", interval_minutes=60,
             conditions={"all": [cond("ticket.priority", "eq", 3), cond("ticket.idle_hours", "ge", 24)]},
             actions=[{"type": "set_responsibility", "value": "customer"}])
    stale, fresh, urgent = ticket(world), ticket(world), ticket(world, impact=1, urgency=1)
    old = timezone.now() - dt.timedelta(days=2)
    Ticket.objects.filter(pk__in=[stale.pk, urgent.pk]).update(updated_at=old)
    assert run_scheduled() == 1
    assert Ticket.objects.get(pk=stale.pk).responsibility == "customer"
    assert Ticket.objects.get(pk=fresh.pk).responsibility == ""
    assert Ticket.objects.get(pk=urgent.pk).responsibility == ""
    # not due again before its interval; then due but the ticket already had it in this version
    assert run_scheduled() == 0
    Ticket.objects.filter(pk=stale.pk).update(updated_at=old, responsibility="")
    assert run_scheduled(now=timezone.now() + dt.timedelta(hours=2)) == 0
    assert Rule.objects.get(pk=r.pk).last_run_at is not None


def test_order_and_stop_processing(world):
    rule(world, name="third", order=30, actions=[{"type": "set_responsibility", "value": "partner"}])
    first = rule(world, name="first", order=10, actions=[{"type": "set_priority", "value": 2}])
    rule(world, name="second", order=20, conditions=cond("ticket.priority", "eq", 2),
         actions=[{"type": "set_priority", "value": 4}], stop_processing=True)
    t = ticket(world)
    assert [e.data["rule"] for e in rule_events(t)] == ["first", "second"]
    assert t.priority == 4 and t.responsibility == ""  # the second saw what the first did; third never ran
    first.delete()
    t2 = ticket(world)
    assert [e.data["rule"] for e in rule_events(t2)] == ["third"]


def test_inactive_rules_do_not_fire(world):
    rule(world, active=False)
    assert ticket(world).priority == 3


def test_recursion_guard(world):
    # created → sets the category (depth 1 event: an update) → the update rule fires (depth 1) and sets
    # the urgency (depth 2 event) → the urgency rule does not fire again.
    rule(world, name="classify", actions=[{"type": "set_field", "field": "category", "value": world.voucher.pk}])
    rule(world, name="on category", trigger="updated", conditions=cond("ticket.category", "changed"),
         actions=[{"type": "set_field", "field": "urgency", "value": 1}])
    rule(world, name="on urgency", trigger="updated", conditions=cond("ticket.urgency", "changed"),
         actions=[{"type": "set_responsibility", "value": "customer"}])
    rule(world, name="loop", trigger="updated", actions=[{"type": "set_priority", "value": 4}])
    t = ticket(world)
    fired = [e.data["rule"] for e in rule_events(t)]
    assert "classify" in fired and "on category" in fired
    assert "on urgency" not in fired
    assert fired.count("loop") == 1
    t = Ticket.objects.get(pk=t.pk)
    assert t.category == world.voucher and t.urgency == 1 and t.responsibility == "" and t.priority == 4


def test_failing_action_is_recorded_and_does_not_break_the_change(world):
    from loopdesk.accounts.models import Group

    g = Group.objects.create(name="停用组", organization=world.beijing)
    rule(world, actions=[{"type": "assign", "group": g.pk}, {"type": "set_priority", "value": 2}])
    Group.objects.filter(pk=g.pk).update(active=False)
    t = ticket(world)
    [event] = rule_events(t)
    assert "error" in event.data["actions"][0]
    assert t.priority == 2 and t.group is None


def test_facts_are_lazy(world, django_assert_num_queries):
    t = Ticket.objects.get(pk=ticket(world, asset=world.acme_asset, category=world.voucher).pk)
    facts = ticket_facts(t)
    with django_assert_num_queries(0):
        assert facts.get("ticket.priority") == 3 and facts.get("ticket.cf.none") is None
    with django_assert_num_queries(1):
        assert facts.get("customer.name") == world.acme.name and facts.get("customer.vip") == 0
    with django_assert_num_queries(1):
        assert facts.get("asset.product_version") == "16.5" and facts.get("asset.product") == "U8"
    assert facts.get("ticket.category.path") == "财务 › 凭证打印"
    assert facts.get("contract.level") is None
    assert facts.public()["asset.product.name"] == "U8"


def test_no_query_when_no_rule_has_the_trigger(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rule(world, trigger="transitioned")
    engine.reset_cache()
    ticket(world)  # loads the cache
    t = Ticket.objects.get(pk=ticket(world).pk)
    event = Event.objects.filter(ticket=t).first()
    with CaptureQueriesContext(connection) as ctx:
        engine.on_ticket_event(Ticket, ticket=t, event=event, actor=world.agent)
    assert len(ctx.captured_queries) == 0


def test_cache_follows_rule_changes(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = rule(world)
    assert ticket(world).priority == 1
    with django_capture_on_commit_callbacks(execute=True):
        from loopdesk.rules.services import update_rule

        update_rule(actor=world.admin, rule=r, actions=[{"type": "set_priority", "value": 2}])
    assert ticket(world).priority == 2
    with django_capture_on_commit_callbacks(execute=True):
        Rule.objects.filter(pk=r.pk).delete()
    assert ticket(world).priority == 3


def test_rolled_back_rule_never_fires(world):
    from django.db import transaction

    ticket(world)  # the cache is loaded (no rules)
    with pytest.raises(RuntimeError), transaction.atomic():
        rule(world)
        assert ticket(world).priority == 1  # seen inside the transaction that wrote it
        raise RuntimeError
    assert ticket(world).priority == 3  # never cached: gone with the rollback
    assert engine.rules_for("created") == []


def test_sla_triggers_from_real_clocks(world):
    from loopdesk.sla.escalations import fire_due
    from loopdesk.sla.tests.clockkit import policy_24x7

    policy_24x7(levels=[("first_response", 75, [])])
    rule(world, name="预警", trigger="sla_warning",
         conditions={"all": [cond("sla.metric", "eq", "first_response"), cond("sla.percent", "ge", 75)]},
         actions=[{"type": "add_watcher", "user": world.manager.pk}])
    rule(world, name="超时", trigger="sla_breach", conditions=cond("sla.kind", "eq", "sla"),
         actions=[{"type": "set_responsibility", "value": "implementation"}])
    now = timezone.now()
    t = tickets.create_ticket(actor=world.agent, title="总账无法结账", description="月末结账报错",
                              company=world.acme, now=now - dt.timedelta(minutes=50))
    fire_due(now)
    assert list(t.watchers.all()) == [world.manager]
    assert Ticket.objects.get(pk=t.pk).responsibility == ""
    fire_due(now + dt.timedelta(minutes=15))
    assert Ticket.objects.get(pk=t.pk).responsibility == "implementation"
    assert [e.data["rule"] for e in rule_events(t)] == ["预警", "超时"]
