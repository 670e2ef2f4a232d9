"""Builders for stake tests: keys, purchase/revoke/slash transactions, tickets and blocks.

Every builder makes a valid object by default; tests change one thing at a time.
"""

from __future__ import annotations

import dataclasses

import blake3

from node.crypto.schnorr import pubkey_from_secret
from node.params import COIN, REGTEST, ChainParams
from node.stake.tickets import Ticket, TicketState
from node.stake.votes import votes_root
from node.types import (
    SEQUENCE_FINAL,
    Block,
    BlockHeader,
    OutPoint,
    SlashPayload,
    TicketPurchasePayload,
    TicketRevokePayload,
    TicketVote,
    Tx,
    TxIn,
    TxOut,
    TxType,
)
from node.types.tx import COINBASE_VOUT, NULL_TXID

AUX = bytes(32)
"""Fixed BIP340 aux randomness: deterministic signatures in tests."""

PARAMS: ChainParams = dataclasses.replace(
    REGTEST,
    stake_validation_height=40,
    ticket_maturity=8,
    ticket_expiry=60,
    ticket_pool_target=20,
    ticket_price_interval=10,
)
"""Regtest with a short ticket life so a few hundred heights see every transition."""


def fill(tag: str, n: int = 32) -> bytes:
    """`n` deterministic bytes named by `tag`."""
    return bytes(blake3.blake3(tag.encode()).digest(length=n))


def p2pkh(tag: str) -> bytes:
    """A P2PKH script_pubkey for a made-up key hash."""
    return b"\x76\xa9\x14" + fill(tag, 20) + b"\x88\xac"


def secret(tag: str) -> bytes:
    """A deterministic Schnorr secret (valid for every tag used in the tests)."""
    return fill("secret/" + tag)


def pubkey(tag: str) -> bytes:
    return pubkey_from_secret(secret(tag))


def purchase_tx(
    tag: str,
    price: int,
    *,
    vote_pubkey: bytes | None = None,
    reward_script: bytes | None = None,
    outputs: tuple[TxOut, ...] | None = None,
    payload: bytes | None = None,
) -> Tx:
    """A TICKET_PURCHASE with stake output 0 = `price` and a change output."""
    if payload is None:
        payload = TicketPurchasePayload(
            pubkey(tag) if vote_pubkey is None else vote_pubkey,
            p2pkh("reward/" + tag) if reward_script is None else reward_script,
        ).serialize()
    if outputs is None:
        outputs = (TxOut(price, p2pkh("stake/" + tag)), TxOut(COIN, p2pkh("change/" + tag)))
    return Tx(
        version=1,
        tx_type=TxType.TICKET_PURCHASE,
        inputs=(TxIn(OutPoint(fill("funding/" + tag), 0), SEQUENCE_FINAL),),
        outputs=outputs,
        lock_time=0,
        payload=payload,
        witnesses=(b"",),
    )


def ticket(
    tag: str,
    *,
    state: TicketState = TicketState.LIVE,
    purchase_height: int = 10,
    state_height: int | None = None,
    price: int = COIN,
) -> Ticket:
    """A ticket record whose vote key is `pubkey(tag)` and id `fill(tag)`."""
    return Ticket(
        ticket_id=fill("ticket/" + tag),
        purchase_height=purchase_height,
        price=price,
        vote_pubkey=pubkey(tag),
        reward_script=p2pkh("reward/" + tag),
        state=state,
        state_height=purchase_height if state_height is None else state_height,
    )


def revoke_tx(
    ticket_id: bytes,
    refund: int,
    *,
    inputs: tuple[TxIn, ...] | None = None,
    outputs: tuple[TxOut, ...] | None = None,
) -> Tx:
    """A TICKET_REVOKE of `ticket_id` spending its stake, refunding `refund`."""
    if inputs is None:
        inputs = (TxIn(OutPoint(ticket_id, 0), SEQUENCE_FINAL),)
    if outputs is None:
        outputs = (TxOut(refund, p2pkh("refund")),)
    return Tx(
        version=1,
        tx_type=TxType.TICKET_REVOKE,
        inputs=inputs,
        outputs=outputs,
        lock_time=0,
        payload=TicketRevokePayload(ticket_id).serialize(),
        witnesses=tuple(b"" for _ in inputs),
    )


def slash_tx(payload: SlashPayload, *, with_output: bool = False) -> Tx:
    """A SLASH transaction (no inputs, no outputs unless `with_output`)."""
    return Tx(
        version=1,
        tx_type=TxType.SLASH,
        inputs=(),
        outputs=(TxOut(1, b"\x51"),) if with_output else (),
        lock_time=0,
        payload=payload.serialize(),
        witnesses=(),
    )


def coinbase(height: int, outputs: tuple[TxOut, ...]) -> Tx:
    return Tx(
        version=1,
        tx_type=TxType.COINBASE,
        inputs=(TxIn(OutPoint(NULL_TXID, COINBASE_VOUT), SEQUENCE_FINAL),),
        outputs=outputs,
        lock_time=height,
        payload=b"",
        witnesses=(b"stake test",),
    )


def block(
    height: int,
    prev_hash: bytes,
    votes: tuple[TicketVote, ...] = (),
    coinbase_outputs: tuple[TxOut, ...] | None = None,
) -> Block:
    """An (unmined) block at `height` on `prev_hash` carrying `votes` and a coinbase."""
    outputs = (TxOut(COIN, p2pkh("miner")),) if coinbase_outputs is None else coinbase_outputs
    header = BlockHeader(
        version=1,
        height=height,
        prev_hash=prev_hash,
        merkle_root=bytes(32),
        votes_root=votes_root(votes),
        state_root=bytes(32),
        timestamp=1_800_000_000 + height,
        bits=0x207FFFFF,
        nonce=0,
    )
    return Block(header, votes, (coinbase(height, outputs),))
