"""SLASH evidence for ticket double votes (SPEC §5.4): the valid case and every rejection."""

from __future__ import annotations

import dataclasses

import pytest

from node.stake.errors import BadSlashEvidence, UnknownSlashParent
from node.stake.slash import check_slash, slash_payload, slashed_ticket_id
from node.stake.tickets import TicketState
from node.stake.votes import sign_vote
from node.types import DoubleSignEvidence, DoubleVoteEvidence, SlashPayload, TicketVote
from tests.node.stake.helpers import AUX, fill, purchase_tx, secret, slash_tx, ticket

A, B, C = fill("parent a"), fill("parent b"), fill("parent c")
HEIGHTS = {A: 99, B: 99, C: 98}
T = ticket("double", state=TicketState.VOTED, purchase_height=10, state_height=100)


def parent_height(h: bytes) -> int | None:
    return HEIGHTS.get(h)


def vote(prev: bytes, tag: str = "double", bits: int = 1) -> TicketVote:
    return sign_vote(secret(tag), prev, fill("ticket/" + tag), bits, AUX)


def evidence(prev_a: bytes = A, prev_b: bytes = B, **kw: TicketVote) -> SlashPayload:
    ev = DoubleVoteEvidence(
        prev_a, kw.get("vote_a", vote(prev_a)), prev_b, kw.get("vote_b", vote(prev_b))
    )
    return SlashPayload(100, ev)


def test_valid_double_vote() -> None:
    payload = slash_payload(slash_tx(evidence()))
    assert slashed_ticket_id(payload) == T.ticket_id
    assert check_slash(payload, T, 120, parent_height) == T.ticket_id
    live = dataclasses.replace(T, state=TicketState.LIVE, state_height=18)
    assert check_slash(payload, live, 100, parent_height) == T.ticket_id


def _rejects(payload: SlashPayload, t: object = T, height: int = 120, **kw: bool) -> str:
    with pytest.raises(BadSlashEvidence) as exc:
        check_slash(payload, t, height, parent_height, **kw)  # type: ignore[arg-type]
    return exc.value.reason


def test_same_parent() -> None:
    assert _rejects(evidence(A, A, vote_b=vote(A, bits=3))) == "bad-slash-evidence"


def test_different_tickets() -> None:
    assert _rejects(evidence(vote_b=vote(B, tag="other"))) == "bad-slash-evidence"


def test_forged_signature() -> None:
    good = vote(B)
    assert _rejects(evidence(vote_b=TicketVote(good.ticket_id, 1, vote(A).sig)))
    assert _rejects(evidence(vote_b=dataclasses.replace(good, vote_bits=5)))


def test_parents_at_different_heights() -> None:
    assert _rejects(evidence(A, C))


def test_unknown_parent() -> None:
    reason = _rejects(evidence(A, fill("unknown")))
    assert reason == "bad-slash-evidence-unknown"
    assert UnknownSlashParent.mutated


def test_height_range() -> None:
    assert _rejects(evidence(), height=99)  # evidence from the future
    ev = dataclasses.replace(evidence(), height=0)
    assert _rejects(ev)


def test_ticket_missing_revoked_or_spent() -> None:
    assert _rejects(evidence(), t=None)
    assert _rejects(evidence(), t=ticket("other"))
    assert _rejects(evidence(), t=dataclasses.replace(T, state=TicketState.REVOKED))
    assert _rejects(evidence(), stake_unspent=False)


def test_transaction_shape_and_reserved_kind() -> None:
    with pytest.raises(BadSlashEvidence):
        slash_payload(slash_tx(evidence(), with_output=True))
    with pytest.raises(BadSlashEvidence):
        slash_payload(purchase_tx("x", 1))
    ds = DoubleSignEvidence(
        fill("pro"), 1, fill("q"), fill("r"), fill("m1"), bytes(96), fill("m2"), bytes(96)
    )
    payload = slash_payload(slash_tx(SlashPayload(100, ds)))
    with pytest.raises(BadSlashEvidence):
        slashed_ticket_id(payload)
    with pytest.raises(BadSlashEvidence):
        check_slash(payload, T, 120, parent_height)
