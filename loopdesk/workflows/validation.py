"""Validation of a workflow definition: every problem with the path of the offending value.

`validate(definition)` never raises; it returns a list of Problem(path, message), empty when the
definition may be published. Paths look like `states[2].phase` or `transitions[3].from[0]`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from . import graph
from .vocabulary import (
    ACTION_VALUES,
    CUSTOM_RE,
    FORM_FIELDS,
    GUARD_FIELDS,
    KEY_RE,
    LANGS,
    PHASES,
    REOPEN_WINDOW,
    ROLES,
    TICKET_FIELDS,
)

TOP_KEYS = {"states", "transitions", "layout"}
STATE_KEYS = {"key", "label", "phase", "initial"}
TRANSITION_KEYS = {"key", "from", "to", "label", "roles", "customer", "guard", "required", "form", "within_days",
                   "actions"}
MAX_STATES = 60
MAX_TRANSITIONS = 300


class Problem(NamedTuple):
    path: str
    message: str


def _conditions():
    """loopdesk.core.conditions (guards) when it is installed, else None."""
    try:
        from loopdesk.core import conditions
    except ImportError:  # pragma: no cover - depends on the checkout
        return None
    return conditions


def _label(value: Any, path: str, out: list[Problem]) -> None:
    if not isinstance(value, dict) or not value:
        out.append(Problem(path, _("Give a label per language, e.g. {\"zh-hans\": \"新建\", \"en\": \"New\"}.")))
        return
    for lang, text in value.items():
        if lang not in LANGS:
            out.append(Problem(f"{path}.{lang}", _("Unknown language; use zh-hans or en.")))
        elif not isinstance(text, str) or not text.strip() or len(text) > 64:
            out.append(Problem(f"{path}.{lang}", _("Enter a label of 1 to 64 characters.")))


def _unknown(item: dict, allowed: set[str], path: str, out: list[Problem]) -> None:
    for key in sorted(set(item) - allowed, key=str):
        out.append(Problem(f"{path}.{key}", _("Unknown property.")))


def _field_name(name: Any, allowed: tuple[str, ...]) -> bool:
    return isinstance(name, str) and (name in allowed or bool(CUSTOM_RE.match(name)))


def validate(definition: Any) -> list[Problem]:
    """All problems of `definition`; an empty list means it is valid."""
    out: list[Problem] = []
    if not isinstance(definition, dict):
        return [Problem("", _("A workflow definition is a JSON object with states and transitions."))]
    _unknown(definition, TOP_KEYS, "", out)
    states = definition.get("states")
    transitions = definition.get("transitions", [])
    if not isinstance(states, list) or not states:
        out.append(Problem("states", _("List at least one state.")))
        states = []
    elif len(states) > MAX_STATES:
        out.append(Problem("states", _("At most %(n)d states.") % {"n": MAX_STATES}))
    if not isinstance(transitions, list):
        out.append(Problem("transitions", _("Transitions are a list.")))
        transitions = []
    elif len(transitions) > MAX_TRANSITIONS:
        out.append(Problem("transitions", _("At most %(n)d transitions.") % {"n": MAX_TRANSITIONS}))

    keys: dict[str, int] = {}
    initials: list[int] = []
    phase_of: dict[str, str] = {}
    for i, state in enumerate(states):
        path = f"states[{i}]"
        if not isinstance(state, dict):
            out.append(Problem(path, _("A state is an object with key, label and phase.")))
            continue
        _unknown(state, STATE_KEYS, path, out)
        key = state.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            out.append(Problem(f"{path}.key", _(
                "Use 1 to 24 lower-case letters, digits or underscores, starting with a letter.")))
        elif key in keys:
            out.append(Problem(f"{path}.key", _("Another state already has the key “%(key)s”.") % {"key": key}))
        else:
            keys[key] = i
        _label(state.get("label"), f"{path}.label", out)
        phase = state.get("phase")
        if phase not in PHASES:
            out.append(Problem(f"{path}.phase", _("Unknown phase; use one of: %(list)s.") % {
                "list": ", ".join(PHASES)}))
        elif isinstance(key, str):
            phase_of.setdefault(key, phase)
        initial = state.get("initial", False)
        if not isinstance(initial, bool):
            out.append(Problem(f"{path}.initial", _("Use true or false.")))
        elif initial:
            initials.append(i)
    if states and not initials:
        out.append(Problem("states", _("Mark exactly one state as initial.")))
    for i in initials[1:]:
        out.append(Problem(f"states[{i}].initial", _("Only one state may be initial.")))
    if states and "closed" not in phase_of.values():
        out.append(Problem("states", _("At least one state must be in the phase closed.")))

    tkeys: set[str] = set()
    conditions = None
    for i, tr in enumerate(transitions):
        path = f"transitions[{i}]"
        if not isinstance(tr, dict):
            out.append(Problem(path, _("A transition is an object with key, from, to and label.")))
            continue
        _unknown(tr, TRANSITION_KEYS, path, out)
        key = tr.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            out.append(Problem(f"{path}.key", _(
                "Use 1 to 24 lower-case letters, digits or underscores, starting with a letter.")))
        elif key in tkeys:
            out.append(Problem(f"{path}.key", _("Another transition already has the key “%(key)s”.") % {"key": key}))
        else:
            tkeys.add(key)
        frm = tr.get("from")
        to = tr.get("to")
        if not isinstance(frm, list) or not frm:
            out.append(Problem(f"{path}.from", _("List the states this transition starts from.")))
        else:
            for j, src in enumerate(frm):
                if src not in keys:
                    out.append(Problem(f"{path}.from[{j}]", _("Unknown state “%(key)s”.") % {"key": src}))
                elif src == to:
                    out.append(Problem(f"{path}.from[{j}]", _("A transition cannot lead back to its own state.")))
            if len(set(map(str, frm))) != len(frm):
                out.append(Problem(f"{path}.from", _("A state is listed twice.")))
        if to not in keys:
            out.append(Problem(f"{path}.to", _("Unknown state “%(key)s”.") % {"key": to}))
        _label(tr.get("label"), f"{path}.label", out)
        roles = tr.get("roles", [])
        customer = tr.get("customer", False)
        if not isinstance(customer, bool):
            out.append(Problem(f"{path}.customer", _("Use true or false.")))
            customer = False
        if not isinstance(roles, list):
            out.append(Problem(f"{path}.roles", _("Roles are a list.")))
            roles = []
        for j, role in enumerate(roles):
            if role not in ROLES:
                out.append(Problem(f"{path}.roles[{j}]", _("Unknown role “%(role)s”; use one of: %(list)s.") % {
                    "role": role, "list": ", ".join(ROLES)}))
        if not roles and not customer:
            out.append(Problem(f"{path}.roles", _(
                "Nobody may take this transition: name at least one role or allow the customer.")))
        guard = tr.get("guard")
        if guard is not None:
            if conditions is None:
                conditions = _conditions() or False
            if not conditions:
                out.append(Problem(f"{path}.guard", _("Guards are not supported in this installation.")))
            else:
                for sub, message in conditions.validate(guard, fields=GUARD_FIELDS):
                    out.append(Problem(f"{path}.guard{'.' + sub if sub and not sub.startswith('[') else sub}",
                                       str(message)))
        for name, allowed in (("required", (*FORM_FIELDS, *TICKET_FIELDS)), ("form", FORM_FIELDS)):
            value = tr.get(name, [])
            if not isinstance(value, list):
                out.append(Problem(f"{path}.{name}", _("A list of field names.")))
                continue
            for j, field in enumerate(value):
                if not _field_name(field, allowed):
                    out.append(Problem(f"{path}.{name}[{j}]", _(
                        "Unknown field “%(field)s”; use one of %(list)s or cf.<custom field key>.") % {
                        "field": field, "list": ", ".join(allowed)}))
        within = tr.get("within_days")
        if within is not None and within != REOPEN_WINDOW and (
                isinstance(within, bool) or not isinstance(within, int) or not 0 <= within <= 3650):
            out.append(Problem(f"{path}.within_days", _(
                "Use null, a number of days from 0 to 3650 or \"reopen_window\".")))
        actions = tr.get("actions", [])
        if not isinstance(actions, list):
            out.append(Problem(f"{path}.actions", _("Actions are a list.")))
            actions = []
        for j, action in enumerate(actions):
            apath = f"{path}.actions[{j}]"
            if not isinstance(action, dict) or action.get("type") != "set":
                out.append(Problem(apath, _("An action is {\"type\": \"set\", \"field\": …, \"value\": …}.")))
                continue
            _unknown(action, {"type", "field", "value"}, apath, out)
            field = action.get("field")
            if not _field_name(field, tuple(ACTION_VALUES)):
                out.append(Problem(f"{apath}.field", _(
                    "An action may set %(list)s or cf.<custom field key>.") % {"list": ", ".join(ACTION_VALUES)}))
                continue
            values = ACTION_VALUES.get(field)
            if values is not None and action.get("value") not in values:
                out.append(Problem(f"{apath}.value", _("Use one of: %(list)s.") % {
                    "list": ", ".join(repr(v) for v in values)}))
    layout = definition.get("layout")
    if layout is not None:
        if not isinstance(layout, dict):
            out.append(Problem("layout", _("The layout maps state keys to [x, y].")))
        else:
            for key, pos in layout.items():
                if key not in keys:
                    out.append(Problem(f"layout.{key}", _("Unknown state “%(key)s”.") % {"key": key}))
                elif not (isinstance(pos, list) and len(pos) == 2 and all(
                        isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos)):
                    out.append(Problem(f"layout.{key}", _("A position is [x, y].")))
    if out:
        return out  # the graph checks need well-formed states and transitions

    reach = graph.reachable(definition)
    for key, i in keys.items():
        if key not in reach:
            out.append(Problem(f"states[{i}]", _("“%(key)s” cannot be reached from the initial state.") % {
                "key": key}))
    closing = graph.can_reach(definition, [k for k, p in phase_of.items() if p == "closed"])
    for key, i in keys.items():
        if key not in closing:
            out.append(Problem(f"states[{i}]", _(
                "“%(key)s” is a dead end: no state in the phase closed can be reached from it.") % {"key": key}))
    return out
