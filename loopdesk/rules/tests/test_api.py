"""/api/v1/rules through the real API: CRUD, errors with paths, validate, dry run and its scoping."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils.translation import gettext, override

from loopdesk.accounts.roles import Role
from loopdesk.accounts.services import create_user, issue_token
from loopdesk.rules.models import Rule, RuleFiring
from loopdesk.tickets.models import Ticket

from .helpers import cond, rule, ticket

PREFIX = "/api/v1/rules"


@pytest.fixture
def call(world):
    def make(user):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user=user)}")

        def request(method: str, url: str, body=None):
            if method in ("get", "delete"):
                return getattr(client, method)(PREFIX + url)
            return getattr(client, method)(PREFIX + url, json.dumps(body or {}), content_type="application/json")

        return request

    return make


GOOD = {
    "name": "VIP 事件升级", "trigger": "created",
    "conditions": {"all": [cond("customer.vip", "ge", 2), cond("ticket.type", "eq", "incident")]},
    "actions": [{"type": "set_priority", "value": 2}],
}


def test_crud(world, call):
    admin = call(world.admin)
    created = admin("post", "", GOOD)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "VIP 事件升级" and body["version"] == 1 and body["active"]
    rid = body["id"]
    assert admin("get", f"/{rid}").json()["conditions"] == GOOD["conditions"]
    patched = admin("patch", f"/{rid}", {"active": False, "order": 5})
    assert patched.status_code == 200 and patched.json()["version"] == 2 and not patched.json()["active"]
    listing = admin("get", "").json()
    assert [r["id"] for r in listing["items"]] == [rid] and listing["next_cursor"] is None
    assert admin("get", "?active=true").json()["items"] == []
    assert admin("delete", f"/{rid}").status_code == 204
    assert admin("get", f"/{rid}").status_code == 404
    assert not Rule.objects.exists()


def test_bad_rule_json_is_refused_with_paths(world, call):
    bad = {
        **GOOD,
        "conditions": {"all": [cond("ticket.priority", "eq", 1), {"field": "ticket.priority", "op": "like", "value": 1},
                               cond("ticket.title", "regex", "(")]},
        "actions": [{"type": "set_priority", "value": 9}, {"type": "assign"}, {"type": "explode"}],
    }
    response = call(world.admin)("post", "", bad)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert set(errors) == {"conditions.all[1].op", "conditions.all[2].value", "actions[0].value", "actions[1]",
                           "actions[2].type"}
    assert not Rule.objects.exists()
    unknown_field = call(world.admin)("post", "", {**GOOD, "conditions": cond("ticket.nope", "eq", 1)})
    assert set(unknown_field.json()["errors"]) == {"conditions.field"}
    extra = call(world.admin)("post", "", {**GOOD, "colour": "red"})
    assert extra.status_code == 422 and "colour" in extra.json()["errors"]
    rid = call(world.admin)("post", "", GOOD).json()["id"]
    patched = call(world.admin)("patch", f"/{rid}", {"actions": [{"type": "notify", "to": "role"}]})
    assert patched.status_code == 422
    assert set(patched.json()["errors"]) == {"actions[0].to", "actions[0].subject"}
    scheduled = call(world.admin)("patch", f"/{rid}", {"trigger": "scheduled"})
    assert set(scheduled.json()["errors"]) == {"interval_minutes"}


def test_validate(world, call):
    ok = call(world.admin)("post", "/validate", GOOD).json()
    assert ok == {"valid": True, "errors": {}}
    bad = call(world.admin)("post", "/validate", {**GOOD, "conditions": {"any": "x"}}).json()
    assert bad["valid"] is False and list(bad["errors"]) == ["conditions.any"]


def test_permissions(world, call):
    rid = rule(world).pk
    for user in (world.agent, world.manager, world.customer, world.partner_agent):
        request = call(user)
        assert request("get", "").status_code == 403
        assert request("get", f"/{rid}").status_code == 403
        assert request("post", "", GOOD).status_code == 403
        assert request("post", "/dry-run", {"ticket_ids": [1]}).status_code == 403
    assert Rule.objects.count() == 1


def test_dry_run_writes_nothing(world, call):
    t = ticket(world)
    first = rule(world, name="first", order=1, conditions=cond("ticket.title", "contains", "凭证"),
                 actions=[{"type": "set_priority", "value": 1}], stop_processing=True)
    rule(world, name="second", order=2)
    before = (Ticket.objects.get(pk=t.pk).priority, RuleFiring.objects.count())
    response = call(world.admin)("post", "/dry-run", {"ticket_numbers": [t.number]})
    assert response.status_code == 200, response.content
    [result] = response.json()["results"]
    assert result["ticket"]["number"] == t.number
    assert [(r["rule"]["name"], r["matches"], r["would_fire"]) for r in result["rules"]] == [
        ("first", True, True), ("second", True, False)]
    assert result["rules"][0]["actions"] == [{"type": "set_priority", "would": {"value": 1}}]
    assert result["facts"]["customer.name"] == world.acme.name
    assert (Ticket.objects.get(pk=t.pk).priority, RuleFiring.objects.count()) == before
    # an unsaved rule
    inline = {**GOOD, "conditions": cond("ticket.title", "contains", "打印"), "actions": [
        {"type": "classify", "map": [{"keywords": ["凭证"], "category": world.voucher.pk}]}]}
    only = call(world.admin)("post", "/dry-run", {"ticket_ids": [t.pk], "rule": inline}).json()["results"][0]
    assert only["rules"][0]["actions"][0]["would"] == {"category": world.voucher.pk}
    bad = call(world.admin)("post", "/dry-run", {"ticket_ids": [t.pk], "rule": {**GOOD, "actions": []}})
    assert bad.status_code == 422 and "rule.actions" in bad.json()["errors"]
    by_id = call(world.admin)("post", "/dry-run", {"ticket_ids": [t.pk], "rule_ids": [first.pk]}).json()
    assert [r["rule"]["name"] for r in by_id["results"][0]["rules"]] == ["first"]


def test_dry_run_is_scoped_to_visible_tickets(world, call):
    branch_admin = create_user(username="bj_admin", password=world.password, memberships=[(world.beijing, Role.ADMIN)])
    rule(world)
    mine = ticket(world)
    theirs = ticket(world, actor=world.sh_agent, company=world.globex)
    request = call(branch_admin)
    ok = request("post", "/dry-run", {"ticket_ids": [mine.pk]})
    assert ok.status_code == 200
    refused = request("post", "/dry-run", {"ticket_ids": [mine.pk, theirs.pk]})
    assert refused.status_code == 422
    with override("zh-hans"):
        expected = gettext("Unknown tickets: %(list)s.") % {"list": theirs.pk}
    assert refused.json()["errors"] == {"ticket_ids": [expected]}
    assert theirs.title not in refused.content.decode()
    refused = request("post", "/dry-run", {"ticket_numbers": [theirs.number]})
    assert refused.status_code == 422 and "ticket_numbers" in refused.json()["errors"]
    # the firing log too shows only visible tickets
    log = request("get", "/firings").json()["items"]
    assert {f["ticket_number"] for f in log} == {mine.number}
    assert {f["ticket_number"] for f in call(world.admin)("get", "/firings").json()["items"]} == {mine.number, theirs.number}
