"""Tickets on workflows: the incident lifecycle as before, custom states and phases, roles, required
fields, actions, guards, the reopen window and auto-close."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from loopdesk.core.errors import ValidationFailed
from loopdesk.tickets.choices import Phase, Status
from loopdesk.tickets.models import Event, Ticket
from loopdesk.tickets.services import (
    allowed_transitions,
    auto_close_resolved,
    available_transitions,
    create_ticket,
    transition_ticket,
)
from loopdesk.tickets.services.lifecycle import CUSTOMER_TRANSITIONS, STAFF_TRANSITIONS
from loopdesk.workflows import services
from loopdesk.workflows.models import Workflow

from .conftest import step, with_waiting_parts

S = Status

# The foundation's fixed lifecycle, as it was written before workflows (the incident workflow must equal it).
OLD_STAFF = {
    S.NEW: {S.ACCEPTED, S.IN_PROGRESS, S.RESOLVED, S.CANCELLED},
    S.ACCEPTED: {S.IN_PROGRESS, S.WAITING_CUSTOMER, S.RESOLVED, S.CANCELLED},
    S.IN_PROGRESS: {S.WAITING_CUSTOMER, S.RESOLVED, S.CANCELLED},
    S.WAITING_CUSTOMER: {S.IN_PROGRESS, S.RESOLVED, S.CANCELLED},
    S.RESOLVED: {S.CLOSED, S.IN_PROGRESS},
    S.CLOSED: {S.IN_PROGRESS},
    S.CANCELLED: set(),
}
OLD_CUSTOMER = {
    S.NEW: {S.CANCELLED},
    S.ACCEPTED: {S.CANCELLED},
    S.RESOLVED: {S.CLOSED, S.IN_PROGRESS},
    S.CLOSED: {S.IN_PROGRESS},
}


def new_ticket(world, **kw):
    return create_ticket(actor=world.agent, title="凭证打印不出来", description="点击打印没有反应", company=world.acme,
                         contact=world.acme_contact, **kw)


def publish(world, definition, key="incident", migration=None):
    workflow = Workflow.objects.get(key=key)
    draft = services.create_draft(actor=world.admin, workflow=workflow, definition=definition)
    return services.publish(actor=world.admin, version=draft, migration=migration)


def test_incident_workflow_is_the_old_lifecycle():
    assert {k: v for k, v in STAFF_TRANSITIONS.items()} == OLD_STAFF
    assert CUSTOMER_TRANSITIONS == OLD_CUSTOMER


@pytest.mark.django_db
def test_allowed_transitions_follow_the_old_rules_incl_reopen_window(world, settings):
    settings.LOOPDESK_REOPEN_WINDOW_DAYS = 14
    t = new_ticket(world)
    assert t.workflow_version.workflow.key == "incident" and t.workflow_version.number == 1
    assert t.status == S.NEW and t.phase == Phase.OPEN
    assert allowed_transitions(t, actor=world.agent) == ["accepted", "in_progress", "resolved", "cancelled"]
    assert allowed_transitions(t, actor=world.customer) == ["cancelled"]
    t = transition_ticket(actor=world.agent, ticket=t, to="resolved", resolution="重装控件")
    now = timezone.now()
    assert set(allowed_transitions(t, actor=world.customer, now=now)) == {"closed", "in_progress"}
    later = now + datetime.timedelta(days=15)
    assert allowed_transitions(t, actor=world.customer, now=later) == ["closed"]
    assert set(allowed_transitions(t, actor=world.agent, now=later)) == {"in_progress", "closed"}
    t = transition_ticket(actor=world.customer, ticket=t, to="closed")
    assert t.closed_at and t.phase == Phase.CLOSED and not t.is_open
    assert allowed_transitions(t, actor=world.agent, now=later) == []
    assert allowed_transitions(t, actor=world.agent) == ["in_progress"]
    t = transition_ticket(actor=world.customer, ticket=t, to="in_progress", comment="又坏了")
    assert t.resolved_at is None and t.closed_at is None and t.is_open and t.phase == Phase.WORKING
    event = t.events.filter(kind=Event.Kind.STATUS).last()
    assert event.changes == {"status": ["closed", "in_progress"]}
    assert event.data["transition"] == "reopen" and event.data["phase"] == ["closed", "working"]


@pytest.mark.django_db
def test_refused_move_keeps_message_and_shape(world):
    translation.activate("en")
    t = new_ticket(world)
    with pytest.raises(ValidationFailed) as exc:
        transition_ticket(actor=world.customer, ticket=t, to="resolved")
    assert exc.value.fields == {"to": ["Allowed now: cancelled."]}
    assert exc.value.detail == "A ticket that is New cannot become Resolved."
    with pytest.raises(ValidationFailed) as exc:
        transition_ticket(actor=world.agent, ticket=t, to="bogus")
    assert exc.value.fields == {"to": ["Unknown status."]}
    with pytest.raises(ValidationFailed) as exc:
        transition_ticket(actor=world.agent, ticket=t, to="resolved")
    assert list(exc.value.fields) == ["resolution"]


@pytest.mark.django_db
def test_custom_waiting_state_pauses_as_waiting(world):
    publish(world, with_waiting_parts())
    t = new_ticket(world)
    assert t.workflow_version.number == 2
    t = transition_ticket(actor=world.engineer, ticket=t, to="in_progress")
    assert t.accepted_at is not None
    # Roles: the agent may not wait for parts, the engineer may.
    assert "waiting_parts" not in allowed_transitions(t, actor=world.agent)
    with pytest.raises(ValidationFailed):
        transition_ticket(actor=world.agent, ticket=t, to="waiting_parts")
    t = transition_ticket(actor=world.engineer, ticket=t, to="waiting_parts")
    t.refresh_from_db()
    assert t.status == "waiting_parts" and t.phase == Phase.WAITING and t.is_open
    assert Ticket.objects.open().filter(pk=t.pk).exists()
    with translation.override("en"):
        assert t.get_status_display() == "Waiting for parts"
    with translation.override("zh-hans"):
        assert t.get_status_display() == "等待备件"
    options = available_transitions(t, actor=world.agent)
    assert [(o.key, o.to) for o in options] == [("parts_arrived", "in_progress")]


@pytest.mark.django_db
def test_required_fields_form_and_actions(world):
    from loopdesk.workflows import defaults

    d = defaults.definition("incident")
    for tr in d["transitions"]:
        if tr["key"] == "resolve":
            tr["required"] = ["resolution", "responsibility", "assignee"]
            tr["form"] = ["resolution", "responsibility", "comment"]
            tr["actions"] = [{"type": "set", "field": "priority", "value": 4}]
    publish(world, d)
    t = new_ticket(world)
    with pytest.raises(ValidationFailed) as exc:
        transition_ticket(actor=world.agent, ticket=t, to="resolved", resolution="ok")
    assert set(exc.value.fields) == {"fields.responsibility", "assignee"}
    with pytest.raises(ValidationFailed) as exc:
        transition_ticket(actor=world.agent, ticket=t, to="resolved", resolution="ok", fields={"urgency": 1})
    assert set(exc.value.fields) == {"fields.urgency"}
    with pytest.raises(ValidationFailed) as exc:
        transition_ticket(actor=world.agent, ticket=t, to="resolved", fields={"responsibility": "aliens"})
    assert set(exc.value.fields) == {"fields.responsibility"}
    t.assignee = world.agent
    t.save()
    t = transition_ticket(actor=world.agent, ticket=t, to="resolved", resolution="ok",
                          fields={"responsibility": "customer"})
    assert (t.status, t.responsibility, t.priority, t.resolution) == ("resolved", "customer", 4, "ok")
    event = t.events.filter(kind=Event.Kind.STATUS).last()
    assert event.changes["responsibility"] == ["", "customer"] and event.changes["priority"][1] == 4


@pytest.mark.django_db
def test_guards(world):
    from loopdesk.workflows.validation import validate

    guard = {"field": "ticket.priority", "op": "eq", "value": 1}
    d = with_waiting_parts()
    d["transitions"][-1]["guard"] = guard
    assert validate(d) == []
    bad = with_waiting_parts()
    bad["transitions"][-1]["guard"] = {"field": "ticket.salary", "op": "eq", "value": 1}
    assert [p.path for p in validate(bad)] == [f"transitions[{len(bad['transitions']) - 1}].guard.field"]
    publish(world, d)
    t = new_ticket(world, priority=3)
    t = transition_ticket(actor=world.engineer, ticket=t, to="in_progress")
    t = transition_ticket(actor=world.engineer, ticket=t, to="waiting_parts")
    assert "in_progress" not in allowed_transitions(t, actor=world.engineer)
    with pytest.raises(ValidationFailed) as exc:
        transition_ticket(actor=world.engineer, ticket=t, to="in_progress")
    assert "conditions" in exc.value.detail or "parts_arrived" in exc.value.detail
    t.priority = 1
    t.save()
    assert "in_progress" in allowed_transitions(t, actor=world.engineer)
    t = transition_ticket(actor=world.engineer, ticket=t, to="in_progress")
    assert t.status == "in_progress"


@pytest.mark.django_db
def test_customer_flag_and_system_actor(world):
    d = with_waiting_parts()
    d["transitions"].append(step("customer_parts", ["waiting_parts"], "resolved", roles=[], customer=True))
    publish(world, d)
    t = new_ticket(world)
    t = transition_ticket(actor=None, ticket=t, to="in_progress")  # the system may take any staff step
    t = transition_ticket(actor=world.engineer, ticket=t, to="waiting_parts")
    assert allowed_transitions(t, actor=world.customer) == ["resolved"]
    assert "resolved" not in allowed_transitions(t, actor=world.engineer)
    t = transition_ticket(actor=world.customer, ticket=t, to="resolved")
    assert t.resolved_at and t.phase == Phase.RESOLVED


@pytest.mark.django_db
def test_auto_close_uses_the_workflows_closed_state(world, settings):
    settings.LOOPDESK_AUTO_CLOSE_DAYS = 7
    d = {
        "states": [
            {"key": "new", "label": {"zh-hans": "新建", "en": "New"}, "phase": "open", "initial": True},
            {"key": "doing", "label": {"zh-hans": "处理", "en": "Doing"}, "phase": "working"},
            {"key": "done", "label": {"zh-hans": "完成", "en": "Done"}, "phase": "resolved"},
            {"key": "archived", "label": {"zh-hans": "归档", "en": "Archived"}, "phase": "closed"},
        ],
        "transitions": [step("start", ["new"], "doing"), step("finish", ["doing"], "done"),
                        step("archive", ["done"], "archived"), step("again", ["done"], "doing")],
    }
    publish(world, d)
    t = new_ticket(world)
    t = transition_ticket(actor=world.agent, ticket=t, to="doing")
    t = transition_ticket(actor=world.agent, ticket=t, to="done")
    assert t.resolved_at and t.phase == Phase.RESOLVED
    fresh = new_ticket(world)
    later = timezone.now() + datetime.timedelta(days=8)
    assert auto_close_resolved(now=later) == 1
    t.refresh_from_db()
    assert (t.status, t.phase, t.closed_at) == ("archived", Phase.CLOSED, later)
    assert t.events.last().changes == {"status": ["done", "archived"]}
    fresh.refresh_from_db()
    assert fresh.status == "new"


@pytest.mark.django_db
def test_labels_in_lists_cost_no_query_and_unbound_tickets_work(world):
    publish(world, with_waiting_parts())
    for _ in range(3):
        new_ticket(world)
    legacy = new_ticket(world)
    Ticket.objects.filter(pk=legacy.pk).update(workflow_version=None)
    list(t.get_status_display() for t in Ticket.objects.all())  # warm the per-process cache
    with CaptureQueriesContext(connection) as queries:
        labels = [t.get_status_display() for t in Ticket.objects.all()]
    assert len(queries) == 1 and len(labels) == 4
    legacy.refresh_from_db()
    assert legacy.workflow_version_id is None
    assert allowed_transitions(legacy, actor=world.agent) == ["accepted", "in_progress", "resolved", "cancelled"]
    legacy = transition_ticket(actor=world.agent, ticket=legacy, to="in_progress")
    legacy.refresh_from_db()
    assert legacy.workflow_version.number == 2  # bound on its first transition to the current version


@pytest.mark.django_db
def test_deciding_transitions_costs_no_query_once_cached(world):
    t = new_ticket(world)
    allowed_transitions(t, actor=world.agent)  # warm: the version compiled, the user's roles read
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert available_transitions(t, actor=world.agent)
        assert t.get_status_display()
    assert len(queries) == 0


def test_queue_filters_by_a_workflows_own_state(world, client):
    publish(world, with_waiting_parts())
    waiting = transition_ticket(actor=world.engineer, ticket=new_ticket(world), to="in_progress")
    waiting = transition_ticket(actor=world.engineer, ticket=waiting, to="waiting_parts")
    other = create_ticket(actor=world.agent, title="另一个请求", description="还没处理", company=world.acme)
    client.force_login(world.agent)
    with translation.override("zh-hans"):
        page = client.get("/tickets/", {"status": "waiting_parts", "tab": "all"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    numbers = {row["number"] for row in page.context["rows"]}
    assert waiting.number in numbers and other.number not in numbers
    assert ("waiting_parts", "等待备件") in page.context["form"].fields["status"].choices
    assert '<option value="waiting_parts" selected>' in page.content.decode()
