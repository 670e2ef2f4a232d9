"""`python -m bench stake`: the ticket lottery and the per-block pool bookkeeping.

Figures (best of several runs):
- ``lottery_ms_20k``: `select_voters` over 20,000 live ticket ids (one block's draw);
- ``apply_undo_ms_per_block``: `TicketPool.apply_block` (5 votes, 2 purchases, maturation,
  lottery result passed in via ``selected=``) followed by `undo_block`, on an in-memory
  store of 20,000 LIVE tickets;
- ``apply_ms_per_block_with_lottery``: `apply_block` alone over consecutive blocks, drawing
  the lottery itself (4 votes, 1 miss): the connect cost when nothing is precomputed;
- ``undo_bytes_per_block``: size of a serialized PoolUndo for such a block;
- ``lmdb_block_ms_20k``: the same block's bookkeeping as the chain does it, on the LMDB
  ticket store (node.stake.store) inside a write transaction with 20,000 LIVE tickets:
  lottery over the LMDB LIVE index, `apply_block`, the state-trie changes and the stake
  undo record (the transaction is aborted after each run).
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._timing import seconds
from node.params import REGTEST
from node.stake.chainrules import StakeUndo
from node.stake.lottery import select_voters
from node.stake.pool import MemoryTicketStore, PoolInfo, TicketPool, trie_changes
from node.stake.store import LmdbTicketStore
from node.stake.tickets import Ticket, TicketState
from node.storage.env import ChainDB
from node.storage.schema import DB_TICKETS, state_ticket_key

LIVE = 20_000
BLOCKS = 50


def _pool() -> tuple[TicketPool, random.Random]:
    rng = random.Random(1)
    params = dataclasses.replace(REGTEST, stake_validation_height=0, ticket_expiry=10**6)
    store = MemoryTicketStore()
    key = rng.randbytes(32)
    for _ in range(LIVE):
        store.put(Ticket(rng.randbytes(32), 0, 10**8, key, b"\x51", TicketState.LIVE, 8))
    store.put_info(PoolInfo(999, 10**8))
    return TicketPool(store, params), rng


def _block(pool: TicketPool, rng: random.Random) -> tuple[Any, ...]:
    h = pool.height + 1
    prev = rng.randbytes(32)
    sel = pool.selected_for(prev)
    buys = [Ticket(rng.randbytes(32), h, pool.next_price(), sel[0], b"\x51") for _ in range(2)]
    return h, prev, buys, list(sel), sel


def run() -> dict[str, float]:
    ids = [random.Random(2).randbytes(32) for _ in range(LIVE)]
    lottery = seconds(lambda: select_voters(b"\x07" * 32, ids), repeat=5)

    pool, rng = _pool()
    h, prev, buys, votes, sel = _block(pool, rng)

    def apply_undo() -> None:
        pool.undo_block(pool.apply_block(h, prev, buys, votes, [], [], selected=sel))

    apply_undo_s = seconds(apply_undo, repeat=10)
    undo_bytes = len(pool.apply_block(h, prev, buys, votes, [], [], selected=sel).serialize())

    total = 0.0
    for _ in range(BLOCKS):
        h, prev, buys, votes, _sel = _block(pool, rng)
        started = time.perf_counter()
        pool.apply_block(h, prev, buys, votes[:4], [], [])  # runs its own lottery; 1 miss
        total += time.perf_counter() - started
    apply_s = total / BLOCKS
    lmdb_s = _lmdb_block()
    return {
        "live_tickets": LIVE,
        "lottery_ms_20k": round(lottery * 1000, 2),
        "apply_undo_ms_per_block": round(apply_undo_s * 1000, 3),
        "apply_ms_per_block_with_lottery": round(apply_s * 1000, 2),
        "undo_bytes_per_block": undo_bytes,
        "lmdb_block_ms_20k": round(lmdb_s * 1000, 2),
    }


class _Abort(Exception):
    pass


def _lmdb_block() -> float:
    """Seconds of one block's stake bookkeeping on LMDB with LIVE live tickets."""
    mem, rng = _pool()
    with tempfile.TemporaryDirectory() as tmp:
        db = ChainDB.open(Path(tmp), network="regtest")
        try:

            def fill(txn: Any) -> None:
                store = LmdbTicketStore(txn.kv(DB_TICKETS))
                for ticket in mem.store.all_tickets().values():  # type: ignore[attr-defined]
                    store.put(ticket)
                store.put_info(PoolInfo(999, 10**8))

            db.write(fill)
            prev = rng.randbytes(32)

            def block(txn: Any) -> None:
                pool = TicketPool(LmdbTicketStore(txn.kv(DB_TICKETS)), mem.params)
                sel = pool.selected_for(prev)
                buys = [Ticket(rng.randbytes(32), 1000, pool.next_price(), sel[0], b"\x51")
                        for _ in range(2)]  # fmt: skip
                undo = pool.apply_block(1000, prev, buys, list(sel[:4]), [], [], selected=sel)
                trie_changes(undo, pool.store, key=state_ticket_key)
                StakeUndo(undo).serialize()
                raise _Abort

            def once() -> None:
                with contextlib.suppress(_Abort):
                    db.write(block)

            return seconds(once, repeat=5)
        finally:
            db.close()
