"""The P2P service on real nodes (LMDB, sockets, asyncio): handshake and sync between two
services, self-connection detection, header serving with locators, and timeouts."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.p2p import info
from node.p2p.messages import Addr, GetAddr, GetHeaders, Headers, Ping, Pong
from node.p2p.netaddr import PeerAddress
from node.p2p.sync import block_locator
from tests.node.p2p.harness import ServiceThread, wait_until
from tests.node.p2p.rawpeer import RawPeer


@pytest.fixture
def services(tmp_path: Path) -> Iterator[list[ServiceThread]]:
    started: list[ServiceThread] = []
    yield started
    for s in started:
        s.stop()


def test_two_services_handshake_and_sync(tmp_path: Path, services: list[ServiceThread]) -> None:
    a = ServiceThread(tmp_path / "a")
    services.append(a)
    a.mine(30)
    b = ServiceThread(tmp_path / "b", connect=(a.addr,), listen=False)
    services.append(b)
    wait_until(lambda: b.height == 30, what="b to sync 30 blocks")
    assert b.node.chainstate.tip.hash == a.node.chainstate.tip.hash
    peers = b.call(info.getpeerinfo)
    assert len(peers) == 1
    assert peers[0]["addr"] == a.addr
    assert not peers[0]["inbound"]
    assert peers[0]["connection_type"] == "manual"
    assert peers[0]["startingheight"] == 30
    assert peers[0]["bytesrecv_per_msg"]["block"] > 0
    net = b.call(info.getnetworkinfo)
    assert net["connections"] == 1
    assert net["sync"]["headers"] == 30
    assert a.call(info.getnetworkinfo)["connections_in"] == 1
    # a new block on a reaches b as a compact block (b asked for high-bandwidth mode)
    a.mine(1)
    wait_until(lambda: b.height == 31, what="the new block")
    assert b.svc.blocks.stats["cmpctblock_reconstructed"] == 1


def test_self_connection_is_detected(tmp_path: Path, services: list[ServiceThread]) -> None:
    a = ServiceThread(tmp_path / "a")
    services.append(a)
    a.call(info.addnode, a.addr, "add")
    wait_until(lambda: a.addr in a.svc.local_addrs, what="self-connection detection")
    wait_until(lambda: not a.svc.peers, what="both ends closed")


def test_getheaders_with_locator_and_stop(tmp_path: Path, services: list[ServiceThread]) -> None:
    a = ServiceThread(tmp_path / "a")
    services.append(a)
    a.mine(25)
    cs = a.node.chainstate
    locator = block_locator(cs, cs.tip)
    assert locator[0] == cs.tip.hash
    assert locator[-1] == cs.active[0].hash
    assert len(locator) == 10 + 4 + 1  # 10 one apart, then steps 2, 4, 8, 16, then genesis
    with RawPeer(a.port) as peer:
        peer.handshake()
        peer.send(GetHeaders((cs.active[10].hash, b"\x07" * 32)))
        headers = peer.wait_for(Headers)
        assert [h.height for h in headers.headers] == list(range(11, 26))
        peer.send(GetHeaders((b"\x07" * 32,), cs.active[3].hash))
        assert [h.height for h in peer.wait_for(Headers).headers] == [1, 2, 3]


def test_silent_peer_is_dropped(tmp_path: Path, services: list[ServiceThread]) -> None:
    a = ServiceThread(tmp_path / "a", handshake_timeout=1.0, timeout=2.0, ping_interval=0.5)
    services.append(a)
    with RawPeer(a.port) as silent:
        assert silent.closed_within(10), "a peer without version must be dropped"
    with RawPeer(a.port) as mute:
        mute.handshake()
        # never answer pings: read and ignore until the node gives up on us
        assert mute.closed_within(15), "a peer that never answers must be dropped"
        assert any(isinstance(m, Ping) for m in mute.received)
    with RawPeer(a.port) as alive:
        alive.handshake()
        ping = alive.wait_for(Ping)
        alive.send(Pong(ping.nonce))
        wait_until(lambda: any(p["pingtime"] is not None for p in a.call(info.getpeerinfo)),
                   what="a ping time")  # fmt: skip


def test_automatic_outbound_and_address_exchange(
    tmp_path: Path, services: list[ServiceThread]
) -> None:
    a = ServiceThread(tmp_path / "a")
    services.append(a)
    b = ServiceThread(tmp_path / "b", max_outbound=2)
    services.append(b)
    now = b.svc.clock()
    advert = PeerAddress(ipaddress.ip_address("127.0.0.1"), a.port, 1, int(now))
    b.call(lambda svc: svc.addrman.add([advert], ipaddress.ip_address("127.0.0.1"), now))
    # b dials a from its address table on its own, and a learns b's listening address
    wait_until(lambda: b.call(info.getnetworkinfo)["connections_out"] == 1, what="outbound")
    assert b.call(info.getnetworkinfo)["addrman"] == {"new": 0, "tried": 1}
    wait_until(lambda: a.svc.addrman.get(ipaddress.ip_address("127.0.0.1"), b.port) is not None,
               what="a to learn b's address")  # fmt: skip
    with RawPeer(a.port, source="127.0.0.9") as peer:
        peer.handshake()
        peer.send(GetAddr())
        answer = peer.wait_for(Addr)
        assert [x.port for x in answer.addresses] == [b.port]
        peer.send(GetAddr())  # answered once per connection
        peer.send(Ping(3))
        assert peer.wait_for(Pong).nonce == 3
        assert sum(isinstance(m, Addr) for m in peer.received) == 1
    b.svc.save()
    saved = json.loads((b.node.netdir / "peers.json").read_text())
    assert [row["addr"] for row in saved["addresses"]] == [a.addr]


def test_parallel_download_from_two_peers(tmp_path: Path, services: list[ServiceThread]) -> None:
    a = ServiceThread(tmp_path / "a")
    services.append(a)
    a.mine(120)
    b = ServiceThread(tmp_path / "b", connect=(a.addr,), listen=True)
    services.append(b)
    wait_until(lambda: b.height == 120, what="b to copy a's chain")
    fresh = ServiceThread(tmp_path / "fresh", max_blocks_in_flight=4)
    services.append(fresh)
    fresh.call(info.addnode, a.addr, "onetry")
    fresh.call(info.addnode, b.addr, "onetry")
    wait_until(lambda: fresh.height == 120, what="the fresh node to sync")
    served = [s.svc.blocks.stats["blocks_served"] for s in (a, b)]
    assert all(n > 0 for n in served), f"both peers serve blocks: {served}"
    peers = fresh.call(info.getpeerinfo)
    assert all(p["bytesrecv_per_msg"].get("block", 0) > 0 for p in peers)
