"""TICKET_REVOKE rules and who may spend a ticket's stake (SPEC §3.1, §5.2)."""

from __future__ import annotations

import pytest

from node.params import COIN, REGTEST
from node.stake.errors import (
    BadRevokeAmount,
    BadRevokeInput,
    BadRevokeState,
    PrematureTicketSpend,
    RevokeLiveTicket,
    SpendOfLiveTicket,
    TicketNeedsRevoke,
)
from node.stake.revoke import check_stake_spend, check_ticket_revoke, max_revoke_refund
from node.stake.tickets import Ticket, TicketState
from node.types import OutPoint, TxIn
from tests.node.stake.helpers import fill, purchase_tx, revoke_tx, ticket

S = TicketState


def missed(price: int = COIN) -> Ticket:
    return ticket("m", state=S.MISSED, purchase_height=10, state_height=30, price=price)


@pytest.mark.parametrize(
    ("price", "refund"),
    [(COIN, 99_000_000), (100, 99), (101, 99), (199, 197), (1, 0), (0, 0), (99, 98)],
)
def test_max_refund_floor(price: int, refund: int) -> None:
    assert max_revoke_refund(price, REGTEST) == refund
    assert price - refund >= price // 100  # at least 1 % burnt


@pytest.mark.parametrize("state", [S.MISSED, S.EXPIRED])
def test_valid_revocation(state: TicketState) -> None:
    t = ticket("m", state=state, state_height=30)
    tx = revoke_tx(t.ticket_id, max_revoke_refund(t.price, REGTEST))
    assert check_ticket_revoke(tx, t, REGTEST) == t
    check_stake_spend(tx, t, 31, REGTEST)


@pytest.mark.parametrize("state", [S.IMMATURE, S.LIVE])
def test_revoking_live_ticket(state: TicketState) -> None:
    t = ticket("m", state=state)
    with pytest.raises(RevokeLiveTicket) as exc:
        check_ticket_revoke(revoke_tx(t.ticket_id, 1), t, REGTEST)
    assert exc.value.reason == "bad-revoke-live"


@pytest.mark.parametrize("state", [S.VOTED, S.REVOKED])
def test_revoking_voted_or_revoked(state: TicketState) -> None:
    t = ticket("m", state=state, state_height=30)
    with pytest.raises(BadRevokeState):
        check_ticket_revoke(revoke_tx(t.ticket_id, 1), t, REGTEST)


def test_unknown_or_other_ticket() -> None:
    t = missed()
    with pytest.raises(BadRevokeState):
        check_ticket_revoke(revoke_tx(t.ticket_id, 1), None, REGTEST)
    with pytest.raises(BadRevokeState):
        check_ticket_revoke(revoke_tx(fill("other"), 1), t, REGTEST)


def test_revoke_amount() -> None:
    t = missed()
    allowed = max_revoke_refund(COIN, REGTEST)
    with pytest.raises(BadRevokeAmount) as exc:
        check_ticket_revoke(revoke_tx(t.ticket_id, allowed + 1), t, REGTEST)
    assert exc.value.reason == "bad-revoke-amount"
    with pytest.raises(BadRevokeAmount):
        check_ticket_revoke(revoke_tx(t.ticket_id, COIN), t, REGTEST)


def test_revoke_inputs() -> None:
    t = missed()
    tid = t.ticket_id
    wrong_vout = (TxIn(OutPoint(tid, 1)),)
    two = (TxIn(OutPoint(tid, 0)), TxIn(OutPoint(fill("x"), 0)))
    other = (TxIn(OutPoint(fill("x"), 0)),)
    for inputs in (wrong_vout, two, other):
        with pytest.raises(BadRevokeInput) as exc:
            check_ticket_revoke(revoke_tx(tid, 1, inputs=inputs), t, REGTEST)
        assert exc.value.reason == "bad-revoke-input"
    with pytest.raises(BadRevokeInput):
        check_ticket_revoke(purchase_tx("p", COIN), t, REGTEST)


@pytest.mark.parametrize("state", [S.IMMATURE, S.LIVE])
def test_spending_live_ticket(state: TicketState) -> None:
    t = ticket("m", state=state)
    spend = purchase_tx("spender", COIN)  # any transaction
    with pytest.raises(SpendOfLiveTicket) as exc:
        check_stake_spend(spend, t, 100, REGTEST)
    assert exc.value.reason == "spend-of-live-ticket"
    with pytest.raises(SpendOfLiveTicket):
        check_stake_spend(revoke_tx(t.ticket_id, 1), t, 100, REGTEST)


def test_voted_stake_maturity() -> None:
    t = ticket("m", state=S.VOTED, purchase_height=10, state_height=50)
    spend = purchase_tx("spender", COIN)
    check_stake_spend(spend, t, 50 + REGTEST.coinbase_maturity, REGTEST)
    with pytest.raises(PrematureTicketSpend):
        check_stake_spend(spend, t, 49 + REGTEST.coinbase_maturity, REGTEST)


@pytest.mark.parametrize("state", [S.MISSED, S.EXPIRED])
def test_missed_stake_needs_revoke(state: TicketState) -> None:
    t = ticket("m", state=state, state_height=30)
    with pytest.raises(TicketNeedsRevoke):
        check_stake_spend(purchase_tx("spender", COIN), t, 100, REGTEST)
    with pytest.raises(TicketNeedsRevoke):  # a revocation naming another ticket
        check_stake_spend(revoke_tx(fill("other"), 1), t, 100, REGTEST)


def test_revoked_stake_is_gone() -> None:
    t = ticket("m", state=S.REVOKED, state_height=30)
    with pytest.raises(BadRevokeState):
        check_stake_spend(revoke_tx(t.ticket_id, 1), t, 100, REGTEST)
