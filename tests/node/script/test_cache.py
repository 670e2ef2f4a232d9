"""The script-execution cache: bounded, oldest forgotten first, hits counted."""

from __future__ import annotations

import pytest

from node.script.cache import ScriptCache


def test_add_check_and_hits() -> None:
    cache = ScriptCache(max_entries=3)
    assert not cache.check(b"a" * 32)
    cache.add(b"a" * 32)
    assert cache.check(b"a" * 32)
    assert cache.hits == 1
    assert b"a" * 32 in cache


def test_bounded_forgets_the_oldest() -> None:
    cache = ScriptCache(max_entries=3)
    for i in range(5):
        cache.add(bytes([i]) * 32)
    assert len(cache) == 3
    assert bytes([0]) * 32 not in cache
    assert bytes([1]) * 32 not in cache
    assert bytes([4]) * 32 in cache
    cache.add(bytes([2]) * 32)  # re-adding refreshes its age
    cache.add(bytes([5]) * 32)
    assert bytes([2]) * 32 in cache
    assert bytes([3]) * 32 not in cache


def test_rejects_a_non_positive_bound() -> None:
    with pytest.raises(ValueError, match="positive"):
        ScriptCache(max_entries=0)
