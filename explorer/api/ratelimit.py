"""Per-client-IP rate limits for the REST API, kept in Django's cache (LocMem by default,
Redis in production so every worker shares the counts).

Two fixed windows per IP, each anchored at the client's first request in it (so a window
never splits a burst at a wall-clock boundary): `RUSTY_API_RATE` requests per
`RUSTY_API_RATE_WINDOW` seconds, and `RUSTY_API_BURST` requests per `RUSTY_API_BURST_WINDOW`
seconds. A limit of 0 is off. Counting uses the cache's atomic `incr`, so concurrent workers
never lose a hit. Over a limit the API answers 429 with `Retry-After` (seconds until the
window ends).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True, slots=True)
class Limit:
    """`count` requests per `seconds`; `name` keys its counters."""

    name: str
    count: int
    seconds: int


def limits() -> list[Limit]:
    """The configured limits (read per request, so tests and settings changes apply)."""
    configured = [
        Limit("rate", settings.RUSTY_API_RATE, settings.RUSTY_API_RATE_WINDOW),
        Limit("burst", settings.RUSTY_API_BURST, settings.RUSTY_API_BURST_WINDOW),
    ]
    return [lim for lim in configured if lim.count > 0 and lim.seconds > 0]


def client_ip(request: HttpRequest) -> str:
    """The client's IP: REMOTE_ADDR, or with RUSTY_API_PROXY_DEPTH = n > 0 trusted reverse
    proxies, the n-th address from the right of X-Forwarded-For (the one the outermost
    trusted proxy saw)."""
    depth = settings.RUSTY_API_PROXY_DEPTH
    if depth > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= depth:
            return hops[-depth][:64]
    return str(request.META.get("REMOTE_ADDR") or "unknown")[:64]


def _hit(ip: str, limit: Limit, now: float) -> int | None:
    """Count one request; the seconds to wait when it is over `limit`, else None."""
    start_key = f"rusty:rl:{limit.name}:{ip}"
    cache.add(start_key, now, timeout=limit.seconds)
    start = cache.get(start_key)
    if start is None:  # expired between add and get: a new window starts now
        start = now
        cache.set(start_key, now, timeout=limit.seconds)
    count_key = f"{start_key}:{int(start * 1000)}"
    cache.add(count_key, 0, timeout=limit.seconds + 1)
    try:
        hits = cache.incr(count_key)
    except ValueError:  # the counter expired just now
        cache.set(count_key, 1, timeout=limit.seconds + 1)
        hits = 1
    if hits <= limit.count:
        return None
    return max(1, math.ceil(start + limit.seconds - now))


def check(request: HttpRequest) -> int | None:
    """Count this request against every limit; the Retry-After seconds when it is refused."""
    ip = client_ip(request)
    now = time.time()
    waits = [w for w in (_hit(ip, lim, now) for lim in limits()) if w is not None]
    return max(waits) if waits else None
