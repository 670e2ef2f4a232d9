"""DoS protection on a live service: garbage, oversize frames, bad checksums, malformed
payloads, unrequested and invalid blocks and headers, and message floods earn misbehaviour
scores; at 100 the address is banned (persisted in banlist.json) and refused, while honest
peers keep being served. A peer that stalls the block download is replaced."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from node.p2p import info
from node.p2p.frame import encode_frame
from node.p2p.messages import BlockMessage, GetData, Headers, Ping, Pong
from node.p2p.protocol import MAX_PAYLOAD
from tests.node.chain.helpers import make_block, with_txs
from tests.node.p2p.harness import ServiceThread, wait_until
from tests.node.p2p.rawpeer import RawPeer
from tests.node.p2p.samples import BLOCK


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[ServiceThread]:
    s = ServiceThread(tmp_path / "node", max_msgs_per_sec=200)
    s.mine(5)
    yield s
    s.stop()


def banned(s: ServiceThread) -> list[str]:
    return [e["address"] for e in s.call(info.listbanned)]


def assert_honest_peer_served(s: ServiceThread) -> None:
    with RawPeer(s.port) as honest:
        honest.handshake()
        honest.send(Ping(99))
        assert honest.wait_for(Pong).nonce == 99


def _repeat(
    times: int, command: str, payload: bytes, **options: object
) -> Callable[[RawPeer], None]:
    def send(peer: RawPeer) -> None:
        for _ in range(times):
            peer.send_frame(command, payload, **options)  # type: ignore[arg-type]

    return send


ATTACKS: dict[str, Callable[[RawPeer], None]] = {
    "garbage": lambda p: p.send_raw(b"\x00GET / HTTP/1.1\r\n\r\n" + bytes(40)),
    "oversize": _repeat(1, "inv", b"", length=MAX_PAYLOAD + 1),
    "bad checksum x2": _repeat(2, "ping", bytes(8), bad_checksum=True),
    "malformed x2": _repeat(2, "ping", bytes(3)),
    "unrequested blocks x5": _repeat(5, "block", BLOCK.serialize()),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attacker_is_banned_and_honest_peers_served(svc: ServiceThread, attack: str) -> None:
    with RawPeer(svc.port, source="127.0.0.2") as bad:
        bad.handshake()
        ATTACKS[attack](bad)
        assert bad.closed_within(10), f"{attack}: the attacker must be disconnected"
    assert banned(svc) == ["127.0.0.2/32"]
    saved = json.loads((svc.node.netdir / "banlist.json").read_text())
    assert saved["banned"][0]["subnet"] == "127.0.0.2/32"
    with RawPeer(svc.port, source="127.0.0.2") as again:
        assert again.closed_within(5), "a banned address is refused"
    assert_honest_peer_served(svc)


def test_unrequested_block_is_scored(svc: ServiceThread) -> None:
    cs = svc.node.chainstate
    with cs.lock:
        block = make_block(cs)
    with RawPeer(svc.port, source="127.0.0.3") as peer:
        peer.handshake()
        peer.send(BlockMessage(block))
        wait_until(lambda: [p["banscore"] for p in svc.call(info.getpeerinfo)] == [20],
                   what="banscore 20")  # fmt: skip
    assert svc.height == 5, "an unrequested block is not processed"


def test_invalid_header_bans(svc: ServiceThread) -> None:
    cs = svc.node.chainstate
    with cs.lock:
        block = make_block(cs)
    bad_header = dataclasses.replace(block.header, height=99)
    with RawPeer(svc.port, source="127.0.0.4") as peer:
        peer.handshake()
        peer.send(Headers((bad_header,)))
        assert peer.closed_within(10)
    assert banned(svc) == ["127.0.0.4/32"]


def test_invalid_block_bans(svc: ServiceThread) -> None:
    cs = svc.node.chainstate
    with cs.lock:
        block = make_block(cs)
    coinbase = block.txs[0]
    greedy = dataclasses.replace(
        coinbase, outputs=(dataclasses.replace(coinbase.outputs[0], value=10**15),)
    )
    bad = with_txs(block, [greedy])
    with RawPeer(svc.port, source="127.0.0.5") as peer:
        peer.handshake()
        peer.send(Headers((bad.header,)))
        request = peer.wait_for(GetData)
        assert request.items[0].hash == bad.hash
        peer.send(BlockMessage(bad))
        assert peer.closed_within(10)
    assert banned(svc) == ["127.0.0.5/32"]
    assert svc.height == 5
    assert_honest_peer_served(svc)


def test_message_flood_is_scored(tmp_path: Path) -> None:
    s = ServiceThread(tmp_path / "flood", max_msgs_per_sec=30)
    try:
        with RawPeer(s.port, source="127.0.0.6") as peer:
            peer.handshake()
            peer.send_raw(b"".join(_ping_frame(peer, i) for i in range(100)))
            wait_until(lambda: any(p["banscore"] >= 20 for p in s.call(info.getpeerinfo)),
                       what="the flood to be scored")  # fmt: skip
    finally:
        s.stop()


def _ping_frame(peer: RawPeer, nonce: int) -> bytes:
    return encode_frame(peer.magic, "ping", Ping(nonce).encode())


def test_setban_listbanned_clearbanned(svc: ServiceThread) -> None:
    svc.call(info.setban, "127.0.0.7", "add", 3600, False)
    with pytest.raises(info.NetworkCommandError, match="already banned"):
        svc.call(info.setban, "127.0.0.7", "add", 3600, False)
    with pytest.raises(info.NetworkCommandError, match="Invalid IP"):
        svc.call(info.setban, "not-an-ip", "add", 0, False)
    with pytest.raises(info.NetworkCommandError, match="add or remove"):
        svc.call(info.setban, "1.2.3.4", "ban", 0, False)
    with RawPeer(svc.port, source="127.0.0.7") as peer:
        assert peer.closed_within(5)
    listing = svc.call(info.listbanned)
    assert listing[0]["address"] == "127.0.0.7/32"
    assert listing[0]["ban_duration"] == 3600
    svc.call(info.setban, "127.0.0.7", "remove", 0, False)
    with pytest.raises(info.NetworkCommandError, match="Unban failed"):
        svc.call(info.setban, "127.0.0.7", "remove", 0, False)
    svc.call(info.setban, "10.0.0.0/8", "add", 0, False)
    svc.call(info.clearbanned)
    assert svc.call(info.listbanned) == []


def test_stalling_peer_is_replaced(tmp_path: Path) -> None:
    source = ServiceThread(tmp_path / "source")
    target = ServiceThread(tmp_path / "target", block_stall_timeout=1.0)
    try:
        source.mine(40)
        headers = tuple(e.header for e in source.node.chainstate.active[1:])
        with RawPeer(target.port, source="127.0.0.8") as staller:
            staller.handshake(start_height=40)
            staller.send(Headers(headers))
            staller.wait_for(GetData)  # asked for blocks it will never send
            target.call(info.addnode, source.addr, "onetry")
            wait_until(lambda: target.height == 40, what="sync from the honest peer")
            assert staller.closed_within(10), "the staller is disconnected"
        assert banned(target) == [], "stalling is not banned"
    finally:
        target.stop()
        source.stop()
