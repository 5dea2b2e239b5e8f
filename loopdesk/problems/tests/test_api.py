"""The problem API (/api/v1/problems), scoping included."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from loopdesk.accounts.services import issue_token
from loopdesk.problems import services
from loopdesk.tickets.models import Ticket

from .test_services import incident

PREFIX = "/api/v1/problems"


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


def test_create_get_patch_list(world, call):
    a, b = incident(world), incident(world)
    manager = call(world.manager)
    created = manager("post", "", {"title": "凭证打印组件崩溃", "incident_ids": [a.pk, b.pk]})
    assert created.status_code == 201, created.content
    body = created.json()
    assert {i["id"] for i in body["incidents"]} == {a.pk, b.pk} and body["known_error"] is False
    pk = body["id"]
    patched = manager("patch", f"/{pk}", {"root_cause": "内存泄漏", "workaround": "重启打印服务", "known_error": True,
                                         "affected_version_ids": [world.u8_165.pk]})
    assert patched.status_code == 200, patched.content
    assert patched.json()["known_error"] is True and patched.json()["affected_version_ids"] == [world.u8_165.pk]
    assert manager("patch", f"/{pk}", {"owner": "x"}).status_code == 422
    assert manager("patch", f"/{pk}", {"workaround": None}).status_code == 422
    assert manager("patch", f"/{pk}", {"affected_version_ids": [999999]}).status_code == 422
    assert [p["id"] for p in manager("get", "").json()["items"]] == [pk]
    assert [p["id"] for p in manager("get", "?state=known_error").json()["items"]] == [pk]
    got = manager("get", f"/{pk}").json()
    assert got["workaround"] == "重启打印服务"
    assert manager("get", f"/{a.pk}").status_code == 404  # an incident is not a problem


def test_link_unlink_publish_resolve(world, call):
    a, b = incident(world), incident(world)
    manager = call(world.manager)
    pk = manager("post", "", {"title": "P", "incident_ids": [a.pk]}).json()["id"]
    linked = manager("post", f"/{pk}/incidents", {"incident_ids": [b.pk]})
    assert linked.status_code == 200 and len(linked.json()["incidents"]) == 2
    assert manager("post", f"/{pk}/incidents", {"incident_ids": [b.pk]}).status_code == 409
    assert manager("delete", f"/{pk}/incidents/{b.pk}").status_code == 204
    assert manager("delete", f"/{pk}/incidents/{b.pk}").status_code == 404
    assert manager("post", f"/{pk}/publish").status_code == 422  # no workaround yet
    manager("patch", f"/{pk}", {"workaround": "重启打印服务"})
    published = manager("post", f"/{pk}/publish").json()
    assert published["known_error"] is True and published["article"]["status"] == "published"
    resolved = manager("post", f"/{pk}/resolve", {"resolution": "补丁修复", "notify_incidents": True})
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["replied"] == 1 and resolved.json()["problem"]["status"] == "resolved"


def test_scoping(world, call):
    a = incident(world)
    problem = services.problem_for_incidents(actor=world.manager, incidents=[a], title="北京的问题")
    for who in ("sh_agent", "customer", "other_customer", "partner_agent", "other_partner_agent"):
        user = call(getattr(world, who))
        assert user("get", f"/{problem.pk}").status_code == 404, who
        assert user("get", "").json()["items"] == [], who
        assert user("patch", f"/{problem.pk}", {"root_cause": "x"}).status_code == 404, who
        assert user("post", f"/{problem.pk}/publish").status_code == 404, who
    # Incidents the caller cannot see cannot be linked.
    shanghai = incident(world, company=world.globex, contact=world.globex_contact, actor=world.sh_agent)
    refused = call(world.engineer)("post", "", {"title": "x", "incident_ids": [shanghai.pk]})
    assert refused.status_code == 422
    # Seeing is not managing: an agent reads but may not write.
    agent = call(world.agent)
    assert agent("get", f"/{problem.pk}").status_code == 200
    assert agent("patch", f"/{problem.pk}", {"root_cause": "x"}).status_code == 403
    assert agent("post", "", {"title": "x", "incident_ids": [a.pk]}).status_code == 403
    assert Ticket.objects.filter(type="problem").count() == 1
    assert services.record_of(problem).root_cause == ""


def test_list_query_count_is_flat(world, call, django_assert_max_num_queries):
    for n in range(3):
        services.problem_for_incidents(actor=world.manager, incidents=[incident(world)], title=f"P{n}")
    manager = call(world.manager)
    with django_assert_max_num_queries(12):
        assert len(manager("get", "").json()["items"]) == 3
    for n in range(5):
        services.problem_for_incidents(actor=world.manager, incidents=[incident(world)], title=f"Q{n}")
    with django_assert_max_num_queries(12):
        assert len(manager("get", "").json()["items"]) == 8
