"""p2p_votes_relay: ticket votes signed by a wallet node reach a mining node over P2P
(inv/getdata/vote), which collects at least three of them to build every block past a small
stake_validation_height; the mining node holds no wallet and no ticket keys."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.functional.framework import (
    ADDRESS,
    NodeSet,
    connect_nodes,
    sync_blocks,
    sync_mempools,
    wait_until,
)

pytestmark = pytest.mark.slow

SVH = 30


def test_p2p_votes_relay(nodes_factory: Callable[..., NodeSet]) -> None:
    nodes = nodes_factory(2, stake_validation_height=SVH)
    staker, miner = nodes[0], nodes[1]
    connect_nodes(miner, staker)
    staker.createwallet("staker")
    staker.generate(12, staker.getnewaddress())
    sync_blocks([staker, miner])
    while miner.getblockcount() < SVH + 6:
        if miner.getblockcount() < SVH + 2:
            staker.call("purchaseticket", 6)
            sync_mempools([staker, miner])
        if miner.getblockcount() + 1 >= SVH:
            tip = miner.getbestblockhash()
            wait_until(lambda: miner.getvotes()["parent"] == tip  # noqa: B023
                       and len(miner.getvotes()["votes"]) >= 3, timeout=30,
                       what=f"votes relayed to the miner for {tip}")  # fmt: skip
        miner.generatetoaddress(1, ADDRESS)
        sync_blocks([staker, miner])
    for height in range(SVH, miner.getblockcount() + 1):
        block = miner.getblock(miner.getblockhash(height))
        assert 3 <= len(block["votes"]) <= 5, height
    assert miner.listwallets() == []
    [peer] = miner.getpeerinfo()
    assert peer["bytesrecv_per_msg"]["vote"] > 0
    assert peer["bytessent_per_msg"]["getdata"] > 0
