"""The ticket pool state machine (SPEC §5.2, §5.4) over an abstract `TicketStore`.

`TicketPool.apply_block` moves the pool from the state after block h-1 to the state after
block h, writing through the store and returning a `PoolUndo`; `undo_block` puts every
touched record back exactly. Within one block the steps run in this order:

1. revocations: each ticket must be MISSED or EXPIRED *before* the block -> REVOKED;
2. votes (from ``stake_validation_height`` on): the lottery over the LIVE set before the
   block picks the selected tickets; each voter must be selected -> VOTED; votes below
   stake_validation_height are refused;
3. selected tickets without a vote -> MISSED;
4. slashes: the ticket (any state but REVOKED) is removed;
5. purchases: new IMMATURE tickets (purchase_height = h);
6. maturation: tickets bought at ``h - ticket_maturity`` still IMMATURE -> LIVE (they may
   be drawn from block h+1 on);
7. expiry: tickets bought at ``h - ticket_maturity - ticket_expiry`` still LIVE ->
   EXPIRED (a ticket is LIVE for ticket_expiry blocks, dcrd's convention);
8. when h closes a price window, the next price from the LIVE count (node.stake.price).

The pool assumes the chain already ran the rule checks (check_block_votes,
check_ticket_revoke, check_slash, check_ticket_purchase); it still refuses inconsistent
input with the same StakeError reasons and leaves the store unchanged when it does.

State trie: every ticket record is a trie value ``Ticket.serialize()`` under
``ticket_state_key(ticket_id) = b"tckt" || ticket_id`` (the same bytes as
node.storage.schema.state_ticket_key; the chain maps it). `trie_changes` lists the
(key, value-or-None) pairs a block changed, sorted by key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, Self

from node.params import ChainParams
from node.stake.errors import (
    BadRevokeState,
    BadSlashEvidence,
    BadVoteTicket,
    DuplicateVote,
    RevokeLiveTicket,
    TicketPoolCorrupt,
    VotesBeforeSvh,
)
from node.stake.lottery import select_voters
from node.stake.price import is_price_retarget_height, next_ticket_price
from node.stake.tickets import Ticket, TicketState
from node.types import ByteReader, ByteWriter
from node.types.codec import Serializable

__all__ = [
    "TICKET_STATE_PREFIX",
    "MemoryTicketStore",
    "PoolInfo",
    "PoolUndo",
    "TicketPool",
    "TicketStore",
    "ticket_state_key",
    "trie_changes",
]

TICKET_STATE_PREFIX = b"tckt"


def ticket_state_key(ticket_id: bytes) -> bytes:
    """State-trie key of a ticket record: ``b"tckt" || ticket_id``."""
    if len(ticket_id) != 32:
        raise ValueError(f"ticket id must be 32 bytes, got {len(ticket_id)}")
    return TICKET_STATE_PREFIX + ticket_id


@dataclass(frozen=True, slots=True)
class PoolInfo(Serializable):
    """Pool-wide state: the height of the last applied block (-1 before genesis) and the
    ticket price of the next block. Encoding: CompactSize(height + 1) | CompactSize price."""

    height: int
    price: int

    def stream_serialize(self, w: ByteWriter) -> None:
        w.write_compact_size(self.height + 1)
        w.write_compact_size(self.price)

    @classmethod
    def stream_deserialize(cls, r: ByteReader) -> Self:
        height = r.read_compact_size(field="pool height") - 1
        return cls(height, r.read_compact_size(field="pool price"))


class TicketStore(Protocol):
    """Where the pool keeps tickets (LMDB in the chain, `MemoryTicketStore` in tests).

    `put` replaces any record with the same id; the store keeps the LIVE set and the
    by-purchase-height index in step with `put` and `delete`.
    """

    def get(self, ticket_id: bytes) -> Ticket | None: ...

    def put(self, ticket: Ticket) -> None: ...

    def delete(self, ticket_id: bytes) -> None: ...

    def live_ids(self) -> Iterable[bytes]:
        """Ids of the LIVE tickets, in any order."""
        ...

    def live_count(self) -> int: ...

    def purchased_at(self, height: int) -> Iterable[bytes]:
        """Ids of the stored tickets bought at `height`, in any order."""
        ...

    def get_info(self) -> PoolInfo | None: ...

    def put_info(self, info: PoolInfo) -> None: ...


class MemoryTicketStore:
    """A `TicketStore` in dicts and sets."""

    __slots__ = ("_by_height", "_info", "_live", "_tickets")

    def __init__(self) -> None:
        self._tickets: dict[bytes, Ticket] = {}
        self._live: set[bytes] = set()
        self._by_height: dict[int, set[bytes]] = {}
        self._info: PoolInfo | None = None

    def get(self, ticket_id: bytes) -> Ticket | None:
        return self._tickets.get(ticket_id)

    def put(self, ticket: Ticket) -> None:
        tid = ticket.ticket_id
        if tid in self._tickets:
            self.delete(tid)
        self._tickets[tid] = ticket
        self._by_height.setdefault(ticket.purchase_height, set()).add(tid)
        if ticket.state is TicketState.LIVE:
            self._live.add(tid)

    def delete(self, ticket_id: bytes) -> None:
        old = self._tickets.pop(ticket_id, None)
        if old is None:
            return
        self._live.discard(ticket_id)
        ids = self._by_height[old.purchase_height]
        ids.discard(ticket_id)
        if not ids:
            del self._by_height[old.purchase_height]

    def live_ids(self) -> Iterable[bytes]:
        return self._live

    def live_count(self) -> int:
        return len(self._live)

    def purchased_at(self, height: int) -> Iterable[bytes]:
        return tuple(self._by_height.get(height, ()))

    def get_info(self) -> PoolInfo | None:
        return self._info

    def put_info(self, info: PoolInfo) -> None:
        self._info = info

    def all_tickets(self) -> dict[bytes, Ticket]:
        """A copy of every stored record (for tests and snapshots)."""
        return dict(self._tickets)


@dataclass(frozen=True, slots=True)
class PoolUndo(Serializable):
    """What `undo_block` needs: the block height, the pool info before it, and each touched
    ticket's record before the block (None: it did not exist), in first-touch order.
    `slashed` lists the tickets the block removed by SLASH (the chain burns their stakes).

    Encoding: CompactSize(height) | PoolInfo | CompactSize n | n x (ticket_id[32] |
    u8 present | Ticket if present) | CompactSize m | m x ticket_id[32].
    """

    height: int
    prev_info: PoolInfo
    prior: tuple[tuple[bytes, Ticket | None], ...]
    slashed: tuple[bytes, ...]

    @property
    def touched_ids(self) -> tuple[bytes, ...]:
        """Ids of every ticket the block created, changed or removed."""
        return tuple(tid for tid, _ in self.prior)

    def stream_serialize(self, w: ByteWriter) -> None:
        w.write_compact_size(self.height)
        self.prev_info.stream_serialize(w)
        w.write_compact_size(len(self.prior))
        for tid, old in self.prior:
            w.write(tid)
            w.write_u8(0 if old is None else 1)
            if old is not None:
                old.stream_serialize(w)
        w.write_compact_size(len(self.slashed))
        for tid in self.slashed:
            w.write(tid)

    @classmethod
    def stream_deserialize(cls, r: ByteReader) -> Self:
        height = r.read_compact_size(field="undo height")
        info = PoolInfo.stream_deserialize(r)
        n = r.read_count(1 << 24, 33, "undo ticket count")
        prior: list[tuple[bytes, Ticket | None]] = []
        for _ in range(n):
            tid = r.read(32, "undo ticket id")
            flag = r.read_u8("undo present flag")
            if flag > 1:
                raise TicketPoolCorrupt(f"undo present flag {flag}")
            prior.append((tid, Ticket.stream_deserialize(r) if flag else None))
        m = r.read_count(1 << 24, 32, "undo slashed count")
        slashed = tuple(r.read(32, "undo slashed id") for _ in range(m))
        return cls(height, info, tuple(prior), slashed)


class _Journal:
    """Write-through changes of one block with the first-seen prior record of each id."""

    __slots__ = ("prior", "store")

    def __init__(self, store: TicketStore) -> None:
        self.store = store
        self.prior: dict[bytes, Ticket | None] = {}

    def _remember(self, tid: bytes) -> None:
        if tid not in self.prior:
            self.prior[tid] = self.store.get(tid)

    def put(self, ticket: Ticket) -> None:
        self._remember(ticket.ticket_id)
        self.store.put(ticket)

    def delete(self, tid: bytes) -> None:
        self._remember(tid)
        self.store.delete(tid)

    def rollback(self) -> None:
        for tid, old in reversed(list(self.prior.items())):
            if old is None:
                self.store.delete(tid)
            else:
                self.store.put(old)


class TicketPool:
    """The ticket pool of one chain (steps of `apply_block` in the module docstring)."""

    __slots__ = ("params", "store")

    def __init__(self, store: TicketStore, params: ChainParams) -> None:
        self.store = store
        self.params = params

    @property
    def info(self) -> PoolInfo:
        """The pool info (height -1 and the start price before any block)."""
        info = self.store.get_info()
        return info if info is not None else PoolInfo(-1, self.params.ticket_price_start)

    @property
    def height(self) -> int:
        return self.info.height

    def next_price(self) -> int:
        """The ticket price a purchase in the next block (height + 1) must pay."""
        return self.info.price

    def get(self, ticket_id: bytes) -> Ticket | None:
        return self.store.get(ticket_id)

    def selected_for(self, prev_hash: bytes) -> tuple[bytes, ...]:
        """The tickets drawn to vote on the next block (built on `prev_hash`); () below
        stake_validation_height."""
        if self.height + 1 < self.params.stake_validation_height:
            return ()
        return select_voters(prev_hash, self.store.live_ids(), self.params.tickets_per_block)

    def apply_block(
        self,
        height: int,
        prev_hash: bytes,
        purchases: Sequence[Ticket],
        votes: Sequence[bytes],
        revocations: Sequence[bytes],
        slashes: Sequence[bytes],
        *,
        selected: Sequence[bytes] | None = None,
    ) -> PoolUndo:
        """Connect the stake side of the block at `height` (whose parent is `prev_hash`).

        `votes` are the voting ticket ids in block order; `selected` may pass the lottery
        result the caller already computed with `selected_for(prev_hash)`.
        """
        info = self.info
        if height != info.height + 1:
            raise TicketPoolCorrupt(f"pool is at height {info.height}, cannot apply {height}")
        journal = _Journal(self.store)
        try:
            slashed = self._apply(
                journal, height, prev_hash, purchases, votes, revocations, slashes, selected
            )
        except BaseException:
            journal.rollback()
            raise
        price = info.price
        if is_price_retarget_height(height, self.params):
            price = next_ticket_price(price, self.store.live_count(), self.params)
        self.store.put_info(PoolInfo(height, price))
        return PoolUndo(height, info, tuple(journal.prior.items()), slashed)

    def _apply(
        self,
        journal: _Journal,
        height: int,
        prev_hash: bytes,
        purchases: Sequence[Ticket],
        votes: Sequence[bytes],
        revocations: Sequence[bytes],
        slashes: Sequence[bytes],
        selected: Sequence[bytes] | None,
    ) -> tuple[bytes, ...]:
        params = self.params
        get = self.store.get
        # 1. revocations, judged on the state before the block
        for tid in revocations:
            ticket = get(tid)
            if ticket is None or tid in journal.prior:
                raise BadRevokeState(f"revocation of {tid.hex()}: not revocable in this block")
            if ticket.state in (TicketState.IMMATURE, TicketState.LIVE):
                raise RevokeLiveTicket(f"revocation of {ticket.state.name} ticket {tid.hex()}")
            if ticket.state not in (TicketState.MISSED, TicketState.EXPIRED):
                raise BadRevokeState(f"revocation of {ticket.state.name} ticket {tid.hex()}")
            journal.put(ticket.with_state(TicketState.REVOKED, height))
        # 2-3. votes and misses
        if height < params.stake_validation_height:
            if votes:
                raise VotesBeforeSvh(f"{len(votes)} votes at height {height}")
        else:
            if selected is None:
                selected = select_voters(prev_hash, self.store.live_ids(), params.tickets_per_block)
            chosen = set(selected)
            voted: set[bytes] = set()
            for tid in votes:
                if tid in voted:
                    raise DuplicateVote(f"ticket {tid.hex()} votes twice")
                ticket = get(tid)
                if tid not in chosen or ticket is None or ticket.state is not TicketState.LIVE:
                    raise BadVoteTicket(f"ticket {tid.hex()} is not selected to vote")
                voted.add(tid)
                journal.put(ticket.with_state(TicketState.VOTED, height))
            for tid in sorted(chosen - voted):
                ticket = get(tid)
                if ticket is None or ticket.state is not TicketState.LIVE:
                    raise TicketPoolCorrupt(f"selected ticket {tid.hex()} is not LIVE")
                journal.put(ticket.with_state(TicketState.MISSED, height))
        # 4. slashes
        slashed: list[bytes] = []
        for tid in slashes:
            ticket = get(tid)
            if ticket is None or ticket.state is TicketState.REVOKED:
                raise BadSlashEvidence(f"ticket {tid.hex()} cannot be slashed in this block")
            journal.delete(tid)
            slashed.append(tid)
        # 5. purchases
        for ticket in purchases:
            if (
                ticket.purchase_height != height
                or ticket.state is not TicketState.IMMATURE
                or ticket.state_height != height
                or get(ticket.ticket_id) is not None
                or ticket.ticket_id in journal.prior
            ):
                raise TicketPoolCorrupt(f"purchase {ticket.ticket_id.hex()} at {height} invalid")
            journal.put(ticket)
        # 6. maturation
        bought = height - params.ticket_maturity
        if bought >= 0:
            for tid in sorted(self.store.purchased_at(bought)):
                ticket = get(tid)
                if ticket is not None and ticket.state is TicketState.IMMATURE:
                    journal.put(ticket.with_state(TicketState.LIVE, height))
        # 7. expiry
        bought = height - params.ticket_maturity - params.ticket_expiry
        if bought >= 0:
            for tid in sorted(self.store.purchased_at(bought)):
                ticket = get(tid)
                if ticket is not None and ticket.state is TicketState.LIVE:
                    journal.put(ticket.with_state(TicketState.EXPIRED, height))
        return tuple(slashed)

    def undo_block(self, undo: PoolUndo) -> None:
        """Disconnect the block `undo` was made for (it must be the pool's last block)."""
        info = self.info
        if info.height != undo.height:
            raise TicketPoolCorrupt(f"pool is at height {info.height}, undo is for {undo.height}")
        for tid, old in reversed(undo.prior):
            if old is None:
                self.store.delete(tid)
            else:
                self.store.put(old)
        self.store.put_info(undo.prev_info)


def trie_changes(
    undo: PoolUndo,
    store: TicketStore,
    key: Callable[[bytes], bytes] = ticket_state_key,
) -> list[tuple[bytes, bytes | None]]:
    """The state-trie writes of the block `undo` belongs to (call right after apply_block):
    ``(key(ticket_id), record bytes or None for a removed ticket)``, sorted by key."""
    out: list[tuple[bytes, bytes | None]] = []
    for tid in undo.touched_ids:
        ticket = store.get(tid)
        out.append((key(tid), None if ticket is None else ticket.serialize()))
    out.sort(key=lambda kv: kv[0])
    return out
