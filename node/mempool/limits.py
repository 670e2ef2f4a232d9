"""Package limits and the rolling minimum feerate.

* `check_chain_limits`: Bitcoin Core's ancestor/descendant limits for a new transaction
  (count and size, each including the new transaction), taking into account the entries a
  replacement would evict ("too-long-mempool-chain").
* `RollingMinFee`: Core's rolling minimum feerate. When the size limit evicts a package, the
  minimum rises to that package's feerate plus the incremental relay feerate; after the next
  block it decays with a 12 hour half-life (6 h below half the size limit, 3 h below a
  quarter) and drops to zero under half the incremental feerate.
"""

from __future__ import annotations

from collections.abc import Mapping

from node.mempool.entry import MempoolEntry
from node.mempool.errors import ChainLimitReject
from node.mempool.graph import PoolGraph
from node.mempool.policy import MempoolPolicy

ROLLING_FEE_HALFLIFE = 12 * 3600
"""Seconds for the rolling minimum feerate to halve (Core's ROLLING_FEE_HALFLIFE)."""


def eviction_adjustments(graph: PoolGraph, evicted: set[bytes]) -> dict[bytes, tuple[int, int]]:
    """For every entry that stays, how many descendants (count, bytes) it loses when the
    `evicted` entries leave the pool."""
    entries = graph.entries
    adjust: dict[bytes, tuple[int, int]] = {}
    for txid in evicted:
        size = entries[txid].size
        for a in graph.ancestors(txid):
            if a not in evicted:
                count, total = adjust.get(a, (0, 0))
                adjust[a] = (count + 1, total + size)
    return adjust


def check_chain_limits(
    graph: PoolGraph,
    ancestors: set[bytes],
    size: int,
    policy: MempoolPolicy,
    adjust: Mapping[bytes, tuple[int, int]] | None = None,
) -> None:
    """Raise ChainLimitReject unless a transaction of `size` bytes with these in-pool
    `ancestors` fits Core's limits (`adjust` from `eviction_adjustments`)."""
    entries = graph.entries
    if len(ancestors) + 1 > policy.ancestor_count:
        raise ChainLimitReject(
            "too-long-mempool-chain",
            f"too many unconfirmed ancestors [limit: {policy.ancestor_count}]",
        )
    anc_entries: list[MempoolEntry] = [entries[a] for a in ancestors]
    total = size + sum(e.size for e in anc_entries)
    if total > policy.ancestor_size:
        raise ChainLimitReject(
            "too-long-mempool-chain",
            f"exceeds ancestor size limit [limit: {policy.ancestor_size}]",
        )
    for e in anc_entries:
        count, desc_size = e.descendant_count, e.descendant_size
        if adjust:
            lost_count, lost_size = adjust.get(e.tx.txid, (0, 0))
            count -= lost_count
            desc_size -= lost_size
        if count + 1 > policy.descendant_count:
            raise ChainLimitReject(
                "too-long-mempool-chain",
                f"too many descendants for tx {e.tx.txid.hex()} [limit: {policy.descendant_count}]",
            )
        if desc_size + size > policy.descendant_size:
            raise ChainLimitReject(
                "too-long-mempool-chain",
                f"exceeds descendant size limit for tx {e.tx.txid.hex()} "
                f"[limit: {policy.descendant_size}]",
            )


class RollingMinFee:
    """Core's rollingMinimumFeeRate (units per 1,000 bytes, kept as a float like Core)."""

    def __init__(self, incremental_feerate: int, now: float) -> None:
        self.incremental = incremental_feerate
        self.rate = 0.0
        self.last_update = now
        self.block_since_bump = False

    def bump(self, removed_feerate: int) -> None:
        """A package of `removed_feerate` (incremental already added) was evicted."""
        if removed_feerate > self.rate:
            self.rate = float(removed_feerate)
            self.block_since_bump = False

    def block_connected(self, now: float) -> None:
        self.last_update = now
        self.block_since_bump = True

    def current(self, now: float, usage: int, max_size: int) -> int:
        """Core's GetMinFee: the feerate below which transactions are refused (0 = none)."""
        if not self.block_since_bump or self.rate == 0:
            return round(self.rate)
        if now > self.last_update + 10:
            halflife = float(ROLLING_FEE_HALFLIFE)
            if usage < max_size // 4:
                halflife /= 4
            elif usage < max_size // 2:
                halflife /= 2
            self.rate /= 2.0 ** ((now - self.last_update) / halflife)
            self.last_update = now
            if self.rate < self.incremental / 2:
                self.rate = 0.0
                return 0
        return max(round(self.rate), self.incremental)
