"""Versions: publishing never breaks tickets in flight; an explicit mapping migrates them."""

from __future__ import annotations

import pytest

from loopdesk.core.errors import Conflict, Forbidden, ValidationFailed
from loopdesk.tickets.choices import Phase
from loopdesk.tickets.models import Event, Ticket
from loopdesk.tickets.services import allowed_transitions, create_ticket, transition_ticket
from loopdesk.workflows import services
from loopdesk.workflows.models import TicketMigration, Workflow, WorkflowVersion

from .conftest import with_waiting_parts

pytestmark = pytest.mark.django_db


def new_ticket(world):
    return create_ticket(actor=world.agent, title="打印机卡纸", description="卡纸", company=world.acme)


def without_waiting_customer() -> dict:
    """The incident workflow with waiting_customer removed and in_progress renamed to working."""
    d = with_waiting_parts()
    d["states"] = [s for s in d["states"] if s["key"] != "waiting_customer"]
    for s in d["states"]:
        if s["key"] == "in_progress":
            s["key"] = "working"
    for t in d["transitions"]:
        t["from"] = ["working" if f == "in_progress" else f for f in t["from"] if f != "waiting_customer"]
        t["to"] = "working" if t["to"] == "in_progress" else t["to"]
    d["transitions"] = [t for t in d["transitions"] if t["to"] != "waiting_customer" and t["from"]]
    return d


def test_tickets_in_flight_keep_their_version(world):
    incident = Workflow.objects.get(key="incident")
    v1 = services.published_of(incident)
    old = new_ticket(world)
    old = transition_ticket(actor=world.agent, ticket=old, to="in_progress")
    draft = services.create_draft(actor=world.admin, workflow=incident, definition=without_waiting_customer())
    assert draft.problems == [] and draft.number == 2 and draft.status == WorkflowVersion.Status.DRAFT
    v2 = services.publish(actor=world.admin, version=draft)
    v1.refresh_from_db()
    assert v1.status == WorkflowVersion.Status.RETIRED and v2.status == WorkflowVersion.Status.PUBLISHED
    assert services.current_version("incident").pk == v2.pk
    # The old ticket finishes on version 1 (waiting_customer still exists there) ...
    old.refresh_from_db()
    assert old.workflow_version_id == v1.pk
    assert "waiting_customer" in allowed_transitions(old, actor=world.agent)
    old = transition_ticket(actor=world.agent, ticket=old, to="waiting_customer")
    assert old.phase == Phase.WAITING
    # ... while a new one runs on version 2.
    new = new_ticket(world)
    assert new.workflow_version_id == v2.pk
    assert allowed_transitions(new, actor=world.agent) == ["accepted", "working", "resolved", "cancelled"]
    with pytest.raises(Conflict):
        services.update_draft(actor=world.admin, version=v2, definition={})


def test_migration_maps_states_and_is_recorded(world):
    incident = Workflow.objects.get(key="incident")
    v1 = services.published_of(incident)
    waiting = transition_ticket(actor=world.agent, ticket=new_ticket(world), to="in_progress")
    waiting = transition_ticket(actor=world.agent, ticket=waiting, to="waiting_customer")
    fresh = new_ticket(world)
    draft = services.create_draft(actor=world.admin, workflow=incident, definition=without_waiting_customer())
    # Refused unless every state in use is mapped to an existing state; nothing changes then.
    with pytest.raises(ValidationFailed) as exc:
        services.publish(actor=world.admin, version=draft, migration={"mapping": {"new": "new"}})
    assert set(exc.value.fields) == {"mapping.waiting_customer"}
    draft.refresh_from_db()
    assert draft.status == WorkflowVersion.Status.DRAFT and services.published_of(incident).pk == v1.pk
    with pytest.raises(ValidationFailed) as exc:
        services.publish(actor=world.admin, version=draft,
                         migration={"mapping": {"new": "new", "waiting_customer": "in_progress"}})
    assert set(exc.value.fields) == {"mapping.waiting_customer"}
    with pytest.raises(Forbidden):
        services.publish(actor=world.agent, version=draft)
    v2 = services.publish(actor=world.manager if world.manager.can("workflow.admin") else world.admin,
                          version=draft, migration={"mapping": {"new": "new", "waiting_customer": "waiting_parts"}})
    waiting.refresh_from_db()
    fresh.refresh_from_db()
    assert (waiting.workflow_version_id, waiting.status, waiting.phase, waiting.is_open) == (
        v2.pk, "waiting_parts", Phase.WAITING, True)
    assert (fresh.workflow_version_id, fresh.status) == (v2.pk, "new")
    migration = TicketMigration.objects.get()
    assert migration.tickets_moved == 2 and migration.from_version_id == v1.pk and migration.to_version_id == v2.pk
    event = waiting.events.filter(kind=Event.Kind.WORKFLOW).get()
    assert event.changes == {"status": ["waiting_customer", "waiting_parts"]} and event.internal
    assert event.data["from_version"] == 1 and event.data["to_version"] == 2
    assert fresh.events.filter(kind=Event.Kind.WORKFLOW).get().changes == {}
    assert not Ticket.objects.filter(workflow_version=v1).exists()
    with pytest.raises(ValidationFailed):  # nothing left to migrate to a draft / itself
        services.migrate_tickets(actor=world.admin, from_version=v2, to_version=v2, mapping={})


def test_invalid_workflow_is_refused_on_publish_with_paths(world):
    incident = Workflow.objects.get(key="incident")
    bad = with_waiting_parts()
    bad["transitions"] = [t for t in bad["transitions"] if t["key"] != "wait_parts"]  # waiting_parts unreachable
    bad["transitions"][0]["roles"] = []  # nobody may accept
    bad["states"][0]["phase"] = "pending"
    draft = services.create_draft(actor=world.admin, workflow=incident, definition=bad)
    assert {p.path for p in draft.problems} >= {"states[0].phase", "transitions[0].roles"}
    with pytest.raises(Conflict):  # one draft at a time
        services.create_draft(actor=world.admin, workflow=incident)
    with pytest.raises(ValidationFailed) as exc:
        services.publish(actor=world.admin, version=draft)
    assert {"definition.states[0].phase", "definition.transitions[0].roles"} <= set(exc.value.fields)
    bad["states"][0]["phase"] = "open"
    bad["transitions"][0]["roles"] = ["agent"]
    draft = services.update_draft(actor=world.admin, version=draft, definition=bad)
    assert [p.path for p in draft.problems] == ["states[4]"]  # waiting_parts cannot be reached
    with pytest.raises(ValidationFailed) as exc:
        services.publish(actor=world.admin, version=draft)
    assert list(exc.value.fields) == ["definition.states[4]"]
    services.discard_draft(actor=world.admin, version=draft)
    assert not incident.versions.filter(status=WorkflowVersion.Status.DRAFT).exists()


def test_unbound_tickets_are_bound_before_their_version_retires(world):
    t = new_ticket(world)
    Ticket.objects.filter(pk=t.pk).update(workflow_version=None, status="waiting_customer")
    incident = Workflow.objects.get(key="incident")
    v1 = services.published_of(incident)
    draft = services.create_draft(actor=world.admin, workflow=incident, definition=without_waiting_customer())
    services.publish(actor=world.admin, version=draft)
    t.refresh_from_db()
    assert t.workflow_version_id == v1.pk
    assert "in_progress" in allowed_transitions(t, actor=world.agent)


def test_narrowed_workflow_wins_for_its_category(world):
    wf = services.create_workflow(actor=world.admin, key="incident-finance", name="财务事件", ticket_type="incident",
                                  category=world.finance, definition=with_waiting_parts())
    with pytest.raises(ValidationFailed):  # a second general workflow for the type
        services.create_workflow(actor=world.admin, key="incident-2", name="x", ticket_type="incident")
    v = services.publish(actor=world.admin, version=wf.versions.get())
    ticket = create_ticket(actor=world.agent, title="凭证", description="凭证打印", company=world.acme,
                           category=world.voucher)
    assert ticket.workflow_version_id == v.pk
    other = new_ticket(world)
    assert other.workflow_version.workflow.key == "incident"


def test_export_import_round_trip(world):
    incident = Workflow.objects.get(key="incident")
    data = services.export_json(incident)
    assert data["format"] == "loopdesk.workflow" and data["version"] == 1 and data["ticket_type"] == "incident"
    data["definition"] = with_waiting_parts(data["definition"])
    draft = services.import_json(actor=world.admin, data=data)
    assert draft.workflow_id == incident.pk and draft.number == 2 and draft.problems == []
    data["key"] = "imported"
    data["ticket_type"] = "work_order"
    with pytest.raises(ValidationFailed):  # work orders already have a general workflow
        services.import_json(actor=world.admin, data=data)
    with pytest.raises(ValidationFailed) as exc:
        services.import_json(actor=world.admin, data={"format": "other", "definition": []})
    assert set(exc.value.fields) == {"format", "key", "definition"}


def test_bind_unbound_tickets(world):
    a, b = new_ticket(world), create_ticket(actor=world.agent, title="派工", description="上门", company=world.acme,
                                            type="work_order")
    Ticket.objects.filter(pk__in=[a.pk, b.pk]).update(workflow_version=None)
    assert services.bind_unbound_tickets() == 2
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.workflow_version.workflow.key, b.workflow_version.workflow.key) == ("incident", "work_order")
    assert services.bind_unbound_tickets() == 0
