"""p2p_sync_adversarial: a fresh node syncs from several peers at once while they misbehave.
A raw peer announces the honest headers and never serves the blocks it is asked for (a
staller), another sends a block whose body does not match its header (a liar), and a real
node serves a different, lower-work chain. Progress is reported while the download waits;
the fresh node ends on the honest most-work chain, the liar is banned, the staller is only
disconnected, and the other chain is kept as a fork."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from node.p2p.messages import BlockMessage, GetData, GetHeaders, Headers
from node.types.block import Block
from tests.functional.framework import NodeSet, connect_nodes, sync_blocks, wait_until
from tests.node.p2p.rawpeer import RawPeer

pytestmark = pytest.mark.slow

HONEST = 300
FORK = 200
FORK_ADDRESS = "rcrt1qcqjl6ghnn6gr8xfvyy0elmjcklqe6shnzneenh"
"""A regtest P2PKH address (secret 0x22..22): the fork's blocks differ from the honest ones."""


def honest_headers(node_port: int, genesis: bytes) -> tuple[Headers, ...]:
    with RawPeer(node_port) as peer:
        peer.handshake(start_height=0)
        peer.send(GetHeaders((genesis,)))
        return (peer.wait_for(Headers),)


def mutated(block: Block) -> Block:
    coinbase = block.txs[0]
    changed = dataclasses.replace(coinbase, witnesses=(coinbase.witnesses[0] + b"!",))
    return Block(block.header, block.votes, (changed, *block.txs[1:]))


def test_p2p_sync_adversarial(nodes_factory: Callable[..., NodeSet]) -> None:
    nodes = nodes_factory(3)
    source, fork, fresh = nodes[0], nodes[1], nodes[2]
    source.generate(HONEST)
    fork.generate(FORK, FORK_ADDRESS)
    genesis = bytes.fromhex(source.getblockhash(0))
    [headers] = honest_headers(source.p2p_port, genesis)
    assert len(headers.headers) == HONEST

    with (RawPeer(fresh.p2p_port, source="127.0.0.2") as staller,
          RawPeer(fresh.p2p_port, source="127.0.0.3") as liar):  # fmt: skip
        staller.handshake(start_height=HONEST)
        staller.send(headers)
        held = staller.wait_for(GetData)
        assert len(held.items) == 16
        sync = fresh.getnetworkinfo()["sync"]
        assert (sync["headers"], sync["blocks"], sync["syncing"]) == (HONEST, 0, True)
        assert sync["blocks_in_flight"] == 16
        assert fresh.getpeerinfo()[0]["inflight"] == list(range(1, 17))

        liar.handshake(start_height=HONEST)
        liar.send(headers)
        asked = liar.wait_for(GetData).items[0].hash
        block = Block.deserialize(bytes.fromhex(source.getblock(asked.hex(), 0)))
        liar.send(BlockMessage(mutated(block)))
        assert liar.closed_within(10), "the liar is disconnected"

        connect_nodes(fresh, fork)
        connect_nodes(fresh, source)
        sync_blocks([source, fresh], timeout=120)
        assert staller.closed_within(10), "the staller is disconnected"

    assert [b["address"] for b in fresh.listbanned()] == ["127.0.0.3/32"]
    assert fresh.getblockcount() == HONEST
    fork_tip = fork.getbestblockhash()
    wait_until(lambda: fork_tip in {t["hash"] for t in fresh.getchaintips()},
               what="the lower-work chain known as a fork")  # fmt: skip
    tips = {t["hash"]: t for t in fresh.getchaintips()}
    assert tips[fork_tip]["status"] in ("valid-fork", "valid-headers", "headers-only")
    sync = fresh.getnetworkinfo()["sync"]
    assert (sync["headers"], sync["blocks"], sync["syncing"]) == (HONEST, HONEST, False)
    assert "stalling" in fresh.new_log()
