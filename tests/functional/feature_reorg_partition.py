"""feature_reorg_partition: four nodes split into two halves that both mine; when they are
joined again every node converges on the chain with the most work, and the transactions
confirmed only on the losing side return to the mempools and are relayed to everyone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.functional.framework import (
    NodeSet,
    connect_nodes,
    disconnect_nodes,
    sync_blocks,
    sync_mempools,
    wait_until,
)

pytestmark = pytest.mark.slow


def test_feature_reorg_partition(nodes_factory: Callable[..., NodeSet]) -> None:
    nodes = nodes_factory(4)
    for a, b in ((0, 1), (1, 2), (2, 3)):
        connect_nodes(nodes[a], nodes[b])
    nodes[0].createwallet("w")
    address = nodes[0].getnewaddress()
    nodes[0].generate(25, address)
    sync_blocks(list(nodes))

    # split: {0, 1} | {2, 3}
    disconnect_nodes(nodes[1], nodes[2])
    txids = [nodes[0].sendtoaddress(nodes[0].getnewaddress(), 1 + i) for i in range(3)]
    sync_mempools([nodes[0], nodes[1]])
    assert nodes[2].getrawmempool() == []
    nodes[0].generate(3)  # the transactions confirm on the left half only
    sync_blocks([nodes[0], nodes[1]])
    assert nodes[1].getrawmempool() == []
    nodes[3].generate(6)  # the right half builds more work
    sync_blocks([nodes[2], nodes[3]])
    assert nodes[0].getbestblockhash() != nodes[3].getbestblockhash()
    winner = nodes[3].getbestblockhash()

    # rejoin: everyone follows the most-work chain; the orphaned txs come back
    connect_nodes(nodes[1], nodes[2])
    sync_blocks(list(nodes), timeout=90)
    assert all(n.getbestblockhash() == winner for n in nodes)
    assert nodes[0].getblockcount() == 25 + 6
    wait_until(lambda: set(txids) <= set(nodes[0].getrawmempool()), what="txs back in node0")
    sync_mempools(list(nodes), timeout=90)
    assert set(nodes[3].getrawmempool()) == set(txids)
    tips = nodes[0].getchaintips()
    assert any(t["status"] == "valid-fork" and t["branchlen"] == 3 for t in tips)
