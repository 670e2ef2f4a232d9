"""Transaction relay against a raw peer: trickled inv of a new mempool transaction, getdata
and notfound, the `mempool` message, feefilter, fetching an announced transaction, and the
score for an unrequested one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.p2p import info
from node.p2p.messages import (
    FeeFilter,
    GetData,
    Inv,
    InvItem,
    MempoolRequest,
    NotFound,
    Ping,
    Pong,
    TxMessage,
)
from node.p2p.protocol import InvType
from node.types.tx import Tx
from tests.node.chain.helpers import SCRIPT, spend, spendable
from tests.node.p2p.harness import ServiceThread, wait_until
from tests.node.p2p.rawpeer import RawPeer


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[ServiceThread]:
    s = ServiceThread(tmp_path / "node")
    s.mine(14)
    yield s
    s.stop()


def make_txs(s: ServiceThread, count: int) -> list[Tx]:
    cs = s.node.chainstate
    with cs.lock:
        coins = spendable(cs)[:count]
    return [spend([c], [(c[1].value - 10_000, SCRIPT)]) for c in coins]


def tx_inv(peer: RawPeer) -> tuple[InvItem, ...]:
    """The next inv of transactions (block announcements skipped)."""
    while True:
        items = tuple(i for i in peer.wait_for(Inv).items if i.type == InvType.TX)
        if items:
            return items


def test_tx_announce_getdata_mempool_feefilter(svc: ServiceThread) -> None:
    pool = svc.node.mempool
    assert pool is not None
    first, second, third = make_txs(svc, 3)
    with RawPeer(svc.port) as peer:
        peer.handshake()
        assert peer.wait_for(FeeFilter).feerate > 0
        pool.accept(first)
        assert tx_inv(peer) == (InvItem(int(InvType.TX), first.txid),)
        peer.send(GetData((InvItem(int(InvType.TX), first.txid), InvItem(1, b"\x01" * 32))))
        assert peer.wait_for(TxMessage).tx == first
        assert peer.wait_for(NotFound).items == (InvItem(1, b"\x01" * 32),)
        peer.send(MempoolRequest())
        assert tx_inv(peer) == (InvItem(int(InvType.TX), first.txid),)
        # a feefilter above the transaction's feerate silences its announcement
        peer.send(FeeFilter(10**12))
        peer.send(Ping(8))
        peer.wait_for(Pong)
        seen = len(peer.received)
        pool.accept(second)
        time.sleep(0.5)  # ten mean trickle intervals
        peer.send(Ping(9))
        peer.wait_for(Pong)
        announced = [i.hash for m in peer.received[seen:] if isinstance(m, Inv) for i in m.items]
        assert second.txid not in announced
        assert second.txid in pool
        # the node fetches a transaction the peer announces
        peer.send(Inv.of(InvType.TX, [third.txid]))
        request = peer.wait_for(GetData)
        assert request.items == (InvItem(int(InvType.TX), third.txid),)
        peer.send(TxMessage(third))
        wait_until(lambda: third.txid in pool, what="the announced tx in the pool")
        assert svc.call(info.getnetworkinfo)["txrelay"]["accepted_from_peers"] == 1


def test_unrequested_tx_is_scored(svc: ServiceThread) -> None:
    [tx] = make_txs(svc, 1)
    with RawPeer(svc.port, source="127.0.0.3") as peer:
        peer.handshake()
        peer.send(TxMessage(tx))
        wait_until(lambda: [p["banscore"] for p in svc.call(info.getpeerinfo)] == [20],
                   what="banscore 20")  # fmt: skip
    assert svc.node.mempool is not None
    assert tx.txid not in svc.node.mempool
