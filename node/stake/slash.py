"""SLASH evidence for ticket double votes (SPEC §5.4).

A SLASH transaction (tx_type 11) has no inputs, no outputs and no fee; its payload is
``kind u8 | height u64 | evidence``. Version 1 accepts only ``TICKET_DOUBLE_VOTE``: two
votes by one ticket for *different* ``prev_hash`` at the same height ``height`` (i.e. both
parents are blocks at ``height - 1`` that the chain knows, on any branch), both signatures
valid under the ticket's vote key. ``OPERATOR_DOUBLE_SIGN`` (masternode BLS double signing)
is reserved and rejected until the masternode layer defines its checks.

Effect (applied by node.stake.pool and the chain): the ticket is removed from the pool and
its stake output is burned (deleted from the UTXO set without being spent). A ticket can be
slashed in any state but REVOKED (whose stake is already spent); a VOTED ticket whose stake
was already spent can no longer be slashed — the chain passes ``stake_unspent``.

Why heights need the chain: a vote signs only ``prev_hash || ticket_id || vote_bits``, so
two votes on different forks at different heights are honest. The chain's block index
(`parent_height`) decides whether both parents sit at ``height - 1``; an unknown parent
raises `UnknownSlashParent` (not a permanent invalidity).
"""

from __future__ import annotations

from collections.abc import Callable

from node.stake.errors import BadSlashEvidence, UnknownSlashParent
from node.stake.tickets import Ticket, TicketState
from node.stake.votes import verify_vote
from node.types import DoubleVoteEvidence, SerializationError, SlashPayload, Tx, TxType

__all__ = ["check_slash", "slash_payload", "slashed_ticket_id"]


def slash_payload(tx: Tx) -> SlashPayload:
    """The decoded payload of a SLASH tx with no inputs and no outputs, or BadSlashEvidence."""
    if tx.tx_type is not TxType.SLASH:
        raise BadSlashEvidence(f"tx type {tx.tx_type.name} is not SLASH")
    if tx.inputs or tx.outputs:
        raise BadSlashEvidence(
            f"SLASH has {len(tx.inputs)} inputs and {len(tx.outputs)} outputs, expected none"
        )
    try:
        payload = tx.decoded_payload()
    except SerializationError as exc:
        raise BadSlashEvidence(f"payload does not decode: {exc}") from None
    if not isinstance(payload, SlashPayload):  # pragma: no cover - type-driven
        raise BadSlashEvidence("payload is not a SLASH payload")
    return payload


def slashed_ticket_id(payload: SlashPayload) -> bytes:
    """The ticket a double-vote SLASH names (BadSlashEvidence for other kinds)."""
    evidence = payload.evidence
    if not isinstance(evidence, DoubleVoteEvidence):
        raise BadSlashEvidence("masternode double-sign evidence is reserved in version 1")
    return evidence.vote_a.ticket_id


def check_slash(
    payload: SlashPayload,
    ticket: Ticket | None,
    block_height: int,
    parent_height: Callable[[bytes], int | None],
    *,
    stake_unspent: bool = True,
) -> bytes:
    """Verify double-vote evidence included in the block at `block_height`; returns the id of
    the ticket to slash.

    `ticket` is the pool's record of ``slashed_ticket_id(payload)`` (None if not in the
    pool); `parent_height(hash)` is the height of a known block (any branch) or None.
    """
    ticket_id = slashed_ticket_id(payload)
    evidence = payload.evidence
    assert isinstance(evidence, DoubleVoteEvidence)
    if evidence.vote_b.ticket_id != ticket_id:
        raise BadSlashEvidence("the two votes are by different tickets")
    if evidence.prev_hash_a == evidence.prev_hash_b:
        raise BadSlashEvidence("both votes are for the same parent")
    if not 1 <= payload.height <= block_height:
        raise BadSlashEvidence(
            f"evidence height {payload.height} outside 1..{block_height} (block height)"
        )
    for prev_hash in (evidence.prev_hash_a, evidence.prev_hash_b):
        h = parent_height(prev_hash)
        if h is None:
            raise UnknownSlashParent(f"parent {prev_hash.hex()} is unknown")
        if h != payload.height - 1:
            raise BadSlashEvidence(
                f"parent {prev_hash.hex()} is at height {h}, evidence claims {payload.height - 1}"
            )
    if ticket is None or ticket.ticket_id != ticket_id:
        raise BadSlashEvidence(f"ticket {ticket_id.hex()} is not in the pool")
    if ticket.state is TicketState.REVOKED or not stake_unspent:
        raise BadSlashEvidence(f"stake of ticket {ticket_id.hex()} is already spent")
    for prev_hash, vote in (
        (evidence.prev_hash_a, evidence.vote_a),
        (evidence.prev_hash_b, evidence.vote_b),
    ):
        if not verify_vote(vote, prev_hash, ticket.vote_pubkey):
            raise BadSlashEvidence(f"vote for parent {prev_hash.hex()} has a bad signature")
    return ticket_id
