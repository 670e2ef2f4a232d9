"""Ticket price retargeting (SPEC §5.2), integer arithmetic only.

Windows: the price is constant over each window of ``I = ticket_price_interval`` heights,
``[k*I, (k+1)*I)``. Window 0 uses ``ticket_price_start``. The price of window k+1 is
``next_ticket_price(p_k, N, params)`` where N is the number of LIVE tickets after the last
block of window k (height ``(k+1)*I - 1``) has been connected.

Retarget formula (SPEC: ``p' = p * (1 + 0.05 * (N - T) / T)``, T = ticket_pool_target)::

    p' = p + (p * 5 * (N - T)) // (100 * T)

``//`` is Python's floor division, i.e. toward minus infinity: when the pool is below target
the decrease is rounded *up* in magnitude (p=101, N=0: p' = 101 - 6 = 95, not 96). The result
is then clamped to ``[ticket_price_min, ticket_price_max]``. A full pool step changes the price
by at most -5 % (N = 0) and by +5 % per extra pool-target of live tickets.
"""

from __future__ import annotations

from collections.abc import Sequence

from node.params import ChainParams

__all__ = [
    "RETARGET_PERCENT",
    "is_price_retarget_height",
    "next_ticket_price",
    "ticket_price_at",
    "window_of",
]

RETARGET_PERCENT = 5


def next_ticket_price(price: int, live_count: int, params: ChainParams) -> int:
    """The price of the next window after a window priced `price` ending with `live_count`
    LIVE tickets (formula and rounding in the module docstring), clamped to [min, max]."""
    if price <= 0:
        raise ValueError(f"price must be > 0, got {price}")
    if live_count < 0:
        raise ValueError(f"live_count must be >= 0, got {live_count}")
    target = params.ticket_pool_target
    delta = (price * RETARGET_PERCENT * (live_count - target)) // (100 * target)
    return min(max(price + delta, params.ticket_price_min), params.ticket_price_max)


def window_of(height: int, params: ChainParams) -> int:
    """Index k of the price window that contains `height`."""
    if height < 0:
        raise ValueError(f"height must be >= 0, got {height}")
    return height // params.ticket_price_interval


def is_price_retarget_height(height: int, params: ChainParams) -> bool:
    """True when connecting the block at `height` closes a price window (the pool then
    computes the next window's price from its live count)."""
    return (height + 1) % params.ticket_price_interval == 0


def ticket_price_at(height: int, live_counts: Sequence[int], params: ChainParams) -> int:
    """The price at `height`, recomputed from genesis.

    ``live_counts[k]`` is the LIVE count after height ``(k+1)*I - 1``; the first
    ``window_of(height)`` entries are used (more may be given). This is the reference
    semantics; the pool keeps the running price instead of recomputing it.
    """
    windows = window_of(height, params)
    if len(live_counts) < windows:
        raise ValueError(
            f"height {height} needs {windows} window live counts, got {len(live_counts)}"
        )
    price = params.ticket_price_start
    for k in range(windows):
        price = next_ticket_price(price, live_counts[k], params)
    return price
