"""The wallet's view of the chain and the mempool: which scripts are ours, which transactions
touch them, and how blocks (connected or disconnected) and mempool arrivals change that.

`WalletState` is pure in-memory bookkeeping; the Wallet persists what it returns. A
transaction is *relevant* when one of its outputs pays a wallet script or one of its inputs
spends a wallet output. Each relevant output marks its key as used, which may derive new
keys (gap limit), so later transactions in the same block paying those keys are found too.
A transaction is *active* when it is confirmed on the main chain or waiting in the mempool;
only active transactions count for balances and coin selection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from node.types.block import Block
from node.types.tx import OutPoint, Tx, TxOut
from node.wallet.db import TxRecord
from node.wallet.keychain import Keychain, KeyOrigin

__all__ = ["WalletState"]

_NO_BLOCK = bytes(32)


class WalletState:
    """Key chains, wallet scripts and wallet transactions of one wallet."""

    def __init__(self) -> None:
        self.keychains: list[Keychain] = []
        self.origins: dict[bytes, KeyOrigin] = {}
        self.records: dict[bytes, TxRecord] = {}
        self.outputs: dict[OutPoint, TxOut] = {}
        """Every output (spent or not) of a wallet transaction that pays a wallet script."""
        self.next_order = 0
        self.dirty_chains: set[int] = set()

    # ------------------------------------------------------------------ keys

    def add_keychain(self, chain: Keychain) -> None:
        self.keychains.append(chain)
        self._index(chain.extend())

    def _index(self, origins: Iterable[KeyOrigin]) -> None:
        for origin in origins:
            self.origins[Keychain.script_of(origin.xonly)] = origin

    def chain(self, number: int) -> Keychain:
        for chain in self.keychains:
            if chain.number == number:
                return chain
        raise KeyError(number)

    def is_mine(self, script: bytes) -> bool:
        return script in self.origins

    def issue(self, chain_number: int, branch: int) -> bytes:
        """Hand out a fresh script of `branch`; derives ahead as needed."""
        chain = self.chain(chain_number)
        index = chain.issue(branch)
        self._index(chain.extend())
        self.dirty_chains.add(chain.number)
        return Keychain.script_of(chain.keys[branch][index])

    def _mark_used(self, script: bytes) -> None:
        origin = self.origins[script]
        chain = self.chain(origin.chain)
        if chain.mark_used(origin.branch, origin.index):
            self._index(chain.extend())
            self.dirty_chains.add(chain.number)

    # ------------------------------------------------------------------ transactions

    def is_relevant(self, tx: Tx) -> bool:
        if any(out.script_pubkey in self.origins for out in tx.outputs):
            return True
        if tx.is_coinbase():
            return False
        return any(txin.prevout in self.outputs for txin in tx.inputs)

    def _learn_outputs(self, tx: Tx) -> None:
        txid = tx.txid
        for vout, out in enumerate(tx.outputs):
            if out.script_pubkey in self.origins:
                self.outputs[OutPoint(txid, vout)] = out
                self._mark_used(out.script_pubkey)

    def load_record(self, rec: TxRecord) -> None:
        """Add a record read from wallet.lmdb (keys must be loaded first)."""
        self.records[rec.tx.txid] = rec
        self._learn_outputs(rec.tx)
        self.next_order = max(self.next_order, rec.order + 1)

    def add_tx(
        self,
        tx: Tx,
        *,
        height: int | None,
        block_hash: bytes = _NO_BLOCK,
        block_index: int = 0,
        time: float,
    ) -> TxRecord | None:
        """Record `tx` if it is relevant (confirmed at `height`, or unconfirmed when None).

        Returns the new or changed record, or None when nothing changed.
        """
        txid = tx.txid
        old = self.records.get(txid)
        if old is None:
            if not self.is_relevant(tx):
                return None
            rec = TxRecord(tx, self.next_order, time, height, block_hash, block_index)
            self.next_order += 1
        else:
            if old.height == height and old.block_hash == block_hash:
                return None
            if height is None and old.height is None:
                return None
            rec = replace(old, height=height, block_hash=block_hash, block_index=block_index)
        self.records[txid] = rec
        self._learn_outputs(tx)
        return rec

    def connect_block(self, block: Block, height: int, time: float) -> list[TxRecord]:
        changed = []
        for index, tx in enumerate(block.txs):
            rec = self.add_tx(tx, height=height, block_hash=block.hash, block_index=index,
                              time=time)  # fmt: skip
            if rec is not None:
                changed.append(rec)
        return changed

    def disconnect_block(self, block: Block) -> list[TxRecord]:
        changed = []
        for tx in block.txs:
            rec = self.records.get(tx.txid)
            if rec is not None and rec.block_hash == block.hash:
                rec = replace(rec, height=None, block_hash=_NO_BLOCK, block_index=0)
                self.records[tx.txid] = rec
                changed.append(rec)
        return changed

    def unconfirm_above(self, height: int) -> list[TxRecord]:
        """Mark every record confirmed above `height` unconfirmed (catch-up after a reorg
        that happened while the wallet was not loaded)."""
        changed = []
        for txid, rec in list(self.records.items()):
            if rec.height is not None and rec.height > height:
                rec = replace(rec, height=None, block_hash=_NO_BLOCK, block_index=0)
                self.records[txid] = rec
                changed.append(rec)
        return changed

    # ------------------------------------------------------------------ views

    def active(self, in_mempool: Callable[[bytes], bool]) -> list[TxRecord]:
        return [
            rec
            for rec in self.records.values()
            if rec.height is not None or in_mempool(rec.tx.txid)
        ]

    def spent_outpoints(self, active: Iterable[TxRecord]) -> set[OutPoint]:
        spent: set[OutPoint] = set()
        for rec in active:
            if not rec.tx.is_coinbase():
                spent.update(txin.prevout for txin in rec.tx.inputs)
        return spent

    def debit(self, tx: Tx) -> tuple[int, bool]:
        """Value of the inputs spending wallet outputs, and whether every input does."""
        if tx.is_coinbase():
            return 0, False
        total = 0
        mine = True
        for txin in tx.inputs:
            out = self.outputs.get(txin.prevout)
            if out is None:
                mine = False
            else:
                total += out.value
        return total, mine
