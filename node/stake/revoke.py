"""Who may spend a ticket's stake output, and the TICKET_REVOKE rules (SPEC §3.1, §5.2).

Stake spending (`check_stake_spend`, for every input that spends ``(ticket_id, 0)`` of a
ticket in the pool, judged on the pool state *before* the spending block):

- IMMATURE or LIVE: never (``spend-of-live-ticket``);
- VOTED: by any transaction, once ``coinbase_maturity`` blocks have passed since the vote
  (``spend_height - state_height >= coinbase_maturity``, else
  ``bad-txns-premature-spend-of-ticket``);
- MISSED or EXPIRED: only by a TICKET_REVOKE of that ticket
  (``bad-ticket-spend-needs-revoke``);
- REVOKED: the stake is already spent (the UTXO check rejects it first).

TICKET_REVOKE (`check_ticket_revoke`): exactly one input, spending the ticket's stake
outpoint (``bad-revoke-input``); the ticket MISSED or EXPIRED (``bad-revoke-live`` for
IMMATURE/LIVE, ``bad-revoke-state`` for VOTED/REVOKED/unknown); outputs totalling at most
``max_revoke_refund(price) = price * (100 - missed_penalty_percent) // 100``
(``bad-revoke-amount``). The floor rounds the burnt penalty *up*: at least 1 % is always
burnt (a 1-unit stake can refund nothing). The difference to the stake is the fee, which the
miner may collect like any fee. The input's witness is checked against the stake output's
script as usual, so only the stake's owner can revoke.
"""

from __future__ import annotations

from node.params import ChainParams
from node.stake.errors import (
    BadRevokeAmount,
    BadRevokeInput,
    BadRevokeState,
    PrematureTicketSpend,
    RevokeLiveTicket,
    SpendOfLiveTicket,
    TicketNeedsRevoke,
)
from node.stake.tickets import STAKE_VOUT, Ticket, TicketState
from node.types import SerializationError, TicketRevokePayload, Tx, TxType

__all__ = [
    "check_stake_spend",
    "check_ticket_revoke",
    "max_revoke_refund",
    "revoke_ticket_id",
]

_UNSPENDABLE = (TicketState.IMMATURE, TicketState.LIVE)
_REVOCABLE = (TicketState.MISSED, TicketState.EXPIRED)


def max_revoke_refund(price: int, params: ChainParams) -> int:
    """The most a revocation of a ticket bought at `price` may pay out."""
    return price * (100 - params.missed_penalty_percent) // 100


def revoke_ticket_id(tx: Tx) -> bytes:
    """The ticket a TICKET_REVOKE names; raises BadRevokeInput if the payload is bad."""
    if tx.tx_type is not TxType.TICKET_REVOKE:
        raise BadRevokeInput(f"tx type {tx.tx_type.name} is not TICKET_REVOKE")
    try:
        payload = tx.decoded_payload()
    except SerializationError as exc:
        raise BadRevokeInput(f"payload does not decode: {exc}") from None
    if not isinstance(payload, TicketRevokePayload):  # pragma: no cover - type-driven
        raise BadRevokeInput("payload is not a ticket revocation")
    return payload.ticket_id


def check_ticket_revoke(tx: Tx, ticket: Ticket | None, params: ChainParams) -> Ticket:
    """The TICKET_REVOKE rules (module docstring); `ticket` is the pool's record of
    ``revoke_ticket_id(tx)`` before the block (None if unknown). Returns the ticket."""
    ticket_id = revoke_ticket_id(tx)
    if ticket is None or ticket.ticket_id != ticket_id:
        raise BadRevokeState(f"ticket {ticket_id.hex()} is not in the pool")
    if ticket.state in _UNSPENDABLE:
        raise RevokeLiveTicket(f"ticket {ticket_id.hex()} is {ticket.state.name}")
    if ticket.state not in _REVOCABLE:
        raise BadRevokeState(f"ticket {ticket_id.hex()} is {ticket.state.name}")
    if len(tx.inputs) != 1:
        raise BadRevokeInput(f"revocation has {len(tx.inputs)} inputs, expected 1")
    prevout = tx.inputs[0].prevout
    if prevout.txid != ticket_id or prevout.vout != STAKE_VOUT:
        raise BadRevokeInput(
            f"input 0 spends {prevout.txid.hex()}:{prevout.vout}, not the ticket's stake"
        )
    total = sum(out.value for out in tx.outputs)
    allowed = max_revoke_refund(ticket.price, params)
    if total > allowed:
        raise BadRevokeAmount(
            f"revocation pays {total}, at most {allowed} of the {ticket.price} stake"
        )
    return ticket


def check_stake_spend(tx: Tx, ticket: Ticket, spend_height: int, params: ChainParams) -> None:
    """Whether `tx`, in the block at `spend_height`, may spend `ticket`'s stake output
    (rules in the module docstring; a TICKET_REVOKE is also checked by check_ticket_revoke)."""
    state = ticket.state
    if state in _UNSPENDABLE:
        raise SpendOfLiveTicket(f"stake of {state.name} ticket {ticket.ticket_id.hex()}")
    if state is TicketState.VOTED:
        age = spend_height - ticket.state_height
        if age < params.coinbase_maturity:
            raise PrematureTicketSpend(
                f"stake of ticket {ticket.ticket_id.hex()} voted at {ticket.state_height} "
                f"spent at {spend_height} (maturity {params.coinbase_maturity})"
            )
        return
    if state in _REVOCABLE:
        if tx.tx_type is not TxType.TICKET_REVOKE or revoke_ticket_id(tx) != ticket.ticket_id:
            raise TicketNeedsRevoke(
                f"stake of {state.name} ticket {ticket.ticket_id.hex()} needs a TICKET_REVOKE"
            )
        return
    raise BadRevokeState(f"stake of {state.name} ticket {ticket.ticket_id.hex()} is gone")
