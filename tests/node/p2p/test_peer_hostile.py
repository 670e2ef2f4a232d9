"""Hostile connections on a live service: frames trickled a byte at a time (slowloris),
a peer stuck half way through a frame, handshake abuse (messages before `version` or before
`verack`, a second `version`), and full inbound slots: a new connection evicts the least
useful inbound peer (Core) instead of being refused while slow peers hold every slot.
Eviction's choice itself is checked on plain candidates."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.p2p import info
from node.p2p.eviction import Candidate, select_victim
from node.p2p.frame import encode_frame
from node.p2p.messages import GetAddr, Ping, Pong, Verack, Version
from tests.node.p2p.harness import ServiceThread, wait_until
from tests.node.p2p.rawpeer import RawPeer


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[ServiceThread]:
    s = ServiceThread(tmp_path / "node", timeout=3.0, ping_interval=1.0)
    yield s
    s.stop()


def scores(s: ServiceThread) -> dict[str, int]:
    return {p["addr"].split(":")[0]: p["banscore"] for p in s.call(info.getpeerinfo)}


def test_frame_trickled_byte_by_byte_is_read(svc: ServiceThread) -> None:
    with RawPeer(svc.port, source="127.0.0.40") as peer:
        peer.handshake()
        for byte in encode_frame(peer.magic, "ping", Ping(77).encode()):
            peer.send_raw(bytes([byte]))
            time.sleep(0.002)
        assert peer.wait_for(Pong).nonce == 77
        assert scores(svc) == {"127.0.0.40": 0}


def test_peer_stuck_in_a_frame_is_dropped(svc: ServiceThread) -> None:
    """Half a frame and then nothing: no complete message (nor pong) arrives, so the peer
    is dropped after the inactivity timeout (3 s here, Core's 20 minutes by default)."""
    with RawPeer(svc.port, source="127.0.0.41") as peer:
        peer.handshake()
        frame = encode_frame(peer.magic, "ping", Ping(1).encode())
        peer.send_raw(frame[:30])
        assert peer.closed_within(20)
    assert svc.call(info.listbanned) == [], "slow is not misbehaving"


def test_handshake_abuse_scores(svc: ServiceThread) -> None:
    with RawPeer(svc.port, source="127.0.0.42") as early:
        early.send(Ping(1))  # before version: 10
        wait_until(lambda: scores(svc).get("127.0.0.42") == 10, what="score 10")
        version = early.handshake()
        assert version.start_height == 0
        early.send(version)  # a second version: 1
        early.sync()
        assert scores(svc) == {"127.0.0.42": 11}
    with RawPeer(svc.port, source="127.0.0.43") as rushed:
        me = Version(1, 1, int(time.time()), version.addr_recv, version.addr_from, 99,
                     "/rushed/", 0, True)  # fmt: skip
        rushed.send(me)
        rushed.wait_for(Verack)
        rushed.send(GetAddr())  # before our verack: ignored, not scored
        rushed.send(Ping(5))
        rushed.send(Verack())
        rushed.send(Ping(6))
        assert rushed.wait_for(Pong).nonce == 6, "the ping before verack was ignored"
        assert scores(svc) == {"127.0.0.43": 0}


def test_full_inbound_slots_evict_a_slow_peer(tmp_path: Path) -> None:
    """Three inbound slots: an honest peer (answers pings) and two connections that never
    finish a frame. A fourth connection is accepted by evicting the newest unprotected
    slow connection; the honest peer stays."""
    s = ServiceThread(tmp_path / "node", max_inbound=3, ping_interval=0.2)
    try:
        with RawPeer(s.port) as honest:
            honest.handshake()
            ping = honest.wait_for(Ping)
            honest.send(Pong(ping.nonce))
            wait_until(lambda: s.call(info.getpeerinfo)[0]["minping"] is not None,
                       what="a ping time")  # fmt: skip
            slow = [RawPeer(s.port, source=f"127.0.0.{50 + i}") for i in range(2)]
            try:
                for peer in slow:
                    peer.send_raw(peer.magic + b"vers")
                wait_until(lambda: len(s.call(info.getpeerinfo)) == 3, what="3 inbound")
                with RawPeer(s.port, source="127.0.0.60") as newcomer:
                    newcomer.handshake()
                    assert slow[1].closed_within(10), "the newest slow connection is evicted"
                    assert not slow[0].closed_within(0.5)
                    newcomer.sync()
                    honest.sync()
                    addrs = sorted(p["addr"].split(":")[0] for p in s.call(info.getpeerinfo))
                    assert addrs == ["127.0.0.1", "127.0.0.50", "127.0.0.60"]
            finally:
                for peer in slow:
                    peer.close()
    finally:
        s.stop()


def _c(i: int, group: bytes = b"g1", *, ping: float | None = None, tx: float = 0.0,
       block: float = 0.0) -> Candidate:  # fmt: skip
    return Candidate(i, group, float(i), ping, tx, block)


def test_eviction_choice() -> None:
    key = bytes(32)
    assert select_victim([], key) is None
    assert select_victim([_c(1)], key) is None  # protected by its network group
    # one group: the newest of the unprotected half goes
    assert select_victim([_c(i) for i in range(1, 7)], key) == 6
    # useful peers are protected: fast pings, recent txs and blocks
    crowd = [_c(1), _c(2), _c(3, ping=0.01), _c(4, tx=5.0), _c(5, block=9.0), _c(6), _c(7)]
    assert select_victim(crowd, key) == 7
    assert select_victim([*crowd[:-1], _c(7, ping=0.5)], key) == 6
    # the group with the most connections loses one, not the lone peers of other groups
    many = [_c(i, b"big") for i in range(1, 9)] + [_c(20 + i, bytes([i])) for i in range(4)]
    assert select_victim(many, key) in range(1, 9)
