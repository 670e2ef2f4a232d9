"""p2p_initial_sync: a fresh node catches up a 2,000-block chain from one peer with
headers-first sync and parallel block download, reporting its progress (headers vs blocks,
blocks/s, ETA) in getnetworkinfo and its log."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.functional.framework import NodeSet, connect_nodes, sync_blocks

pytestmark = pytest.mark.slow


def test_p2p_initial_sync(nodes_factory: Callable[..., NodeSet]) -> None:
    nodes = nodes_factory(2)
    source, fresh = nodes[0], nodes[1]
    source.generate(2000)
    assert fresh.getblockcount() == 0
    connect_nodes(fresh, source)
    sync_blocks([source, fresh], timeout=180)
    assert fresh.getblockcount() == 2000
    sync = fresh.getnetworkinfo()["sync"]
    assert sync["headers"] == 2000
    assert sync["blocks"] == 2000
    assert not sync["syncing"]
    [peer] = fresh.getpeerinfo()
    assert peer["synced_headers"] == 2000
    assert peer["startingheight"] == 2000
    assert peer["bytesrecv_per_msg"]["block"] > 0
    assert peer["bytesrecv_per_msg"]["headers"] > 0
    # progress was logged while syncing: headers height against blocks height
    log = fresh.new_log()
    assert "headers=2000" in log
    # the source served every block; the fresh node now relays new blocks back
    fresh.generate(3)
    sync_blocks([source, fresh])
    assert source.getblockcount() == 2003
