"""/api/v1/workflows: reading for staff, writing for workflow administrators, problem details."""

from __future__ import annotations

import pytest

from loopdesk.api.tests.conftest import ApiClient
from loopdesk.tickets.models import Ticket
from loopdesk.workflows.models import Workflow

from .conftest import with_waiting_parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world):
    cache: dict = {}

    def make(user):
        if user.pk not in cache:
            cache[user.pk] = ApiClient(user)
        return cache[user.pk]

    return make


def test_list_and_get_for_staff_only(world, api):
    r = api(world.agent).get("/workflows")
    assert r.status_code == 200
    items = r.json()["items"]
    assert {w["key"] for w in items} >= {"incident", "service_request", "consultation", "complaint", "problem",
                                         "work_order"}
    assert r.json()["next_cursor"] is None
    incident = next(w for w in items if w["key"] == "incident")
    assert incident["current_version_id"] and incident["draft_version_id"] is None
    r = api(world.partner_agent).get(f"/workflows/{incident['id']}")
    assert r.status_code == 200 and r.json()["versions"][0]["number"] == 1
    version = api(world.agent).get(f"/workflows/versions/{incident['current_version_id']}").json()
    assert version["valid"] and version["problems"] == [] and version["definition"]["states"][0]["key"] == "new"
    # Customers never see workflows; unknown ids are 404 problems.
    for path in ("/workflows", f"/workflows/{incident['id']}", f"/workflows/versions/{incident['current_version_id']}"):
        r = api(world.customer).get(path)
        assert r.status_code == 403 and r["Content-Type"] == "application/problem+json"
        assert "definition" not in r.content.decode()
    assert api(world.agent).get("/workflows/999999").status_code == 404
    assert api(world.agent).get("/workflows/versions/999999").status_code == 404


def test_validate_answers_problems_with_paths(world, api):
    definition = with_waiting_parts()
    r = api(world.agent).post("/workflows/validate", {"definition": definition})
    assert r.status_code == 200 and r.json() == {"valid": True, "problems": []}
    definition["transitions"][0]["to"] = "nowhere"
    r = api(world.agent).post("/workflows/validate", {"definition": definition})
    assert r.status_code == 200 and r.json()["valid"] is False
    assert r.json()["problems"][0]["path"] == "transitions[0].to"
    r = api(world.agent).post("/workflows/validate", {"definition": definition, "extra": 1})
    assert r.status_code == 422  # unknown fields in the body


def test_draft_edit_publish_with_migration(world, api):
    admin = api(world.admin)
    wf = Workflow.objects.get(key="incident")
    ticket = admin.post("/tickets", {"title": "卡纸", "description": "卡纸", "customer_id": world.acme.pk}).json()
    assert ticket["status"] == "new"
    # agents may read but not write
    assert api(world.agent).post(f"/workflows/{wf.pk}/drafts", {}).status_code == 403
    r = admin.post(f"/workflows/{wf.pk}/drafts", {})
    assert r.status_code == 201
    draft = r.json()
    assert draft["status"] == "draft" and draft["number"] == 2 and draft["valid"]
    assert admin.post(f"/workflows/{wf.pk}/drafts", {}).status_code == 409
    broken = with_waiting_parts()
    broken["states"][1]["phase"] = "limbo"
    r = admin.client.put(f"/api/v1/workflows/versions/{draft['id']}", {"definition": broken},
                         content_type="application/json")
    assert r.status_code == 200 and r.json()["valid"] is False
    assert r.json()["problems"][0]["path"] == "states[1].phase"
    r = admin.post(f"/workflows/versions/{draft['id']}/publish", {})
    assert r.status_code == 422 and "definition.states[1].phase" in r.json()["errors"]
    r = admin.patch(f"/workflows/versions/{draft['id']}", {"definition": with_waiting_parts(), "notes": "备件"})
    assert r.status_code == 200 and r.json()["valid"] and r.json()["notes"] == "备件"
    r = admin.post(f"/workflows/versions/{draft['id']}/publish", {"migration": {"mapping": {}}})
    assert r.status_code == 422 and "mapping.new" in r.json()["errors"]
    r = admin.post(f"/workflows/versions/{draft['id']}/publish", {"migration": {"mapping": {"new": "new"}}})
    assert r.status_code == 200 and r.json()["status"] == "published" and r.json()["tickets"] == 1
    assert Ticket.objects.get(pk=ticket["id"]).workflow_version_id == draft["id"]
    r = admin.patch(f"/workflows/versions/{draft['id']}", {"definition": with_waiting_parts()})
    assert r.status_code == 409


def test_ticket_transitions_api_uses_state_keys(world, api):
    admin = api(world.admin)
    wf = Workflow.objects.get(key="incident")
    draft = admin.post(f"/workflows/{wf.pk}/drafts", {"definition": with_waiting_parts()}).json()
    admin.post(f"/workflows/versions/{draft['id']}/publish", {})
    eng = api(world.manager)
    t = eng.post("/tickets", {"title": "卡纸", "description": "卡纸", "customer_id": world.acme.pk}).json()
    r = eng.post(f"/tickets/{t['id']}/transitions", {"to": "in_progress"})
    assert r.status_code == 200 and "waiting_parts" in r.json()["allowed_transitions"]
    options = eng.get(f"/tickets/{t['id']}/transitions").json()
    assert options["phase"] == "working"
    parts = next(o for o in options["allowed"] if o["to"] == "waiting_parts")
    assert parts["key"] == "wait_parts" and parts["label"]
    r = eng.post(f"/tickets/{t['id']}/transitions", {"to": "waiting_parts"})
    assert r.status_code == 200 and r.json()["status"] == "waiting_parts" and r.json()["phase"] == "waiting"
    r = eng.post(f"/tickets/{t['id']}/transitions", {"to": "Not A Key"})
    assert r.status_code == 422
    r = eng.post(f"/tickets/{t['id']}/transitions", {"to": "resolved", "fields": {"priority": 1}})
    assert r.status_code == 422 and "to" in r.json()["errors"]


def test_export_and_import(world, api):
    admin = api(world.admin)
    wf = Workflow.objects.get(key="complaint")
    data = admin.get(f"/workflows/{wf.pk}/export").json()
    assert data["key"] == "complaint" and data["definition"]["states"]
    assert api(world.agent).get(f"/workflows/{wf.pk}/export").status_code == 200
    assert api(world.customer).get(f"/workflows/{wf.pk}/export").status_code == 403
    assert admin.get(f"/workflows/{wf.pk}/export", {"version": 9}).status_code == 404
    data["definition"]["states"][0]["phase"] = "nope"
    r = admin.post("/workflows/import", data)
    assert r.status_code == 201 and r.json()["status"] == "draft" and r.json()["valid"] is False
    assert api(world.agent).post("/workflows/import", data).status_code == 403
    r = admin.post("/workflows/import", {"key": "x"})
    assert r.status_code == 422 and "definition" in r.json()["errors"]
