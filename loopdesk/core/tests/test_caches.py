"""Per-process caches: values kept for their ttl, bounded when their keys come from user input."""

from __future__ import annotations

from loopdesk.core.caches import ProcessCache


def test_a_value_is_loaded_once_within_its_ttl_and_again_after():
    cache, loads = ProcessCache("test.ttl", ttl=60.0), []
    assert cache.get("k", lambda: loads.append(1) or "v") == "v"
    assert cache.get("k", lambda: loads.append(1) or "w") == "v"
    assert len(loads) == 1
    cache.ttl = -1.0  # every value is now too old
    assert cache.get("k", lambda: "w") == "w"


def test_max_entries_bounds_the_cache():
    cache = ProcessCache("test.bounded", ttl=60.0, max_entries=3)
    for n in range(10):
        cache.get(n, lambda n=n: n * n)
    assert len(cache._values) <= 3
    assert cache.get(9, lambda: -1) == 81  # the newest is kept
