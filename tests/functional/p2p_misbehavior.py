"""p2p_misbehavior: a raw socket client (from 127.0.0.2) sends garbage, oversize frames, bad
checksums and an invalid block; each time it is disconnected and banned (listbanned), while
an honest node stays connected and keeps receiving blocks."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from node.chain.miner import solve
from node.crypto.merkle import merkle_root
from node.p2p.messages import BlockMessage, GetData, Headers, Ping, Pong
from node.p2p.protocol import MAX_PAYLOAD
from node.params import get_params
from node.types.block import Block
from tests.functional.framework import NodeSet, connect_nodes, sync_blocks
from tests.node.p2p.rawpeer import RawPeer

pytestmark = pytest.mark.slow

ATTACKER = "127.0.0.2"


def invalid_child(node_block_hex: str) -> Block:
    """A child of the node's tip with a valid header but an invalid coinbase (the tip's
    coinbase with its value raised: wrong height lock and too much money)."""
    tip = Block.deserialize(bytes.fromhex(node_block_hex))
    coinbase = tip.txs[0]
    greedy = dataclasses.replace(
        coinbase, outputs=(dataclasses.replace(coinbase.outputs[0], value=10**15),)
    )
    header = dataclasses.replace(
        tip.header, height=tip.header.height + 1, prev_hash=tip.hash,
        merkle_root=merkle_root([greedy.wtxid]), timestamp=tip.header.timestamp + 1, nonce=0,
    )  # fmt: skip
    solved = solve(Block(header, (), (greedy,)), get_params("regtest"))
    assert solved is not None
    return solved


def test_p2p_misbehavior(nodes_factory: Callable[..., NodeSet]) -> None:
    nodes = nodes_factory(2)
    target, honest = nodes[0], nodes[1]
    connect_nodes(honest, target)
    target.generate(5)
    sync_blocks([target, honest])

    def attack(name: str, act: Callable[[RawPeer], None]) -> None:
        with RawPeer(target.p2p_port, source=ATTACKER) as peer:
            peer.handshake(start_height=5)
            act(peer)
            assert peer.closed_within(15), f"{name}: attacker not disconnected"
        banned = [b["address"] for b in target.listbanned()]
        assert banned == [f"{ATTACKER}/32"], name
        with RawPeer(target.p2p_port, source=ATTACKER) as again:
            assert again.closed_within(5), f"{name}: banned address accepted"
        target.clearbanned()

    attack("garbage", lambda p: p.send_raw(b"\xde\xad\xbe\xef" * 64))
    attack("oversize frame", lambda p: p.send_frame("tx", b"", length=MAX_PAYLOAD + 1))

    def bad_checksums(p: RawPeer) -> None:
        for _ in range(2):
            p.send_frame("ping", bytes(8), bad_checksum=True)

    attack("bad checksums", bad_checksums)

    def invalid_block(p: RawPeer) -> None:
        block = invalid_child(target.getblock(target.getbestblockhash(), 0))
        p.send(Headers((block.header,)))
        assert p.wait_for(GetData).items[0].hash == block.hash
        p.send(BlockMessage(block))

    attack("invalid block", invalid_block)

    # the honest node was never affected
    assert target.getblockcount() == 5
    assert len(honest.getpeerinfo()) == 1
    target.generate(2)
    sync_blocks([target, honest])
    with RawPeer(target.p2p_port) as fine:
        fine.handshake()
        fine.send(Ping(1))
        assert fine.wait_for(Pong).nonce == 1
