"""The mempool: validated unconfirmed transactions, kept consistent with the chain tip.

`Mempool.accept` is Bitcoin Core's AcceptToMemoryPool for one transaction, in Core's order:
type and context-free consensus checks, standardness, finality at tip+1 (median time past),
duplicates, inputs from the UTXO set or the pool (a transaction with unknown inputs goes to
the orphan pool), BIP68 sequence locks, input values and coinbase maturity, standard inputs
and sigops, the min relay and rolling minimum fee, ancestor/descendant limits, replacement
rules, and finally the scripts (STANDARD_FLAGS; a failure that CONSENSUS_FLAGS accepts is
"non-mandatory-script-verify-flag-failed"). After adding, expired entries and, above the
size limit, the lowest descendant-feerate packages are evicted.

The pool follows the chain through its events: a connected block removes the transactions it
confirms and everything that conflicts with them; the transactions of disconnected blocks are
collected and re-added once the reorganisation completes (on TipChanged, or lazily at the
next call), then entries whose locks, coinbase maturity or inputs no longer hold are dropped.
Everything that reads the UTXO set runs under `chainstate.lock`. docs/protocol/mempool.md
describes the policy and every reject reason.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from random import Random
from types import MappingProxyType
from typing import Protocol

from node.chain.chainstate import Chainstate
from node.chain.connect import is_unspendable
from node.chain.events import BlockConnected, BlockDisconnected, ChainEvent, TipChanged
from node.chain.index import IndexEntry
from node.consensus.checks import check_transaction
from node.consensus.contextual import (
    SEQUENCE_LOCKTIME_DISABLE_FLAG,
    check_sequence_locks,
    check_tx_inputs,
    is_final_tx,
    sequence_locks,
)
from node.consensus.errors import SequenceLocksNotMet, TxRuleError
from node.mempool.checks import still_valid_after_reorg, verify_scripts
from node.mempool.entry import AcceptResult, MempoolEntry, estimate_usage
from node.mempool.errors import (
    AlreadyKnown,
    ConsensusReject,
    FeeReject,
    MempoolFull,
    MempoolReject,
    MissingInputs,
    PolicyReject,
)
from node.mempool.events import MempoolEventBus, TxAdded, TxRemoved
from node.mempool.graph import PoolGraph
from node.mempool.limits import RollingMinFee, check_chain_limits, eviction_adjustments
from node.mempool.orphans import OrphanPool
from node.mempool.policy import (
    DEFAULT_EXPIRY,
    DEFAULT_MAX_SIZE,
    MAX_ORPHAN_BYTES,
    MIN_RELAY_FEERATE,
    MempoolPolicy,
    check_standard,
    check_tx_type,
    fee_for,
)
from node.mempool.rbf import check_disjoint, check_replacement, entries_to_evict
from node.mempool.stakecheck import check_stake_tx, invalid_stake_txs, stale_purchases
from node.script.policy import is_standard_input
from node.script.sigops import tx_sigops
from node.stake.pool import TicketPool
from node.stake.store import LmdbTicketStore
from node.storage.records import Coin
from node.storage.schema import DB_TICKETS
from node.types.tx import SEQUENCE_FINAL, OutPoint, Tx, TxOut

log = logging.getLogger(__name__)


class FeeEstimatorLike(Protocol):
    """What the pool tells the fee estimator (node.mempool.fees.FeeEstimator)."""

    def process_tx(self, txid: bytes, height: int, feerate: int) -> None: ...

    def remove_tx(self, txid: bytes) -> None: ...

    def process_block(self, height: int, txids: Sequence[bytes]) -> None: ...


class Mempool:
    """Unconfirmed transactions valid on top of the chainstate's tip (module docstring)."""

    def __init__(
        self,
        chainstate: Chainstate,
        *,
        max_size: int = DEFAULT_MAX_SIZE,
        expiry: float = DEFAULT_EXPIRY,
        min_relay_feerate: int = MIN_RELAY_FEERATE,
        clock: Callable[[], float] = time.time,
        max_orphans: int = 100,
        estimator: FeeEstimatorLike | None = None,
        policy: MempoolPolicy | None = None,
        max_orphan_bytes: int = MAX_ORPHAN_BYTES,
        rng: Random | None = None,
    ) -> None:
        policy = policy if policy is not None else MempoolPolicy()
        if policy.min_relay_feerate != min_relay_feerate:
            policy = dataclasses.replace(policy, min_relay_feerate=min_relay_feerate)
        self.chainstate = chainstate
        self.params = chainstate.params
        self.policy = policy
        self.max_size = max_size
        self.expiry = expiry
        self.clock = clock
        self.estimator = estimator
        self.events = MempoolEventBus()
        self.orphans = OrphanPool(
            max_count=max_orphans,
            max_bytes=max_orphan_bytes,
            max_tx_size=policy.max_standard_tx_size,
            clock=clock,
            rng=rng,
        )
        self._graph = PoolGraph()
        self._entries_view: Mapping[bytes, MempoolEntry] = MappingProxyType(self._graph.entries)
        self._rolling = RollingMinFee(policy.incremental_relay_feerate, clock())
        self._pending: dict[bytes, Tx] = {}
        """Transactions of disconnected blocks, oldest block first, waiting to be re-added."""
        self._disconnected = False
        """A block was disconnected since the last `_sync` (the pool must be re-checked)."""
        self._mtp: tuple[bytes, int] = (b"", 0)
        self._unsubscribe = chainstate.events.subscribe(self._on_chain_event)

    def close(self) -> None:
        """Stop following the chain."""
        self._unsubscribe()

    # ------------------------------------------------------------------ queries

    @property
    def entries(self) -> Mapping[bytes, MempoolEntry]:
        """Read-only live view of the entries by txid, in acceptance order."""
        self._lazy_sync()
        return self._entries_view

    @property
    def min_relay_feerate(self) -> int:
        return self.policy.min_relay_feerate

    def __len__(self) -> int:
        self._lazy_sync()
        return len(self._graph.entries)

    def __contains__(self, txid: object) -> bool:
        self._lazy_sync()
        return txid in self._graph.entries

    def get(self, txid: bytes) -> MempoolEntry | None:
        self._lazy_sync()
        return self._graph.entries.get(txid)

    def _lazy_sync(self) -> None:
        """Finish a pending reorg update (a chain change that published no TipChanged,
        e.g. invalidate_block without a better chain) before answering."""
        if self._disconnected:
            with self.chainstate.lock:
                self._sync()

    def ancestors(self, txid: bytes) -> set[bytes]:
        """In-pool ancestors of `txid`, excluding itself (KeyError if not in the pool)."""
        with self.chainstate.lock:
            return self._graph.ancestors(txid)

    def descendants(self, txid: bytes) -> set[bytes]:
        """In-pool descendants of `txid`, excluding itself (KeyError if not in the pool)."""
        with self.chainstate.lock:
            return self._graph.descendants(txid)

    def spender_of(self, outpoint: OutPoint) -> bytes | None:
        """Txid of the pool transaction spending `outpoint`, if any."""
        return self._graph.spenders.get(outpoint)

    def get_coin(self, outpoint: OutPoint) -> Coin | None:
        """The coin at `outpoint` as the pool sees it: the UTXO set plus pool outputs (at
        height tip+1, Core's MEMPOOL_HEIGHT), minus what pool transactions spend."""
        with self.chainstate.lock:
            self._sync()
            if outpoint in self._graph.spenders:
                return None
            parent = self._graph.entries.get(outpoint.txid)
            if parent is not None:
                return self._pool_coin(parent.tx, outpoint.vout)
            with self.chainstate.db.read() as txn:
                return txn.get_coin(outpoint)

    def size_bytes(self) -> int:
        """Total serialized size of the pool's transactions."""
        return self._graph.total_size

    def usage_bytes(self) -> int:
        """Estimated memory used by the pool (compared with `max_size`)."""
        return self._graph.total_usage

    def total_fees(self) -> int:
        return self._graph.total_fees

    def min_fee_rate(self) -> int:
        """The rolling minimum feerate (units/kvB; 0 when no package was evicted lately)."""
        return self._rolling.current(self.clock(), self._graph.total_usage, self.max_size)

    def info(self) -> dict[str, int | float]:
        """getmempoolinfo's fields; amounts in base units, feerates in units per kvB."""
        with self.chainstate.lock:
            self._sync()
            return {
                "loaded": True,
                "size": len(self._graph.entries),
                "bytes": self._graph.total_size,
                "usage": self._graph.total_usage,
                "total_fee": self._graph.total_fees,
                "maxmempool": self.max_size,
                "mempoolminfee": max(self.min_fee_rate(), self.policy.min_relay_feerate),
                "minrelaytxfee": self.policy.min_relay_feerate,
                "incrementalrelayfee": self.policy.incremental_relay_feerate,
                "unbroadcastcount": 0,
                "fullrbf": True,
                "orphans": len(self.orphans),
            }

    def consistency_problems(self) -> list[str]:
        """Everything wrong with the pool (Core's CTxMemPool::check): counters and links
        recomputed, and every input available from the UTXO set or a pool parent."""
        with self.chainstate.lock:
            self._sync()
            graph = self._graph
            problems = graph.check()
            with self.chainstate.db.read() as txn:
                for txid, e in graph.entries.items():
                    for txin in e.tx.inputs:
                        prevout = txin.prevout
                        parent = graph.entries.get(prevout.txid)
                        if parent is not None:
                            ok = self._pool_coin(parent.tx, prevout.vout) is not None
                        else:
                            ok = txn.has_coin(prevout)
                        if not ok:
                            problems.append(f"{txid.hex()}: input {prevout} unavailable")
            return problems

    # ------------------------------------------------------------------ acceptance

    def accept(
        self, tx: Tx, *, test_only: bool = False, max_fee: int | None = None
    ) -> AcceptResult:
        """Validate `tx` and add it (unless `test_only`); raise MempoolReject otherwise.

        A transaction with unknown inputs is kept in the orphan pool and MissingInputs
        ("missing-inputs") is raised; orphans spending the new transaction are re-tried.
        `max_fee` refuses a fee above it ("max-fee-exceeded").
        """
        with self.chainstate.lock:
            self._sync()
            try:
                result = self._accept(tx, test_only=test_only, max_fee=max_fee)
            except MissingInputs:
                if not test_only:
                    self.orphans.add(tx)
                raise
            if test_only:
                return result
            self._limit_size()
            if result.txid not in self._graph.entries:
                raise MempoolFull("the transaction was evicted by the size limit")
            self._process_orphans(tx)
            return result

    def _accept(
        self,
        tx: Tx,
        *,
        test_only: bool = False,
        max_fee: int | None = None,
        readd: bool = False,
        keep: MempoolEntry | None = None,
    ) -> AcceptResult:
        """The checks and the insertion. `readd` (a reorg) bypasses the fee floors and the
        estimator; `keep` re-inserts a stashed entry quietly with its time and height."""
        policy = self.policy
        graph = self._graph
        entries = graph.entries
        cs = self.chainstate
        txid = tx.txid

        check_tx_type(tx, policy)
        try:
            check_transaction(tx, allowed_tx_types=policy.allowed_tx_types)
        except TxRuleError as exc:
            raise ConsensusReject(exc.reason, _detail(exc)) from None
        check_standard(tx, policy)

        tip = cs.tip
        height = tip.height + 1
        mtp = self._tip_mtp(tip)
        if not is_final_tx(tx, height, mtp):
            raise PolicyReject("non-final", f"lock_time {tx.lock_time} not reached at {height}")
        existing = entries.get(txid)
        if existing is not None:
            if existing.tx.wtxid == tx.wtxid:
                raise AlreadyKnown("txn-already-in-mempool", txid.hex())
            raise AlreadyKnown("txn-same-nonwitness-data-in-mempool", txid.hex())

        spenders = graph.spenders
        conflicts: set[bytes] = set()
        parents: set[bytes] = set()
        spent: list[Coin] = []
        spends_coinbase = False
        relative = False
        with cs.db.read() as txn:
            for txin in tx.inputs:
                prevout = txin.prevout
                if not txin.sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG:
                    relative = True
                spender = spenders.get(prevout)
                if spender is not None:
                    conflicts.add(spender)
                parent = entries.get(prevout.txid)
                coin = None
                if parent is not None:
                    coin = self._pool_coin(parent.tx, prevout.vout, height)
                    parents.add(prevout.txid)
                else:
                    coin = txn.get_coin(prevout)
                    if coin is not None and coin.is_coinbase:
                        spends_coinbase = True
                if coin is None:
                    for vout in range(len(tx.outputs)):
                        if txn.has_coin(OutPoint(txid, vout)):
                            raise AlreadyKnown("txn-already-known", "outputs already confirmed")
                    raise MissingInputs(f"{prevout.txid.hex()}:{prevout.vout} is unknown")
                spent.append(coin)
            check_stake_tx(tx, txn, self.params, height, entries)

        if relative:
            heights = [c.height for c in spent]
            mtps = [mtp if h >= height else self._coin_mtp(h) for h in heights]
            try:
                check_sequence_locks(sequence_locks(tx, heights, mtps), height, mtp)
            except SequenceLocksNotMet as exc:
                raise PolicyReject("non-BIP68-final", _detail(exc)) from None
        try:
            fee = check_tx_inputs(tx, spent, height, self.params)
        except TxRuleError as exc:
            raise ConsensusReject(exc.reason, _detail(exc)) from None
        if max_fee is not None and fee > max_fee:
            raise FeeReject("max-fee-exceeded", f"fee {fee} > maximum {max_fee}")

        spent_outputs = [TxOut(c.value, c.script_pubkey) for c in spent]
        if policy.require_standard:
            for index, (witness, out) in enumerate(zip(tx.witnesses, spent_outputs, strict=True)):
                if not is_standard_input(witness, out.script_pubkey):
                    raise PolicyReject("bad-txns-nonstandard-inputs", f"input {index}")
        sigops = tx_sigops(tx, spent_outputs)
        if sigops > policy.max_standard_tx_sigops:
            raise PolicyReject(
                "bad-txns-too-many-sigops", f"{sigops} > {policy.max_standard_tx_sigops}"
            )
        size = tx.size
        if not readd:
            rolling = self.min_fee_rate()
            if rolling and fee < fee_for(rolling, size):
                raise FeeReject("mempool min fee not met", f"{fee} < {fee_for(rolling, size)}")
            needed = fee_for(policy.min_relay_feerate, size)
            if fee < needed:
                raise FeeReject("min relay fee not met", f"{fee} < {needed}")

        evicted: set[bytes] = set()
        ancestors = graph.ancestors_of_parents(parents) if parents else set()
        if conflicts:
            evicted = entries_to_evict(graph, txid, conflicts, policy)
            check_disjoint(txid, ancestors, conflicts)
            adjust = eviction_adjustments(graph, evicted)
            check_chain_limits(graph, ancestors, size, policy, adjust)
            check_replacement(graph, tx, fee, size, conflicts, evicted, policy)
        elif ancestors:
            check_chain_limits(graph, ancestors, size, policy)

        verify_scripts(tx, spent_outputs, standard=policy.require_standard, cache=cs.script_cache)
        replaced = tuple(e.tx.txid for e in sorted(
            (entries[t] for t in evicted), key=lambda e: e.sequence
        ))  # fmt: skip
        result = AcceptResult(txid, tx.wtxid, fee, size, replaced)
        if test_only:
            return result

        if evicted:
            self._remove(evicted, "replaced")
        lock_time_used = tx.lock_time != 0 and any(
            txin.sequence != SEQUENCE_FINAL for txin in tx.inputs
        )
        entry = MempoolEntry(
            tx=tx,
            fee=fee,
            size=size,
            sigops=sigops,
            time=keep.time if keep is not None else self.clock(),
            height=keep.height if keep is not None else tip.height,
            usage=estimate_usage(tx),
            spends_coinbase=spends_coinbase,
            has_locks=relative or lock_time_used,
        )
        graph.add(entry, ancestors)
        if keep is None:
            if self.estimator is not None and not readd and not parents:
                self.estimator.process_tx(txid, tip.height, entry.feerate)
            self.events.publish(TxAdded(entry))
        return result

    def _process_orphans(self, parent: Tx) -> None:
        """Re-try the orphans that spend `parent` (and, recursively, theirs)."""
        queue = [parent]
        while queue:
            for child in self.orphans.children_of(queue.pop(0)):
                if child.txid not in self.orphans:
                    continue
                try:
                    self._accept(child)
                except MissingInputs:
                    continue
                except MempoolReject as exc:
                    log.debug("orphan %s rejected: %s", child.txid.hex(), exc)
                    self.orphans.remove(child.txid)
                    continue
                self.orphans.remove(child.txid)
                self._limit_size()
                if child.txid in self._graph.entries:
                    queue.append(child)

    # ------------------------------------------------------------------ removal and limits

    def remove(self, txid: bytes, reason: str = "manual") -> None:
        """Remove `txid` and all its descendants (nothing if it is not in the pool)."""
        with self.chainstate.lock:
            if txid in self._graph.entries:
                self._remove(self._graph.descendants_of({txid}), reason)

    def expire(self) -> int:
        """Remove entries older than `expiry` and their descendants; returns how many."""
        with self.chainstate.lock:
            return self._expire()

    def trim_to_size(self) -> int:
        """Evict lowest descendant-score packages until usage <= max_size; returns how many
        transactions left. Each eviction raises the rolling minimum feerate."""
        with self.chainstate.lock:
            return self._trim()

    def _limit_size(self) -> None:
        self._expire()
        self._trim()

    def _expire(self) -> int:
        roots = self._graph.expired(self.clock() - self.expiry)
        if not roots:
            return 0
        return len(self._remove(self._graph.descendants_of(roots), "expiry"))

    def _trim(self) -> int:
        graph = self._graph
        removed = 0
        while graph.total_usage > self.max_size:
            txid = graph.lowest_score()
            if txid is None:
                break
            e = graph.entries[txid]
            rate = e.descendant_fees * 1000 // e.descendant_size
            self._rolling.bump(rate + self.policy.incremental_relay_feerate)
            removed += len(self._remove(graph.descendants_of({txid}), "sizelimit"))
        return removed

    def _remove(
        self, stage: set[bytes], reason: str, *, update_descendants: bool = False
    ) -> list[MempoolEntry]:
        removed = self._graph.remove_staged(stage, update_descendants=update_descendants)
        estimator = self.estimator
        for e in removed:
            if estimator is not None and reason != "block":
                estimator.remove_tx(e.tx.txid)
            self.events.publish(TxRemoved(e.tx.txid, reason))
        return removed

    # ------------------------------------------------------------------ chain events

    def _on_chain_event(self, event: ChainEvent) -> None:
        if isinstance(event, BlockConnected):
            self._block_connected(event.block.txs[1:], event.height)
        elif isinstance(event, BlockDisconnected):
            readd = {tx.txid: tx for tx in event.block.txs[1:]}
            readd.update(self._pending)
            self._pending = readd
            self._disconnected = True
        elif isinstance(event, TipChanged):
            self._sync()

    def _block_connected(self, txs: Sequence[Tx], height: int) -> None:
        """Remove what the block confirms (children stay) and what conflicts with it."""
        graph = self._graph
        for tx in txs:
            self._pending.pop(tx.txid, None)
        mined = [tx.txid for tx in txs if tx.txid in graph.entries]
        if mined:
            self._remove(set(mined), "block", update_descendants=True)
        conflicts = {
            spender
            for tx in txs
            for txin in tx.inputs
            if (spender := graph.spenders.get(txin.prevout)) is not None
        }
        if conflicts:
            self._remove(graph.descendants_of(conflicts), "conflict")
        self.orphans.remove_for_block(txs)
        self._evict_stale_purchases()
        if self.estimator is not None:
            self.estimator.process_block(height, mined)
        self._rolling.block_connected(self.clock())

    def _evict_stale_purchases(self) -> None:
        graph = self._graph
        with self.chainstate.db.read() as txn:
            price = TicketPool(LmdbTicketStore(txn.kv(DB_TICKETS)), self.params).next_price()
        stale = stale_purchases(graph.entries.values(), price)
        if stale:
            self._remove(graph.descendants_of(stale), "stale-ticket-price")

    def _sync(self) -> None:
        """Re-add the transactions of disconnected blocks (Core's MaybeUpdateMempoolForReorg).

        Pool entries spending them are taken out first and put back after them, so that the
        links and counters are rebuilt in order; what no longer fits the chain is dropped.
        """
        if not self._disconnected:
            return
        pending = list(self._pending.values())
        self._pending = {}
        self._disconnected = False
        graph = self._graph
        direct: set[bytes] = set()
        for tx in pending:
            txid = tx.txid
            for vout in range(len(tx.outputs)):
                spender = graph.spenders.get(OutPoint(txid, vout))
                if spender is not None:
                    direct.add(spender)
        stashed = graph.remove_staged(graph.descendants_of(direct)) if direct else []
        for tx in pending:
            try:
                self._accept(tx, readd=True)
            except MempoolReject as exc:
                log.debug("disconnected tx %s not re-added: %s", tx.txid.hex(), exc)
        for e in stashed:
            try:
                self._accept(e.tx, readd=True, keep=e)
            except MempoolReject as exc:
                log.debug("tx %s dropped after reorg: %s", e.tx.txid.hex(), exc)
                if self.estimator is not None:
                    self.estimator.remove_tx(e.tx.txid)
                self.events.publish(TxRemoved(e.tx.txid, "reorg"))
        self._remove_for_reorg()
        self._evict_stale_purchases()
        self._limit_size()

    def _remove_for_reorg(self) -> None:
        """Drop entries whose lock times, sequence locks, coinbase maturity or confirmed
        inputs do not hold on the new tip (Core's removeForReorg)."""
        graph = self._graph
        entries = graph.entries
        tip = self.chainstate.tip
        height = tip.height + 1
        mtp = self._tip_mtp(tip)
        maturity = self.params.coinbase_maturity
        with self.chainstate.db.read() as txn:
            invalid = {
                txid
                for txid, e in entries.items()
                if (e.has_locks or e.spends_coinbase)
                and not still_valid_after_reorg(
                    e,
                    entries,
                    txn.get_coin,
                    height=height,
                    mtp=mtp,
                    coin_mtp=self._coin_mtp,
                    maturity=maturity,
                )
            }
            invalid |= invalid_stake_txs(entries, txn, self.params, height)
        if invalid:
            self._remove(graph.descendants_of(invalid), "reorg")

    # ------------------------------------------------------------------ helpers

    def _tip_mtp(self, tip: IndexEntry) -> int:
        cached_hash, cached = self._mtp
        if cached_hash == tip.hash:
            return cached
        mtp = self.chainstate.median_time_past(tip)
        self._mtp = (tip.hash, mtp)
        return mtp

    def _coin_mtp(self, coin_height: int) -> int:
        """BIP68: the median time past of the block before the one that created the coin."""
        active = self.chainstate.active
        index = min(max(coin_height - 1, 0), len(active) - 1)
        return self.chainstate.median_time_past(active[index])

    def _pool_coin(self, tx: Tx, vout: int, height: int | None = None) -> Coin | None:
        if vout >= len(tx.outputs):
            return None
        out = tx.outputs[vout]
        if is_unspendable(out.script_pubkey):
            return None
        if height is None:
            height = self.chainstate.height + 1
        return Coin(out.value, out.script_pubkey, height, False)


def _detail(exc: Exception) -> str:
    """The message of a consensus error without its "reason: " prefix."""
    return str(exc.args[0]) if exc.args else ""
