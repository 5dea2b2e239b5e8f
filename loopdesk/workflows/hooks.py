"""What the workflows app needs from the tickets that run on its versions.

Workflows sit below tickets in the layer order, so the tickets app registers these functions at start
(loopdesk.tickets.apps) instead of workflows importing it (dependency inversion).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class TicketStore:
    # version id → {state key: number of tickets in it}
    states_in_use: Callable[[int], dict[str, int]]
    # (actor, from_version, to_version, mapping, migration) → tickets moved; records their history
    move: Callable[..., int]
    # (version) → tickets of the version's ticket type not yet bound to a version, now bound to it
    bind_legacy: Callable[[Any], int]
    # [version ids] → {version id: number of tickets}
    count_by_version: Callable[[list[int]], dict[int, int]]


_store: TicketStore | None = None


def register_ticket_store(store: TicketStore) -> None:
    global _store
    _store = store


def ticket_store() -> TicketStore:
    if _store is None:  # pragma: no cover - the tickets app is always installed
        raise RuntimeError("loopdesk.tickets has not registered its ticket store")
    return _store
