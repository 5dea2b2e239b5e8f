"""Choosing the SLA and OLA policies of a ticket: the shipped defaults and every condition."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from loopdesk.catalog.models import Contract
from loopdesk.core.errors import Forbidden, ValidationFailed
from loopdesk.sla import policies
from loopdesk.sla.models import Calendar, Policy
from loopdesk.sla.policy_services import create_policy, update_policy
from loopdesk.tickets import services as tickets

from .clockkit import policy_24x7

pytestmark = pytest.mark.django_db


def contract(company, level: str, number: str = "HT-1") -> Contract:
    today = timezone.localdate()
    return Contract.objects.create(company=company, number=number, level=level,
                                   starts_on=today - dt.timedelta(days=30), ends_on=today + dt.timedelta(days=30))


def ticket(world, **kw):
    kw.setdefault("priority", 3)
    return tickets.create_ticket(actor=world.agent, title="打印凭证失败", description="报错", company=world.acme, **kw)


def chosen(t) -> dict:
    return {party: (p.name if p else None) for party, p in policies.policies_for(t).items()}


def codes(t) -> tuple:
    found = policies.policies_for(t)
    code = {p.pk: p.code for p in Policy.objects.all()}
    return tuple(code[found[k].id] if found[k] else None for k in ("customer", "group", "partner"))


def test_shipped_defaults_exist_with_chinese_targets(world):
    standard = Policy.objects.get(code="standard")
    assert standard.calendar.cn_holidays and standard.kind == "sla"
    info = policies.policy_info(standard.pk)
    assert info.target("first_response", 1) == 30
    assert info.target("resolution", 4) == 4500  # P4 takes the "any" row
    assert info.thresholds("resolution") == (50, 75, 100, 150)
    assert Policy.objects.get(code="gold-vip-p1").calendar.is_24x7
    assert set(Policy.objects.filter(kind="ola").values_list("party", flat=True)) == {"group", "partner"}


def test_contract_level_picks_the_policy(world):
    assert codes(ticket(world)) == ("standard", None, None)
    contract(world.acme, "gold")
    assert codes(ticket(world)) == ("gold", None, None)
    assert codes(ticket(world, priority=1)) == ("gold-vip-p1", None, None)
    contract(world.acme, "vip", "HT-2")  # the highest level in force wins
    assert codes(ticket(world, priority=2)) == ("vip", None, None)


def test_expired_or_suspended_contracts_do_not_count(world):
    old = contract(world.acme, "gold")
    old.ends_on = timezone.localdate() - dt.timedelta(days=1)
    old.save()
    contract(world.acme, "vip", "HT-2").__class__.objects.filter(number="HT-2").update(status="suspended")
    assert codes(ticket(world)) == ("standard", None, None)


@pytest.mark.parametrize(("conditions", "facts", "hit"), [
    ({"vip_levels": [3]}, {}, False),
    ({"vip_levels": [0]}, {}, True),
    ({"ticket_types": ["complaint"]}, {"type": "complaint"}, True),
    ({"ticket_types": ["complaint"]}, {"type": "incident"}, False),
    ({"priorities": [1, 2]}, {"priority": 2}, True),
    ({"priorities": [1, 2]}, {"priority": 3}, False),
    ({"channels": ["phone"]}, {"channel": "phone"}, True),
    ({"channels": ["phone"]}, {"channel": "email"}, False),
])
def test_each_condition(world, conditions, facts, hit):
    policy_24x7(name="Special", **conditions)
    assert (chosen(ticket(world, **facts))["customer"] == "Special") is hit


def test_category_matches_its_subcategories(world):
    policy_24x7(name="Finance", category_ids=[world.finance.pk])
    assert chosen(ticket(world, category=world.voucher))["customer"] == "Finance"
    assert chosen(ticket(world))["customer"] != "Finance"


def test_order_decides_and_inactive_policies_are_skipped(world):
    policy_24x7(name="Second", order=2)
    first = policy_24x7(name="First", order=1)
    assert chosen(ticket(world))["customer"] == "First"
    first.active = False
    first.save()
    assert chosen(ticket(world))["customer"] == "Second"


def test_ola_for_second_line_groups_and_partners(world):
    t = ticket(world, group=world.group)
    assert codes(t)[1] is None  # the test group is first line (tier 1)
    world.group.tier = 2
    world.group.save()
    policies.clear_cache()
    policies._state["group_tier"].clear()
    t = ticket(world, group=world.group)
    assert codes(t)[1] == "ola-l2"
    t = tickets.assign_ticket(actor=world.agent, ticket=t, partner=world.partner)
    assert codes(t) == ("standard", "ola-l2", "ola-partner")


def test_ola_for_one_partner_only(world):
    policy_24x7(name="华信 OLA", kind="ola", party="partner", partner_org=world.other_partner)
    t = tickets.assign_ticket(actor=world.agent, ticket=ticket(world), partner=world.partner)
    assert chosen(t)["partner"] != "华信 OLA"


def test_create_policy_validates_everything(world):
    calendar = Calendar.objects.get(name="24×7")
    with pytest.raises(Forbidden):
        create_policy(actor=world.agent, name="X", calendar=calendar)
    with pytest.raises(ValidationFailed) as error:
        create_policy(actor=world.admin, name="X", calendar=calendar, contract_levels=["platinum"], priorities=[9],
                      kind="ola", party="customer",
                      targets=[{"metric": "resolution", "minutes": 0}, {"metric": "bogus", "minutes": 5}],
                      levels=[{"metric": "resolution", "percent": 50, "actions": [{"type": "notify", "to": "ceo"}]}])
    assert {"contract_levels", "priorities", "party", "targets.0.minutes", "targets.1.metric",
            "levels.0.actions"} <= set(error.value.fields)
    assert not Policy.objects.filter(name="X").exists()
    policy = create_policy(actor=world.admin, name="X", calendar=calendar, priorities=[1],
                           targets=[{"metric": "resolution", "priority": None, "minutes": 120}],
                           levels=[{"metric": "resolution", "percent": 80, "actions": [{"type": "raise_priority"}]}])
    assert policies.policy_info(policy.pk).target("resolution", 1) == 120
    update_policy(actor=world.admin, policy=policy, targets=[{"metric": "resolution", "minutes": 60}])
    assert policies.policy_info(policy.pk).target("resolution", 3) == 60
