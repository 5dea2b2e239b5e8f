"""The demo rules and the bench functions (on small data: speed itself is measured by `loopdesk bench`)."""

from loopdesk.accounts.models import Group
from loopdesk.demo.rules import create_demo_rules
from loopdesk.rules import bench
from loopdesk.rules.models import EscalationTier, Rule
from loopdesk.tickets.models import Category, Ticket

from .helpers import ticket


def test_demo_rules_are_valid_idempotent_and_act(world):
    print_cat = Category.objects.create(name="凭证打印", parent=Category.objects.get(name="财务"))
    assert print_cat.full_name == "财务 › 凭证打印"
    first = Group.objects.create(name="北京一线热线", organization=world.beijing, tier=1)
    second = Group.objects.create(name="北京二线技术支持", organization=world.beijing, tier=2)
    made = create_demo_rules()
    assert len(made) >= 5 and all(r.active for r in made)
    assert create_demo_rules() == []
    assert EscalationTier.objects.get(group=first).next_group == second
    world.acme.vip_level = 2
    world.acme.save()
    t = Ticket.objects.get(pk=ticket(world, title="凭证打印不出来", category=None).pk)
    assert t.priority == 2
    assert t.category.full_name in ("财务 › 凭证打印",)
    assert Rule.objects.filter(trigger="scheduled").get().interval_minutes == 60


def test_bench_functions_run(world):
    for _ in range(3):
        ticket(world, asset=world.acme_asset)
    rules = bench.realistic_rules(100)
    from loopdesk.core.conditions import validate
    from loopdesk.rules.facts import FIELDS

    assert all(validate(r.conditions, fields=FIELDS) == [] for r in rules)
    figure = bench.updates_figure(updates=200, rules=100)
    assert figure["name"] == "rules.updates_per_s" and figure["value"] > 0 and figure["updates"] == 200
    overhead = bench.create_overhead_figure(creates=3)
    assert overhead["name"] == "rules.create_overhead_ms" and overhead["would_fire"] == 0
