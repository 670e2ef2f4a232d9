"""The orphan pool: transactions whose inputs are not known yet, kept until a parent arrives.

Bounded like Bitcoin Core's TxOrphanage: at most `max_count` orphans and `max_bytes` of
serialized transactions (a random orphan is evicted when either bound is exceeded, so an
attacker cannot choose which ones survive), no orphan larger than a standard transaction,
and orphans expire after 20 minutes. `children_of(txid)` gives the orphans that spend an
output of `txid`, which the pool re-tries when that transaction is accepted;
`remove_for_block` drops orphans that a block confirmed or made impossible.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from node.mempool.policy import (
    MAX_ORPHAN_BYTES,
    MAX_ORPHANS,
    MAX_STANDARD_TX_SIZE,
    ORPHAN_EXPIRY,
)
from node.types.tx import OutPoint, Tx

EXPIRE_INTERVAL = 5 * 60
"""How often (seconds) the orphan pool sweeps expired entries (Core's ORPHAN_TX_EXPIRE_INTERVAL)."""


@dataclass(frozen=True, slots=True)
class Orphan:
    """An orphan transaction and when it expires."""

    tx: Tx
    expires: float


class OrphanPool:
    """Bounded store of orphan transactions indexed by the outpoints they spend."""

    def __init__(
        self,
        *,
        max_count: int = MAX_ORPHANS,
        max_bytes: int = MAX_ORPHAN_BYTES,
        max_tx_size: int = MAX_STANDARD_TX_SIZE,
        expiry: float = ORPHAN_EXPIRY,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.max_count = max_count
        self.max_bytes = max_bytes
        self.max_tx_size = max_tx_size
        self.expiry = expiry
        self.clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._orphans: dict[bytes, Orphan] = {}
        self._by_prevout: dict[OutPoint, set[bytes]] = {}
        self._bytes = 0
        self._next_sweep = 0.0

    def __len__(self) -> int:
        return len(self._orphans)

    def __contains__(self, txid: object) -> bool:
        return txid in self._orphans

    def get(self, txid: bytes) -> Tx | None:
        orphan = self._orphans.get(txid)
        return None if orphan is None else orphan.tx

    def txids(self) -> list[bytes]:
        return list(self._orphans)

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def add(self, tx: Tx) -> bool:
        """Keep `tx` as an orphan; False if it is too large or already there.

        Afterwards the bounds are enforced, which may evict `tx` itself.
        """
        txid = tx.txid
        if txid in self._orphans or tx.size > self.max_tx_size:
            return False
        now = self.clock()
        self._orphans[txid] = Orphan(tx, now + self.expiry)
        self._bytes += tx.size
        for txin in tx.inputs:
            self._by_prevout.setdefault(txin.prevout, set()).add(txid)
        self.limit()
        return txid in self._orphans

    def remove(self, txid: bytes) -> bool:
        """Forget one orphan; False if it was not there."""
        orphan = self._orphans.pop(txid, None)
        if orphan is None:
            return False
        self._bytes -= orphan.tx.size
        for txin in orphan.tx.inputs:
            spenders = self._by_prevout.get(txin.prevout)
            if spenders is not None:
                spenders.discard(txid)
                if not spenders:
                    del self._by_prevout[txin.prevout]
        return True

    def children_of(self, tx: Tx) -> list[Tx]:
        """Orphans spending an output of `tx`, oldest first."""
        txid = tx.txid
        found: set[bytes] = set()
        for vout in range(len(tx.outputs)):
            found.update(self._by_prevout.get(OutPoint(txid, vout), ()))
        return [o.tx for t, o in self._orphans.items() if t in found]

    def remove_for_block(self, txs: Iterable[Tx]) -> int:
        """Drop orphans included in the block or spending an outpoint the block spends."""
        doomed: set[bytes] = set()
        for tx in txs:
            if tx.txid in self._orphans:
                doomed.add(tx.txid)
            for txin in tx.inputs:
                doomed.update(self._by_prevout.get(txin.prevout, ()))
        for txid in doomed:
            self.remove(txid)
        return len(doomed)

    def expire(self) -> int:
        """Drop orphans past their expiry time; returns how many."""
        now = self.clock()
        doomed = [txid for txid, o in self._orphans.items() if o.expires <= now]
        for txid in doomed:
            self.remove(txid)
        self._next_sweep = now + EXPIRE_INTERVAL
        return len(doomed)

    def limit(self) -> int:
        """Sweep expired orphans (at most every 5 minutes), then evict random ones until
        both bounds hold; returns how many were removed."""
        removed = 0
        if self.clock() >= self._next_sweep:
            removed += self.expire()
        while len(self._orphans) > self.max_count or self._bytes > self.max_bytes:
            victim = self._rng.choice(list(self._orphans))
            self.remove(victim)
            removed += 1
        return removed

    def clear(self) -> None:
        self._orphans.clear()
        self._by_prevout.clear()
        self._bytes = 0
