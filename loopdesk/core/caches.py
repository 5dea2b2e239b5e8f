"""Per-process caches of configuration read on hot paths (custom field definitions, SLA policies,
rules, workflow versions).

A `ProcessCache` keeps values for `ttl` seconds. The process that changes the configuration clears
it at once (connect `clear` to the model's post_save/post_delete); other processes see the change
within `ttl`. Every cache is registered, so tests can start from empty caches (`clear_all`), since a
rolled-back test changes the database without any signal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

_registry: list[ProcessCache] = []


class ProcessCache:
    def __init__(self, name: str, *, ttl: float = 10.0, max_entries: int | None = None) -> None:
        self.name = name
        self.ttl = ttl
        self.max_entries = max_entries  # keys from user input: start afresh beyond this many
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        _registry.append(self)

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The cached value of `key`, loaded by `load()` when missing or older than the ttl."""
        now = time.monotonic()
        hit = self._values.get(key)
        if hit is not None and now - hit[0] <= self.ttl:
            return hit[1]
        value = load()
        with self._lock:
            if self.max_entries is not None and len(self._values) >= self.max_entries:
                self._values.clear()
            self._values[key] = (now, value)
        return value

    def clear(self, *args: Any, **kwargs: Any) -> None:
        """Forget everything (signature fits a signal receiver)."""
        with self._lock:
            self._values.clear()

    def connect(self, *models: Any) -> None:
        """Clear on every save or delete of these models in this process."""
        from django.db.models.signals import post_delete, post_save

        for model in models:
            post_save.connect(self.clear, sender=model, weak=False, dispatch_uid=f"{self.name}:{model}:save")
            post_delete.connect(self.clear, sender=model, weak=False, dispatch_uid=f"{self.name}:{model}:delete")


def clear_all() -> None:
    for cache in _registry:
        cache.clear()


class ReferenceRows:
    """Every row of a small reference table (categories, organisations, groups) by id, loaded once per
    `ttl` seconds per process and cleared by a save or delete in this process. `attach` puts copies on
    other objects' foreign keys, so a page showing one ticket needs no query per lookup; each caller
    gets its own copy, never an instance another request may be reading."""

    def __init__(self, model: Any, *, ttl: float = 10.0) -> None:
        self.model = model
        self.cache = ProcessCache(f"reference:{model._meta.label}", ttl=ttl)
        self.cache.connect(model)

    def rows(self) -> dict[int, Any]:
        return self.cache.get("all", lambda: self.model._default_manager.in_bulk())

    def one(self, pk: int) -> Any:
        """A copy of the row `pk`, or None if there is no such row."""
        import copy

        row = self.rows().get(pk)
        if row is None:  # perhaps created in another process since the cache was filled
            self.cache.clear()
            row = self.rows().get(pk)
        return copy.copy(row) if row is not None else None

    def attach(self, obj: Any, *fields: str) -> None:
        """Set `obj.<field>` for each foreign key field to a copy of the cached row (None stays None)."""
        import copy

        rows = self.rows()
        for field in fields:
            pk = getattr(obj, f"{field}_id")
            if pk is None:
                continue
            row = rows.get(pk)
            if row is None:
                row = self.one(pk)  # created in another process since the cache was filled
            if row is not None:
                setattr(obj, field, copy.copy(row))
