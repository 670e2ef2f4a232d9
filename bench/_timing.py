"""Shared timing helper for the benchmarks: best-of-N rates, so noise only lowers figures."""

from __future__ import annotations

import time
from collections.abc import Callable


def rate(fn: Callable[[], object], count: int, *, repeat: int = 3) -> float:
    """Best observed calls/second of `fn` over `repeat` runs of `count` calls each."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(count):
            fn()
        best = min(best, time.perf_counter() - started)
    return count / best


def seconds(fn: Callable[[], object], *, repeat: int = 3) -> float:
    """Best observed wall time of one call of `fn`."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best
