"""rpc_net: the network RPCs (getnetworkinfo, getpeerinfo, getconnectioncount,
getnettotals, addnode, disconnectnode, setban, listbanned, clearbanned, ping) and their
errors, with bitcoind's codes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from node.rpc.client import RpcError
from tests.functional.framework import NodeSet, connect_nodes, wait_until

pytestmark = pytest.mark.slow


def expect_error(code: int, func: Callable[[], object]) -> str:
    with pytest.raises(RpcError) as info:
        func()
    assert info.value.code == code, info.value.message
    return info.value.message


def test_rpc_net(nodes_factory: Callable[..., NodeSet]) -> None:
    nodes = nodes_factory(2)
    a, b = nodes[0], nodes[1]
    info = a.getnetworkinfo()
    assert info["protocolversion"] == 1
    assert info["connections"] == 0
    assert info["localaddresses"] == [{"address": "127.0.0.1", "port": a.p2p_port}]
    assert a.getconnectioncount() == 0

    connect_nodes(a, b)
    assert a.getconnectioncount() == 1
    assert b.getconnectioncount() == 1
    [peer] = a.getpeerinfo()
    assert peer["addr"] == b.p2p_addr
    assert peer["subver"] == "/RustyCoin:0.1.0/"
    a.ping()
    wait_until(lambda: a.getpeerinfo()[0]["pingtime"] is not None, what="pingtime")
    totals = a.getnettotals()
    assert totals["totalbytessent"] > 0
    assert totals["totalbytesrecv"] > 0

    # addnode
    expect_error(-8, lambda: a.addnode(b.p2p_addr, "connect"))
    expect_error(-30, lambda: a.addnode("not-an-address", "add"))
    expect_error(-24, lambda: a.addnode("127.0.0.1:1", "remove"))
    a.addnode("127.0.0.1:1", "add")
    expect_error(-23, lambda: a.addnode("127.0.0.1:1", "add"))
    a.addnode("127.0.0.1:1", "remove")

    # disconnectnode
    expect_error(-29, lambda: a.disconnectnode("127.0.0.1:2"))
    expect_error(-8, lambda: a.disconnectnode(b.p2p_addr, 1))
    expect_error(-8, lambda: a.disconnectnode())
    a.disconnectnode(nodeid=peer["id"])
    wait_until(lambda: a.getconnectioncount() == 0, what="disconnect")

    # bans
    a.setban("10.0.0.0/8", "add", 60)
    a.setban("127.0.0.9", "add")
    expect_error(-23, lambda: a.setban("127.0.0.9", "add"))
    expect_error(-30, lambda: a.setban("300.1.1.1", "add"))
    expect_error(-8, lambda: a.setban("1.2.3.4", "add", 10, True))
    listing = {e["address"]: e for e in a.listbanned()}
    assert listing["10.0.0.0/8"]["ban_duration"] == 60
    assert listing["127.0.0.9/32"]["ban_duration"] == 24 * 3600
    a.setban("127.0.0.9", "remove")
    expect_error(-30, lambda: a.setban("127.0.0.9", "remove"))
    a.clearbanned()
    assert a.listbanned() == []

    # a node without P2P peers still answers; bad argument types get -3
    expect_error(-3, lambda: a.call("addnode", 5, "add"))
