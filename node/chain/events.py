"""Chain events and the bus that delivers them to subscribers after each commit.

Subscribers (the indexer, websockets, the wallet, the mempool) are plain callables. They run
synchronously in the chainstate's thread after the LMDB transaction has committed; an
exception in one subscriber is logged and does not affect the chain or other subscribers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from node.types.block import Block

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BlockConnected:
    """`block` became part of the main chain at `height`."""

    block: Block
    height: int


@dataclass(frozen=True, slots=True)
class BlockDisconnected:
    """`block` (previously at `height`) left the main chain during a reorganisation."""

    block: Block
    height: int


@dataclass(frozen=True, slots=True)
class TipChanged:
    """The main chain tip moved (after a whole connect or reorg step completed)."""

    old_tip: bytes
    new_tip: bytes
    height: int
    initial_sync: bool


ChainEvent = BlockConnected | BlockDisconnected | TipChanged
Subscriber = Callable[[ChainEvent], None]


class EventBus:
    """Ordered fan-out of chain events to subscribers."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Register `callback`; returns a function that unsubscribes it."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: ChainEvent) -> None:
        """Deliver `event` to every subscriber in subscription order."""
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                log.exception(
                    "chain event subscriber %r failed on %s", callback, type(event).__name__
                )
