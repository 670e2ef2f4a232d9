"""Hostile relay traffic on a live service: inventories at the size limit, more announced
transactions than a peer may have requested from it, getdata floods from a peer that reads
slowly, and honest rejections that must not be scored (a ticket price that changed with our
tip). Also: inventory handling never blocks the event loop on the chainstate lock."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.crypto.schnorr import pubkey_from_secret
from node.p2p import info
from node.p2p.frame import decode_header
from node.p2p.messages import (
    Addr,
    GetData,
    GetHeaders,
    Headers,
    Inv,
    InvItem,
    NotFound,
    TxMessage,
    VoteMessage,
)
from node.p2p.netaddr import PeerAddress
from node.p2p.peer import MAX_REQUESTED_TXS as MAX_PEER_TX_REQUESTS
from node.p2p.protocol import HEADER_LEN, MAX_ADDR, MAX_INV, InvType
from node.p2p.txrelay import vote_id
from node.script import PrecomputedTxData, sign_input
from node.script.templates import p2pkh_script_sig
from node.stake.chainrules import read_pool
from node.stake.votes import RelayedVote
from node.storage.records import Coin
from node.types.block import TicketVote
from node.types.codec import encode_compact_size
from node.types.payloads import TicketPurchasePayload
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType
from tests.node.chain.helpers import SCRIPT, SECRET, spend, spendable
from tests.node.p2p.harness import ServiceThread, wait_until
from tests.node.p2p.rawpeer import RawPeer


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[ServiceThread]:
    s = ServiceThread(tmp_path / "node")
    s.mine(14)
    yield s
    s.stop()


def scores(s: ServiceThread) -> dict[str, int]:
    return {p["addr"].split(":")[0]: p["banscore"] for p in s.call(info.getpeerinfo)}


def ready(peer: RawPeer) -> None:
    """Handshake and answer the node's first getheaders (so it may ask again)."""
    peer.handshake()
    peer.wait_for(GetHeaders)
    peer.send(Headers(()))
    peer.sync()


def requested(messages: list[object]) -> list[bytes]:
    return [i.hash for m in messages if isinstance(m, GetData) for i in m.items]


def coins(s: ServiceThread, count: int) -> list[tuple[OutPoint, Coin]]:
    cs = s.node.chainstate
    with cs.lock:
        return spendable(cs)[:count]


def test_inv_of_many_unknown_blocks_asks_for_headers_once(svc: ServiceThread) -> None:
    """Core answers a block inv with at most one getheaders (for the last unknown block),
    and not again while that one is unanswered: an inv of 50,000 hashes must not make the
    node send 50,000 locators."""
    with RawPeer(svc.port, source="127.0.0.20") as peer:
        ready(peer)
        hashes = [os.urandom(32) for _ in range(1000)]
        peer.send(Inv.of(InvType.BLOCK, hashes))
        got = [m for m in peer.sync() if isinstance(m, GetHeaders)]
        assert len(got) == 1
        assert got[0].stop_hash == hashes[-1]
        peer.send(Inv.of(InvType.BLOCK, [os.urandom(32)]))
        assert not [m for m in peer.sync() if isinstance(m, GetHeaders)], "one outstanding"
        peer.send(Headers(()))
        peer.send(Inv.of(InvType.BLOCK, [os.urandom(32)]))
        assert len([m for m in peer.sync() if isinstance(m, GetHeaders)]) == 1
        assert scores(svc) == {"127.0.0.20": 0}


def test_requests_to_one_peer_are_bounded_and_answers_never_unrequested(
    svc: ServiceThread,
) -> None:
    """A peer announcing more transactions than we track per peer: the node asks for at most
    MAX_PEER_TX_REQUESTS of them, and every answer to a request is accepted (none is
    forgotten and then scored as unrequested)."""
    [coin] = coins(svc, 1)
    tx = spend([coin], [(coin[1].value - 10_000, SCRIPT)])
    junk = [os.urandom(32) for _ in range(MAX_PEER_TX_REQUESTS + 500)]
    with RawPeer(svc.port, source="127.0.0.21") as peer:
        ready(peer)
        peer.send(Inv.of(InvType.TX, [tx.txid, *junk]))
        asked = requested(peer.sync())
        assert tx.txid in asked
        assert len(asked) <= MAX_PEER_TX_REQUESTS
        peer.send(TxMessage(tx))
        peer.sync()
        assert svc.node.mempool is not None
        wait_until(lambda: tx.txid in svc.node.mempool, what="the requested tx accepted")
        assert scores(svc) == {"127.0.0.21": 0}


def test_one_peer_cannot_fill_the_request_table(svc: ServiceThread) -> None:
    """Three full invs of unknown txids from one peer must not stop the node from asking an
    honest peer for the transaction it announces."""
    [coin] = coins(svc, 1)
    tx = spend([coin], [(coin[1].value - 10_000, SCRIPT)])
    with RawPeer(svc.port, source="127.0.0.22") as spammer, RawPeer(svc.port) as honest:
        ready(spammer)
        ready(honest)
        for _ in range(3):
            spammer.send(Inv.of(InvType.TX, [os.urandom(32) for _ in range(MAX_INV)]))
        spammer.sync(timeout=60)
        honest.send(Inv.of(InvType.TX, [tx.txid]))
        assert tx.txid in requested(honest.sync())


def _sign(tx: Tx, spent: list[Coin]) -> Tx:
    pre = PrecomputedTxData.from_tx(tx)
    pub = pubkey_from_secret(SECRET)
    witnesses = tuple(
        p2pkh_script_sig(sign_input(SECRET, tx, i, TxOut(c.value, c.script_pubkey),
                                    precomputed=pre, aux_rand=bytes(32)), pub)
        for i, c in enumerate(spent)
    )  # fmt: skip
    return dataclasses.replace(tx, witnesses=witnesses)


def ticket_purchase(s: ServiceThread, coin: tuple[OutPoint, Coin], stake: int) -> Tx:
    payload = TicketPurchasePayload(pubkey_from_secret(SECRET), SCRIPT).serialize()
    fee = 10_000
    tx = Tx(1, TxType.TICKET_PURCHASE, (TxIn(coin[0], 0xFFFFFFFF),),
            (TxOut(stake, SCRIPT), TxOut(coin[1].value - stake - fee, SCRIPT)), 0, payload,
            (b"",))  # fmt: skip
    return _sign(tx, [coin[1]])


def test_ticket_at_another_tips_price_is_not_scored(svc: ServiceThread) -> None:
    """A ticket purchase paying the price of the peer's tip (a new price window it reached
    before us) fails our stake rules with a consensus reason, but an honest peer sends it:
    it is rejected without a score (Core does not punish what depends on the chain tip)."""
    cs = svc.node.chainstate
    with read_pool(cs.db, cs.params) as pool:
        price = pool.next_price()
    [coin] = coins(svc, 1)
    tx = ticket_purchase(svc, coin, price + 1)
    pool = svc.node.mempool
    assert pool is not None
    with RawPeer(svc.port, source="127.0.0.23") as peer:
        ready(peer)
        peer.send(Inv.of(InvType.TX, [tx.txid]))
        assert tx.txid in requested(peer.sync())
        peer.send(TxMessage(tx))
        peer.sync()
        assert tx.txid not in pool
        assert scores(svc) == {"127.0.0.23": 0}
    assert svc.call(info.listbanned) == []


def test_getdata_beyond_the_send_buffer_is_served_as_the_peer_reads(tmp_path: Path) -> None:
    """A getdata answer larger than the send buffer: the node pauses serving while the peer
    does not read (its buffer stays bounded) and finishes once it reads (Core's
    fPauseSend), instead of dropping a peer that is merely slower than loopback."""
    s = ServiceThread(tmp_path / "node", max_send_buffer=6 * 1024 * 1024)
    try:
        s.mine(14)
        [coin] = coins(s, 1)
        outputs = [(1000 + i, SCRIPT) for i in range(300)]
        change = coin[1].value - sum(v for v, _ in outputs) - 200_000
        tx = spend([coin], [(change, SCRIPT), *outputs])
        assert s.node.mempool is not None
        s.node.mempool.accept(tx)
        copies = 2000
        frame_size = HEADER_LEN + len(tx.serialize())
        with RawPeer(s.port, source="127.0.0.24") as peer:
            ready(peer)
            peer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            peer.send(GetData(tuple(InvItem(int(InvType.TX), tx.txid) for _ in range(copies))))
            stop = threading.Event()
            highest = [0]

            def watch() -> None:
                while not stop.wait(0.05):
                    sizes = [p.send_buffer_size() for p in s.svc.peers.values()]
                    highest[0] = max([highest[0], *sizes])

            watcher = threading.Thread(target=watch)
            watcher.start()
            try:
                stop.wait(1.5)  # the peer reads nothing for a while
                got = count_frames(peer, "tx", copies)
            finally:
                stop.set()
                watcher.join()
            assert got == copies
            assert highest[0] <= 4 * 1024 * 1024 + 2 * frame_size
    finally:
        s.stop()


def count_frames(peer: RawPeer, command: str, wanted: int) -> int:
    """Read raw frames (without decoding payloads) until `wanted` frames of `command`."""
    buf = bytearray(peer.buf)
    pos = 0
    count = 0
    peer.sock.settimeout(30)
    while count < wanted:
        while len(buf) - pos >= HEADER_LEN:
            header = decode_header(peer.magic, bytes(buf[pos : pos + HEADER_LEN]))
            end = pos + HEADER_LEN + header.length
            if end > len(buf):
                break
            count += header.command == command
            pos = end
        if count >= wanted:
            break
        del buf[:pos]
        pos = 0
        data = peer.sock.recv(1 << 20)
        if not data:
            break
        buf += data
    return count


def test_inv_never_blocks_the_loop_on_the_chainstate_lock(svc: ServiceThread) -> None:
    """While another thread holds `cs.lock` (a long reorg) with the mempool waiting to
    resync, a transaction inv is handled without the event loop taking the lock: other
    peers still get answers."""
    cs = svc.node.chainstate
    with RawPeer(svc.port, source="127.0.0.25") as announcer, RawPeer(svc.port) as other:
        ready(announcer)
        ready(other)
        with cs.lock:
            cs.invalidate_block(cs.tip.hash)  # disconnects a block: the pool must resync
            announcer.send(Inv.of(InvType.TX, [os.urandom(32)]))
            time.sleep(0.5)  # let the node read the inv first
            other.sync(timeout=10)
        wait_until(lambda: svc.height == 13, what="the invalidation")


def test_lists_at_the_limit_are_served_and_above_it_scored(svc: ServiceThread) -> None:
    """inv/getdata of 50,000 items and addr of 1,000 are handled without a score (getdata of
    unknown items gets one notfound); one item more is a malformed message (50)."""
    with RawPeer(svc.port, source="127.0.0.26") as peer:
        ready(peer)
        unknown = tuple(InvItem(int(InvType.TX), os.urandom(32)) for _ in range(MAX_INV))
        peer.send(GetData(unknown))
        [notfound] = [m for m in peer.sync(timeout=30) if isinstance(m, NotFound)]
        assert len(notfound.items) == MAX_INV
        peer.send(Inv(tuple(InvItem(99, os.urandom(32)) for _ in range(MAX_INV))))
        now = int(time.time())
        peer.send(Addr(tuple(PeerAddress(ipaddress.ip_address(f"10.{i // 250}.{i % 250}.1"),
                                         29737, 1, now) for i in range(MAX_ADDR))))  # fmt: skip
        peer.sync(timeout=30)
        assert scores(svc) == {"127.0.0.26": 0}
        peer.send_frame("inv", encode_compact_size(MAX_INV + 1) + bytes(36))
        peer.sync()
        assert scores(svc) == {"127.0.0.26": 50}
        peer.send_frame("addr", encode_compact_size(MAX_ADDR + 1) + bytes(30))
        assert peer.closed_within(10)
    assert [e["address"] for e in svc.call(info.listbanned)] == ["127.0.0.26/32"]


def test_policy_rejects_and_orphans_are_not_scored(svc: ServiceThread) -> None:
    """A transaction below the minimum relay fee is refused without a score (policy, not
    consensus); an orphan makes the node ask the same peer for its parent."""
    first, second = coins(svc, 2)
    cheap = spend([first], [(first[1].value, SCRIPT)])  # no fee at all
    parent = spend([second], [(second[1].value - 10_000, SCRIPT)])
    child = spend([(OutPoint(parent.txid, 0), Coin(parent.outputs[0].value, SCRIPT, 15, False))],
                  [(parent.outputs[0].value - 10_000, SCRIPT)])  # fmt: skip
    pool = svc.node.mempool
    assert pool is not None
    with RawPeer(svc.port, source="127.0.0.27") as peer:
        ready(peer)
        peer.send(Inv.of(InvType.TX, [cheap.txid, child.txid]))
        assert set(requested(peer.sync())) == {cheap.txid, child.txid}
        peer.send(TxMessage(cheap))
        peer.send(TxMessage(child))
        assert requested(peer.sync()) == [parent.txid]
        peer.send(TxMessage(parent))
        peer.sync()
        wait_until(lambda: child.txid in pool and parent.txid in pool, what="parent and child")
        assert cheap.txid not in pool
        assert scores(svc) == {"127.0.0.27": 0}


def test_vote_for_the_previous_tip_is_not_scored(svc: ServiceThread) -> None:
    """A vote for the block before our tip (the peer signed it before the new block reached
    it: a race) is ignored without a score; a vote nobody asked for scores 20."""
    previous = svc.node.chainstate.tip.parent
    assert previous is not None
    late = RelayedVote(previous.hash, TicketVote(os.urandom(32), 1, os.urandom(64)))
    with RawPeer(svc.port, source="127.0.0.28") as peer:
        ready(peer)
        peer.send(Inv.of(InvType.VOTE, [vote_id(late)]))
        assert requested(peer.sync()) == [vote_id(late)]
        peer.send(VoteMessage(late))
        peer.sync()
        assert scores(svc) == {"127.0.0.28": 0}
        peer.send(VoteMessage(RelayedVote(previous.hash, TicketVote(os.urandom(32), 1,
                                                                    os.urandom(64)))))  # fmt: skip
        peer.sync()
        assert scores(svc) == {"127.0.0.28": 20}
