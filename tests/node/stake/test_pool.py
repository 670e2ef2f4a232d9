"""TicketPool unit transitions: maturity, lottery, votes, misses, expiry, revocations,
slashes, price retarget, undo, encodings and the refusals of inconsistent input."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from node.stake.errors import (
    BadRevokeState,
    BadSlashEvidence,
    BadVoteTicket,
    DuplicateVote,
    RevokeLiveTicket,
    TicketPoolCorrupt,
    VotesBeforeSvh,
)
from node.stake.pool import (
    MemoryTicketStore,
    PoolInfo,
    PoolUndo,
    TicketPool,
    ticket_state_key,
    trie_changes,
)
from node.stake.price import next_ticket_price
from node.stake.tickets import Ticket, TicketState
from tests.node.stake.helpers import PARAMS, fill, pubkey

S = TicketState
M, E, SVH = PARAMS.ticket_maturity, PARAMS.ticket_expiry, PARAMS.stake_validation_height


def new_ticket(tag: str, height: int, price: int | None = None) -> Ticket:
    return Ticket(fill(tag), height, price or PARAMS.ticket_price_start, pubkey("k"), b"\x51")


def prev(h: int) -> bytes:
    return fill(f"block {h - 1}")


def advance(pool: TicketPool, to: int, **purchases_at: list[Ticket]) -> list[PoolUndo]:
    """Apply empty blocks (voting with every selected ticket) up to height `to`."""
    undos = []
    while pool.height < to:
        h = pool.height + 1
        sel = pool.selected_for(prev(h))
        buys = purchases_at.get(f"h{h}", [])
        undos.append(pool.apply_block(h, prev(h), buys, list(sel), [], []))
    return undos


def snapshot(store: MemoryTicketStore) -> tuple[dict[bytes, Ticket], PoolInfo | None]:
    return store.all_tickets(), store.get_info()


def fresh() -> tuple[TicketPool, MemoryTicketStore]:
    store = MemoryTicketStore()
    return TicketPool(store, PARAMS), store


def test_lifecycle_maturity_and_expiry() -> None:
    pool, store = fresh()
    t = new_ticket("t", 2)
    advance(pool, 1)
    pool.apply_block(2, prev(2), [t], [], [], [])
    assert store.get(t.ticket_id) == t
    advance(pool, 2 + M - 1)
    assert store.get(t.ticket_id).state is S.IMMATURE  # type: ignore[union-attr]
    advance(pool, 2 + M)
    assert store.get(t.ticket_id) == t.with_state(S.LIVE, 2 + M)
    assert list(store.live_ids()) == [t.ticket_id]
    advance(pool, SVH - 1)
    assert store.get(t.ticket_id).state is S.LIVE  # type: ignore[union-attr]
    # the only live ticket is drawn at SVH and (advance votes with every drawn ticket) votes
    advance(pool, SVH)
    assert store.get(t.ticket_id) == t.with_state(S.VOTED, SVH)
    assert store.live_count() == 0


def test_expiry_without_votes() -> None:
    params = dataclasses.replace(PARAMS, stake_validation_height=10**6)
    store = MemoryTicketStore()
    pool = TicketPool(store, params)
    t = new_ticket("t", 0)
    pool.apply_block(0, prev(0), [t], [], [], [])
    for h in range(1, M + E):
        pool.apply_block(h, prev(h), [], [], [], [])
    assert store.get(t.ticket_id).state is S.LIVE  # type: ignore[union-attr]
    pool.apply_block(M + E, prev(M + E), [], [], [], [])
    assert store.get(t.ticket_id) == t.with_state(S.EXPIRED, M + E)
    assert store.live_count() == 0


def _pool_with_live(n: int) -> tuple[TicketPool, MemoryTicketStore, list[Ticket]]:
    pool, store = fresh()
    tickets = [new_ticket(f"t{i}", 1) for i in range(n)]
    advance(pool, SVH - 1, h1=tickets)
    assert store.live_count() == n
    return pool, store, tickets


def test_votes_and_misses() -> None:
    pool, store, _ = _pool_with_live(10)
    sel = pool.selected_for(prev(SVH))
    assert len(sel) == 5
    undo = pool.apply_block(SVH, prev(SVH), [], [sel[3], sel[0], sel[4]], [], [])
    states = {tid: store.get(tid).state for tid in sel}  # type: ignore[union-attr]
    assert [states[t] for t in sel] == [S.VOTED, S.MISSED, S.MISSED, S.VOTED, S.VOTED]
    assert store.live_count() == 5
    assert set(undo.touched_ids) == set(sel)
    assert all(store.get(t).state_height == SVH for t in sel)  # type: ignore[union-attr]


def test_refusals_leave_the_store_unchanged() -> None:
    pool, store, tickets = _pool_with_live(10)
    before = snapshot(store)
    sel = pool.selected_for(prev(SVH))
    unselected = next(t.ticket_id for t in tickets if t.ticket_id not in sel)
    cases: list[tuple[type[Exception], dict[str, list[Any]]]] = [
        (BadVoteTicket, {"votes": [sel[0], unselected]}),
        (DuplicateVote, {"votes": [sel[0], sel[1], sel[0]]}),
        (RevokeLiveTicket, {"revocations": [tickets[0].ticket_id]}),
        (BadRevokeState, {"revocations": [fill("nope")]}),
        (BadSlashEvidence, {"slashes": [fill("nope")]}),
        (TicketPoolCorrupt, {"purchases": [new_ticket("late", SVH - 3)]}),
        (TicketPoolCorrupt, {"purchases": [tickets[0].with_state(S.IMMATURE, 1)]}),
    ]
    for error, kw in cases:
        args = {"purchases": [], "votes": [], "revocations": [], "slashes": []} | kw
        with pytest.raises(error):
            pool.apply_block(SVH, prev(SVH), **args)
        assert snapshot(store) == before, error
    with pytest.raises(TicketPoolCorrupt):
        pool.apply_block(SVH + 1, prev(SVH), [], [], [], [])


def test_votes_before_svh_refused() -> None:
    pool, _ = fresh()
    advance(pool, 5)
    with pytest.raises(VotesBeforeSvh):
        pool.apply_block(6, prev(6), [], [fill("x")], [], [])


def test_revocation_and_slash_then_undo() -> None:
    pool, store, tickets = _pool_with_live(10)
    sel = pool.selected_for(prev(SVH))
    pool.apply_block(SVH, prev(SVH), [], list(sel[:3]), [], [])
    missed = sel[3]
    before = snapshot(store)
    live_victim = next(t.ticket_id for t in tickets if t.ticket_id not in sel)
    h = SVH + 1
    s2 = pool.selected_for(prev(h))
    undo = pool.apply_block(h, prev(h), [], list(s2), [missed], [live_victim, sel[0]])
    assert store.get(missed) == before[0][missed].with_state(S.REVOKED, h)
    assert store.get(live_victim) is None
    assert store.get(sel[0]) is None
    assert undo.slashed == (live_victim, sel[0])
    changes = dict(trie_changes(undo, store))
    assert changes[ticket_state_key(live_victim)] is None
    assert changes[ticket_state_key(missed)] == store.get(missed).serialize()  # type: ignore[union-attr]
    keys = [k for k, _ in trie_changes(undo, store)]
    assert keys == sorted(keys)
    again = PoolUndo.deserialize(undo.serialize())
    assert again == undo
    pool.undo_block(again)
    assert snapshot(store) == before
    with pytest.raises(TicketPoolCorrupt):
        pool.undo_block(undo)  # not the pool's last block any more


def test_double_revocation_in_one_block() -> None:
    pool, _store, _ = _pool_with_live(10)
    sel = pool.selected_for(prev(SVH))
    pool.apply_block(SVH, prev(SVH), [], list(sel[:3]), [], [])
    with pytest.raises(BadRevokeState):
        pool.apply_block(SVH + 1, prev(SVH + 1), [], [], [sel[3], sel[3]], [])
    with pytest.raises(BadSlashEvidence):  # revoked and slashed in one block
        pool.apply_block(SVH + 1, prev(SVH + 1), [], [], [sel[3]], [sel[3]])


def test_price_retarget_on_window_end() -> None:
    pool, _store, _ = _pool_with_live(30)
    # bought at 1, LIVE from 1 + M = 9: windows end at 9, 19, 29, 39 with 30 live each
    price = PARAMS.ticket_price_start
    for _ in range(4):
        price = next_ticket_price(price, 30, PARAMS)
    assert price == 110_381_288  # 1 RUST x 1.025^4, floored at each step
    assert pool.next_price() == price
    pool.apply_block(SVH, prev(SVH), [], list(pool.selected_for(prev(SVH))), [], [])
    assert pool.next_price() == price  # 40 does not close a window


def test_encodings() -> None:
    info = PoolInfo(-1, 5)
    assert info.serialize() == b"\x00\x05"
    assert PoolInfo.deserialize(info.serialize()) == info
    undo = PoolUndo(7, info, ((fill("a"), None), (fill("b"), new_ticket("b", 3))), (fill("a"),))
    assert PoolUndo.deserialize(undo.serialize()) == undo
    raw = bytearray(undo.serialize())
    raw[1 + 2 + 1 + 32] = 2  # first present flag
    with pytest.raises(TicketPoolCorrupt):
        PoolUndo.deserialize(bytes(raw))
    with pytest.raises(ValueError, match="32 bytes"):
        ticket_state_key(b"short")


def test_fresh_pool_info() -> None:
    pool, _ = fresh()
    assert pool.info == PoolInfo(-1, PARAMS.ticket_price_start)
    assert pool.selected_for(prev(0)) == ()
