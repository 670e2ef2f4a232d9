"""p2p_compact_blocks: with matching mempools a new block travels as a cmpctblock and is
rebuilt from the mempool without downloading the full block; transactions the receiver
lacks are fetched with getblocktxn/blocktxn."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.functional.framework import (
    NodeSet,
    connect_nodes,
    disconnect_nodes,
    sync_blocks,
    sync_mempools,
)

pytestmark = pytest.mark.slow


def test_p2p_compact_blocks(nodes_factory: Callable[..., NodeSet]) -> None:
    nodes = nodes_factory(2)
    miner, receiver = nodes[0], nodes[1]
    connect_nodes(receiver, miner)
    miner.createwallet("w")
    miner.generate(15, miner.getnewaddress())
    sync_blocks([miner, receiver])
    before = receiver.getnetworkinfo()["compactblocks"]

    txids = [miner.sendtoaddress(miner.getnewaddress(), 1) for _ in range(5)]
    sync_mempools([miner, receiver])
    block_bytes_before = receiver.getpeerinfo()[0]["bytesrecv_per_msg"].get("block", 0)
    [block_hash] = miner.generate(1)
    sync_blocks([miner, receiver])
    assert set(receiver.getblock(block_hash)["tx"][1:]) == set(txids)
    stats = receiver.getnetworkinfo()["compactblocks"]
    assert stats["cmpctblock_reconstructed"] == before["cmpctblock_reconstructed"] + 1
    assert stats["cmpctblock_blocktxn"] == before["cmpctblock_blocktxn"]
    peer = receiver.getpeerinfo()[0]
    assert peer["bytesrecv_per_msg"].get("block", 0) == block_bytes_before, "no full block"
    assert "getblocktxn" not in peer["bytessent_per_msg"]
    assert receiver.getrawmempool() == []

    # transactions the receiver never saw: rebuilt with one getblocktxn round trip
    disconnect_nodes(receiver, miner)
    unseen = [miner.sendtoaddress(miner.getnewaddress(), 1) for _ in range(3)]
    connect_nodes(receiver, miner)
    assert receiver.getrawmempool() == []
    miner.generate(1)
    sync_blocks([miner, receiver])
    stats = receiver.getnetworkinfo()["compactblocks"]
    assert stats["cmpctblock_blocktxn"] == before["cmpctblock_blocktxn"] + 1
    peer = receiver.getpeerinfo()[0]
    assert peer["bytessent_per_msg"]["getblocktxn"] > 0
    assert peer["bytesrecv_per_msg"].get("block", 0) == 0
    assert set(unseen) <= set(receiver.getblock(receiver.getbestblockhash())["tx"])
