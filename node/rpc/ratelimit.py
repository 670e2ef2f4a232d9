"""Per-client token-bucket rate limiting of RPC requests (keyed by source IP)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_CLIENTS = 4096


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """`rate` tokens per second refill up to `burst`; each request takes `cost` tokens.

    `rate <= 0` disables limiting. `take` returns 0.0 when allowed, else the seconds until
    enough tokens are back (the HTTP Retry-After).
    """

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, client: str, cost: float = 1.0) -> float:
        if not self.enabled:
            return 0.0
        now = self.clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= MAX_CLIENTS:
                self._prune(now)
            bucket = self._buckets[client] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        cost = min(cost, self.burst)
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0.0
        return (cost - bucket.tokens) / self.rate

    def _prune(self, now: float) -> None:
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.updated) * self.rate
                >= self.burst]  # fmt: skip
        for key in full:
            del self._buckets[key]
        while len(self._buckets) >= MAX_CLIENTS:
            self._buckets.pop(next(iter(self._buckets)))
