"""Block templates: choosing the pool's transactions for the next block (CreateNewBlock).

`build_template` follows Bitcoin Core's BlockAssembler::addPackageTxs:

- Candidates are taken by *ancestor score* -- the lower of a transaction's own feerate and
  its feerate together with its in-pool ancestors -- so a high-fee child pulls its parents
  in (CPFP). The whole package (the candidate plus its ancestors not yet in the block) is
  added at once, parents first (by ancestor count).
- Once a package is in, its in-pool descendants get *modified* ancestor statistics (the
  included fees and sizes subtracted) and compete again from a separate priority queue, as
  Core's mapModifiedTx does.
- A package that no longer fits the block's size or sigop budget is skipped (and not tried
  again); after 1,000 consecutive failures with the block within 4,000 bytes of full, the
  search stops. A package paying less than `min_feerate` ends the search.
- The budgets are the block's own limits (the adaptive size limit of SPEC §4 and
  ``limit // 50`` sigops) minus the header, the vote and transaction counts, and the
  coinbase, which is built for real to be measured.

The coinbase pays ``reward_split(height, 0, False).miner`` plus the fees (no votes or
masternode payments yet: the stake and masternode issues add them). The state root is
filled by a dry-run connect of the finished block (``Chainstate.compute_state_root``), which
re-validates everything; should that fail, the error is logged and a coinbase-only template
is returned so a miner never stalls on a bad pool. `time_template` measures the whole call.
"""

from __future__ import annotations

import dataclasses
import heapq
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from node.chain.chainstate import Chainstate
from node.chain.miner import coinbase_tx
from node.consensus.blocksize import max_block_sigops
from node.consensus.errors import ConsensusError
from node.consensus.genesis import EMPTY_STATE_ROOT
from node.consensus.pow import target_from_bits
from node.consensus.subsidy import reward_split
from node.crypto.merkle import merkle_root
from node.mempool.entry import MempoolEntry
from node.script import tx_sigops
from node.types.block import Block, BlockHeader, TicketVote
from node.types.codec import encode_compact_size
from node.types.tx import Tx, TxOut

log = logging.getLogger(__name__)

BLOCK_MIN_TX_FEERATE = 1_000
"""Packages paying less (units per 1,000 bytes) are not mined (Core's -blockmintxfee)."""
MAX_CONSECUTIVE_FAILURES = 1_000
NEARLY_FULL = 4_000
"""Bytes from the limit at which repeated misfits end the search."""
MAX_TX_COUNT_FIELD = 5
"""Bytes reserved for the transaction count (CompactSize up to 2^32 - 1)."""
BLOCK_VERSION = 1
_SCORE_SHIFT = 48


class PoolView(Protocol):
    """What template building needs from the mempool (node.mempool.pool.Mempool has it)."""

    @property
    def entries(self) -> Mapping[bytes, MempoolEntry]: ...

    def ancestors(self, txid: bytes) -> set[bytes]: ...

    def descendants(self, txid: bytes) -> set[bytes]: ...


@dataclass(frozen=True, slots=True)
class BlockTemplate:
    """An unsolved block (nonce 0, state root filled) and what getblocktemplate reports."""

    block: Block
    fees: int
    sigops: int
    """Sigops of the whole block, coinbase included."""
    txs: tuple[MempoolEntry, ...]
    """The pool entries in block order (the coinbase is not one)."""
    height: int
    target: int
    mintime: int = 0
    """The earliest timestamp the block may carry (median time past + 1)."""
    size_limit: int = 0
    sigop_limit: int = 0

    @property
    def coinbase_value(self) -> int:
        return sum(out.value for out in self.block.txs[0].outputs)

    def to_gbt(self) -> dict[str, Any]:
        """The getblocktemplate result with Bitcoin Core's field names (hashes as hex of the
        stored bytes, like the rest of the node), plus "stateroot" and "votesroot"."""
        header = self.block.header
        position = {entry.txid: i + 1 for i, entry in enumerate(self.txs)}
        transactions = []
        for entry in self.txs:
            tx = entry.tx
            depends = sorted(
                {position[i.prevout.txid] for i in tx.inputs if i.prevout.txid in position}
            )
            transactions.append(
                {
                    "data": tx.serialize().hex(),
                    "txid": tx.txid.hex(),
                    "hash": tx.wtxid.hex(),
                    "depends": depends,
                    "fee": entry.fee,
                    "sigops": entry.sigops,
                    "size": entry.size,
                }
            )
        coinbase = self.block.txs[0]
        return {
            "capabilities": ["proposal"],
            "version": header.version,
            "rules": [],
            "vbavailable": {},
            "vbrequired": 0,
            "previousblockhash": header.prev_hash.hex(),
            "transactions": transactions,
            "coinbaseaux": {},
            "coinbasevalue": self.coinbase_value,
            "coinbasetxn": {"data": coinbase.serialize().hex(), "txid": coinbase.txid.hex()},
            "longpollid": header.prev_hash.hex() + str(len(self.txs)),
            "target": f"{self.target:064x}",
            "mintime": self.mintime,
            "mutable": ["time", "transactions", "prevblock"],
            "noncerange": "0000000000000000ffffffffffffffff",
            "sigoplimit": self.sigop_limit,
            "sizelimit": self.size_limit,
            "curtime": header.timestamp,
            "bits": f"{header.bits:08x}",
            "height": self.height,
            "stateroot": header.state_root.hex(),
            "votesroot": header.votes_root.hex(),
            "merkleroot": header.merkle_root.hex(),
            "fees": self.fees,
            "sigops": self.sigops,
        }


def _score(fees: int, size: int) -> int:
    return (fees << _SCORE_SHIFT) // size


def _entry_score(entry: MempoolEntry) -> int:
    """Core's ancestor score: the lower of the own and the with-ancestors feerate."""
    return min(_score(entry.fee, entry.size), _score(entry.ancestor_fees, entry.ancestor_size))


class _Selector:
    """One run of the package selection (state of CreateNewBlock's addPackageTxs)."""

    def __init__(
        self, pool: PoolView, size_budget: int, sigop_budget: int, min_feerate: int
    ) -> None:
        self.pool = pool
        self.entries = pool.entries
        self.size_budget = size_budget
        self.sigop_budget = sigop_budget
        self.min_feerate = min_feerate
        self.in_block: set[bytes] = set()
        self.failed: set[bytes] = set()
        self.modified: dict[bytes, list[int]] = {}
        """txid -> [fees, size, own score, version] with the included ancestors removed."""
        self.heap: list[tuple[int, bytes, int]] = []
        self.selected: list[MempoolEntry] = []
        self.size = 0
        self.sigops = 0
        self.fees = 0

    def run(self) -> None:
        entries = self.entries
        order = sorted(entries.values(), key=lambda e: (-_entry_score(e), e.txid))
        index = 0
        consecutive_failed = 0
        while True:
            while index < len(order):
                txid = order[index].txid
                if txid in self.in_block or txid in self.failed or txid in self.modified:
                    index += 1
                    continue
                break
            top = self._modified_top()
            if index >= len(order) and top is None:
                return
            using_modified = False
            if index >= len(order):
                using_modified = True
            else:
                candidate = order[index]
                best_key = (-_entry_score(candidate), candidate.txid)
                if top is not None and (top[0], top[1]) < best_key:
                    using_modified = True
                else:
                    index += 1
            if using_modified:
                assert top is not None
                txid = top[1]
                fees, size = self.modified[txid][0], self.modified[txid][1]
            else:
                txid = candidate.txid
                fees, size = candidate.ancestor_fees, candidate.ancestor_size
            if fees * 1000 < self.min_feerate * size:
                return  # everything else pays less
            package: set[bytes] | None = None
            fits = self.size + size <= self.size_budget
            if fits:
                package = self._package(txid)
                package_sigops = sum(entries[t].sigops for t in package)
                fits = self.sigops + package_sigops <= self.sigop_budget
            if not fits or package is None:
                if using_modified:
                    del self.modified[txid]
                    self.failed.add(txid)
                consecutive_failed += 1
                if (
                    consecutive_failed > MAX_CONSECUTIVE_FAILURES
                    and self.size > self.size_budget - NEARLY_FULL
                ):
                    return
                continue
            consecutive_failed = 0
            self._add_package(package)

    def _modified_top(self) -> tuple[int, bytes, int] | None:
        heap = self.heap
        while heap:
            _, txid, version = heap[0]
            state = self.modified.get(txid)
            if state is not None and state[3] == version:
                return heap[0]
            heapq.heappop(heap)
        return None

    def _package(self, txid: bytes) -> set[bytes]:
        entry = self.entries[txid]
        if entry.ancestor_count == 1:
            return {txid}
        package = {a for a in self.pool.ancestors(txid) if a not in self.in_block}
        package.add(txid)
        return package

    def _add_package(self, package: set[bytes]) -> None:
        entries = self.entries
        members = sorted((entries[t] for t in package), key=lambda e: (e.ancestor_count, e.txid))
        for entry in members:
            self.in_block.add(entry.txid)
            self.modified.pop(entry.txid, None)
            self.selected.append(entry)
            self.size += entry.size
            self.sigops += entry.sigops
            self.fees += entry.fee
        for entry in members:
            if entry.descendant_count == 1:
                continue
            for desc in self.pool.descendants(entry.txid):
                if desc in self.in_block:
                    continue
                state = self.modified.get(desc)
                if state is None:
                    d = entries[desc]
                    state = [d.ancestor_fees, d.ancestor_size, _score(d.fee, d.size), 0]
                    self.modified[desc] = state
                state[0] -= entry.fee
                state[1] -= entry.size
                state[3] += 1
                score = min(state[2], _score(state[0], state[1]))
                heapq.heappush(self.heap, (-score, desc, state[3]))


def block_limits(chainstate: Chainstate, height: int) -> tuple[int, int]:
    """(size limit, sigop limit) of a block at `height` on the active chain."""
    size_limit = chainstate.block_size_limit(height)
    return size_limit, max_block_sigops(size_limit, chainstate.params)


def build_template(
    chainstate: Chainstate,
    mempool: PoolView,
    payout_script: bytes,
    *,
    timestamp: int | None = None,
    max_size: int | None = None,
    max_sigops: int | None = None,
    min_feerate: int = BLOCK_MIN_TX_FEERATE,
    tag: bytes = b"rusty",
    votes: Sequence[TicketVote] = (),
    stake_outputs: Sequence[TxOut] = (),
    special_txs: Sequence[Tx] = (),
) -> BlockTemplate:
    """A template on the tip: the best packages of `mempool` under the block's limits.

    `votes` (for the tip) and their `stake_outputs` (node.stake.rewards) go into the block
    and its coinbase from stake_validation_height on. `special_txs` (fee-less SLASH evidence)
    go right after the coinbase.

    `max_size` / `max_sigops` can only lower the consensus limits (for tests and miners that
    want smaller blocks). Holds ``chainstate.lock`` throughout.
    """
    with chainstate.lock:
        cs = chainstate
        params = cs.params
        parent = cs.tip
        height = parent.height + 1
        size_limit, sigop_limit = block_limits(cs, height)
        if max_size is not None:
            size_limit = min(size_limit, max_size)
        if max_sigops is not None:
            sigop_limit = min(sigop_limit, max_sigops)
        split = reward_split(height, len(votes), False, params)
        probe = coinbase_tx(height, [TxOut(split.miner, payout_script), *stake_outputs], tag)
        coinbase_sigops = tx_sigops(probe, [])
        overhead = (
            160
            + len(encode_compact_size(len(votes)))
            + sum(len(v.serialize()) for v in votes)
            + MAX_TX_COUNT_FIELD
            + probe.size
            + sum(tx.size for tx in special_txs)
        )
        selector = _Selector(
            mempool,
            max(0, size_limit - overhead),
            max(0, sigop_limit - coinbase_sigops),
            min_feerate,
        )
        selector.run()
        mintime = cs.median_time_past(parent) + 1
        when = max(mintime, int(cs.clock()) if timestamp is None else timestamp)
        bits = cs.expected_bits(parent)
        stake = (tuple(votes), tuple(stake_outputs), tuple(special_txs))
        template = _assemble(
            cs, height, payout_script, tag, selector.selected, selector.fees, when, bits, stake
        )
        try:
            root = cs.compute_state_root(template)
        except ConsensusError as exc:
            log.error("block template with %d txs failed its dry run (%s); mining an empty "
                      "block", len(selector.selected), exc)  # fmt: skip
            selector.selected, selector.fees, selector.sigops = [], 0, 0
            stake = (stake[0], stake[1], ())
            template = _assemble(cs, height, payout_script, tag, [], 0, when, bits, stake)
            root = cs.compute_state_root(template)
        header = dataclasses.replace(template.header, state_root=root)
        return BlockTemplate(
            block=Block(header, template.votes, template.txs),
            fees=selector.fees,
            sigops=selector.sigops + coinbase_sigops,
            txs=tuple(selector.selected),
            height=height,
            target=target_from_bits(bits),
            mintime=mintime,
            size_limit=size_limit,
            sigop_limit=sigop_limit,
        )


def _assemble(
    cs: Chainstate,
    height: int,
    payout_script: bytes,
    tag: bytes,
    entries: list[MempoolEntry],
    fees: int,
    when: int,
    bits: int,
    stake: tuple[tuple[TicketVote, ...], tuple[TxOut, ...], tuple[Tx, ...]] = ((), (), ()),
) -> Block:
    votes, stake_outputs, special = stake
    split = reward_split(height, len(votes), False, cs.params)
    coinbase = coinbase_tx(height, [TxOut(split.miner + fees, payout_script), *stake_outputs], tag)
    txs = (coinbase, *special, *(e.tx for e in entries))
    header = BlockHeader(
        version=BLOCK_VERSION,
        height=height,
        prev_hash=cs.tip.hash,
        merkle_root=merkle_root([tx.wtxid for tx in txs]),
        votes_root=merkle_root([vote.hash for vote in votes]),
        state_root=EMPTY_STATE_ROOT,
        timestamp=when,
        bits=bits,
        nonce=0,
    )
    return Block(header, votes, txs)


def time_template(chainstate: Chainstate, mempool: PoolView) -> float:
    """Seconds one `build_template` call takes on this pool (bench/mempool.py uses it)."""
    script = bytes([0x6A])  # OP_RETURN: a payout nobody can spend, fine for timing
    started = time.perf_counter()
    build_template(chainstate, mempool, script)
    return time.perf_counter() - started
