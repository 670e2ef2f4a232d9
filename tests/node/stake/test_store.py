"""The TicketStore contract, run against MemoryTicketStore and LmdbTicketStore alike; the
DB_TICKETS key builders; LmdbTicketStore's refusals (wrong view, read-only, damaged values,
indexes out of step); and the long stake scenario of test_scenario.py replayed on a real
ChainDB (one write transaction per block, undo back to the fork point, a second branch),
compared with a MemoryTicketStore run at every height.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from node.stake.errors import BadVoteTicket
from node.stake.pool import MemoryTicketStore, PoolInfo, PoolUndo, TicketPool, trie_changes
from node.stake.store import LmdbTicketStore
from node.stake.tickets import Ticket, TicketState
from node.storage.env import ChainDB
from node.storage.errors import CorruptRecord, InvalidKey, ReadOnlyError, StorageError
from node.storage.schema import (
    DB_TICKETS,
    DB_UTXO,
    TICKET_POOL_INFO_KEY,
    state_ticket_key,
    ticket_id_from_live_key,
    ticket_id_from_record_key,
    ticket_live_key,
    ticket_purchase_key,
    ticket_purchase_key_parts,
    ticket_purchase_prefix,
    ticket_record_key,
)
from node.storage.txn import WriteTxn
from tests.node.stake.helpers import PARAMS, fill, ticket
from tests.node.stake.test_scenario import FORK, HEIGHTS, BlockInput, Reference, make_block

S = TicketState
Store = MemoryTicketStore | LmdbTicketStore
Run = Callable[[Callable[[Store], Any]], Any]


@pytest.fixture
def chain_db(tmp_path: Path) -> Iterator[ChainDB]:
    with ChainDB.open(tmp_path / "chain.lmdb", network="regtest", sync=False) as db:
        yield db


@pytest.fixture(params=["memory", "lmdb"])
def run(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Run]:
    """``run(fn)`` calls ``fn(store)``; for LMDB each call is its own committed write
    transaction, so the contract also covers persistence between transactions."""
    if request.param == "memory":
        mem = MemoryTicketStore()
        yield lambda fn: fn(mem)
        return
    with ChainDB.open(tmp_path / "chain.lmdb", network="regtest", sync=False) as db:
        yield lambda fn: db.write(lambda txn: fn(LmdbTicketStore(txn.kv(DB_TICKETS))))


# --------------------------------------------------------------------------- the contract


def test_put_get_replace_delete(run: Run) -> None:
    a = ticket("a", state=S.IMMATURE, purchase_height=5)
    assert run(lambda s: s.get(a.ticket_id)) is None
    run(lambda s: s.put(a))
    assert run(lambda s: s.get(a.ticket_id)) == a
    voted = a.with_state(S.VOTED, 30)
    run(lambda s: s.put(voted))
    assert run(lambda s: s.get(a.ticket_id)) == voted
    run(lambda s: s.delete(a.ticket_id))
    assert run(lambda s: s.get(a.ticket_id)) is None
    run(lambda s: s.delete(a.ticket_id))  # deleting a missing id is a no-op
    run(lambda s: s.delete(fill("never stored")))
    assert run(lambda s: s.get(a.ticket_id)) is None


def test_live_index_follows_state(run: Run) -> None:
    tickets = [ticket(f"t{i}", state=S.IMMATURE, purchase_height=i % 3) for i in range(12)]
    for t in tickets:
        run(lambda s, t=t: s.put(t))
    assert run(lambda s: s.live_count()) == 0
    assert list(run(lambda s: list(s.live_ids()))) == []
    live = [t.with_state(S.LIVE, 20) for t in tickets[:7]]
    for t in live:
        run(lambda s, t=t: s.put(t))
    want = sorted(t.ticket_id for t in live)
    assert sorted(run(lambda s: list(s.live_ids()))) == want
    assert run(lambda s: s.live_count()) == 7
    # leaving LIVE (vote, miss, expiry) or removal drops the id from the LIVE set
    run(lambda s: s.put(live[0].with_state(S.VOTED, 21)))
    run(lambda s: s.put(live[1].with_state(S.MISSED, 21)))
    run(lambda s: s.put(live[2].with_state(S.EXPIRED, 21)))
    run(lambda s: s.delete(live[3].ticket_id))
    run(lambda s: s.put(live[4]))  # re-putting a LIVE ticket keeps one entry
    left = sorted(t.ticket_id for t in live[4:])
    assert sorted(run(lambda s: list(s.live_ids()))) == left
    assert run(lambda s: s.live_count()) == 3


def test_purchased_at_index(run: Run) -> None:
    by_height: dict[int, list[Ticket]] = {h: [] for h in (0, 1, 255, 256, 2**40)}
    for h, lst in by_height.items():
        for i in range(3):
            t = ticket(f"h{h}/{i}", state=S.IMMATURE, purchase_height=h)
            lst.append(t)
            run(lambda s, t=t: s.put(t))
    for h, lst in by_height.items():
        got = run(lambda s, h=h: sorted(s.purchased_at(h)))
        assert got == sorted(t.ticket_id for t in lst), h
    assert list(run(lambda s: list(s.purchased_at(2)))) == []
    # state changes keep the entry; delete removes it; a replaced purchase height moves it
    run(lambda s: s.put(by_height[1][0].with_state(S.LIVE, 9)))
    run(lambda s: s.delete(by_height[1][1].ticket_id))
    moved = ticket("h1/2", state=S.IMMATURE, purchase_height=7)
    assert moved.ticket_id == by_height[1][2].ticket_id
    run(lambda s: s.put(moved))
    assert run(lambda s: list(s.purchased_at(1))) == [by_height[1][0].ticket_id]
    assert run(lambda s: list(s.purchased_at(7))) == [moved.ticket_id]


def test_info_round_trip(run: Run) -> None:
    assert run(lambda s: s.get_info()) is None
    run(lambda s: s.put_info(PoolInfo(-1, 5)))
    assert run(lambda s: s.get_info()) == PoolInfo(-1, 5)
    run(lambda s: s.put_info(PoolInfo(2**40, 2**62)))
    assert run(lambda s: s.get_info()) == PoolInfo(2**40, 2**62)


def test_pool_refusal_rolls_back_on_either_store(run: Run) -> None:
    live = [
        ticket(f"l{i}", purchase_height=0, state_height=PARAMS.ticket_maturity) for i in range(9)
    ]
    for t in live:
        run(lambda s, t=t: s.put(t))
    svh = PARAMS.stake_validation_height
    run(lambda s: s.put_info(PoolInfo(svh - 1, PARAMS.ticket_price_start)))
    prev = fill("prev")
    chosen = run(lambda s: TicketPool(s, PARAMS).selected_for(prev))
    outsider = next(t.ticket_id for t in live if t.ticket_id not in chosen)
    new = ticket("new", state=S.IMMATURE, purchase_height=svh)

    def bad_block(s: Store) -> None:
        TicketPool(s, PARAMS).apply_block(svh, prev, [new], [outsider], [], [])

    with pytest.raises(BadVoteTicket):
        run(bad_block)
    assert run(lambda s: s.get(new.ticket_id)) is None
    assert run(lambda s: sorted(s.live_ids())) == sorted(t.ticket_id for t in live)
    assert run(lambda s: s.get_info()) == PoolInfo(svh - 1, PARAMS.ticket_price_start)


# --------------------------------------------------------------------------- schema keys


def test_ticket_keys_layout_and_inverses() -> None:
    tid = fill("id")
    assert ticket_record_key(tid) == b"t" + tid
    assert ticket_live_key(tid) == b"l" + tid
    assert ticket_purchase_key(0x0102, tid) == b"p" + bytes.fromhex("0000000000000102") + tid
    assert ticket_purchase_prefix(0x0102) == ticket_purchase_key(0x0102, tid)[:9]
    assert TICKET_POOL_INFO_KEY == b"i"
    assert ticket_id_from_record_key(ticket_record_key(tid)) == tid
    assert ticket_id_from_live_key(ticket_live_key(tid)) == tid
    assert ticket_purchase_key_parts(ticket_purchase_key(2**64 - 1, tid)) == (2**64 - 1, tid)
    # numeric order of heights is byte order of keys
    heights = [0, 1, 255, 256, 65535, 2**32, 2**64 - 1]
    keys = [ticket_purchase_key(h, tid) for h in heights]
    assert sorted(keys) == keys


@pytest.mark.parametrize(
    "build",
    [
        lambda: ticket_record_key(bytes(31)),
        lambda: ticket_live_key(bytes(33)),
        lambda: ticket_record_key(bytearray(32)),
        lambda: ticket_purchase_key(-1, bytes(32)),
        lambda: ticket_purchase_key(2**64, bytes(32)),
        lambda: ticket_purchase_key(True, bytes(32)),
        lambda: ticket_purchase_prefix(-5),
        lambda: ticket_id_from_record_key(b"l" + bytes(32)),
        lambda: ticket_id_from_record_key(b"t" + bytes(31)),
        lambda: ticket_id_from_live_key(b"t" + bytes(32)),
        lambda: ticket_purchase_key_parts(b"p" + bytes(39)),
        lambda: ticket_purchase_key_parts(b"t" + bytes(40)),
    ],
)
def test_ticket_keys_refuse_bad_input(build: Callable[[], object]) -> None:
    with pytest.raises(InvalidKey):
        build()


# --------------------------------------------------------------------------- LMDB refusals


def test_lmdb_store_refuses_other_views_and_read_only_writes(chain_db: ChainDB) -> None:
    with chain_db.read() as r:
        with pytest.raises(StorageError, match="tickets"):
            LmdbTicketStore(r.kv(DB_UTXO))
        ro = LmdbTicketStore(r.kv(DB_TICKETS))
        assert ro.get(fill("x")) is None
        with pytest.raises(ReadOnlyError):
            ro.put(ticket("x"))
        with pytest.raises(ReadOnlyError):
            ro.put_info(PoolInfo(0, 1))
    with pytest.raises(InvalidKey):
        chain_db.write(lambda w: LmdbTicketStore(w.kv(DB_TICKETS)).get(bytes(31)))


def test_lmdb_aborted_transaction_leaves_no_trace(chain_db: ChainDB) -> None:
    a = ticket("a")

    def put_then_fail(w: WriteTxn) -> None:
        LmdbTicketStore(w.kv(DB_TICKETS)).put(a)
        raise RuntimeError("a later block check failed")

    with pytest.raises(RuntimeError):
        chain_db.write(put_then_fail)
    with chain_db.read() as r:
        store = LmdbTicketStore(r.kv(DB_TICKETS))
        assert store.get(a.ticket_id) is None
        assert store.live_count() == 0
        assert r.kv(DB_TICKETS).count() == 0


def _damage(chain_db: ChainDB, key: bytes, value: bytes | None) -> None:
    def fn(w: WriteTxn) -> None:
        kv = w.kv(DB_TICKETS)
        if value is None:
            kv.delete(key)
        else:
            kv.put(key, value)

    chain_db.write(fn)


def test_lmdb_damaged_values_raise_corrupt_record(chain_db: ChainDB) -> None:
    a, b = ticket("a"), ticket("b")
    chain_db.write(lambda w: LmdbTicketStore(w.kv(DB_TICKETS)).put(a))
    _damage(chain_db, ticket_record_key(a.ticket_id), a.serialize()[:-1])  # truncated
    _damage(chain_db, ticket_record_key(b.ticket_id), a.serialize())  # another id's record
    _damage(chain_db, TICKET_POOL_INFO_KEY, PoolInfo(3, 4).serialize() + b"\x00")
    with chain_db.read() as r:
        store = LmdbTicketStore(r.kv(DB_TICKETS))
        for what, call in (
            ("a", lambda: store.get(a.ticket_id)),
            ("b", lambda: store.get(b.ticket_id)),
            ("info", store.get_info),
            ("all", store.all_tickets),
        ):
            with pytest.raises(CorruptRecord) as exc:
                call()
            assert exc.value.db == DB_TICKETS, what
        with pytest.raises(CorruptRecord) as exc:
            store.get(b.ticket_id)
        assert exc.value.key == ticket_record_key(b.ticket_id)
        assert "another id" in str(exc.value)


@pytest.mark.parametrize(
    ("key_of", "value"),
    [
        (ticket_live_key, None),  # a LIVE ticket missing from the LIVE index
        (lambda tid: ticket_live_key(fill("ghost")), b""),  # a LIVE entry without a record
        (lambda tid: ticket_purchase_key(10, tid), None),  # record without purchase entry
        (lambda tid: ticket_purchase_key(11, tid), b""),  # purchase entry at a wrong height
    ],
)
def test_lmdb_verify_catches_indexes_out_of_step(
    chain_db: ChainDB, key_of: Callable[[bytes], bytes], value: bytes | None
) -> None:
    a = ticket("a", purchase_height=10)
    chain_db.write(lambda w: LmdbTicketStore(w.kv(DB_TICKETS)).put(a))
    with chain_db.read() as r:
        LmdbTicketStore(r.kv(DB_TICKETS)).verify()  # consistent before the damage
    _damage(chain_db, key_of(a.ticket_id), value)
    with chain_db.read() as r, pytest.raises(CorruptRecord, match="index"):
        LmdbTicketStore(r.kv(DB_TICKETS)).verify()


# --------------------------------------------------------------------------- long scenario


def _apply(pool: TicketPool, b: BlockInput) -> PoolUndo:
    return pool.apply_block(b.height, b.prev_hash, b.purchases, b.votes, b.revocations, b.slashes)


class _Twin:
    """The same chain on a MemoryTicketStore and on LMDB (one write transaction per block).

    After every block (connect or disconnect) the whole DB_TICKETS sub-database must equal,
    byte for byte, the image the documented layout gives for the memory store's state; the
    image is kept up to date from each block's touched ids. Every CHECK_EVERY heights the
    decoded records are compared as well and the indexes verified.
    """

    CHECK_EVERY = 25

    def __init__(self, db: ChainDB) -> None:
        self.db = db
        self.mem = MemoryTicketStore()
        self.mem_pool = TicketPool(self.mem, PARAMS)
        self.undos: list[bytes] = []  # serialized LMDB undos, as the chain would store them
        self.image: dict[bytes, bytes] = {}
        self.imaged: dict[bytes, Ticket] = {}

    def _update_image(self, touched: tuple[bytes, ...]) -> None:
        img = self.image
        for tid in touched:
            old = self.imaged.pop(tid, None)
            if old is not None:
                del img[b"t" + tid], img[b"p" + old.purchase_height.to_bytes(8, "big") + tid]
                img.pop(b"l" + tid, None)
            new = self.mem.get(tid)
            if new is not None:
                self.imaged[tid] = new
                img[b"t" + tid] = new.serialize()
                img[b"p" + new.purchase_height.to_bytes(8, "big") + tid] = b""
                if new.state is S.LIVE:
                    img[b"l" + tid] = b""
        info = self.mem.get_info()
        assert info is not None
        img[b"i"] = info.serialize()

    def connect(self, b: BlockInput) -> None:
        mem_undo = _apply(self.mem_pool, b)
        self._update_image(mem_undo.touched_ids)
        want_changes = trie_changes(mem_undo, self.mem, key=state_ticket_key)

        def fn(w: WriteTxn) -> PoolUndo:
            store = LmdbTicketStore(w.kv(DB_TICKETS))
            undo = _apply(TicketPool(store, PARAMS), b)
            assert trie_changes(undo, store, key=state_ticket_key) == want_changes
            self.compare(w, store, b.height)
            return undo

        undo = self.db.write(fn)
        assert undo == mem_undo
        self.undos.append(undo.serialize())

    def disconnect(self) -> None:
        raw = self.undos.pop()
        undo = PoolUndo.deserialize(raw)
        self.mem_pool.undo_block(undo)
        self._update_image(undo.touched_ids)

        def fn(w: WriteTxn) -> None:
            store = LmdbTicketStore(w.kv(DB_TICKETS))
            TicketPool(store, PARAMS).undo_block(PoolUndo.deserialize(raw))
            self.compare(w, store, self.mem_pool.height)

        self.db.write(fn)

    def compare(self, w: WriteTxn, store: LmdbTicketStore, h: int) -> None:
        assert dict(w.kv(DB_TICKETS).iter_from(b"")) == self.image, h
        assert store.get_info() == self.mem.get_info(), h
        live = store.live_ids()
        assert list(live) == sorted(self.mem.live_ids()), h  # deterministic: id order
        assert store.live_count() == self.mem.live_count() == len(live), h
        if h % self.CHECK_EVERY == 0:
            assert store.all_tickets() == self.mem.all_tickets(), h
            store.verify()

    def snapshot(self) -> tuple[dict[bytes, Ticket], PoolInfo | None]:
        with self.db.read() as r:  # what was committed, seen by a fresh read transaction
            store = LmdbTicketStore(r.kv(DB_TICKETS))
            return store.all_tickets(), store.get_info()


def test_long_scenario_on_lmdb_matches_memory(chain_db: ChainDB) -> None:
    twin = _Twin(chain_db)
    ref = Reference()
    rng = random.Random(20261123)
    for h in range(HEIGHTS):
        b = make_block(ref, h, rng, "main")
        ref.add(b)
        twin.connect(b)
        if h == FORK:
            mid = twin.snapshot()
    final = twin.snapshot()
    # the committed state also matches test_scenario's event-only reference
    assert mid[0] == ref.tickets_at(FORK)
    assert final[0] == ref.tickets_at(HEIGHTS - 1)
    assert final[1] is not None
    assert final[1].height == HEIGHTS - 1
    assert final[1].price == ref.price_at(HEIGHTS)
    assert len(final[0]) > 500
    assert mid != final

    # undo back to the fork point, block by block, then the same blocks again
    for _ in range(HEIGHTS - 1 - FORK):
        twin.disconnect()
    assert twin.snapshot() == mid
    for b in ref.blocks[FORK + 1 :]:
        twin.connect(b)
    assert twin.snapshot() == final

    # back to the fork point again, then a different branch
    for _ in range(HEIGHTS - 1 - FORK):
        twin.disconnect()
    assert twin.snapshot() == mid
    side = Reference()
    for b in ref.blocks[: FORK + 1]:
        side.add(b)
    rng2 = random.Random(7)
    for h in range(FORK + 1, FORK + 121):
        b = make_block(side, h, rng2, "side")
        side.add(b)
        twin.connect(b)
    assert twin.snapshot()[0] == side.tickets_at(FORK + 120)
