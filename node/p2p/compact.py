"""Compact blocks (SPEC §8, after BIP152): short ids, building a `cmpctblock`, and
rebuilding the block from the mempool.

Short id = `BLAKE3-keyed(key = H(header || nonce u64), wtxid)[0:6]`, nonce chosen at random
per cmpctblock. The coinbase is always prefilled. Reconstruction (`PartialBlock`) matches
the receiver's mempool (and orphan) transactions by short id; ids that collide inside the
block or match two candidate transactions are left missing and fetched with `getblocktxn`.
A rebuilt block whose Merkle root does not match (a short-id collision picked the wrong
transaction) is not the sender's fault: the caller then asks for the full block.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

import blake3

from node.crypto.merkle import merkle_root
from node.p2p.errors import Misbehaving
from node.p2p.messages import CmpctBlock, PrefilledTx
from node.types.block import Block, BlockHeader
from node.types.tx import Tx

_U64 = struct.Struct("<Q")


def short_id_key(header: BlockHeader, nonce: int) -> bytes:
    """H(header || nonce u64): the BLAKE3 key of one cmpctblock's short ids."""
    return blake3.blake3(header.serialize() + _U64.pack(nonce)).digest()


def short_id(key: bytes, wtxid: bytes) -> bytes:
    """The 6-byte short id of a transaction under `key`."""
    return blake3.blake3(wtxid, key=key).digest()[:6]


def build_compact(block: Block, nonce: int, prefill: Sequence[int] = (0,)) -> CmpctBlock:
    """The cmpctblock of `block`: the txs at `prefill` (the coinbase) sent in full."""
    key = short_id_key(block.header, nonce)
    chosen = sorted({i for i in prefill if 0 <= i < len(block.txs)})
    prefilled = tuple(PrefilledTx(i, block.txs[i]) for i in chosen)
    skip = set(chosen)
    ids = tuple(short_id(key, tx.wtxid) for i, tx in enumerate(block.txs) if i not in skip)
    return CmpctBlock(block.header, block.votes, nonce, ids, prefilled)


class PartialBlock:
    """A block being rebuilt from a cmpctblock and the receiver's transactions."""

    def __init__(self, msg: CmpctBlock) -> None:
        count = msg.tx_count
        if count == 0:
            raise Misbehaving(100, "cmpctblock without transactions")
        self.header = msg.header
        self.votes = msg.votes
        self.slots: list[Tx | None] = [None] * count
        for p in msg.prefilled:
            self.slots[p.index] = p.tx
        self._key = short_id_key(msg.header, msg.nonce)
        self._by_id: dict[bytes, int] = {}
        free = (i for i, tx in enumerate(self.slots) if tx is None)
        self.collided = False
        for sid, index in zip(msg.short_ids, free, strict=True):
            if sid in self._by_id:
                # Two transactions of the block share a short id: fetch both.
                self.collided = True
                continue
            self._by_id[sid] = index
        self._ambiguous: set[int] = set()

    @property
    def hash(self) -> bytes:
        return self.header.hash

    def fill_from(self, candidates: Iterable[Tx]) -> int:
        """Place every candidate whose short id matches a free slot; returns how many."""
        key = self._key
        by_id = self._by_id
        if not by_id:
            return 0
        found = 0
        for tx in candidates:
            index = by_id.get(short_id(key, tx.wtxid))
            if index is None or index in self._ambiguous:
                continue
            current = self.slots[index]
            if current is not None:
                if current.wtxid != tx.wtxid:
                    self.slots[index] = None
                    self._ambiguous.add(index)
                    found -= 1
                continue
            self.slots[index] = tx
            found += 1
        return found

    def missing(self) -> list[int]:
        """Indexes still without a transaction (what getblocktxn asks for)."""
        return [i for i, tx in enumerate(self.slots) if tx is None]

    def fill_missing(self, txs: Sequence[Tx]) -> None:
        """Put the blocktxn answer in the missing slots; Misbehaving if the count is off."""
        missing = self.missing()
        if len(txs) != len(missing):
            raise Misbehaving(100, f"blocktxn carries {len(txs)} txs for {len(missing)} slots")
        for index, tx in zip(missing, txs, strict=True):
            self.slots[index] = tx

    def block(self) -> Block | None:
        """The rebuilt block, or None when its Merkle root does not match (a collision)."""
        txs = [tx for tx in self.slots if tx is not None]
        if len(txs) != len(self.slots):
            return None
        if merkle_root([tx.wtxid for tx in txs]) != self.header.merkle_root:
            return None
        return Block(self.header, self.votes, tuple(txs))
