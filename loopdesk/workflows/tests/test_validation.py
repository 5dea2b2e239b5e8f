"""Validation of workflow definitions: the defaults are valid; broken ones are refused with paths."""

from __future__ import annotations

import copy

import pytest
from django.utils import translation

from loopdesk.accounts.roles import Role
from loopdesk.tickets.choices import STATUS_PHASE, Phase, Responsibility, TicketType
from loopdesk.workflows import defaults, graph
from loopdesk.workflows.validation import validate
from loopdesk.workflows.vocabulary import ACTION_VALUES, PHASES, ROLES, STAFF_ROLES, TICKET_TYPES

from .conftest import state, step, tiny, with_waiting_parts


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def paths(definition) -> dict[str, str]:
    return {p.path: p.message for p in validate(definition)}


def test_vocabulary_matches_the_ticket_app():
    assert tuple(Phase.values) == PHASES
    assert set(TICKET_TYPES) == set(TicketType.values)
    assert ACTION_VALUES["responsibility"] == ("", *Responsibility.values)
    assert set(ROLES) == set(Role.values) - {Role.CUSTOMER}
    from loopdesk.accounts.roles import ROLE_PERMISSIONS, Perm

    assert set(STAFF_ROLES) == {r for r, perms in ROLE_PERMISSIONS.items() if Perm.TICKET_TRANSITION in perms}


@pytest.mark.parametrize("key", list(defaults.DEFAULTS))
def test_every_default_workflow_is_valid(key):
    definition = defaults.definition(key)
    assert validate(definition) == []
    keys = graph.states(definition)
    # every default keeps the well-known keys, each in the phase the foundation gave it
    phases = {s["key"]: s["phase"] for s in definition["states"]}
    for status, phase in STATUS_PHASE.items():
        assert phases[status] == phase
    assert graph.reachable(definition) == set(keys)
    for s in definition["states"]:
        assert s["label"]["zh-hans"] and s["label"]["en"]


def test_custom_waiting_parts_is_valid():
    assert validate(with_waiting_parts()) == []
    assert validate(tiny()) == []


def test_unreachable_state_and_dead_end_are_refused():
    d = tiny()
    d["states"].append(state("island", "working", "孤岛", "Island"))
    problems = validate(d)
    assert [p.path for p in problems] == ["states[2]", "states[2]"]
    assert "cannot be reached" in problems[0].message and "dead end" in problems[1].message
    d = tiny()
    d["states"].append(state("limbo", "waiting", "悬空", "Limbo"))
    d["transitions"].append(step("to_limbo", ["open"], "limbo"))
    problems = paths(d)
    assert list(problems) == ["states[2]"] and "dead end" in problems["states[2]"]


def test_nobody_may_take_and_unknown_role_state_phase():
    d = tiny()
    d["transitions"][0]["roles"] = []
    assert "Nobody may take" in paths(d)["transitions[0].roles"]
    d["transitions"][0]["customer"] = True
    assert validate(d) == []  # the customer may take it
    d = tiny()
    d["transitions"][0]["roles"] = ["agent", "wizard"]
    assert "Unknown role" in paths(d)["transitions[0].roles[1]"]
    d = tiny()
    d["transitions"][0]["to"] = "nowhere"
    d["transitions"][0]["from"] = ["open", "elsewhere"]
    problems = paths(d)
    assert "Unknown state" in problems["transitions[0].to"] and "Unknown state" in problems["transitions[0].from[1]"]
    d = tiny()
    d["states"][1]["phase"] = "finished"
    problems = paths(d)
    assert "Unknown phase" in problems["states[1].phase"]


def test_structure_problems_have_paths():
    d = tiny()
    d["states"].append(copy.deepcopy(d["states"][0]))  # duplicate key and second initial
    d["transitions"].append(copy.deepcopy(d["transitions"][0]))
    d["transitions"][1]["required"] = ["resolution", "salary"]
    d["transitions"][1]["form"] = ["cf.parts_no", "assignee"]
    d["transitions"][1]["within_days"] = -1
    d["transitions"][1]["actions"] = [{"type": "set", "field": "priority", "value": 9}, {"type": "email"}]
    d["transitions"][1]["colour"] = "red"
    problems = paths(d)
    assert set(problems) >= {
        "states[2].key", "states[2].initial", "transitions[1].key", "transitions[1].required[1]",
        "transitions[1].form[1]", "transitions[1].within_days", "transitions[1].actions[0].value",
        "transitions[1].actions[1]", "transitions[1].colour",
    }
    assert "transitions[1].form[0]" not in problems  # a custom field may be asked for
    assert paths([]) == {"": "A workflow definition is a JSON object with states and transitions."}
    assert "states" in paths({"transitions": []})
    no_closed = tiny()
    no_closed["states"][1]["phase"] = "resolved"
    assert "closed" in paths(no_closed)["states"]


def test_self_loop_and_guard_without_conditions_module():
    d = tiny()
    d["transitions"].append(step("again", ["open"], "open"))
    assert "own state" in paths(d)["transitions[1].from[0]"]


def test_messages_are_translated():
    d = tiny()
    d["transitions"][0]["roles"] = []
    with translation.override("zh-hans"):
        message = paths(d)["transitions[0].roles"]
    assert message != "Nobody may take this transition: name at least one role or allow the customer."
    with translation.override("en"):
        assert paths(d)["transitions[0].roles"].startswith("Nobody may take")
