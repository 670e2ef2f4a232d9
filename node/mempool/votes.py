"""The vote pool: ticket votes for the next block, collected before any block carries them.

The voting service (node.wallet.voting) and P2P peers hand in `RelayedVote`s. A vote is
accepted when it is for the current tip, by one of the tip's selected tickets, correctly
signed, and new. One for an older parent is ignored (False: peers racing a new block send
those honestly); one for a parent not connected yet is kept (bounded) and checked when that
parent becomes the tip; a forged or unselected one raises the stake rule's StakeError (the
P2P layer scores it as misbehaviour). When the tip changes the pool keeps only votes for the new
tip. Two votes by one ticket for different parents at one height are kept as SLASH
evidence (`double_votes`); `slash_txs` turns them into SLASH transactions for the miner.

The miner asks `votes_for(tip)` (deterministic order: by ticket id) and can `wait_for` at
least N votes with a timeout. Subscribers hear about every newly accepted vote (to relay it).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from node.chain.chainstate import Chainstate
from node.chain.events import ChainEvent, TipChanged
from node.crypto.hashes import H
from node.stake.chainrules import read_pool
from node.stake.errors import StakeError
from node.stake.tickets import STAKE_VOUT, Ticket
from node.stake.votes import RelayedVote, check_relayed_vote, verify_vote
from node.types.payloads import DoubleVoteEvidence, SlashPayload
from node.types.tx import OutPoint, Tx, TxType

__all__ = ["DoubleVote", "VotePool", "vote_id"]

log = logging.getLogger(__name__)

MAX_DOUBLE_VOTES = 100
MAX_EARLY_VOTES = 500
"""Votes kept for a parent that is not our tip yet (a block racing its votes over P2P)."""


def vote_id(relayed: RelayedVote) -> bytes:
    """The inventory id of a relayed vote: BLAKE3 of its 130-byte encoding."""
    return H(relayed.serialize())


@dataclass(frozen=True, slots=True)
class DoubleVote:
    """Two votes by one ticket for different parents at the same height (SPEC §5.4)."""

    height: int
    first: RelayedVote
    second: RelayedVote


class VotePool:
    """Votes for the block after the current tip (module docstring)."""

    def __init__(self, chainstate: Chainstate) -> None:
        self.chainstate = chainstate
        self.params = chainstate.params
        self._cond = threading.Condition()
        self._tip = b""
        self._votes: dict[bytes, RelayedVote] = {}
        self._by_ticket: dict[bytes, bytes] = {}
        self._selected: tuple[tuple[bytes, ...], dict[bytes, Ticket]] = ((), {})
        self._recent: dict[bytes, RelayedVote] = {}
        """ticket id -> its vote for the previous tip (to spot double votes)."""
        self.double_votes: list[DoubleVote] = []
        self._early: OrderedDict[bytes, RelayedVote] = OrderedDict()
        """Votes whose parent is not (yet) our tip but may become it, by vote id."""
        self._subscribers: list[Callable[[RelayedVote], None]] = []
        self._unsubscribe = chainstate.events.subscribe(self._on_chain_event)
        with self._cond:
            self._reset(chainstate.tip.hash)

    def close(self) -> None:
        self._unsubscribe()

    # ------------------------------------------------------------------ queries

    def __len__(self) -> int:
        return len(self._votes)

    def has(self, vid: bytes) -> bool:
        return vid in self._votes

    def get(self, vid: bytes) -> RelayedVote | None:
        return self._votes.get(vid)

    def ids(self) -> list[bytes]:
        """Ids of the votes for the current tip."""
        with self._cond:
            return list(self._votes)

    def selected(self) -> tuple[bytes, ...]:
        """The tickets drawn to vote on the block after the tip."""
        with self._cond:
            return self._selected[0]

    def selected_tickets(self) -> dict[bytes, Ticket]:
        """The pool records of the tip's selected tickets, by id."""
        with self._cond:
            return dict(self._selected[1])

    def votes_for(self, parent_hash: bytes) -> list[RelayedVote]:
        """The votes for the block on `parent_hash`, by ticket id ([] if not the tip)."""
        with self._cond:
            if parent_hash != self._tip:
                return []
            return sorted(self._votes.values(), key=lambda rv: rv.vote.ticket_id)

    def tickets_of(self, votes: list[RelayedVote]) -> list[Ticket]:
        """The pool records of the voting tickets (for the stake reward outputs)."""
        with self._cond:
            tickets = self._selected[1]
            return [tickets[rv.vote.ticket_id] for rv in votes]

    def wait_for(self, parent_hash: bytes, count: int, timeout: float) -> int:
        """Block until `count` votes for `parent_hash` are here, the tip moves, or `timeout`
        seconds pass; the number of votes for it then."""
        with self._cond:
            self._cond.wait_for(
                lambda: self._tip != parent_hash or len(self._votes) >= count, timeout
            )
            return len(self._votes) if self._tip == parent_hash else 0

    def subscribe(self, callback: Callable[[RelayedVote], None]) -> Callable[[], None]:
        """Call `callback(vote)` for each newly accepted vote; returns the unsubscriber."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    # ------------------------------------------------------------------ adding

    def add(self, relayed: RelayedVote) -> bool:
        """Accept `relayed` (True), ignore a known or other-parent vote (False), or raise
        the StakeError of the broken rule."""
        # No chainstate lock here: an RPC (generatetoaddress) may hold it while the miner
        # waits for these very votes. Reading the tip is atomic; a tip that moves meanwhile
        # is caught by the TipChanged reset.
        tip = self.chainstate.tip.hash
        with self._cond:
            if tip != self._tip:
                self._reset(tip)
            vid = vote_id(relayed)
            if vid in self._votes:
                return False
            if relayed.prev_hash != tip:
                entry = self.chainstate.entries.get(relayed.prev_hash)
                tip_height = self.chainstate.tip.height
                if entry is not None and entry.height <= tip_height:
                    self._note_other_parent(relayed)  # a sibling of the tip, or older
                if entry is None or entry.height >= tip_height:
                    self._keep_early(vid, relayed)  # may become the tip (a block or a reorg)
                return False
            selected, tickets = self._selected
            check_relayed_vote(relayed, tip, selected, tickets)
            tid = relayed.vote.ticket_id
            if tid in self._by_ticket:  # another valid vote (other vote_bits) by the ticket
                return False
            self._votes[vid] = relayed
            self._by_ticket[tid] = vid
            self._cond.notify_all()
        for callback in list(self._subscribers):
            try:
                callback(relayed)
            except Exception:
                log.exception("vote subscriber %r failed", callback)
        return True

    def _note_other_parent(self, relayed: RelayedVote) -> None:
        """Keep SLASH evidence when a ticket that voted for the tip (or the previous tip) signs
        a block at the same height."""
        tid = relayed.vote.ticket_id
        current = self._by_ticket.get(tid)
        first = self._votes[current] if current is not None else self._recent.get(tid)
        if first is None or first.prev_hash == relayed.prev_hash:
            return
        if any(d.second.vote.ticket_id == tid for d in self.double_votes):
            return
        cs = self.chainstate
        entry = cs.entries.get(relayed.prev_hash)
        parent = cs.entries.get(first.prev_hash)
        if entry is None or parent is None or entry.height != parent.height:
            return
        with read_pool(cs.db, self.params) as pool:
            ticket = pool.get(relayed.vote.ticket_id)
        if ticket is None or not verify_vote(relayed.vote, relayed.prev_hash, ticket.vote_pubkey):
            return
        if len(self.double_votes) < MAX_DOUBLE_VOTES:
            self.double_votes.append(DoubleVote(entry.height + 1, first, relayed))
            log.warning("ticket %s voted for two parents at height %d",
                        ticket.ticket_id.hex(), entry.height + 1)  # fmt: skip

    def slash_txs(self) -> list[Tx]:
        """SLASH transactions for the double votes seen whose tickets are still in the pool
        with an unspent stake (what a miner puts in its next block)."""
        cs = self.chainstate
        out = []
        with self._cond, cs.db.read() as txn, read_pool(cs.db, self.params) as pool:
            keep = []
            for d in self.double_votes:
                ticket = pool.get(d.second.vote.ticket_id)
                if ticket is None or not txn.has_coin(OutPoint(ticket.ticket_id, STAKE_VOUT)):
                    continue  # slashed (or spent) already
                keep.append(d)
                evidence = DoubleVoteEvidence(
                    d.first.prev_hash, d.first.vote, d.second.prev_hash, d.second.vote
                )
                payload = SlashPayload(d.height, evidence).serialize()
                out.append(Tx(1, TxType.SLASH, (), (), 0, payload, ()))
            self.double_votes = keep
        return out

    # ------------------------------------------------------------------ tip changes

    def _keep_early(self, vid: bytes, relayed: RelayedVote) -> None:
        """Hold a vote that arrived before its parent became our tip (bounded, oldest out)."""
        self._early[vid] = relayed
        while len(self._early) > MAX_EARLY_VOTES:
            self._early.popitem(last=False)

    def _on_chain_event(self, event: ChainEvent) -> None:
        if isinstance(event, TipChanged):
            with self._cond:
                self._reset(event.new_tip)
                ready = [rv for rv in self._early.values() if rv.prev_hash == event.new_tip]
                for relayed in ready:
                    del self._early[vote_id(relayed)]
            for relayed in ready:  # votes that came before their block: check them now
                try:
                    self.add(relayed)
                except StakeError as exc:
                    log.debug("early vote for %s refused: %s", event.new_tip.hex(), exc)

    def _reset(self, tip: bytes) -> None:
        """Start collecting for the block after `tip` (call with the condition held)."""
        if tip == self._tip:
            return
        self._recent = {rv.vote.ticket_id: rv for rv in self._votes.values()}
        self._tip = tip
        self._votes = {}
        self._by_ticket = {}
        with read_pool(self.chainstate.db, self.params) as pool:
            if pool.height >= 0 and self.chainstate.tip.hash == tip:
                selected = pool.selected_for(tip)
                tickets = {tid: t for tid in selected if (t := pool.get(tid)) is not None}
            else:  # pragma: no cover - the pool always follows the tip
                selected, tickets = (), {}
        self._selected = (selected, tickets)
        self._cond.notify_all()
