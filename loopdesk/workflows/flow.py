"""A published workflow version compiled for use at run time, cached per process.

Published versions never change, so the compiled form is cached by version id for the life of the
process (an entry is dropped when its row is saved or deleted, which only happens to drafts and in
tests). Nothing here queries the database except `flow_for_version` on a cache miss.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language

from .vocabulary import LANGS


def lang_key(lang: str | None = None) -> str:
    lang = lang or get_language() or "zh-hans"
    return "en" if lang[:2].lower() == "en" else "zh-hans"


def pick_label(labels: dict[str, str] | None, lang: str | None = None, default: str = "") -> str:
    """The label in the active language, else the other language's, else `default`."""
    if not labels:
        return default
    wanted = lang_key(lang)
    if labels.get(wanted):
        return labels[wanted]
    for other in LANGS:
        if labels.get(other):
            return labels[other]
    return default


@dataclass(frozen=True)
class State:
    key: str
    phase: str
    labels: dict[str, str]
    initial: bool = False

    def label(self, lang: str | None = None) -> str:
        return pick_label(self.labels, lang, self.key)


@dataclass(frozen=True)
class Transition:
    key: str
    sources: frozenset[str]
    to: str
    labels: dict[str, str]
    roles: frozenset[str] = frozenset()
    customer: bool = False
    guard: Any = None
    required: tuple[str, ...] = ()
    form: tuple[str, ...] = ()
    within_days: int | str | None = None
    actions: tuple[dict, ...] = ()

    def label(self, lang: str | None = None) -> str:
        return pick_label(self.labels, lang, self.key)


@dataclass
class Flow:
    """The states and transitions of one workflow version, indexed for look-ups."""

    version_id: int | None
    states: dict[str, State]
    transitions: list[Transition]
    initial: str
    _outgoing: dict[str, list[Transition]] = field(default_factory=dict, repr=False)
    _labels: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    @classmethod
    def compile(cls, definition: dict, version_id: int | None = None) -> Flow:
        states = {
            s["key"]: State(s["key"], s["phase"], dict(s.get("label") or {}), bool(s.get("initial")))
            for s in definition.get("states", [])
        }
        transitions = [
            Transition(
                key=t["key"], sources=frozenset(t.get("from") or ()), to=t["to"], labels=dict(t.get("label") or {}),
                roles=frozenset(t.get("roles") or ()), customer=bool(t.get("customer")), guard=t.get("guard"),
                required=tuple(t.get("required") or ()), form=tuple(t.get("form") or ()),
                within_days=t.get("within_days"), actions=tuple(t.get("actions") or ()),
            )
            for t in definition.get("transitions", [])
        ]
        initial = next((s.key for s in states.values() if s.initial), next(iter(states), ""))
        flow = cls(version_id, states, transitions, initial)
        for t in transitions:
            for src in t.sources:
                flow._outgoing.setdefault(src, []).append(t)
        return flow

    def outgoing(self, state: str) -> list[Transition]:
        return self._outgoing.get(state, [])

    def phase(self, state: str) -> str | None:
        s = self.states.get(state)
        return s.phase if s else None

    def label(self, state: str, lang: str | None = None) -> str | None:
        return self.labels(lang).get(state)

    def labels(self, lang: str | None = None) -> dict[str, str]:
        """{state key: label} in the language (the active one by default), computed once per language."""
        key = lang_key(lang)
        labels = self._labels.get(key)
        if labels is None:
            labels = self._labels[key] = {k: s.label(key) for k, s in self.states.items()}
        return labels

    def order(self, state: str) -> int:
        """Position of the state in the definition (for sorting targets along the workflow)."""
        for i, key in enumerate(self.states):
            if key == state:
                return i
        return len(self.states)


_cache: dict[int, Flow] = {}
# (ticket type, category id, org id) → (monotonic time, current version id) for tickets not yet bound
# to a version; dropped whenever any version is saved in this process, else after RESOLVE_TTL seconds.
_current: dict[tuple, tuple[float, int | None]] = {}
RESOLVE_TTL = 30.0


def remembered_current(key: tuple, compute) -> int | None:
    """`compute()` (the current version id for `key`), remembered for RESOLVE_TTL seconds."""
    hit = _current.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < RESOLVE_TTL:
        return hit[1]
    value = compute()
    _current[key] = (now, value)
    return value


def flow_for_version(version_id: int) -> Flow:
    """The compiled flow of a workflow version (one query the first time per process)."""
    flow = _cache.get(version_id)
    if flow is None:
        from .models import WorkflowVersion

        version = WorkflowVersion.objects.only("id", "definition", "status").get(pk=version_id)
        flow = Flow.compile(version.definition, version.pk)
        if version.status != WorkflowVersion.Status.DRAFT:
            _cache[version_id] = flow
    return flow


def forget(version_id: int | None = None) -> None:
    """Drop one cached flow (or all), and what was remembered about current versions."""
    _current.clear()
    if version_id is None:
        _cache.clear()
    else:
        _cache.pop(version_id, None)


def flow_for(version) -> Flow:
    """The compiled flow of a loaded WorkflowVersion (no query; cached unless it is a draft)."""
    flow = _cache.get(version.pk)
    if flow is None:
        flow = Flow.compile(version.definition, version.pk)
        if version.status != "draft":
            _cache[version.pk] = flow
    return flow
