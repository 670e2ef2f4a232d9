"""Initial sync against lying, stalling and confused peers: headers out of order or not
connecting, headers with bad proof of work or bits, a block whose body does not match its
header (then the honest body from another peer), a longer chain whose first block is invalid,
and a peer whose block merely waits behind our own chain work (not a staller). Sync progress
(getnetworkinfo's `sync`) stays right through all of it."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.chain.miner import solve
from node.consensus.pow import pow_value, target_from_bits
from node.p2p import info
from node.p2p.messages import (
    BlockMessage,
    GetData,
    GetHeaders,
    Headers,
    Inv,
    InvItem,
    Ping,
    Pong,
)
from node.p2p.protocol import MAX_INV, InvType
from node.types.block import Block, BlockHeader
from tests.node.p2p.chains import extend_headers, greedy, mined_blocks, mutated
from tests.node.p2p.harness import PARAMS, ServiceThread, wait_until
from tests.node.p2p.rawpeer import RawPeer


@pytest.fixture
def target(tmp_path: Path) -> Iterator[ServiceThread]:
    s = ServiceThread(tmp_path / "target")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> list[Block]:
    return mined_blocks(tmp_path_factory.mktemp("honest"), 24)


def peers_by_ip(s: ServiceThread) -> dict[str, dict[str, object]]:
    return {str(p["addr"]).split(":")[0]: p for p in s.call(info.getpeerinfo)}


def banned(s: ServiceThread) -> list[str]:
    return [e["address"] for e in s.call(info.listbanned)]


def serve(peer: RawPeer, blocks: list[Block], request: GetData) -> None:
    by_hash = {b.hash: b for b in blocks}
    for item in request.items:
        assert item.type == InvType.BLOCK
        peer.send(BlockMessage(by_hash[item.hash]))


def test_headers_out_of_order_and_unconnecting(target: ServiceThread, honest: list[Block]) -> None:
    """Non-continuous headers score 20; headers that do not connect are answered with
    getheaders and score 20 only every 10th time (Core); nothing is accepted from either."""
    headers = [b.header for b in honest]
    with RawPeer(target.port, source="127.0.0.30") as peer:
        peer.handshake()
        peer.wait_for(GetHeaders)
        peer.send(Headers((headers[0], headers[2], headers[1])))
        peer.sync()
        assert peers_by_ip(target)["127.0.0.30"]["banscore"] == 20
        for i in range(10):
            peer.send(Headers(tuple(headers[5:8])))
            got = [m for m in peer.sync() if isinstance(m, GetHeaders)]
            assert len(got) == 1, i  # each answers the previous getheaders: ask again
        assert peers_by_ip(target)["127.0.0.30"]["banscore"] == 40
    assert target.height == 0
    assert target.call(info.getnetworkinfo)["sync"]["headers"] == 0


def failing_pow(header: BlockHeader) -> BlockHeader:
    """`header` with a nonce whose OxideHash misses the target."""
    target = target_from_bits(header.bits)
    for nonce in range(header.nonce + 1, header.nonce + 10_000):
        bad = dataclasses.replace(header, nonce=nonce)
        if pow_value(bad.serialize(), PARAMS) > target:
            return bad
    raise AssertionError("no failing nonce")


@pytest.mark.parametrize("change", ["pow", "bits"])
def test_header_with_bad_pow_or_bits_bans(
    target: ServiceThread, honest: list[Block], change: str
) -> None:
    """A header whose proof of work misses its target, or with a valid but unexpected `bits`
    (regtest never retargets), scores 100: the peer is banned."""
    header = honest[0].header
    if change == "pow":
        bad = failing_pow(header)
    else:
        bad = solve(Block(dataclasses.replace(header, bits=0x2000FFFF), (), ()), PARAMS)
        assert bad is not None
        bad = bad.header
    with RawPeer(target.port, source="127.0.0.31") as peer:
        peer.handshake()
        peer.send(Headers((bad,)))
        assert peer.closed_within(10)
    assert banned(target) == ["127.0.0.31/32"]
    assert bad.hash not in target.node.chainstate.entries


def test_mutated_body_then_the_honest_body(target: ServiceThread, honest: list[Block]) -> None:
    """A peer sends a block whose body does not match the header it announced: it is banned,
    the header stays valid, and the same block is fetched from another peer."""
    block = honest[0]
    with RawPeer(target.port, source="127.0.0.32") as liar, RawPeer(target.port) as good:
        liar.handshake(start_height=1)
        liar.send(Headers((block.header,)))
        assert liar.wait_for(GetData).items[0].hash == block.hash
        good.handshake(start_height=1)
        good.send(Headers((block.header,)))
        good.sync()
        liar.send(BlockMessage(mutated(block)))
        assert liar.closed_within(10)
        request = good.wait_for(GetData)
        assert request.items[0].hash == block.hash
        serve(good, honest, request)
        wait_until(lambda: target.height == 1, what="the honest body")
    assert banned(target) == ["127.0.0.32/32"]
    assert target.node.chainstate.tip.hash == block.hash


def test_liars_longer_chain_with_an_invalid_block(
    target: ServiceThread, honest: list[Block], tmp_path: Path
) -> None:
    """While a fresh node syncs, a peer announces a longer chain (valid headers) whose first
    block is invalid: it is banned, that chain is dropped, sync progress goes back to the
    honest peer's headers at once (not to our tip), and the honest chain is downloaded."""
    chain = honest[:20]
    [own] = mined_blocks(tmp_path / "liar", 1, tag=b"liar")
    first = greedy(own)
    liar_headers = [first.header, *extend_headers(first.header, 24)]
    with RawPeer(target.port) as good, RawPeer(target.port, source="127.0.0.33") as liar:
        good.handshake(start_height=20)
        good.send(Headers(tuple(b.header for b in chain)))
        held = good.wait_for(GetData)  # held back for now: the honest peer is slow
        status = target.call(info.getnetworkinfo)["sync"]
        assert (status["headers"], status["blocks"], status["syncing"]) == (20, 0, True)
        liar.handshake(start_height=25)
        liar.send(Headers(tuple(liar_headers)))
        assert first.hash in [i.hash for i in liar.wait_for(GetData).items]
        assert target.call(info.getnetworkinfo)["sync"]["headers"] == 25
        liar.send(BlockMessage(first))
        assert liar.closed_within(10)
        status = target.call(info.getnetworkinfo)["sync"]
        assert (status["headers"], status["syncing"]) == (20, True)
        serve(good, chain, held)
        serve_until(target, [good], chain, 20)
    assert banned(target) == ["127.0.0.33/32"]
    status = target.call(info.getnetworkinfo)["sync"]
    assert (status["headers"], status["blocks"], status["syncing"]) == (20, 20, False)


def serve_until(target: ServiceThread, peers: list[RawPeer], blocks: list[Block], height: int,
                timeout: float = 30.0) -> None:  # fmt: skip
    """Answer the node's block requests on every peer until its chain reaches `height`."""
    deadline = time.monotonic() + timeout
    while target.height < height:
        assert time.monotonic() < deadline, f"stuck at height {target.height}"
        for peer in peers:
            msg = peer.read(0.05)
            if isinstance(msg, GetData):
                serve(peer, blocks, msg)
            elif isinstance(msg, Ping):
                peer.send(Pong(msg.nonce))


def feed(s: ServiceThread, blocks: list[Block]) -> None:
    cs = s.node.chainstate
    with cs.lock:
        for block in blocks:
            cs.process_block(block)


@pytest.mark.parametrize("where", ["window", "tip"])
def test_block_waiting_behind_our_chain_work_is_not_a_stall(
    tmp_path: Path, honest: list[Block], where: str
) -> None:
    """Peer A was asked for blocks and sends them, but they sit unread in its socket while
    our worker thread is busy (another thread holds the chainstate lock for several stall
    timeouts). Peer B has everything. Time A's messages wait for us is not A stalling: A
    stays, under both stall rules (a full download window during sync; the block after our
    tip once caught up)."""
    target = ServiceThread(tmp_path / "target", block_stall_timeout=0.5, block_download_window=20)
    cs = target.node.chainstate
    try:
        if where == "tip":
            feed(target, honest[:23])
        start = cs.height
        headers = tuple(b.header for b in honest)
        with RawPeer(target.port, source="127.0.0.34") as a, RawPeer(target.port) as b:
            a.handshake(start_height=24)
            a.send(Headers(headers))
            request_a = a.wait_for(GetData)
            assert request_a.items[0].hash == honest[start].hash
            b.handshake(start_height=24)
            b.send(Headers(headers))
            if where == "window":  # B fetches 17-20, then the window (20) waits for A
                serve(b, honest, b.wait_for(GetData))
            b.sync()
            with cs.lock:
                a.send(Headers(headers))  # needs the worker, which waits for the lock
                serve(a, honest, request_a)
                time.sleep(2.0)  # four stall timeouts
            serve_until(target, [a, b], honest, 24)
            assert "127.0.0.34" in peers_by_ip(target), "A was dropped as a staller"
        assert banned(target) == []
    finally:
        target.stop()


def test_caught_up_node_asks_another_peer_for_a_stalled_block(
    tmp_path: Path, honest: list[Block]
) -> None:
    """Near the tip: the next block, asked of a peer that does not deliver, is asked of
    another peer that announced it once the stall timeout passes; the staller is
    disconnected but not banned."""
    target = ServiceThread(tmp_path / "target", block_stall_timeout=0.5)
    try:
        feed(target, honest[:23])
        last = honest[23]
        with RawPeer(target.port, source="127.0.0.35") as a, RawPeer(target.port) as b:
            a.handshake(start_height=24)
            a.send(Headers((last.header,)))
            assert a.wait_for(GetData).items[0].hash == last.hash  # never answered
            b.handshake(start_height=24)
            b.send(Headers((last.header,)))
            serve(b, honest, b.wait_for(GetData, timeout=20))
            wait_until(lambda: target.height == 24, what="the block from B")
            assert a.closed_within(10)
        assert banned(target) == []
    finally:
        target.stop()


def test_received_block_waiting_for_the_chain_is_not_requested_again(
    tmp_path: Path, honest: list[Block]
) -> None:
    """A block received and queued for the chainstate (the worker is busy) is neither in
    flight nor stored yet: it must not be requested again from another peer."""
    target = ServiceThread(tmp_path / "target")
    cs = target.node.chainstate
    chain = honest[:20]
    headers = tuple(b.header for b in chain)
    try:
        with (RawPeer(target.port) as a, RawPeer(target.port) as b,
              RawPeer(target.port) as c):  # fmt: skip
            a.handshake(start_height=20)
            a.send(Headers(headers))
            a.wait_for(GetData)  # 1-16, never served
            b.handshake(start_height=20)
            b.send(Headers(headers))
            request_b = b.wait_for(GetData)  # 17-20
            c.handshake(start_height=20)
            c.sync()
            with cs.lock:
                serve(b, chain, request_b)  # the first is read and waits for the worker
                time.sleep(0.5)
                c.send(Inv.of(InvType.BLOCK, [chain[-1].hash]))
                again = [i.hash for m in c.sync() if isinstance(m, GetData) for i in m.items]
            assert again == []
    finally:
        target.stop()


def test_stored_block_that_fails_later_scores_its_sender(
    target: ServiceThread, honest: list[Block]
) -> None:
    """A liar's chain: honest blocks 1-2, then an invalid block 3 (valid header), then more
    headers so it has the most work. It sends block 3 first (stored: its parent is not
    here yet), then 1 and 2; block 3 fails only while block 2 is being processed, which
    itself is fine. The sender of block 3 is still banned (Core's mapBlockSource)."""
    bad = greedy(honest[2])
    chain = [honest[0].header, honest[1].header, bad.header, *extend_headers(bad.header, 30)]
    with RawPeer(target.port, source="127.0.0.36") as liar:
        liar.handshake(start_height=len(chain))
        liar.send(Headers(tuple(chain)))
        request = liar.wait_for(GetData)
        assert [i.hash for i in request.items[:3]] == [h.hash for h in chain[:3]]
        liar.send(BlockMessage(bad))
        liar.sync()
        assert target.height == 0
        liar.send(BlockMessage(honest[0]))
        liar.send(BlockMessage(honest[1]))
        assert liar.closed_within(10)
    assert banned(target) == ["127.0.0.36/32"]
    assert target.height == 2
    assert target.node.chainstate.entries[bad.hash].is_invalid


def test_staller_cannot_hide_behind_a_getdata_it_does_not_read(
    tmp_path: Path, honest: list[Block]
) -> None:
    """Time spent waiting for a peer to read our answer is its own doing, not our chain work:
    a staller that asks for a lot and stops reading is still caught stalling."""
    target = ServiceThread(tmp_path / "target", block_stall_timeout=0.5)
    try:
        feed(target, honest[:4])
        headers = tuple(b.header for b in honest)
        with RawPeer(target.port, source="127.0.0.37") as a, RawPeer(target.port) as b:
            a.handshake(start_height=24)
            a.send(Headers(headers))
            assert a.wait_for(GetData).items[0].hash == honest[4].hash  # never served
            a.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            a.send(GetData(tuple(InvItem(int(InvType.BLOCK), honest[3].hash)
                                 for _ in range(MAX_INV))))  # fmt: skip
            b.handshake(start_height=24)
            b.send(Headers(headers))
            serve_until(target, [b], honest, 24)
            assert "127.0.0.37" not in peers_by_ip(target)
        assert banned(target) == []
    finally:
        target.stop()
