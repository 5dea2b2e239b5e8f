"""The rule pages: list, edit with live validation, reorder, enable/disable, dry run, log, tiers."""

import json

from django.urls import reverse

from loopdesk.accounts.models import Group
from loopdesk.accounts.roles import Role
from loopdesk.accounts.services import create_user
from loopdesk.rules.models import EscalationTier, Rule
from loopdesk.tickets.models import Ticket

from .helpers import cond, rule, ticket


def form(**kw):
    data = {"name": "VIP 优先", "trigger": "created", "order": 10, "active": "on", "conditions": "{}",
            "actions": json.dumps([{"type": "set_priority", "value": 2}])}
    data.update(kw)
    return data


def test_only_rule_admins(client, world):
    for user in (world.agent, world.manager):
        client.force_login(user)
        assert client.get(reverse("rules:list")).status_code == 403
        assert client.post(reverse("rules:new"), form()).status_code == 403
    assert not Rule.objects.exists()


def test_create_edit_toggle_delete(client, world):
    client.force_login(world.admin)
    response = client.post(reverse("rules:new"), form())
    assert response.status_code == 302
    r = Rule.objects.get()
    assert r.actions == [{"type": "set_priority", "value": 2}] and r.active
    html = client.get(reverse("rules:list")).content.decode()
    assert "VIP 优先" in html
    page = client.get(reverse("rules:edit", args=[r.pk])).content.decode()
    assert "set_priority" in page and f'hx-post="{reverse("rules:validate")}"' in page
    client.post(reverse("rules:edit", args=[r.pk]), form(name="改名", conditions=json.dumps(cond("customer.vip", "ge", 2))))
    r.refresh_from_db()
    assert r.name == "改名" and r.version == 2 and r.conditions["field"] == "customer.vip"
    client.post(reverse("rules:toggle", args=[r.pk]))
    assert not Rule.objects.get(pk=r.pk).active
    client.post(reverse("rules:delete", args=[r.pk]))
    assert not Rule.objects.exists()


def test_errors_with_paths_in_the_editor(client, world):
    client.force_login(world.admin)
    bad = form(conditions=json.dumps({"all": [{"field": "ticket.priority", "op": "nope", "value": 1}]}),
               actions="[{")
    response = client.post(reverse("rules:new"), bad)
    html = response.content.decode()
    assert response.status_code == 200 and not Rule.objects.exists()
    assert "<code>actions</code>" in html  # the JSON syntax error, by its field
    live = client.post(reverse("rules:validate"), bad, HTTP_HX_REQUEST="true").content.decode()
    assert "<code>conditions.all[0].op</code>" in live and "<code>actions</code>" in live
    ok = client.post(reverse("rules:validate"), form(), HTTP_HX_REQUEST="true").content.decode()
    assert "errorlist" not in ok


def test_reorder(client, world):
    a = rule(world, name="A", order=10)
    b = rule(world, name="B", order=20)
    client.force_login(world.admin)
    client.post(reverse("rules:move", args=[b.pk]), {"direction": "up"})
    assert list(Rule.objects.order_by("order").values_list("name", flat=True)) == ["B", "A"]
    assert Rule.objects.get(pk=a.pk).order == 20


def test_dry_run_page_is_scoped(client, world):
    branch_admin = create_user(username="bj_admin", password=world.password, memberships=[(world.beijing, Role.ADMIN)])
    rule(world, name="试运行规则", conditions=cond("ticket.priority", "eq", 3))
    mine = ticket(world, title="我的工单")
    theirs = ticket(world, actor=world.sh_agent, company=world.globex, title="上海的工单")
    before = Ticket.objects.get(pk=mine.pk).priority
    client.force_login(branch_admin)
    html = client.get(reverse("rules:dry_run"), {"numbers": f"{mine.number}, {theirs.number}"}).content.decode()
    assert "我的工单" in html and "上海的工单" not in html and theirs.number in html  # listed as unknown
    html = client.get(reverse("rules:dry_run"), {"queue": "open", "limit": 10}).content.decode()
    assert "我的工单" in html and "上海的工单" not in html
    assert Ticket.objects.get(pk=mine.pk).priority == before


def test_firing_log_and_tiers(client, world):
    rule(world, name="记录我")
    t = ticket(world)
    client.force_login(world.admin)
    html = client.get(reverse("rules:firings")).content.decode()
    assert "记录我" in html and t.number in html
    second = Group.objects.create(name="二线", organization=world.beijing)
    client.post(reverse("rules:tiers"), {"group": world.group.pk, "next_group": second.pk})
    assert EscalationTier.objects.get().next_group == second
    assert "二线" in client.get(reverse("rules:tiers")).content.decode()
    client.post(reverse("rules:tiers"), {"group": world.group.pk, "next_group": ""})
    assert not EscalationTier.objects.exists()
