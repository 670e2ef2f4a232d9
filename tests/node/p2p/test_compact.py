"""Compact blocks (SPEC §8): short ids, building, reconstruction from a mempool, getblocktxn
for missing transactions, and the full-block fallback when a collision fools the rebuild."""

from __future__ import annotations

import dataclasses

import pytest

from node.crypto.merkle import merkle_root
from node.p2p.compact import PartialBlock, build_compact, short_id, short_id_key
from node.p2p.errors import Misbehaving
from node.p2p.messages import CmpctBlock, decode_message
from node.types.block import Block
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType
from tests.node.p2p.samples import COINBASE, HEADER


def tx(i: int) -> Tx:
    return Tx(1, TxType.STANDARD, (TxIn(OutPoint(i.to_bytes(32, "little"), 0), 0),),
              (TxOut(1000 + i, b"\x51"),), 0, b"", (b"\x01",))  # fmt: skip


def block_of(txs: list[Tx]) -> Block:
    all_txs = [COINBASE, *txs]
    root = merkle_root([t.wtxid for t in all_txs])
    header = dataclasses.replace(HEADER, merkle_root=root)
    return Block(header, (), tuple(all_txs))


def test_short_id_is_keyed_blake3_of_the_wtxid() -> None:
    key = short_id_key(HEADER, 7)
    sid = short_id(key, b"\x01" * 32)
    assert len(sid) == 6
    assert sid != short_id(short_id_key(HEADER, 8), b"\x01" * 32)


def test_full_reconstruction_from_the_mempool() -> None:
    txs = [tx(i) for i in range(50)]
    block = block_of(txs)
    msg = build_compact(block, nonce=99)
    assert len(msg.prefilled) == 1
    assert len(msg.short_ids) == 50
    wire = decode_message("cmpctblock", msg.encode())
    assert isinstance(wire, CmpctBlock)
    partial = PartialBlock(wire)
    assert partial.fill_from([*reversed(txs), tx(1000)]) == 50
    assert partial.missing() == []
    rebuilt = partial.block()
    assert rebuilt is not None
    assert rebuilt.serialize() == block.serialize()


def test_missing_transactions_then_blocktxn() -> None:
    txs = [tx(i) for i in range(10)]
    block = block_of(txs)
    partial = PartialBlock(build_compact(block, nonce=1))
    partial.fill_from(txs[::2])
    assert partial.missing() == [2, 4, 6, 8, 10]
    with pytest.raises(Misbehaving):
        partial.fill_missing(txs[1::2][:2])
    partial.fill_missing(txs[1::2])
    rebuilt = partial.block()
    assert rebuilt is not None
    assert rebuilt.hash == block.hash


def test_wrong_transaction_gives_none_not_a_bad_block() -> None:
    txs = [tx(i) for i in range(3)]
    partial = PartialBlock(build_compact(block_of(txs), nonce=1))
    partial.fill_from(txs[:2])
    partial.fill_missing([tx(77)])
    assert partial.block() is None


def test_duplicate_short_ids_are_fetched() -> None:
    txs = [tx(i) for i in range(3)]
    msg = build_compact(block_of(txs), nonce=1)
    dup = CmpctBlock(msg.header, msg.votes, msg.nonce, (msg.short_ids[0],) * 3, msg.prefilled)
    partial = PartialBlock(dup)
    assert partial.collided
    partial.fill_from(txs)
    assert 2 in partial.missing()
    assert 3 in partial.missing()


def test_empty_cmpctblock_is_misbehaviour() -> None:
    with pytest.raises(Misbehaving):
        PartialBlock(CmpctBlock(HEADER, (), 0, (), ()))
