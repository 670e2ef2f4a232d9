"""Mempool events and the bus that delivers them: `TxAdded` when an entry enters the pool,
`TxRemoved` when one leaves it (with Core's removal reason).

Removal reasons (Bitcoin Core's MemPoolRemovalReason, lower-case): "expiry", "sizelimit",
"reorg", "block", "conflict", "replaced", plus "manual" for `Mempool.remove` by default.
Unlike Core, "block" removals are published too, so a subscriber can mirror the pool exactly.
Subscribers run synchronously in the thread that changed the pool (holding the chainstate
lock); an exception in one is logged and does not affect the pool or other subscribers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from node.mempool.entry import MempoolEntry

log = logging.getLogger(__name__)

REMOVAL_REASONS = frozenset(
    ("expiry", "sizelimit", "reorg", "block", "conflict", "replaced", "manual")
)


@dataclass(frozen=True, slots=True)
class TxAdded:
    """`entry` was accepted into the pool."""

    entry: MempoolEntry


@dataclass(frozen=True, slots=True)
class TxRemoved:
    """The transaction `txid` left the pool for `reason` (see REMOVAL_REASONS)."""

    txid: bytes
    reason: str


MempoolEvent = TxAdded | TxRemoved
MempoolSubscriber = Callable[[MempoolEvent], None]


class MempoolEventBus:
    """Ordered fan-out of mempool events to subscribers (same contract as the chain's bus)."""

    def __init__(self) -> None:
        self._subscribers: list[MempoolSubscriber] = []

    def subscribe(self, callback: MempoolSubscriber) -> Callable[[], None]:
        """Register `callback`; returns a function that unsubscribes it."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: MempoolEvent) -> None:
        """Deliver `event` to every subscriber in subscription order."""
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                log.exception(
                    "mempool event subscriber %r failed on %s", callback, type(event).__name__
                )

    def __bool__(self) -> bool:
        return bool(self._subscribers)
