"""Stake votes (SPEC §5.2): the signed message, signing and verification, the relayed vote
a node passes around before a block exists, and the per-block vote rules.

Vote message (all integers little-endian, SPEC §1)::

    m = H_tag("RustyCoin/ticketvote", prev_hash[32] || ticket_id[32] || vote_bits u16 LE)
    sig = BIP340-Schnorr(vote_secret, m)                       (64 bytes)

Bit 0 of vote_bits = "the previous block is valid" (informational in version 1); bits
1..15 signal agendas (node.stake.agenda).

Block rules (`check_block_votes`), in the order they are checked:

1. below ``stake_validation_height`` a block carries no votes (``votes-before-svh``);
2. from it on, at least ``min_votes_per_block`` (3) votes (``too-few-votes``) and at most
   ``tickets_per_block`` (``bad-blk-votes``);
3. per vote, in block order: a second vote by the same ticket -> ``bad-vote-duplicate``;
   a ticket outside the selected set or not LIVE -> ``bad-vote-ticket``; a signature that
   does not verify for the block's ``prev_hash`` -> ``bad-vote-parent`` if it verifies for
   one of the caller's known ``other_parents``, else ``bad-vote-sig``.

Votes may appear in any order; that order is the "vote order" of the stake reward outputs.
``votes_root`` (Merkle root of the vote hashes) is checked context-free by
node.consensus.checks; `votes_root` here is the same function for block builders.
"""

from __future__ import annotations

import struct
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Self

from node.consensus.errors import TooManyVotes
from node.crypto.hashes import tagged_hash
from node.crypto.merkle import merkle_root
from node.crypto.schnorr import sign, verify
from node.params import ChainParams
from node.stake.errors import (
    BadVoteParent,
    BadVoteSig,
    BadVoteTicket,
    DuplicateVote,
    TooFewVotes,
    VotesBeforeSvh,
)
from node.stake.tickets import Ticket, TicketState
from node.types import Block, ByteReader, ByteWriter, TicketVote
from node.types.codec import Serializable, check_fixed_bytes, check_uint

__all__ = [
    "VOTE_TAG",
    "RelayedVote",
    "check_block_votes",
    "check_relayed_vote",
    "sign_vote",
    "verify_vote",
    "vote_message",
    "votes_root",
]

VOTE_TAG = "RustyCoin/ticketvote"
_U16 = struct.Struct("<H")


def vote_message(prev_hash: bytes, ticket_id: bytes, vote_bits: int) -> bytes:
    """The 32-byte message a vote signs (layout in the module docstring)."""
    check_fixed_bytes(prev_hash, 32, "vote prev_hash")
    check_fixed_bytes(ticket_id, 32, "vote ticket_id")
    check_uint(vote_bits, 16, "vote vote_bits")
    return tagged_hash(VOTE_TAG, prev_hash + ticket_id + _U16.pack(vote_bits))


def sign_vote(
    secret: bytes,
    prev_hash: bytes,
    ticket_id: bytes,
    vote_bits: int,
    aux_rand: bytes | None = None,
) -> TicketVote:
    """The vote of `ticket_id` on the block after `prev_hash`, signed with the vote key."""
    sig = sign(secret, vote_message(prev_hash, ticket_id, vote_bits), aux_rand)
    return TicketVote(ticket_id, vote_bits, sig)


def verify_vote(vote: TicketVote, prev_hash: bytes, vote_pubkey: bytes) -> bool:
    """Whether `vote` is validly signed by `vote_pubkey` for the block after `prev_hash`."""
    msg = vote_message(prev_hash, vote.ticket_id, vote.vote_bits)
    return verify(vote_pubkey, msg, vote.sig)


def votes_root(votes: Sequence[TicketVote]) -> bytes:
    """The header's votes_root: Merkle root of the vote hashes (32 zero bytes if none)."""
    return merkle_root([v.hash for v in votes])


@dataclass(frozen=True, slots=True)
class RelayedVote(Serializable):
    """A vote as the voting service relays it before any block carries it: the vote and the
    prev_hash it is for. Wire: ``prev_hash[32] | TicketVote`` (130 bytes)."""

    prev_hash: bytes
    vote: TicketVote

    def __post_init__(self) -> None:
        check_fixed_bytes(self.prev_hash, 32, "relayed vote prev_hash")
        if type(self.vote) is not TicketVote:
            raise TypeError(f"relayed vote: expected TicketVote, got {type(self.vote)!r}")

    def stream_serialize(self, w: ByteWriter) -> None:
        w.write(self.prev_hash)
        self.vote.stream_serialize(w)

    @classmethod
    def stream_deserialize(cls, r: ByteReader) -> Self:
        prev_hash = r.read(32, "relayed vote prev_hash")
        return cls(prev_hash, TicketVote.stream_deserialize(r))


def _vote_ticket(
    vote: TicketVote, selected: Collection[bytes], tickets_by_id: Mapping[bytes, Ticket]
) -> Ticket:
    ticket = tickets_by_id.get(vote.ticket_id) if vote.ticket_id in selected else None
    if ticket is None or ticket.state is not TicketState.LIVE:
        raise BadVoteTicket(f"ticket {vote.ticket_id.hex()} is not selected to vote")
    return ticket


def check_relayed_vote(
    relayed: RelayedVote,
    tip_hash: bytes,
    selected: Collection[bytes],
    tickets_by_id: Mapping[bytes, Ticket],
) -> Ticket:
    """Accept a relayed vote for the block after `tip_hash`; returns the voting ticket.

    Raises BadVoteParent (for another parent), BadVoteTicket, BadVoteSig.
    """
    if relayed.prev_hash != tip_hash:
        raise BadVoteParent(
            f"vote of {relayed.vote.ticket_id.hex()} is for parent {relayed.prev_hash.hex()}, "
            f"tip is {tip_hash.hex()}"
        )
    ticket = _vote_ticket(relayed.vote, selected, tickets_by_id)
    if not verify_vote(relayed.vote, tip_hash, ticket.vote_pubkey):
        raise BadVoteSig(f"vote of {ticket.ticket_id.hex()}: bad signature")
    return ticket


def check_block_votes(
    block: Block,
    selected: Collection[bytes],
    tickets_by_id: Mapping[bytes, Ticket],
    params: ChainParams,
    height: int | None = None,
    *,
    other_parents: Sequence[bytes] = (),
) -> tuple[Ticket, ...]:
    """Every SPEC §5.2 vote rule for `block` (list in the module docstring).

    `selected` = ``select_voters(block.header.prev_hash, pool LIVE ids)``; `tickets_by_id`
    gives at least the selected tickets (as the pool holds them before the block);
    `height` defaults to the header's. `other_parents` are optional block hashes used only
    to tell a vote for the wrong parent from a forged one. Returns the voting tickets in
    vote order (what `node.stake.rewards` pays).
    """
    if height is None:
        height = block.header.height
    votes = block.votes
    if height < params.stake_validation_height:
        if votes:
            raise VotesBeforeSvh(
                f"{len(votes)} votes at height {height} < stake_validation_height "
                f"{params.stake_validation_height}"
            )
        return ()
    if len(votes) < params.min_votes_per_block:
        raise TooFewVotes(
            f"{len(votes)} votes at height {height}, at least {params.min_votes_per_block} needed"
        )
    if len(votes) > params.tickets_per_block:
        raise TooManyVotes(f"{len(votes)} votes exceed {params.tickets_per_block}")
    prev_hash = block.header.prev_hash
    seen: set[bytes] = set()
    tickets: list[Ticket] = []
    for i, vote in enumerate(votes):
        if vote.ticket_id in seen:
            raise DuplicateVote(f"vote {i}: ticket {vote.ticket_id.hex()} votes twice")
        seen.add(vote.ticket_id)
        ticket = _vote_ticket(vote, selected, tickets_by_id)
        if not verify_vote(vote, prev_hash, ticket.vote_pubkey):
            for other in other_parents:
                if other != prev_hash and verify_vote(vote, other, ticket.vote_pubkey):
                    raise BadVoteParent(
                        f"vote {i}: ticket {vote.ticket_id.hex()} signed for parent "
                        f"{other.hex()}, block parent is {prev_hash.hex()}"
                    )
            raise BadVoteSig(f"vote {i}: ticket {vote.ticket_id.hex()}: bad signature")
        tickets.append(ticket)
    return tuple(tickets)
