"""Tickets (SPEC §5.2): the `TicketState` machine's states, the stored `Ticket` record and
its compact encoding, and the TICKET_PURCHASE rules.

A ticket is the outpoint ``(txid, 0)`` of a TICKET_PURCHASE; ``ticket_id = txid``.

Record encoding (``Ticket.serialize``), strict like node.types (truncation, trailing bytes,
non-minimal CompactSize and unknown states raise ``SerializationError``)::

    ticket_id[32] | state u8 | CompactSize purchase_height | CompactSize state_height
    | CompactSize price | vote_pubkey[32] | CompactSize len | reward_script

A typical P2PKH-rewarded ticket takes about 100 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Self

from node.crypto.schnorr import is_valid_pubkey
from node.stake.errors import BadTicketPrice, BadTicketPurchase
from node.types import (
    ByteReader,
    ByteWriter,
    InvalidField,
    SerializationError,
    TicketPurchasePayload,
    Tx,
    TxType,
)
from node.types.codec import Serializable, check_bytes, check_fixed_bytes, check_uint
from node.types.payloads import MAX_PAYLOAD_SCRIPT_SIZE

__all__ = [
    "STAKE_VOUT",
    "Ticket",
    "TicketState",
    "check_ticket_purchase",
    "ticket_from_purchase",
]

STAKE_VOUT = 0
"""The stake is output 0 of the purchase; the ticket's outpoint is (ticket_id, STAKE_VOUT)."""


class TicketState(IntEnum):
    """Where a ticket is in its life (SPEC §5.2); the value is the stored byte."""

    IMMATURE = 0
    LIVE = 1
    VOTED = 2
    MISSED = 3
    EXPIRED = 4
    REVOKED = 5


_STATES = {s.value: s for s in TicketState}


@dataclass(frozen=True, slots=True)
class Ticket(Serializable):
    """One ticket as the pool stores it.

    ``state_height`` is the height of the block that put the ticket in ``state`` (the
    purchase height for IMMATURE).
    """

    ticket_id: bytes
    purchase_height: int
    price: int
    vote_pubkey: bytes
    reward_script: bytes
    state: TicketState = TicketState.IMMATURE
    state_height: int = -1

    def __post_init__(self) -> None:
        check_fixed_bytes(self.ticket_id, 32, "ticket ticket_id")
        check_uint(self.purchase_height, 64, "ticket purchase_height")
        check_uint(self.price, 64, "ticket price")
        check_fixed_bytes(self.vote_pubkey, 32, "ticket vote_pubkey")
        check_bytes(self.reward_script, MAX_PAYLOAD_SCRIPT_SIZE, "ticket reward_script")
        if type(self.state) is not TicketState:
            if self.state not in _STATES:
                raise InvalidField(f"ticket state: {self.state!r} is not a TicketState")
            object.__setattr__(self, "state", _STATES[self.state])
        if self.state_height == -1:
            object.__setattr__(self, "state_height", self.purchase_height)
        check_uint(self.state_height, 64, "ticket state_height")
        if self.state_height < self.purchase_height:
            raise InvalidField(
                f"ticket state_height {self.state_height} < purchase_height {self.purchase_height}"
            )

    def with_state(self, state: TicketState, height: int) -> Ticket:
        """A copy moved to `state` by the block at `height`."""
        return replace(self, state=state, state_height=height)

    def stream_serialize(self, w: ByteWriter) -> None:
        w.write(self.ticket_id)
        w.write_u8(self.state)
        w.write_compact_size(self.purchase_height)
        w.write_compact_size(self.state_height)
        w.write_compact_size(self.price)
        w.write(self.vote_pubkey)
        w.write_var_bytes(self.reward_script)

    @classmethod
    def stream_deserialize(cls, r: ByteReader) -> Self:
        ticket_id = r.read(32, "ticket ticket_id")
        state_byte = r.read_u8("ticket state")
        state = _STATES.get(state_byte)
        if state is None:
            raise InvalidField(f"ticket state: unknown state byte {state_byte}")
        purchase_height = r.read_compact_size(field="ticket purchase_height")
        state_height = r.read_compact_size(field="ticket state_height")
        price = r.read_compact_size(field="ticket price")
        vote_pubkey = r.read(32, "ticket vote_pubkey")
        reward_script = r.read_var_bytes(MAX_PAYLOAD_SCRIPT_SIZE, "ticket reward_script")
        return cls(
            ticket_id, purchase_height, price, vote_pubkey, reward_script, state, state_height
        )


def check_ticket_purchase(tx: Tx, price: int) -> TicketPurchasePayload:
    """The TICKET_PURCHASE rules of SPEC §3.1/§5.2; returns the decoded payload.

    `price` is the ticket price at the height of the block that includes `tx`.
    Raises BadTicketPurchase (not a purchase, payload undecodable, vote key not a valid
    x-only key, empty reward script, no output 0) or BadTicketPrice (output 0 != price).
    Input scripts, amounts and fees are the chain's ordinary transaction checks.
    """
    if tx.tx_type is not TxType.TICKET_PURCHASE:
        raise BadTicketPurchase(f"tx type {tx.tx_type.name} is not TICKET_PURCHASE")
    try:
        payload = tx.decoded_payload()
    except SerializationError as exc:
        raise BadTicketPurchase(f"payload does not decode: {exc}") from None
    if not isinstance(payload, TicketPurchasePayload):  # pragma: no cover - type-driven
        raise BadTicketPurchase("payload is not a ticket purchase")
    if not is_valid_pubkey(payload.vote_pubkey):
        raise BadTicketPurchase(f"vote_pubkey {payload.vote_pubkey.hex()} is not a valid key")
    if not payload.reward_script:
        raise BadTicketPurchase("empty reward_script")
    if not tx.outputs:
        raise BadTicketPurchase("no output 0 to hold the stake")
    stake = tx.outputs[STAKE_VOUT].value
    if stake != price:
        raise BadTicketPrice(f"stake output pays {stake}, ticket price is {price}")
    return payload


def ticket_from_purchase(tx: Tx, height: int, price: int) -> Ticket:
    """Check `tx` as a purchase confirmed at `height` and return its new IMMATURE ticket."""
    payload = check_ticket_purchase(tx, price)
    return Ticket(
        ticket_id=tx.txid,
        purchase_height=height,
        price=price,
        vote_pubkey=payload.vote_pubkey,
        reward_script=payload.reward_script,
        state=TicketState.IMMATURE,
        state_height=height,
    )
