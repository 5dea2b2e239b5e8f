"""Pure graph helpers over a workflow definition (no database): states, edges, reachability, trail."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any


def states(definition: dict) -> list[str]:
    return [s.get("key") for s in definition.get("states") or [] if isinstance(s, dict)]


def edges(definition: dict) -> list[tuple[str, str, str]]:
    """(from, to, transition key) for every transition, one per source state."""
    out = []
    for t in definition.get("transitions") or []:
        if not isinstance(t, dict):
            continue
        for frm in t.get("from") or []:
            out.append((frm, t.get("to"), t.get("key")))
    return out


def initial(definition: dict) -> str | None:
    for s in definition.get("states") or []:
        if isinstance(s, dict) and s.get("initial"):
            return s.get("key")
    return None


def reachable(definition: dict, start: str | None = None) -> set[str]:
    """The states reachable from `start` (default: the initial state), itself included."""
    start = start if start is not None else initial(definition)
    if start is None:
        return set()
    nexts: dict[str, set[str]] = {}
    for frm, to, _key in edges(definition):
        nexts.setdefault(frm, set()).add(to)
    seen, todo = {start}, deque([start])
    while todo:
        for nxt in nexts.get(todo.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def can_reach(definition: dict, targets: Iterable[str]) -> set[str]:
    """The states from which one of `targets` can be reached (the targets included)."""
    prevs: dict[str, set[str]] = {}
    for frm, to, _key in edges(definition):
        prevs.setdefault(to, set()).add(frm)
    seen = set(targets)
    todo = deque(seen)
    while todo:
        for prev in prevs.get(todo.popleft(), ()):
            if prev not in seen:
                seen.add(prev)
                todo.append(prev)
    return seen


def trail(events: Iterable[Any]) -> list[str]:
    """The state keys a ticket went through, from its STATUS events in time order (objects or dicts
    with `changes` = {"status": [old, new]}); starts with the first old state."""
    keys: list[str] = []
    for event in events:
        changes = event.get("changes") if isinstance(event, dict) else getattr(event, "changes", None)
        pair = (changes or {}).get("status")
        if not pair or len(pair) != 2:
            continue
        old, new = pair
        if not keys or keys[-1] != old:
            keys.append(old)
        keys.append(new)
    return keys
