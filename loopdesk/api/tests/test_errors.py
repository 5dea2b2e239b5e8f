"""Every error is an RFC 9457 problem; bad input is never a 5xx and changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from loopdesk.core.models import AuditEvent
from loopdesk.customers.models import Company, Contact
from loopdesk.tickets.models import Event, Ticket

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "errors"}


def rows():
    return (
        Ticket.objects.count(),
        Event.objects.count(),
        Company.objects.count(),
        Contact.objects.count(),
        AuditEvent.objects.exclude(action="token_issued").count(),
    )


def assert_problem(r, status: int, field: str | None = None):
    assert r.status_code == status, r.content
    assert r["Content-Type"] == "application/problem+json"
    body = r.json()
    assert set(body) == PROBLEM_KEYS and body["status"] == status and body["instance"].startswith("/api/v1/")
    assert body["type"].startswith("urn:loopdesk:problem:")
    if field:
        assert field in body["errors"], body
        assert all(isinstance(m, str) and m for m in body["errors"][field])
    return body


def test_unauthenticated_is_401(db):
    c = Client()
    for path in ("/api/v1/tickets", "/api/v1/companies", "/api/v1/tickets/1"):
        r = c.get(path)
        assert_problem(r, 401)
        assert r["WWW-Authenticate"].startswith("Bearer")
    assert_problem(c.post("/api/v1/tickets", "{}", content_type="application/json"), 401)
    assert_problem(c.get("/api/v1/tickets", HTTP_AUTHORIZATION="Bearer ld_wrong"), 401)


def test_session_auth_requires_csrf_for_writes(world):
    c = Client(enforce_csrf_checks=True)
    c.force_login(world.agent)
    assert c.get("/api/v1/tickets").status_code == 200
    body = {"title": "t", "description": "d", "customer_id": world.acme.pk}
    import json

    r = c.post("/api/v1/tickets", json.dumps(body), content_type="application/json")
    assert_problem(r, 403)
    c.get("/api/v1/docs")  # sets the CSRF cookie
    token = c.cookies["csrftoken"].value
    r = c.post("/api/v1/tickets", json.dumps(body), content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 201


@pytest.mark.parametrize("raw", ['{"title": ', "not json", "\xff\xfe"])
def test_malformed_json_is_400(world, as_user, raw):
    before = rows()
    assert_problem(as_user(world.agent).post("/tickets", raw=raw), 400, "body")
    assert rows() == before


@pytest.mark.parametrize(
    "body,field",
    [
        ({"description": "d", "customer_id": 1}, "title"),
        ({"title": "t", "description": "d"}, "customer_id"),
        ({"title": 5, "description": "d", "customer_id": 1}, "title"),
        ({"title": "t", "description": "d", "customer_id": "abc"}, "customer_id"),
        ({"title": "t", "description": "d", "customer_id": 10**30}, "customer_id"),
        ({"title": "t", "description": "d", "customer_id": -1}, "customer_id"),
        ({"title": "t" * 201, "description": "d", "customer_id": 1}, "title"),
        ({"title": "t\x00", "description": "d", "customer_id": 1}, "title"),
        ({"title": "t", "description": "d", "customer_id": 1, "impact": 7}, "impact"),
        ({"title": "t", "description": "d", "customer_id": 1, "type": "nope"}, "type"),
        ({"title": "t", "description": "d", "customer_id": 1, "custom_fields": []}, "custom_fields"),
        (
            {"title": "t", "description": "d", "customer_id": 1, "custom_fields": {"a": "\x00"}},
            "custom_fields",
        ),
        ({"title": "t", "description": "d", "customer_id": 1, "colour": "red"}, "colour"),
    ],
)
def test_wrong_types_and_missing_fields_are_422_per_field(world, as_user, body, field):
    body = {**body, **({"customer_id": world.acme.pk} if body.get("customer_id") == 1 else {})}
    before = rows()
    assert_problem(as_user(world.agent).post("/tickets", body), 422, field)
    assert rows() == before


def test_json_array_body_is_422(world, as_user):
    assert_problem(as_user(world.agent).post("/tickets", [1, 2]), 422)


def test_unknown_ids_in_body_are_422_naming_each_field(world, as_user):
    before = rows()
    r = as_user(world.agent).post(
        "/tickets",
        {
            "title": "t",
            "description": "d",
            "customer_id": 999999,
            "category_id": 999999,
            "asset_id": 999999,
            "contact_id": 999999,
            "group_id": 999999,
            "assignee_id": 999999,
        },
    )
    body = assert_problem(r, 422)
    assert {"customer_id", "category_id", "asset_id", "contact_id", "group_id", "assignee_id"} <= set(
        body["errors"]
    )
    assert rows() == before


def test_domain_errors_keep_status_and_fields(world, as_user, ticket):
    before = rows()
    # contact of another customer: the service's ValidationFailed names the field
    r = as_user(world.manager).post(
        "/tickets",
        {
            "title": "t",
            "description": "d",
            "customer_id": world.acme.pk,
            "contact_id": world.globex_contact.pk,
        },
    )
    assert_problem(r, 422, "contact_id")
    # an executive may not create tickets: Forbidden → 403
    r = as_user(world.executive).post(
        "/tickets", {"title": "t", "description": "d", "customer_id": world.acme.pk}
    )
    assert_problem(r, 403)
    # an invalid transition is 422
    assert_problem(
        as_user(world.agent).post(f"/tickets/{ticket['id']}/transitions", {"to": "closed"}), 422, "to"
    )
    assert_problem(
        as_user(world.agent).post(f"/tickets/{ticket['id']}/transitions", {"to": "nope"}), 422, "to"
    )
    assert rows() == before


def test_404_and_405_are_problems(world, as_user, ticket):
    c = as_user(world.agent)
    assert_problem(c.get("/tickets/999999"), 404)
    assert_problem(c.get(f"/tickets/{10**30}"), 404)
    assert_problem(c.get("/no-such-thing"), 404)
    r = c.delete(f"/tickets/{ticket['id']}")
    assert_problem(r, 405)
    assert "PATCH" in r["Allow"] and "GET" in r["Allow"]
    assert_problem(c.client.put("/api/v1/tickets", "{}", content_type="application/json"), 405)


def test_bad_query_parameters_are_422(world, as_user):
    c = as_user(world.agent)
    assert_problem(c.get("/tickets", {"limit": "x"}), 422, "limit")
    assert_problem(c.get("/tickets", {"sort": "title"}), 422, "sort")
    assert_problem(c.get("/tickets", {"created_after": "yesterday"}), 422, "created_after")
    assert_problem(c.get("/tickets", {"q": "a\x00b"}), 422, "q")
    assert_problem(c.get("/tickets", {"queue": "everything"}), 422, "queue")


def test_patch_refusals_change_nothing(world, as_user, ticket):
    c = as_user(world.agent)
    before = Ticket.objects.get(pk=ticket["id"])
    assert_problem(c.patch(f"/tickets/{ticket['id']}", {"title": ""}), 422, "title")
    assert_problem(c.patch(f"/tickets/{ticket['id']}", {"asset_id": world.globex_asset.pk}), 422, "asset_id")
    assert_problem(c.patch(f"/tickets/{ticket['id']}", {"number": "1"}), 422, "number")
    after = Ticket.objects.get(pk=ticket["id"])
    assert (before.title, before.asset_id, before.updated_at) == (
        after.title,
        after.asset_id,
        after.updated_at,
    )


def test_messages_are_chinese_by_default_and_english_on_request(world, as_user):
    c = as_user(world.agent)
    zh = c.post("/tickets", {"description": "d", "customer_id": world.acme.pk}).json()
    en = c.post(
        "/tickets", {"description": "d", "customer_id": world.acme.pk}, HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert en["errors"]["title"] == ["This field is required."]
    assert zh["errors"]["title"] != en["errors"]["title"]


def test_oversized_body_is_413_and_changes_nothing(world, as_user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    c = as_user(world.agent)
    before = rows()
    big = {"title": "t", "description": "长" * 20_000, "customer_id": world.acme.pk}
    assert_problem(c.post("/tickets", big), 413, "body")
    assert_problem(c.post("/tickets", big, HTTP_IDEMPOTENCY_KEY="big-1"), 413, "body")
    assert rows() == before


def test_broken_multipart_is_400(world, as_user, ticket):
    c = as_user(world.agent)
    r = c.client.post(
        f"/api/v1/tickets/{ticket['id']}/attachments",
        b"--x\r\nnonsense",
        content_type="multipart/form-data; boundary=x",
    )
    assert r.status_code in (400, 422) and r["Content-Type"] == "application/problem+json"


def test_null_for_a_required_column_is_a_422_not_a_500(world, as_user):
    """Found by schemathesis: PATCH {"resolution": null} / {"vip_level": null} reached the database."""
    from loopdesk.tickets import services

    c = as_user(world.agent)
    t = services.create_ticket(actor=world.agent, company=world.acme, title="t", description="d")
    for path, body in ((f"/tickets/{t.pk}", {"resolution": None}), (f"/tickets/{t.pk}", {"channel": None}),
                       (f"/companies/{world.acme.pk}", {"vip_level": None})):
        r = c.patch(path, body)
        assert r.status_code == 422, (path, body, r.status_code)
        assert list(body)[0] in str(r.json()["errors"])
