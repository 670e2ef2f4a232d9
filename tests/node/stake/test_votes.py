"""Votes (SPEC §5.2): the message layout, signing and verification, relayed votes, and every
per-block vote rule with its reject reason."""

from __future__ import annotations

import dataclasses

import blake3
import pytest

from node.consensus.errors import TooManyVotes
from node.crypto.merkle import merkle_root
from node.params import REGTEST
from node.stake.errors import (
    BadVoteParent,
    BadVoteSig,
    BadVoteTicket,
    DuplicateVote,
    TooFewVotes,
    VotesBeforeSvh,
)
from node.stake.tickets import TicketState
from node.stake.votes import (
    RelayedVote,
    check_block_votes,
    check_relayed_vote,
    sign_vote,
    verify_vote,
    vote_message,
    votes_root,
)
from node.types import InvalidField, TicketVote, TruncatedInput
from tests.node.stake.helpers import AUX, block, fill, pubkey, secret, ticket

PARAMS = dataclasses.replace(REGTEST, stake_validation_height=100)
PREV = fill("prev block")
OTHER = fill("other block")
TAGS = ["a", "b", "c", "d", "e"]
TICKETS = {t.ticket_id: t for t in (ticket(tag) for tag in TAGS)}
SELECTED = tuple(TICKETS)


def vote(tag: str, prev: bytes = PREV, bits: int = 1) -> TicketVote:
    return sign_vote(secret(tag), prev, fill("ticket/" + tag), bits, AUX)


def test_message_layout() -> None:
    tag_hash = blake3.blake3(b"RustyCoin/ticketvote").digest()
    tid = fill("t")
    want = blake3.blake3(tag_hash + tag_hash + PREV + tid + b"\x02\x01").digest()
    assert vote_message(PREV, tid, 0x0102) == want
    with pytest.raises(InvalidField):
        vote_message(PREV, tid, 0x10000)
    with pytest.raises(InvalidField):
        vote_message(PREV[:31], tid, 1)


def test_sign_and_verify() -> None:
    v = vote("a", bits=0x8003)
    assert v.vote_bits == 0x8003
    assert verify_vote(v, PREV, pubkey("a"))
    assert not verify_vote(v, OTHER, pubkey("a"))
    assert not verify_vote(v, PREV, pubkey("b"))
    assert not verify_vote(dataclasses.replace(v, vote_bits=0x8002), PREV, pubkey("a"))
    forged = TicketVote(v.ticket_id, v.vote_bits, bytes(64))
    assert not verify_vote(forged, PREV, pubkey("a"))


def test_votes_root() -> None:
    votes = (vote("a"), vote("b"))
    assert votes_root(()) == bytes(32)
    assert votes_root(votes) == merkle_root([v.hash for v in votes])


def test_valid_block_returns_tickets_in_vote_order() -> None:
    votes = (vote("c"), vote("a"), vote("e"))
    got = check_block_votes(block(100, PREV, votes), SELECTED, TICKETS, PARAMS)
    assert [t.ticket_id for t in got] == [v.ticket_id for v in votes]
    five = tuple(vote(t) for t in TAGS)
    assert len(check_block_votes(block(150, PREV, five), SELECTED, TICKETS, PARAMS)) == 5


def test_before_stake_validation_height() -> None:
    assert check_block_votes(block(99, PREV), SELECTED, TICKETS, PARAMS) == ()
    with pytest.raises(VotesBeforeSvh) as exc:
        check_block_votes(block(99, PREV, (vote("a"),)), SELECTED, TICKETS, PARAMS)
    assert exc.value.reason == "votes-before-svh"


@pytest.mark.parametrize("n", [0, 1, 2])
def test_too_few_votes(n: int) -> None:
    votes = tuple(vote(t) for t in TAGS[:n])
    with pytest.raises(TooFewVotes) as exc:
        check_block_votes(block(100, PREV, votes), SELECTED, TICKETS, PARAMS)
    assert exc.value.reason == "too-few-votes"


def test_too_many_votes_with_smaller_limit() -> None:
    params = dataclasses.replace(PARAMS, tickets_per_block=4)
    votes = tuple(vote(t) for t in TAGS)
    with pytest.raises(TooManyVotes):
        check_block_votes(block(100, PREV, votes), SELECTED, TICKETS, params)


def test_unselected_ticket() -> None:
    extra = ticket("z")
    tickets = {**TICKETS, extra.ticket_id: extra}
    votes = (vote("a"), vote("b"), vote("z"))
    with pytest.raises(BadVoteTicket) as exc:
        check_block_votes(block(100, PREV, votes), SELECTED, tickets, PARAMS)
    assert exc.value.reason == "bad-vote-ticket"


def test_selected_but_not_live_or_unknown() -> None:
    voted = dataclasses.replace(TICKETS[fill("ticket/a")], state=TicketState.VOTED)
    tickets = {**TICKETS, voted.ticket_id: voted}
    votes = (vote("a"), vote("b"), vote("c"))
    with pytest.raises(BadVoteTicket):
        check_block_votes(block(100, PREV, votes), SELECTED, tickets, PARAMS)
    missing = {k: v for k, v in TICKETS.items() if k != fill("ticket/b")}
    with pytest.raises(BadVoteTicket):
        check_block_votes(block(100, PREV, votes), SELECTED, missing, PARAMS)


def test_duplicate_vote() -> None:
    votes = (vote("a"), vote("b"), vote("a", bits=3))
    with pytest.raises(DuplicateVote) as exc:
        check_block_votes(block(100, PREV, votes), SELECTED, TICKETS, PARAMS)
    assert exc.value.reason == "bad-vote-duplicate"
    same = (vote("a"), vote("b"), vote("a"))
    with pytest.raises(DuplicateVote):
        check_block_votes(block(100, PREV, same), SELECTED, TICKETS, PARAMS)


def test_forged_signature() -> None:
    good = vote("c")
    forged = TicketVote(good.ticket_id, good.vote_bits, vote("d").sig)
    votes = (vote("a"), vote("b"), forged)
    with pytest.raises(BadVoteSig) as exc:
        check_block_votes(block(100, PREV, votes), SELECTED, TICKETS, PARAMS)
    assert exc.value.reason == "bad-vote-sig"
    # signed by the right key but with other vote bits than carried
    tampered = dataclasses.replace(good, vote_bits=good.vote_bits ^ 2)
    with pytest.raises(BadVoteSig):
        check_block_votes(
            block(100, PREV, (vote("a"), vote("b"), tampered)), SELECTED, TICKETS, PARAMS
        )


def test_vote_for_wrong_parent() -> None:
    votes = (vote("a"), vote("b"), vote("c", prev=OTHER))
    b = block(100, PREV, votes)
    with pytest.raises(BadVoteParent) as exc:
        check_block_votes(b, SELECTED, TICKETS, PARAMS, other_parents=(fill("x"), OTHER))
    assert exc.value.reason == "bad-vote-parent"
    # without the hint it is indistinguishable from a forgery
    with pytest.raises(BadVoteSig):
        check_block_votes(b, SELECTED, TICKETS, PARAMS)


def test_relayed_vote() -> None:
    rv = RelayedVote(PREV, vote("a"))
    raw = rv.serialize()
    assert len(raw) == 130
    assert RelayedVote.deserialize(raw) == rv
    with pytest.raises(TruncatedInput):
        RelayedVote.deserialize(raw[:-1])
    assert check_relayed_vote(rv, PREV, SELECTED, TICKETS).ticket_id == fill("ticket/a")
    with pytest.raises(BadVoteParent):
        check_relayed_vote(rv, OTHER, SELECTED, TICKETS)
    with pytest.raises(BadVoteTicket):
        check_relayed_vote(rv, PREV, SELECTED[1:], TICKETS)
    wrong = RelayedVote(OTHER, vote("a"))  # claims OTHER but signed for PREV
    with pytest.raises(BadVoteSig):
        check_relayed_vote(wrong, OTHER, SELECTED, TICKETS)
