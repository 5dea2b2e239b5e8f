"""Each action, through a rule firing on a real ticket."""

import pytest

from loopdesk.accounts.models import Group
from loopdesk.accounts.roles import Role
from loopdesk.accounts.services import create_user
from loopdesk.rules import services
from loopdesk.rules.actions import validate_actions
from loopdesk.rules.models import EscalationTier, RoundRobinPointer
from loopdesk.tickets import services as tickets
from loopdesk.tickets.choices import LinkKind, TicketType
from loopdesk.tickets.models import Event, Link, Ticket

from .helpers import cond, rule, ticket


def results(t):
    return [a for e in Event.objects.filter(ticket=t, kind=Event.Kind.RULE).order_by("id") for a in e.data["actions"]]


def fresh(t):
    return Ticket.objects.get(pk=t.pk)


def test_set_field(world):
    from loopdesk.core.models import CustomField

    CustomField.objects.create(target="ticket", key="erp_module", label="ERP 模块")
    rule(world, actions=[
        {"type": "set_field", "field": "type", "value": "service_request"},
        {"type": "set_field", "field": "impact", "value": 1},
        {"type": "set_field", "field": "channel", "value": "phone"},
        {"type": "set_field", "field": "category", "value": world.finance.pk},
        {"type": "set_field", "field": "responsibility", "value": "implementation"},
        {"type": "set_field", "field": "cf.erp_module", "value": "总账"},
    ])
    t = fresh(ticket(world))
    assert (t.type, t.impact, t.channel, t.category, t.responsibility) == (
        "service_request", 1, "phone", world.finance, "implementation")
    assert t.priority == 2  # impact 1 × urgency 2
    assert t.custom_fields["erp_module"] == "总账"


def test_classify(world):
    rule(world, actions=[{"type": "classify", "map": [
        {"keywords": ["登录", "login"], "category": world.finance.pk},
        {"keywords": ["打印", "PRINT"], "category": world.voucher.pk},
    ]}])
    assert fresh(ticket(world, title="凭证打印不出来")).category == world.voucher
    assert fresh(ticket(world, title="Cannot Login", description="x")).category == world.finance
    t = ticket(world, title="别的问题", description="别的")
    assert fresh(t).category is None and results(t) == [{"type": "classify", "category": None}]


def test_set_priority_and_responsibility(world):
    rule(world, actions=[{"type": "set_priority", "value": 2}, {"type": "set_responsibility", "value": "partner"}])
    t = fresh(ticket(world))
    assert (t.priority, t.responsibility) == (2, "partner")


def test_assign_to_group_and_person(world):
    rule(world, actions=[{"type": "assign", "group": world.group.pk, "user": world.engineer.pk}])
    t = fresh(ticket(world))
    assert (t.group, t.assignee) == (world.group, world.engineer)


def test_assign_least_loaded(world):
    for _ in range(2):
        tickets.assign_ticket(actor=world.agent, ticket=ticket(world), group=world.group, assignee=world.agent)
    tickets.assign_ticket(actor=world.agent, ticket=ticket(world), group=world.group, assignee=world.engineer)
    rule(world, actions=[{"type": "assign", "group": world.group.pk, "strategy": "least_loaded"}])
    assert fresh(ticket(world)).assignee == world.engineer


def test_assign_round_robin(world):
    third = create_user(username="third", password=world.password, memberships=[(world.beijing, Role.AGENT)])
    world.group.members.add(third)
    rule(world, actions=[{"type": "assign", "group": world.group.pk, "strategy": "round_robin"}])
    got = [fresh(ticket(world)).assignee for _ in range(4)]
    order = sorted([world.agent, world.engineer, third], key=lambda u: u.pk)
    assert got == [*order, order[0]]
    assert RoundRobinPointer.objects.get(group=world.group).last_user == order[0]


def test_assign_skills_match(world):
    world.engineer.skills = ["凭证", "总账"]
    world.engineer.save()
    world.agent.skills = ["报表"]
    world.agent.save()
    rule(world, actions=[{"type": "assign", "group": world.group.pk, "strategy": "skills"}])
    assert fresh(ticket(world, title="凭证打印")).assignee == world.engineer
    assert fresh(ticket(world, title="报表出错", description="月报")).assignee == world.agent


def test_strategy_uses_the_tickets_group(world):
    rule(world, actions=[{"type": "assign", "strategy": "least_loaded"}])
    t = ticket(world)
    assert fresh(t).assignee is None and "error" in results(t)[0]
    t2 = ticket(world, group=world.group)
    assert fresh(t2).assignee in (world.agent, world.engineer)


def test_add_watcher(world):
    rule(world, actions=[{"type": "add_watcher", "user": world.manager.pk}])
    assert list(ticket(world).watchers.all()) == [world.manager]


@pytest.mark.parametrize("to", ["assignee", "group", "user", "role", "watchers"])
def test_notify(world, to):
    bj_manager = create_user(username="bj_manager", password=world.password,
                             memberships=[(world.beijing, Role.MANAGER)])
    extra = {"user": world.executive.pk} if to == "user" else {"role": "manager"} if to == "role" else {}
    actions = [{"type": "add_watcher", "user": world.sh_agent.pk}] if to == "watchers" else []
    actions.append({"type": "notify", "to": to, "subject": "{number} {priority} {customer}", "body": "规则 {rule}",
                    **extra})
    rule(world, name="通知", actions=actions)
    t = ticket(world, group=world.group, assignee=world.engineer)
    expected = {
        "assignee": {world.engineer}, "group": {world.agent, world.engineer}, "user": {world.executive},
        "role": {bj_manager}, "watchers": {world.sh_agent},
    }[to]
    from loopdesk.accounts.models import Notification

    rows = list(Notification.objects.filter(ticket_id=t.pk))
    assert {n.recipient for n in rows} == expected
    assert rows[0].subject == f"{t.number} P3 {world.acme.name}" and rows[0].body == "规则 通知"
    assert rows[0].kind == "rule" and rows[0].url.endswith(f"/tickets/{t.pk}/")


def test_escalate(world):
    second = Group.objects.create(name="北京二线", organization=world.beijing)
    services.set_escalation_tier(actor=world.admin, group=world.group, next_group=second)
    rule(world, trigger="updated", conditions=cond("ticket.urgency", "changed", to=1),
         actions=[{"type": "escalate"}])
    t = ticket(world, group=world.group, assignee=world.agent)
    tickets.update_ticket(actor=world.agent, ticket=t, urgency=1)
    t = fresh(t)
    assert (t.group, t.assignee) == (second, None)
    assert results(t) == [{"type": "escalate", "from": world.group.pk, "to": second.pk}]
    # no further tier: nothing happens
    tickets.update_ticket(actor=world.agent, ticket=t, urgency=2)
    tickets.update_ticket(actor=world.agent, ticket=t, urgency=1)
    assert fresh(t).group == second and results(t)[-1] == {"type": "escalate", "to": None}
    assert EscalationTier.objects.count() == 1


def test_problem_from_repeated_incidents(world):
    rule(world, actions=[{"type": "problem_from_incidents", "threshold": 3, "hours": 24,
                          "title": "重复故障：{title}"}])
    made = [ticket(world, category=world.voucher, asset=world.acme_asset) for _ in range(2)]
    assert not Ticket.objects.filter(type=TicketType.PROBLEM).exists()
    made.append(ticket(world, category=world.voucher, asset=world.acme_asset))
    problem = Ticket.objects.get(type=TicketType.PROBLEM)
    assert problem.title == "重复故障：凭证打印不出来"
    linked = set(Link.objects.filter(target=problem, kind=LinkKind.CAUSED_BY).values_list("source_id", flat=True))
    assert linked == {t.pk for t in made}
    # another category does not count; a fourth same one links to the same problem
    ticket(world, category=world.finance, asset=world.acme_asset)
    fourth = ticket(world, category=world.voucher, asset=world.acme_asset)
    assert Ticket.objects.filter(type=TicketType.PROBLEM).count() == 1
    assert Link.objects.filter(source=fourth, target=problem).exists()


def test_webhook(world):
    from loopdesk.integrations.models import Delivery, Endpoint

    endpoint = Endpoint.objects.create(name="ERP", url="https://erp.example/hook", events=["rule.fired"])
    r = rule(world, actions=[{"type": "webhook", "endpoint": endpoint.pk}])
    t = ticket(world)
    delivery = Delivery.objects.get(ticket=t)
    assert delivery.endpoint == endpoint and delivery.event == "rule.fired"
    assert delivery.payload["rule"] == {"id": r.pk, "name": r.name}
    assert delivery.payload["ticket"]["number"] == t.number


def test_action_validation_paths(world):
    errors = validate_actions([
        {"type": "set_field", "field": "title", "value": "x"},
        {"type": "set_field", "field": "category", "value": 999999},
        {"type": "classify", "map": [{"keywords": [], "category": world.voucher.pk}]},
        {"type": "assign", "strategy": "random"},
        {"type": "add_watcher", "user": "bob"},
        {"type": "notify", "to": "user", "subject": "x"},
        {"type": "problem_from_incidents", "threshold": 1, "hours": 24, "match": ["colour"]},
        {"type": "webhook", "endpoint": 999999},
        {"type": "set_priority", "value": 2, "extra": True},
        "nope",
        {"type": "set_field", "field": "cf.nope", "value": 1},
    ])
    assert [p for p, _ in errors] == [
        "[0].field", "[1].value", "[2].map", "[3].strategy", "[4].user", "[5].to", "[6].threshold", "[6].match",
        "[7].endpoint", "[8].extra", "[9]", "[10].field",
    ]
    assert [p for p, _ in validate_actions({"type": "x"})] == [""]
