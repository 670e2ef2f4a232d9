"""What the pool stores per transaction (`MempoolEntry`) and what acceptance returns
(`AcceptResult`).

An entry carries the transaction, its fee, serialized size (the "vsize": there is no witness
discount) and sigops, when and at which tip height it was accepted, and Bitcoin Core's
package statistics: ancestor and descendant count, size and fees, each *including the entry
itself*. The pool keeps these counters and the parent/child links up to date; nothing else
should modify an entry. Feerates are integer units per 1,000 bytes, rounded down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from node.types.tx import Tx

ENTRY_OVERHEAD = 800
"""Estimated Python memory of an entry besides its transaction bytes (usage estimate)."""
PER_IO_OVERHEAD = 250
"""Estimated Python memory per input and per output object (usage estimate)."""


def estimate_usage(tx: Tx) -> int:
    """Estimated memory the pool spends on `tx` (entry, tx objects, indexes), in bytes.

    Bitcoin Core's DynamicMemoryUsage counts allocations; here the figure is calibrated on
    CPython (bench/mempool.py measures it with tracemalloc) and only has to be stable.
    """
    return ENTRY_OVERHEAD + 2 * tx.size + PER_IO_OVERHEAD * (len(tx.inputs) + len(tx.outputs))


@dataclass(slots=True, eq=False)
class MempoolEntry:
    """One transaction in the pool with its package statistics (see the module docstring)."""

    tx: Tx
    fee: int
    size: int
    sigops: int
    time: float
    height: int
    ancestor_count: int = 1
    ancestor_size: int = 0
    ancestor_fees: int = 0
    descendant_count: int = 1
    descendant_size: int = 0
    descendant_fees: int = 0
    # Bookkeeping owned by the pool.
    parents: set[bytes] = field(default_factory=set, repr=False)
    """Txids of in-pool transactions this one spends."""
    children: set[bytes] = field(default_factory=set, repr=False)
    """Txids of in-pool transactions spending this one."""
    sequence: int = 0
    """Acceptance order (a parent always has a smaller number than its children)."""
    usage: int = 0
    """Estimated memory (`estimate_usage`)."""
    spends_coinbase: bool = False
    """Spends a confirmed coinbase output (maturity is re-checked after a reorg)."""
    has_locks: bool = False
    """Has an absolute or relative lock time (finality is re-checked after a reorg)."""
    version: int = 0
    """Bumped whenever the descendant statistics change (lazy eviction heap)."""

    def __post_init__(self) -> None:
        if not self.ancestor_size:
            self.ancestor_size = self.size
            self.ancestor_fees = self.fee
        if not self.descendant_size:
            self.descendant_size = self.size
            self.descendant_fees = self.fee

    @property
    def txid(self) -> bytes:
        return self.tx.txid

    @property
    def wtxid(self) -> bytes:
        return self.tx.wtxid

    @property
    def feerate(self) -> int:
        """Own feerate in units per 1,000 bytes."""
        return self.fee * 1000 // self.size

    @property
    def ancestor_feerate(self) -> int:
        """Feerate of the entry with all its in-pool ancestors (CPFP mining score)."""
        return self.ancestor_fees * 1000 // self.ancestor_size

    @property
    def descendant_feerate(self) -> int:
        """Feerate of the entry with all its in-pool descendants."""
        return self.descendant_fees * 1000 // self.descendant_size

    def eviction_score(self) -> float:
        """Core's descendant score: the larger of the own and the descendant feerate
        (fee per byte); the entry with the lowest score is evicted first."""
        own = self.fee / self.size
        package = self.descendant_fees / self.descendant_size
        return package if package > own else own


@dataclass(frozen=True, slots=True)
class AcceptResult:
    """A transaction accepted (or that would be, with `test_only`)."""

    txid: bytes
    wtxid: bytes
    fee: int
    size: int
    replaced: tuple[bytes, ...] = ()
    """Txids evicted (or that would be) by this replacement, direct conflicts first."""
