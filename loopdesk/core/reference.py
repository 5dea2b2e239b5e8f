"""Reference data that ships with the product (service products, the standard calendars, …).

Each app registers a function that creates its reference rows when they are missing; the app's data
migration and `ensure_all()` both call it. Tests call `ensure_all()` because a transactional test
empties every table, data migrations' rows included.
"""

from __future__ import annotations

from collections.abc import Callable

_seeders: list[Callable[[], object]] = []


def register(seeder: Callable[[], object]) -> None:
    if seeder not in _seeders:
        _seeders.append(seeder)


def ensure_all() -> None:
    """Create whatever reference data is missing (idempotent)."""
    for seeder in _seeders:
        seeder()
