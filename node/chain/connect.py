"""Connecting and disconnecting one block inside one LMDB write transaction.

`BlockConnector.connect` runs every contextual check of SPEC §4/§5.1 against the UTXO set,
applies the block (UTXO set, undo data, state trie, block index, height index, tip) and
verifies the header's `state_root`; it raises a ConsensusError before anything commits when
the block is invalid. `disconnect` reverses it from the undo data. Both run inside the
caller's `ChainDB.write`, so they must be re-runnable from scratch (they only touch `txn`).
"""

from __future__ import annotations

from collections.abc import Sequence

from node.chain.extensions import ChainExtension, CoinbaseTerms
from node.chain.index import IndexEntry
from node.chain.scriptcheck import Job, ScriptChecker
from node.consensus.blocksize import max_block_sigops, next_max_block_size
from node.consensus.contextual import (
    check_coinbase,
    check_sequence_locks,
    check_tx_final,
    check_tx_inputs,
    sequence_locks,
)
from node.consensus.errors import (
    BadStateRoot,
    BlockLength,
    BlockSigops,
    ConsensusError,
    InputsMissingOrSpent,
)
from node.consensus.timerules import median_time_past
from node.params import ChainParams
from node.script import tx_sigops
from node.storage.env import WriteTxn
from node.storage.errors import CorruptRecord, MissingRecord
from node.storage.records import BlockStatus, BlockUndo, Coin
from node.storage.schema import DB_STATE_TRIE, state_utxo_key
from node.storage.trie import StateTrie
from node.types.block import Block
from node.types.tx import OutPoint, Tx, TxOut

MAX_SCRIPT_SIZE = 10_000
OP_RETURN = 0x6A
SEQUENCE_LOCKTIME_DISABLE_FLAG = 1 << 31


class DryRun(Exception):
    """Raised inside a write transaction to abort it after computing the state root."""

    def __init__(self, state_root: bytes) -> None:
        super().__init__("dry run")
        self.state_root = state_root


def is_unspendable(script_pubkey: bytes) -> bool:
    """Outputs never added to the UTXO set (Bitcoin Core's CScript::IsUnspendable)."""
    return (script_pubkey[:1] == bytes([OP_RETURN])) or len(script_pubkey) > MAX_SCRIPT_SIZE


def _reject(reason: str, message: str) -> ConsensusError:
    return ConsensusError(message, reason=reason)


class BlockConnector:
    """Applies and reverts blocks on the UTXO set and the state trie."""

    def __init__(
        self,
        params: ChainParams,
        scripts: ScriptChecker,
        extensions: Sequence[ChainExtension] = (),
    ) -> None:
        self.params = params
        self.scripts = scripts
        self.extensions = tuple(extensions)
        self._size_limits: dict[tuple[int, bytes], int] = {}

    # ------------------------------------------------------------------ limits

    def block_size_limit(self, active: Sequence[IndexEntry], height: int) -> int:
        """SPEC §4 adaptive limit for a block at `height` on the chain `active` (its parents)."""
        interval = self.params.block_size_retarget_interval
        limit = self.params.initial_max_block_size
        for period in range(1, height // interval + 1):
            boundary = active[period * interval - 1]
            key = (period, boundary.hash)
            cached = self._size_limits.get(key)
            if cached is None:
                sizes = [active[h].size for h in range((period - 1) * interval, period * interval)]
                cached = next_max_block_size(
                    limit,
                    sizes,
                    min_limit=self.params.min_max_block_size,
                    max_limit=self.params.max_max_block_size,
                )
                self._size_limits[key] = cached
            limit = cached
        return limit

    # ------------------------------------------------------------------ connect

    def connect_genesis(self, txn: WriteTxn, genesis: Block) -> None:
        """Add the genesis block's spendable outputs (none on any network) and check its root."""
        changes: dict[bytes, bytes | None] = {}
        for tx in genesis.txs:
            for vout, out in enumerate(tx.outputs):
                if not is_unspendable(out.script_pubkey):
                    op = OutPoint(tx.txid, vout)
                    coin = Coin(out.value, out.script_pubkey, 0, True)
                    txn.put_coin(op, coin)
                    changes[state_utxo_key(op)] = coin.serialize()
        for ext in self.extensions:
            ext.init_genesis(txn, genesis)
        trie = StateTrie(txn.kv(DB_STATE_TRIE))
        root = trie.update(genesis.header.state_root, changes, height=0, block_hash=genesis.hash)
        if root != genesis.header.state_root:
            raise BadStateRoot("genesis state root mismatch")

    def connect(
        self,
        txn: WriteTxn,
        entry: IndexEntry,
        block: Block,
        active: Sequence[IndexEntry],
        parent_mtp: int,
        *,
        dry_run: bool = False,
    ) -> None:
        """Validate and apply `block` (at `entry`) on top of `active[-1]`.

        With `dry_run`, stop after computing the state root and raise DryRun(root), which
        aborts the caller's transaction.
        """
        params = self.params
        height = entry.height
        parent = active[-1]
        size = block.size
        limit = self.block_size_limit(active, height)
        if size > limit:
            raise BlockLength(f"block of {size} bytes exceeds the limit {limit}")
        sigop_limit = max_block_sigops(limit, params)

        created: dict[OutPoint, Coin] = {}
        undo: list[tuple[Coin, ...]] = []
        changes: dict[bytes, bytes | None] = {}
        jobs: list[Job] = []
        fees = 0
        sigops = tx_sigops(block.txs[0], [])
        mtp_cache: dict[int, int] = {}

        for position, tx in enumerate(block.txs):
            txid = tx.txid
            check_tx_final(tx, height, parent_mtp)
            if position:
                spent: list[Coin] = []
                for txin in tx.inputs:
                    op = txin.prevout
                    coin = created.pop(op, None)
                    if coin is None:
                        try:
                            coin = txn.delete_coin(op)
                        except MissingRecord:
                            raise InputsMissingOrSpent(
                                f"tx {txid.hex()} spends missing or spent {op.txid.hex()}:{op.vout}"
                            ) from None
                        changes[state_utxo_key(op)] = None
                    spent.append(coin)
                fees += check_tx_inputs(tx, spent, height, params)
                if any(not i.sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG for i in tx.inputs):
                    heights = [c.height for c in spent]
                    mtps = [self._coin_mtp(active, h, mtp_cache) for h in heights]
                    check_sequence_locks(sequence_locks(tx, heights, mtps), height, parent_mtp)
                outs = [TxOut(c.value, c.script_pubkey) for c in spent]
                sigops += tx_sigops(tx, outs)
                jobs.append((tx, outs))
                undo.append(tuple(spent))
            is_coinbase = position == 0
            for vout, out in enumerate(tx.outputs):
                if is_unspendable(out.script_pubkey):
                    continue
                op = OutPoint(txid, vout)
                if op in created or txn.has_coin(op):
                    raise _reject("bad-txns-BIP30", f"tx {txid.hex()} overwrites an unspent output")
                created[op] = Coin(out.value, out.script_pubkey, height, is_coinbase)

        if sigops > sigop_limit:
            raise BlockSigops(f"{sigops} sigops exceed the limit {sigop_limit}")
        terms = CoinbaseTerms()
        for ext in self.extensions:
            ext_terms = ext.connect(txn, block, height, undo, changes)
            if ext_terms.n_votes:
                terms = ext_terms
        check_coinbase(
            block, fees, params, n_votes=terms.n_votes, stake_scripts=terms.stake_scripts
        )
        self.scripts.check(jobs)

        for op, coin in created.items():
            txn.put_coin(op, coin)
            changes[state_utxo_key(op)] = coin.serialize()
        trie = StateTrie(txn.kv(DB_STATE_TRIE))
        root = trie.update(parent.header.state_root, changes, height=height, block_hash=entry.hash)
        if dry_run:
            raise DryRun(root)
        if root != block.header.state_root:
            raise BadStateRoot(
                f"state root {block.header.state_root.hex()} != computed {root.hex()}"
            )
        txn.put_undo(entry.hash, BlockUndo(tuple(undo)))
        record = entry.record()
        txn.put_block_index(
            type(record)(
                header=record.header,
                chain_work=record.chain_work,
                status=record.status | BlockStatus.VALID_DATA,
                tx_count=record.tx_count,
                size=record.size,
            )
        )
        txn.set_hash_at_height(height, entry.hash)
        txn.set_tip(entry.hash)
        prune_below = height - params.max_reorg_depth
        if prune_below > 0:
            trie.prune(below_height=prune_below)

    def _coin_mtp(
        self, active: Sequence[IndexEntry], coin_height: int, cache: dict[int, int]
    ) -> int:
        """BIP68: the median time past of the block before the one that created the coin."""
        h = max(coin_height - 1, 0)
        if h >= len(active):
            h = len(active) - 1
        mtp = cache.get(h)
        if mtp is None:
            span = self.params.median_time_span
            mtp = median_time_past(
                [active[x].timestamp for x in range(max(0, h - span + 1), h + 1)]
            )
            cache[h] = mtp
        return mtp

    # ------------------------------------------------------------------ disconnect

    def disconnect(self, txn: WriteTxn, entry: IndexEntry, parent: IndexEntry) -> Block:
        """Revert the tip block `entry` to `parent` using its undo data; returns the block."""
        block = txn.get_block(entry.hash)
        undo = txn.get_undo(entry.hash)
        if block is None or undo is None:
            raise CorruptRecord(f"block or undo data of tip {entry.hash.hex()} is missing")
        if len(undo.spent) != len(block.txs) - 1:
            raise CorruptRecord(f"undo data of {entry.hash.hex()} does not match the block")
        txids = {tx.txid for tx in block.txs}
        for position in range(len(block.txs) - 1, -1, -1):
            tx: Tx = block.txs[position]
            txid = tx.txid
            for vout, out in enumerate(tx.outputs):
                if is_unspendable(out.script_pubkey):
                    continue
                txn.remove_coin(OutPoint(txid, vout))  # absent if spent in this block
            if position:
                for txin, coin in zip(tx.inputs, undo.spent[position - 1], strict=True):
                    if txin.prevout.txid not in txids:
                        txn.put_coin(txin.prevout, coin)
        for ext in reversed(self.extensions):
            ext.disconnect(txn, block, entry.height)
        StateTrie(txn.kv(DB_STATE_TRIE)).revert(
            parent.header.state_root, height=entry.height, block_hash=entry.hash
        )
        txn.delete_height(entry.height)
        txn.set_tip(parent.hash)
        return block
