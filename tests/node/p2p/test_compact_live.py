"""Compact blocks from a hostile peer, on a live service: short ids that collide on
purpose, a prefilled coinbase that does not match the header (full-block fallback, nobody
blamed), `blocktxn` nobody asked for or with the wrong count, and `getblocktxn` indexes past
the block's end. Honest outcomes: the block is still connected, honest peers are unharmed."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.p2p import info
from node.p2p.compact import build_compact, short_id, short_id_key
from node.p2p.messages import (
    BlockMessage,
    BlockTxn,
    CmpctBlock,
    GetBlockTxn,
    GetData,
    GetHeaders,
    Headers,
    PrefilledTx,
)
from node.p2p.protocol import InvType
from node.types.block import Block
from node.types.tx import Tx
from tests.node.chain.helpers import SCRIPT, make_block, spend, spendable
from tests.node.p2p.harness import ServiceThread, wait_until
from tests.node.p2p.rawpeer import RawPeer


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[ServiceThread]:
    s = ServiceThread(tmp_path / "node")
    s.mine(14)
    yield s
    s.stop()


def next_block(s: ServiceThread, in_pool: int = 2) -> tuple[Block, list[Tx]]:
    """A block on the node's tip with two transactions, the first `in_pool` of them also
    accepted into the node's mempool."""
    cs = s.node.chainstate
    with cs.lock:
        coins = spendable(cs)[:2]
        txs = [spend([c], [(c[1].value - 10_000, SCRIPT)]) for c in coins]
        block = make_block(cs, txs)
    assert s.node.mempool is not None
    for tx in txs[:in_pool]:
        s.node.mempool.accept(tx)
    return block, txs


def scores(s: ServiceThread) -> dict[str, int]:
    return {p["addr"].split(":")[0]: p["banscore"] for p in s.call(info.getpeerinfo)}


def banned(s: ServiceThread) -> list[str]:
    return [e["address"] for e in s.call(info.listbanned)]


def connect(s: ServiceThread, source: str) -> RawPeer:
    peer = RawPeer(s.port, source=source)
    peer.handshake(start_height=15)
    peer.wait_for(GetHeaders)
    peer.send(Headers(()))
    peer.sync()
    return peer


def test_colliding_short_ids_still_give_the_block(svc: ServiceThread) -> None:
    """Both transactions announced under the second one's short id: the rebuild may pick the
    wrong one, then asks for what is missing and, if the Merkle root does not match, for the
    full block. The block connects and the sender, possibly honest, is not scored."""
    block, txs = next_block(svc)
    msg = build_compact(block, 5)
    key = short_id_key(block.header, 5)
    clash = short_id(key, txs[1].wtxid)
    msg = dataclasses.replace(msg, short_ids=(clash, clash))
    with connect(svc, "127.0.0.70") as peer:
        peer.send(msg)
        asked = []
        deadline = time.monotonic() + 20
        while svc.height < 15:
            assert time.monotonic() < deadline, f"not rebuilt; asked {asked}"
            reply = peer.read(0.1)
            if isinstance(reply, GetBlockTxn):
                asked.append(reply.indexes)
                peer.send(BlockTxn(block.hash, tuple(block.txs[i] for i in reply.indexes)))
            elif isinstance(reply, GetData):
                assert reply.items[0].type == InvType.BLOCK
                asked.append(reply.items[0].hash)
                peer.send(BlockMessage(block))
        assert asked[0] == (2,)
        assert svc.node.chainstate.tip.hash == block.hash
        assert scores(svc) == {"127.0.0.70": 0}


def test_prefilled_coinbase_not_matching_falls_back_to_the_full_block(svc: ServiceThread) -> None:
    block, _ = next_block(svc)
    msg = build_compact(block, 9)
    coinbase = block.txs[0]
    other = dataclasses.replace(coinbase, witnesses=(coinbase.witnesses[0] + b"?",))
    msg = dataclasses.replace(msg, prefilled=(PrefilledTx(0, other),))
    with connect(svc, "127.0.0.71") as peer:
        peer.send(msg)
        request = peer.wait_for(GetData)
        assert request.items[0].hash == block.hash
        assert request.items[0].type == InvType.BLOCK
        assert scores(svc) == {"127.0.0.71": 0}
        peer.send(BlockMessage(block))
        wait_until(lambda: svc.height == 15, what="the full block")
    stats = svc.call(info.getnetworkinfo)["compactblocks"]
    assert stats["cmpctblock_full_fallback"] == 1


def test_blocktxn_unrequested_or_with_the_wrong_count(svc: ServiceThread) -> None:
    block, txs = next_block(svc, in_pool=1)
    with connect(svc, "127.0.0.72") as peer:
        peer.send(BlockTxn(block.hash, (txs[1],)))  # nobody asked: 20
        peer.sync()
        assert scores(svc) == {"127.0.0.72": 20}
        peer.send(CmpctBlock(*_fields(build_compact(block, 3))))
        assert peer.wait_for(GetBlockTxn).indexes == (2,)
        peer.send(BlockTxn(block.hash, tuple(txs)))  # two for one slot: 100
        assert peer.closed_within(10)
    assert banned(svc) == ["127.0.0.72/32"]
    assert svc.height == 14


def _fields(msg: CmpctBlock) -> tuple[object, ...]:
    return (msg.header, msg.votes, msg.nonce, msg.short_ids, msg.prefilled)


def test_getblocktxn_index_past_the_end_bans(svc: ServiceThread) -> None:
    tip = svc.node.chainstate.tip.hash
    with connect(svc, "127.0.0.73") as peer:
        peer.send(GetBlockTxn(tip, (0,)))
        assert peer.wait_for(BlockTxn).txs[0].txid == svc.node.chainstate.get_block(tip).txs[0].txid
        peer.send(GetBlockTxn(tip, (0, 5)))
        assert peer.closed_within(10)
    assert banned(svc) == ["127.0.0.73/32"]


def test_cmpctblock_with_an_unknown_parent_asks_for_headers(svc: ServiceThread) -> None:
    """A compact block we cannot place (we missed its parent) is no offence: the node asks
    for the headers in between."""
    block, _ = next_block(svc)
    orphan = dataclasses.replace(build_compact(block, 1), header=dataclasses.replace(
        block.header, prev_hash=b"\x42" * 32))  # fmt: skip
    with connect(svc, "127.0.0.74") as peer:
        peer.send(orphan)
        assert [m for m in peer.sync() if isinstance(m, GetHeaders)]
        assert scores(svc) == {"127.0.0.74": 0}


def test_blocktxn_for_a_compact_block_we_dropped_is_not_scored(svc: ServiceThread) -> None:
    """The node keeps at most 4 compact blocks per peer waiting for blocktxn. A fifth pushes
    the oldest out; the peer's (honest) answer for that one is then not "unrequested"."""
    cs = svc.node.chainstate
    with cs.lock:
        coin = spendable(cs)[0]
        missing = spend([coin], [(coin[1].value - 10_000, SCRIPT)])
        blocks = [make_block(cs, [missing], tag=f"fork{i}".encode()) for i in range(5)]
    with connect(svc, "127.0.0.75") as peer:
        for i, block in enumerate(blocks):
            peer.send(build_compact(block, i))
            assert peer.wait_for(GetBlockTxn).block_hash == block.hash
        for block in blocks:
            peer.send(BlockTxn(block.hash, (missing,)))
        peer.sync()
        assert scores(svc) == {"127.0.0.75": 0}
        wait_until(lambda: svc.height == 15, what="one of the blocks connected")
