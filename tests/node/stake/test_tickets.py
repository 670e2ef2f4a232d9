"""Ticket records (compact strict encoding) and the TICKET_PURCHASE rules (SPEC §5.2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.params import COIN
from node.stake.errors import BadTicketPrice, BadTicketPurchase
from node.stake.tickets import Ticket, TicketState, check_ticket_purchase, ticket_from_purchase
from node.types import (
    InvalidField,
    NonMinimalCompactSize,
    SerializationError,
    TrailingBytes,
    TruncatedInput,
    TxOut,
)
from tests.node.stake.helpers import fill, p2pkh, pubkey, purchase_tx, ticket


def test_encoding_layout() -> None:
    t = ticket("a", state=TicketState.VOTED, purchase_height=300, state_height=400, price=COIN)
    raw = t.serialize()
    assert raw[:32] == t.ticket_id
    assert raw[32] == TicketState.VOTED
    assert raw[33:36] == b"\xfd\x2c\x01"  # 300
    assert raw[36:39] == b"\xfd\x90\x01"  # 400
    assert raw[39:44] == b"\xfe\x00\xe1\xf5\x05"  # 100,000,000
    assert raw[44:76] == t.vote_pubkey
    assert raw[76:] == bytes([len(t.reward_script)]) + t.reward_script
    assert Ticket.deserialize(raw) == t


@given(
    state=st.sampled_from(TicketState),
    purchase=st.integers(0, 2**40),
    age=st.integers(0, 2**20),
    price=st.integers(0, 2**63),
    script=st.binary(max_size=100),
)
def test_roundtrip(state: TicketState, purchase: int, age: int, price: int, script: bytes) -> None:
    t = Ticket(fill("x"), purchase, price, pubkey("x"), script, state, purchase + age)
    assert Ticket.deserialize(t.serialize()) == t


def test_strict_decoding() -> None:
    raw = ticket("a").serialize()
    with pytest.raises(SerializationError):  # inside the script: LimitExceeded
        Ticket.deserialize(raw[:-1])
    with pytest.raises(TruncatedInput):
        Ticket.deserialize(raw[:50])
    with pytest.raises(TrailingBytes):
        Ticket.deserialize(raw + b"\x00")
    with pytest.raises(InvalidField):
        Ticket.deserialize(raw[:32] + b"\x06" + raw[33:])  # unknown state
    # purchase_height 10 written as a 3-byte CompactSize
    with pytest.raises(NonMinimalCompactSize):
        Ticket.deserialize(raw[:33] + b"\xfd\x0a\x00" + raw[34:])
    # state_height below purchase_height
    bad = raw[:33] + b"\x0a\x09" + raw[35:]
    with pytest.raises(InvalidField):
        Ticket.deserialize(bad)


def test_constructor_checks() -> None:
    with pytest.raises(InvalidField):
        Ticket(fill("x")[:31], 1, 1, pubkey("x"), b"s")
    with pytest.raises(InvalidField):
        Ticket(fill("x"), 5, 1, pubkey("x"), b"s", TicketState.LIVE, 4)
    with pytest.raises(InvalidField):
        Ticket(fill("x"), 5, 1, pubkey("x"), b"s", 9, 6)  # type: ignore[arg-type]
    t = Ticket(fill("x"), 5, 1, pubkey("x"), b"s", 1, 6)  # type: ignore[arg-type]
    assert t.state is TicketState.LIVE
    assert Ticket(fill("x"), 5, 1, pubkey("x"), b"s").state_height == 5
    assert t.with_state(TicketState.MISSED, 9) == Ticket(
        fill("x"), 5, 1, pubkey("x"), b"s", TicketState.MISSED, 9
    )


def test_valid_purchase() -> None:
    tx = purchase_tx("a", 3 * COIN)
    payload = check_ticket_purchase(tx, 3 * COIN)
    assert payload.vote_pubkey == pubkey("a")
    t = ticket_from_purchase(tx, 77, 3 * COIN)
    assert t == Ticket(
        tx.txid, 77, 3 * COIN, pubkey("a"), p2pkh("reward/a"), TicketState.IMMATURE, 77
    )


@pytest.mark.parametrize("stake", [COIN - 1, COIN + 1, 0])
def test_wrong_price(stake: int) -> None:
    tx = purchase_tx("a", stake)
    with pytest.raises(BadTicketPrice) as exc:
        check_ticket_purchase(tx, COIN)
    assert exc.value.reason == "bad-ticket-price"


def test_price_must_be_output_zero() -> None:
    outputs = (TxOut(COIN // 2, p2pkh("change")), TxOut(COIN, p2pkh("stake")))
    with pytest.raises(BadTicketPrice):
        check_ticket_purchase(purchase_tx("a", COIN, outputs=outputs), COIN)


@pytest.mark.parametrize(
    "make",
    [
        lambda: purchase_tx("a", COIN, outputs=()),
        lambda: purchase_tx("a", COIN, reward_script=b""),
        lambda: purchase_tx("a", COIN, vote_pubkey=b"\xff" * 32),  # x >= p: not on the curve
        lambda: purchase_tx("a", COIN, payload=b"\x00" * 31),  # truncated payload
        lambda: purchase_tx("a", COIN, payload=pubkey("a") + b"\x01\x51\x00"),  # trailing
    ],
    ids=["no-outputs", "empty-reward-script", "bad-vote-key", "truncated", "trailing"],
)
def test_malformed_purchase(make: object) -> None:
    tx = make()  # type: ignore[operator]
    with pytest.raises(BadTicketPurchase) as exc:
        check_ticket_purchase(tx, COIN)
    assert exc.value.reason == "bad-ticket-purchase"


def test_not_a_purchase() -> None:
    from tests.node.stake.helpers import revoke_tx

    with pytest.raises(BadTicketPurchase):
        check_ticket_purchase(revoke_tx(fill("t"), 1), COIN)
