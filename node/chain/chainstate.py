"""The chainstate: accepts headers and blocks in any order and keeps the best valid chain.

- Headers are checked (context-free, then against their parent: height, expected LWMA bits,
  median time past, future limit) and kept in the in-memory block tree and the LMDB block
  index. Blocks whose parent is unknown wait in a bounded orphan pool.
- Fork choice: the valid chain with the most cumulative work; the first seen wins a tie; no
  reorganisation deeper than `max_reorg_depth` or across a ChainLocked block.
- Connecting a block is ONE LMDB write transaction (UTXO changes, undo data, state trie,
  block index status, height index, tip), so a crash leaves either the old or the new tip.
  A rejected block aborts its transaction (nothing written), is marked FAILED and its
  descendants FAILED_CHILD, and the chain falls back to the best remaining valid chain.
- Subscribers get BlockConnected / BlockDisconnected after each commit and TipChanged
  once per activation step.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from node.chain.connect import BlockConnector, DryRun
from node.chain.errors import MissingParent, ReorgRefused, UnknownBlock
from node.chain.events import BlockConnected, BlockDisconnected, EventBus, TipChanged
from node.chain.extensions import ChainExtension
from node.chain.index import IndexEntry, last_common_ancestor
from node.chain.scriptcheck import ScriptChecker
from node.consensus.checks import BASE_TX_TYPES, check_block, check_block_header
from node.consensus.contextual import check_header_contextual
from node.consensus.difficulty import next_bits
from node.consensus.errors import BadPrevBlock, ConsensusError
from node.consensus.genesis import build_genesis
from node.consensus.pow import block_work
from node.consensus.timerules import median_time_past
from node.params import ChainParams
from node.script.cache import ScriptCache
from node.storage.env import ChainDB, WriteTxn
from node.storage.records import BlockStatus
from node.storage.schema import DB_STATE_TRIE
from node.storage.trie import StateTrie
from node.types.block import Block, BlockHeader

log = logging.getLogger(__name__)

MAX_ORPHAN_BLOCKS = 100
RECENT_BLOCKS = 16
IBD_MAX_TIP_AGE = 24 * 3600


class ProcessResult(Enum):
    """What `process_block` did with a block that passed its checks."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    ORPHAN = "orphan"


class DuplicateInvalid(ConsensusError):
    """The block or header was seen before and found invalid."""

    reason = "duplicate-invalid"


class ForkTooDeep(ConsensusError):
    """A header forking off the main chain below max_reorg_depth or a ChainLock."""

    reason = "bad-fork-prior-to-maxreorgdepth"


@dataclass(frozen=True, slots=True)
class ChainTip:
    """A leaf of the block tree, as getchaintips reports it."""

    hash: bytes
    height: int
    branch_length: int
    status: str


class Chainstate:
    """The node's view of the block tree and the UTXO set of its best chain."""

    def __init__(
        self,
        db: ChainDB,
        params: ChainParams,
        *,
        clock: Callable[[], float] = time.time,
        script_threads: int = 0,
        max_orphans: int = MAX_ORPHAN_BLOCKS,
        extensions: Sequence[ChainExtension] = (),
    ) -> None:
        self.db = db
        self.params = params
        self.clock = clock
        self.events = EventBus()
        self.entries: dict[bytes, IndexEntry] = {}
        self.active: list[IndexEntry] = []
        self.candidates: set[IndexEntry] = set()
        self.orphans: OrderedDict[bytes, Block] = OrderedDict()
        self.max_orphans = max_orphans
        self.chainlocks: dict[int, bytes] = {}
        self.lock = threading.RLock()
        """Held while the chain changes (like Bitcoin Core's cs_main): the miner, RPC and P2P
        threads take it around process_block and multi-step reads."""
        self._sequence = 0
        self._recent_blocks: dict[bytes, Block] = {}
        """Blocks just stored, kept decoded so connecting them does not re-read LMDB."""
        self._failures: dict[bytes, ConsensusError] = {}
        """Why blocks failed to connect during the last activation (reported to the caller)."""
        self.script_cache = ScriptCache()
        """wtxids whose scripts verified (filled by the mempool; connect skips them)."""
        self._scripts = ScriptChecker(script_threads, self.script_cache)
        self.extensions = tuple(extensions)
        self.allowed_tx_types = BASE_TX_TYPES.union(*(ext.tx_types for ext in self.extensions))
        """Block rules from higher layers (the stake pool): see node.chain.extensions."""
        self._connector = BlockConnector(params, self._scripts, self.extensions)
        self._load()

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def open(cls, datadir: Path, params: ChainParams, **options: object) -> Chainstate:
        """Open (creating if needed) `<datadir>/<network>/chain.lmdb` and load the chain."""
        path = datadir / params.name / "chain.lmdb"
        path.mkdir(parents=True, exist_ok=True)
        db = ChainDB.open(path, network=params.name)
        try:
            return cls(db, params, **options)  # type: ignore[arg-type]
        except BaseException:
            db.close()
            raise

    def close(self) -> None:
        self._scripts.close()
        self.db.close()

    def __enter__(self) -> Chainstate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _load(self) -> None:
        with self.db.read() as txn:
            records = sorted(txn.iter_block_index(), key=lambda r: r.header.height)
            tip_hash = txn.get_tip()
        if not records:
            self._init_genesis()
            return
        genesis = records[0]
        if genesis.header.height != 0 or genesis.header.hash != self.params.genesis_hash:
            raise ConsensusError(
                f"the datadir's genesis {genesis.header.hash.hex()} is not {self.params.name}'s",
                reason="bad-genesis",
            )
        for rec in records:
            parent = self.entries.get(rec.header.prev_hash) if rec.header.height else None
            if rec.header.height and parent is None:
                log.warning("block index entry %s has no parent; ignored", rec.header.hash.hex())
                continue
            self._add_entry(rec.header, rec.chain_work, rec.status, parent, rec.tx_count, rec.size)
        assert tip_hash is not None, "block index without a tip"
        tip = self.entries[tip_hash]
        with self.db.read() as txn:
            for ext in self.extensions:
                ext.check_open(txn, tip.height)
        self.active = list(reversed(list(tip.walk_back(tip.height + 1))))
        for entry in self.entries.values():
            if entry.has_data and not entry.is_invalid and entry.chain_work > tip.chain_work:
                self.candidates.add(entry)
        log.info("chainstate loaded: %d headers, tip %d %s", len(self.entries), tip.height,
                 tip.hash.hex())  # fmt: skip
        self.activate_best_chain()

    def _init_genesis(self) -> None:
        genesis = build_genesis(self.params)
        header = genesis.header
        status = BlockStatus.VALID_HEADER | BlockStatus.HAVE_DATA | BlockStatus.VALID_DATA
        entry = self._add_entry(
            header, block_work(header.bits), status, None, len(genesis.txs), genesis.size
        )

        def write(txn: WriteTxn) -> None:
            txn.put_block(genesis)
            txn.put_block_index(entry.record())
            self._connector.connect_genesis(txn, genesis)
            txn.set_hash_at_height(0, header.hash)
            txn.set_tip(header.hash)

        self.db.write(write)
        self.active = [entry]

    def _add_entry(
        self,
        header: BlockHeader,
        chain_work: int,
        status: BlockStatus,
        parent: IndexEntry | None,
        tx_count: int = 0,
        size: int = 0,
    ) -> IndexEntry:
        self._sequence += 1
        entry = IndexEntry(
            header=header,
            hash=header.hash,
            height=header.height,
            chain_work=chain_work,
            status=status,
            parent=parent,
            tx_count=tx_count,
            size=size,
            sequence=self._sequence,
        )
        self.entries[entry.hash] = entry
        if parent is not None:
            parent.children.append(entry)
        return entry

    # ------------------------------------------------------------------ queries

    @property
    def tip(self) -> IndexEntry:
        return self.active[-1]

    @property
    def height(self) -> int:
        return self.tip.height

    def entry(self, block_hash: bytes) -> IndexEntry:
        try:
            return self.entries[block_hash]
        except KeyError:
            raise UnknownBlock(f"unknown block {block_hash.hex()}") from None

    def on_active_chain(self, entry: IndexEntry) -> bool:
        return entry.height < len(self.active) and self.active[entry.height] is entry

    def get_block(self, block_hash: bytes) -> Block:
        with self.db.read() as txn:
            block = txn.get_block(block_hash)
        if block is None:
            raise UnknownBlock(f"no data for block {block_hash.hex()}")
        return block

    def median_time_past(self, entry: IndexEntry) -> int:
        return median_time_past(
            [e.timestamp for e in entry.walk_back(self.params.median_time_span)]
        )

    def is_initial_block_download(self) -> bool:
        return self.tip.timestamp < self.clock() - IBD_MAX_TIP_AGE

    def chain_tips(self) -> list[ChainTip]:
        """Every leaf of the block tree with its status, like Bitcoin Core's getchaintips."""
        tips = []
        for entry in self.entries.values():
            if entry.children:
                continue
            fork = last_common_ancestor(entry, self.tip)
            if entry is self.tip:
                status = "active"
            elif entry.is_invalid:
                status = "invalid"
            elif entry.has_data:
                status = "valid-fork"
            else:
                status = "headers-only"
            tips.append(ChainTip(entry.hash, entry.height, entry.height - fork.height, status))
        return sorted(tips, key=lambda t: (-t.height, t.hash))

    def state_proof(self, key: bytes) -> tuple[bytes, list[bytes]]:
        """The tip's state root and the trie proof of `key` under it (for light clients;
        check with node.storage.trie.verify_proof)."""
        root = self.tip.header.state_root
        with self.db.read() as txn:
            proof = StateTrie(txn.kv(DB_STATE_TRIE)).get_proof(root, key)
        return root, proof

    def block_size_limit(self, height: int | None = None) -> int:
        """The adaptive size limit (SPEC §4) of a block at `height` on the active chain
        (default: the next block)."""
        height = self.height + 1 if height is None else height
        return self._connector.block_size_limit(self.active, height)

    def expected_bits(self, parent: IndexEntry) -> int:
        """The `bits` a child of `parent` must carry (LWMA-1)."""
        window = self.params.lwma_window + 1
        infos = [e.info() for e in parent.walk_back(window)]
        infos.reverse()
        return next_bits(self.params, infos)

    # ------------------------------------------------------------------ headers

    def accept_header(self, header: BlockHeader) -> IndexEntry:
        """Validate a header against its parent and add it to the block tree."""
        with self.lock:
            return self._accept_header(header)

    def _accept_header(self, header: BlockHeader) -> IndexEntry:
        known = self.entries.get(header.hash)
        if known is not None:
            if known.is_invalid:
                raise DuplicateInvalid(f"header {header.hash.hex()} was found invalid before")
            return known
        parent = self.entries.get(header.prev_hash)
        if parent is None:
            raise MissingParent(f"parent {header.prev_hash.hex()} of {header.hash.hex()} unknown")
        if parent.is_invalid:
            raise BadPrevBlock(f"parent {parent.hash.hex()} is invalid")
        check_block_header(header, self.params)
        check_header_contextual(
            header,
            parent.info(),
            self.params,
            expected_bits=self.expected_bits(parent),
            median_time_past=self.median_time_past(parent),
            adjusted_time=int(self.clock()),
        )
        self._check_fork_point(parent)
        entry = self._add_entry(
            header, parent.chain_work + block_work(header.bits), BlockStatus.VALID_HEADER, parent
        )
        self.db.write(lambda txn: txn.put_block_index(entry.record()))
        return entry

    def _check_fork_point(self, parent: IndexEntry) -> None:
        """Refuse a header whose branch leaves the active chain too deep (or across a lock)."""
        if self.on_active_chain(parent):
            return
        self._check_reorg(last_common_ancestor(parent, self.tip))

    def _check_reorg(self, fork: IndexEntry) -> None:
        """Refuse to disconnect down to `fork`: deeper than max_reorg_depth or a ChainLock."""
        if self.tip.height - fork.height > self.params.max_reorg_depth:
            raise ForkTooDeep(
                f"fork at height {fork.height} is deeper than max_reorg_depth "
                f"{self.params.max_reorg_depth} below tip {self.tip.height}"
            )
        for height, locked in self.chainlocks.items():
            if fork.height < height <= self.tip.height and self.active[height].hash == locked:
                raise ForkTooDeep(f"fork at height {fork.height} conflicts with ChainLock {height}")

    # ------------------------------------------------------------------ blocks

    def process_block(self, block: Block) -> ProcessResult:
        """Check and store a block, then move to the best chain. Raises ConsensusError."""
        with self.lock:
            return self._process_block(block)

    def _process_block(self, block: Block) -> ProcessResult:
        block_hash = block.hash
        known = self.entries.get(block_hash)
        if known is not None and known.has_data:
            if known.is_invalid:
                raise DuplicateInvalid(f"block {block_hash.hex()} was found invalid before")
            return ProcessResult.DUPLICATE
        if block.header.prev_hash not in self.entries:
            self._add_orphan(block)
            return ProcessResult.ORPHAN
        # Header first (PoW and context, checked once), then the body. A body that fails
        # (e.g. a mutated Merkle tree) leaves the header valid, as in Bitcoin Core: the
        # honest body for the same hash may still arrive.
        entry = self._accept_header(block.header)
        check_block(block, self.params, allowed_tx_types=self.allowed_tx_types, check_header=False)
        self._store_block_data(entry, block)
        self._failures.clear()
        self.activate_best_chain()
        failure = self._failures.pop(block_hash, None)
        if failure is not None:
            raise failure
        if entry.is_invalid:
            raise BadPrevBlock(f"block {block_hash.hex()} builds on a block that failed to connect")
        self._process_orphans(block_hash)
        return ProcessResult.ACCEPTED

    def _store_block_data(self, entry: IndexEntry, block: Block) -> None:
        entry.status |= BlockStatus.HAVE_DATA
        entry.tx_count = len(block.txs)
        entry.size = block.size

        def write(txn: WriteTxn) -> None:
            txn.put_block(block)
            txn.put_block_index(entry.record())

        self.db.write(write)
        self._recent_blocks[entry.hash] = block
        while len(self._recent_blocks) > RECENT_BLOCKS:
            self._recent_blocks.pop(next(iter(self._recent_blocks)))
        if self._has_data_path(entry):
            self.candidates.add(entry)
            self._link_stored_descendants(entry)

    def _link_stored_descendants(self, entry: IndexEntry) -> None:
        """Blocks stored before this parent's data arrived (out-of-order download) now have
        a data path: make them candidates too (Core's mapBlocksUnlinked)."""
        stack = list(entry.children)
        while stack:
            child = stack.pop()
            if child.has_data and not child.is_invalid:
                self.candidates.add(child)
                stack.extend(child.children)

    def _has_data_path(self, entry: IndexEntry) -> bool:
        node: IndexEntry | None = entry
        while node is not None and not self.on_active_chain(node):
            if not node.has_data or node.is_invalid:
                return False
            node = node.parent
        return True

    def _add_orphan(self, block: Block) -> None:
        self.orphans[block.hash] = block
        self.orphans.move_to_end(block.hash)
        while len(self.orphans) > self.max_orphans:
            dropped, _ = self.orphans.popitem(last=False)
            log.info("orphan pool full: dropped %s", dropped.hex())

    def _process_orphans(self, parent_hash: bytes) -> None:
        queue = [parent_hash]
        while queue:
            parent = queue.pop()
            children = [b for b in self.orphans.values() if b.header.prev_hash == parent]
            for child in children:
                del self.orphans[child.hash]
                try:
                    self._process_block(child)
                except ConsensusError as exc:
                    log.info("orphan %s rejected: %s", child.hash.hex(), exc)
                    continue
                queue.append(child.hash)

    # ------------------------------------------------------------------ fork choice

    def _best_candidate(self) -> IndexEntry | None:
        best: IndexEntry | None = None
        for entry in list(self.candidates):
            if entry.is_invalid or entry.chain_work < self.tip.chain_work:
                self.candidates.discard(entry)
                continue
            if not self._has_data_path(entry):
                continue
            if best is None or (entry.chain_work, -entry.sequence) > (
                best.chain_work,
                -best.sequence,
            ):
                best = entry
        return best

    def activate_best_chain(self) -> None:
        """Reorganise to the most-work valid chain, one block (one transaction) at a time."""
        start = self.tip
        while True:
            best = self._best_candidate()
            if best is None or best is self.tip or best.chain_work <= self.tip.chain_work:
                break
            fork = last_common_ancestor(self.tip, best)
            try:
                self._check_reorg(fork)
            except ForkTooDeep as exc:
                log.warning("not reorganising to %s: %s", best.hash.hex(), exc)
                self.candidates.discard(best)
                continue
            self.candidates.add(self.tip)
            while self.tip is not fork:
                self._disconnect_tip()
            path = list(reversed(list(best.walk_back(best.height - fork.height))))
            for entry in path:
                if not self._connect(entry):
                    break
            self.candidates.discard(self.tip)
        if self.tip is not start:
            self.events.publish(
                TipChanged(start.hash, self.tip.hash, self.tip.height,
                           self.is_initial_block_download())
            )  # fmt: skip

    def _connect(self, entry: IndexEntry) -> bool:
        """Connect `entry` on top of the tip; False (and the branch marked) if it is invalid."""
        assert entry.parent is self.tip
        block = self._recent_blocks.pop(entry.hash, None)
        if block is None:
            with self.db.read() as txn:
                block = txn.get_block(entry.hash)
        if block is None:
            raise UnknownBlock(f"no data for block {entry.hash.hex()}")
        mtp = self.median_time_past(self.tip)
        try:
            self.db.write(lambda txn: self._connector.connect(txn, entry, block, self.active, mtp))
        except ConsensusError as exc:
            log.warning("block %d %s rejected: %s", entry.height, entry.hash.hex(), exc)
            self._failures[entry.hash] = exc
            self._mark_invalid(entry)
            return False
        entry.status |= BlockStatus.VALID_DATA
        self.active.append(entry)
        self.events.publish(BlockConnected(block, entry.height))
        return True

    def _disconnect_tip(self) -> None:
        entry = self.tip
        assert entry.parent is not None, "cannot disconnect genesis"
        parent = entry.parent
        block = self.db.write(lambda txn: self._connector.disconnect(txn, entry, parent))
        self.active.pop()
        self.events.publish(BlockDisconnected(block, entry.height))

    def _mark_invalid(self, entry: IndexEntry) -> None:
        entry.status |= BlockStatus.FAILED
        changed = [entry]
        stack = list(entry.children)
        while stack:
            child = stack.pop()
            child.status |= BlockStatus.FAILED_CHILD
            changed.append(child)
            stack.extend(child.children)
            self.candidates.discard(child)
        self.candidates.discard(entry)

        def write(txn: WriteTxn) -> None:
            for e in changed:
                txn.put_block_index(e.record())

        self.db.write(write)

    # ------------------------------------------------------------------ operator actions

    def invalidate_block(self, block_hash: bytes) -> None:
        """Mark a block invalid by hand (like Bitcoin Core's invalidateblock) and reorg away."""
        with self.lock:
            self._invalidate_block(block_hash)

    def _invalidate_block(self, block_hash: bytes) -> None:
        entry = self.entry(block_hash)
        if entry.height == 0:
            raise ReorgRefused("the genesis block cannot be invalidated")
        if self.on_active_chain(entry):
            while self.tip.height >= entry.height:
                self.candidates.add(self.tip)
                self._disconnect_tip()
        self._mark_invalid(entry)
        for other in self.entries.values():
            if other.has_data and not other.is_invalid and self._has_data_path(other):
                self.candidates.add(other)
        self.activate_best_chain()

    def reconsider_block(self, block_hash: bytes) -> None:
        """Clear the failure marks of a block, its ancestors and descendants, then re-activate
        (Bitcoin Core's reconsiderblock). Blocks that really are invalid fail again."""
        with self.lock:
            self._reconsider_block(block_hash)

    def _reconsider_block(self, block_hash: bytes) -> None:
        entry = self.entry(block_hash)
        changed: list[IndexEntry] = []
        node: IndexEntry | None = entry
        while node is not None:
            if node.is_invalid:
                node.status &= ~(BlockStatus.FAILED | BlockStatus.FAILED_CHILD)
                changed.append(node)
            node = node.parent
        stack = list(entry.children)
        while stack:
            child = stack.pop()
            if child.is_invalid:
                child.status &= ~(BlockStatus.FAILED | BlockStatus.FAILED_CHILD)
                changed.append(child)
            stack.extend(child.children)

        def write(txn: WriteTxn) -> None:
            for e in changed:
                txn.put_block_index(e.record())

        self.db.write(write)
        for other in changed:
            if other.has_data and self._has_data_path(other):
                self.candidates.add(other)
        self.activate_best_chain()

    def set_chainlock(self, height: int, block_hash: bytes) -> None:
        """Record a ChainLock (SPEC §6.4): never reorganise away from that block."""
        self.chainlocks[height] = block_hash

    # ------------------------------------------------------------------ mining support

    def compute_state_root(self, block: Block) -> bytes:
        """The state root after connecting `block` on the tip, validating everything else.

        Runs the full connect in a write transaction that is then aborted (nothing is
        written). Used by the miner to fill `state_root` before solving the proof of work.
        """
        with self.lock:
            return self._compute_state_root(block)

    def _compute_state_root(self, block: Block) -> bytes:
        parent = self.tip
        if block.header.prev_hash != parent.hash:
            raise MissingParent("a template must build on the current tip")
        entry = IndexEntry(
            header=block.header,
            hash=block.header.hash,
            height=parent.height + 1,
            chain_work=0,
            status=BlockStatus.VALID_HEADER,
            parent=parent,
        )
        mtp = self.median_time_past(parent)
        try:
            self.db.write(
                lambda txn: self._connector.connect(
                    txn, entry, block, self.active, mtp, dry_run=True
                )
            )
        except DryRun as done:
            return done.state_root
        raise AssertionError("dry-run connect did not abort")  # pragma: no cover
