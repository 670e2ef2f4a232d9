"""`LmdbTicketStore`: the ticket pool's `TicketStore` over the LMDB sub-database DB_TICKETS.

It works through a raw `KVStore` view (``txn.kv(DB_TICKETS)``), so every read and write of
the pool happens inside the caller's transaction: the chainstate makes one per block, and
the block's ticket changes commit (or abort) with the rest of the block. Through a read
transaction's view the store is read-only (writes raise ``ReadOnlyError``).

Layout (keys built in node.storage.schema, prose in docs/protocol/storage.md "Tickets"):

* ``b"t" || ticket_id``                  -> ``Ticket.serialize()``
* ``b"l" || ticket_id``                  -> empty; present exactly while the ticket is LIVE
* ``b"p" || u64be(purchase_height) || ticket_id`` -> empty; one per stored record
* ``b"i"``                               -> ``PoolInfo.serialize()``

`put` and `delete` keep both indexes in step with the records. Listings come back in key
order (ticket id order, deterministic) and are materialized, so the caller may write while
walking them. A value that does not decode, or a record stored under another id, raises
``CorruptRecord`` naming DB_TICKETS and the key: a damaged database is a storage failure,
never a consensus rejection.
"""

from __future__ import annotations

from node.stake.pool import PoolInfo
from node.stake.tickets import Ticket, TicketState
from node.storage.errors import CorruptRecord, StorageError
from node.storage.schema import (
    DB_TICKETS,
    TICKET_LIVE_PREFIX,
    TICKET_POOL_INFO_KEY,
    TICKET_PURCHASE_PREFIX,
    TICKET_RECORD_PREFIX,
    ticket_id_from_live_key,
    ticket_id_from_record_key,
    ticket_live_key,
    ticket_purchase_key,
    ticket_purchase_key_parts,
    ticket_purchase_prefix,
    ticket_record_key,
)
from node.storage.txn import KVStore
from node.types import SerializationError

__all__ = ["LmdbTicketStore"]

_EMPTY = b""


class LmdbTicketStore:
    """A `TicketStore` (node.stake.pool) over a `KVStore` view of DB_TICKETS.

    Valid only as long as the transaction the view came from.
    """

    __slots__ = ("_kv",)

    def __init__(self, kv: KVStore) -> None:
        if kv.name != DB_TICKETS:
            raise StorageError(f"LmdbTicketStore needs a view of {DB_TICKETS!r}, got {kv.name!r}")
        self._kv = kv

    # -- records

    def get(self, ticket_id: bytes) -> Ticket | None:
        key = ticket_record_key(ticket_id)
        raw = self._kv.get(key)
        return None if raw is None else _decode_ticket(key, raw)

    def put(self, ticket: Ticket) -> None:
        kv = self._kv
        tid = ticket.ticket_id
        key = ticket_record_key(tid)
        old_raw = kv.get(key)
        if old_raw is not None:
            old = _decode_ticket(key, old_raw)
            if old.purchase_height != ticket.purchase_height:
                kv.delete(ticket_purchase_key(old.purchase_height, tid))
        kv.put(key, ticket.serialize())
        kv.put(ticket_purchase_key(ticket.purchase_height, tid), _EMPTY)
        if ticket.state is TicketState.LIVE:
            kv.put(ticket_live_key(tid), _EMPTY)
        else:
            kv.delete(ticket_live_key(tid))

    def delete(self, ticket_id: bytes) -> None:
        kv = self._kv
        key = ticket_record_key(ticket_id)
        raw = kv.get(key)
        if raw is None:
            return
        old = _decode_ticket(key, raw)
        kv.delete(key)
        kv.delete(ticket_live_key(ticket_id))
        kv.delete(ticket_purchase_key(old.purchase_height, ticket_id))

    # -- indexes

    def live_ids(self) -> tuple[bytes, ...]:
        """Ids of the LIVE tickets, in ticket id order."""
        return tuple(
            ticket_id_from_live_key(key) for key, _ in self._kv.iter_prefix(TICKET_LIVE_PREFIX)
        )

    def live_count(self) -> int:
        return sum(1 for _ in self._kv.iter_prefix(TICKET_LIVE_PREFIX))

    def purchased_at(self, height: int) -> tuple[bytes, ...]:
        """Ids of the stored tickets bought at `height`, in ticket id order."""
        return tuple(
            ticket_purchase_key_parts(key)[1]
            for key, _ in self._kv.iter_prefix(ticket_purchase_prefix(height))
        )

    # -- pool info

    def get_info(self) -> PoolInfo | None:
        raw = self._kv.get(TICKET_POOL_INFO_KEY)
        if raw is None:
            return None
        try:
            return PoolInfo.deserialize(raw)
        except SerializationError as exc:
            raise CorruptRecord(str(exc), db=DB_TICKETS, key=TICKET_POOL_INFO_KEY) from None

    def put_info(self, info: PoolInfo) -> None:
        self._kv.put(TICKET_POOL_INFO_KEY, info.serialize())

    # -- whole-store views (tests, snapshots, integrity checks)

    def all_tickets(self) -> dict[bytes, Ticket]:
        """Every stored record, by ticket id (in id order)."""
        out: dict[bytes, Ticket] = {}
        for key, raw in self._kv.iter_prefix(TICKET_RECORD_PREFIX):
            out[ticket_id_from_record_key(key)] = _decode_ticket(key, raw)
        return out

    def verify(self) -> None:
        """Check that both indexes match the records exactly; CorruptRecord if not."""
        tickets = self.all_tickets()
        live = set(self.live_ids())
        want_live = {tid for tid, t in tickets.items() if t.state is TicketState.LIVE}
        if live != want_live:
            raise CorruptRecord(
                f"LIVE index has {len(live - want_live)} extra and "
                f"{len(want_live - live)} missing ids",
                db=DB_TICKETS,
            )
        bought = {
            ticket_purchase_key_parts(key)
            for key, _ in self._kv.iter_prefix(TICKET_PURCHASE_PREFIX)
        }
        want_bought = {(t.purchase_height, tid) for tid, t in tickets.items()}
        if bought != want_bought:
            raise CorruptRecord(
                f"purchase index has {len(bought - want_bought)} extra and "
                f"{len(want_bought - bought)} missing entries",
                db=DB_TICKETS,
            )


def _decode_ticket(key: bytes, raw: bytes) -> Ticket:
    try:
        ticket = Ticket.deserialize(raw)
    except SerializationError as exc:
        raise CorruptRecord(str(exc), db=DB_TICKETS, key=key) from None
    if ticket_record_key(ticket.ticket_id) != key:
        raise CorruptRecord("ticket record stored under another id", db=DB_TICKETS, key=key)
    return ticket
