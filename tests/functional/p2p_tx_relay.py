"""p2p_tx_relay: a transaction sent on one end of a line of three nodes reaches the other end
through trickled inv/getdata, feefilter is exchanged, and a block mined anywhere clears the
transaction from every mempool."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.functional.framework import NodeSet, connect_nodes, sync_blocks, sync_mempools

pytestmark = pytest.mark.slow


def test_p2p_tx_relay(nodes_factory: Callable[..., NodeSet]) -> None:
    nodes = nodes_factory(3)
    connect_nodes(nodes[0], nodes[1])
    connect_nodes(nodes[1], nodes[2])
    nodes[0].createwallet("w")
    nodes[0].generate(12, nodes[0].getnewaddress())
    sync_blocks(list(nodes))

    txid = nodes[0].sendtoaddress(nodes[0].getnewaddress(), 2)
    sync_mempools(list(nodes))
    assert nodes[2].getrawmempool() == [txid]
    relayed = nodes[2].getnetworkinfo()["txrelay"]["accepted_from_peers"]
    assert relayed == 1
    # every peer told its neighbours the minimum feerate it relays
    for node in nodes:
        for peer in node.getpeerinfo():
            assert peer["minfeefilter"] > 0
            assert peer["bytesrecv_per_msg"].get("feefilter", 0) > 0
    # the middle node learned the tx from node0 and announced it to node2
    middle = {p["addr"]: p for p in nodes[1].getpeerinfo()}
    to_node2 = next(p for p in middle.values() if p["inbound"] is False)
    assert to_node2["bytessent_per_msg"]["tx"] > 0

    nodes[2].generate(1)
    sync_blocks(list(nodes))
    sync_mempools(list(nodes))
    assert nodes[0].getrawmempool() == []
    assert nodes[0].getrawtransaction(txid, True)["confirmations"] == 1
