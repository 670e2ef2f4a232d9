"""The wallet's tickets: purchase, revocation, vote keys, listing and the staked balance.

A purchase (SPEC §5.2) pays the current price to output 0, a P2PKH script of a fresh wallet
key (so the wallet can spend the stake after the ticket voted, or revoke it); the payload
names the vote key (another fresh wallet key: the node's voting service signs with it) and
the reward script (a third fresh address: the stake rewards arrive there). Change, if any,
comes after the stake. A revocation spends a MISSED or EXPIRED ticket's stake back to a
fresh address, paying the 1 % penalty as its fee (node.stake.revoke).

Stake outputs are not coins for the wallet's coin selection until the pool says they may
be spent (VOTED and `coinbase_maturity` blocks old); until then they count as `staked`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from node.stake.chainrules import read_pool
from node.stake.revoke import max_revoke_refund
from node.stake.tickets import STAKE_VOUT, Ticket, TicketState
from node.types.codec import encode_compact_size
from node.types.payloads import TicketPurchasePayload, TicketRevokePayload
from node.types.tx import SEQUENCE_FINAL, OutPoint, Tx, TxIn, TxOut, TxType
from node.wallet import builder
from node.wallet.errors import InsufficientFunds, InvalidParameter, WalletError
from node.wallet.keychain import RECEIVE, Keychain

if TYPE_CHECKING:
    from node.wallet.db import TxRecord
    from node.wallet.wallet import Wallet

__all__ = [
    "WalletTicket",
    "is_stake_output",
    "list_tickets",
    "purchase_tickets",
    "revoke_tickets",
    "stake_spendable",
    "ticket_price",
    "vote_secret",
]

MAX_PURCHASE = 100
"""Most tickets one purchaseticket call may buy."""


@dataclass(frozen=True, slots=True)
class WalletTicket:
    """One of the wallet's tickets: the pool's record (None while unmined) and the purchase."""

    ticket_id: bytes
    price: int
    status: str
    purchase_height: int | None
    state_height: int | None
    vote_address: str | None
    reward_address: str | None
    spent_by: bytes | None


def is_stake_output(tx: Tx, vout: int) -> bool:
    return vout == STAKE_VOUT and tx.tx_type is TxType.TICKET_PURCHASE


def stake_spendable(ticket: Ticket | None, next_height: int, maturity: int) -> bool:
    """Whether the wallet may spend the stake as an ordinary coin in the next block."""
    if ticket is None:
        return False
    return ticket.state is TicketState.VOTED and next_height - ticket.state_height >= maturity


def vote_secret(wallet: Wallet, vote_pubkey: bytes) -> bytes | None:
    """The wallet's secret for a ticket vote key (None: not ours, watch-only or locked)."""
    if wallet.is_locked:
        return None
    return wallet.secret_for(Keychain.script_of(vote_pubkey))


def ticket_price(wallet: Wallet) -> int:
    """The price a purchase in the next block pays."""
    with read_pool(wallet.chainstate.db, wallet.params) as pool:
        return pool.next_price()


def purchase_tickets(
    wallet: Wallet,
    count: int = 1,
    *,
    fee_rate: int | None = None,
    conf_target: int = 6,
    spend_limit: int | None = None,
) -> list[bytes]:
    """Buy `count` tickets at the current price; their txids (submitted to the mempool).

    Stops early (returning what was bought) when the funds run out after the first ticket;
    raises InsufficientFunds when not even one can be paid. `spend_limit` caps the total
    price paid by this call.
    """
    if not 1 <= count <= MAX_PURCHASE:
        raise InvalidParameter(f"count must be between 1 and {MAX_PURCHASE}")
    with wallet.chainstate.lock, wallet.lock_:
        price = ticket_price(wallet)
        rate = builder.resolve_feerate(wallet, fee_rate, conf_target)
        bought: list[bytes] = []
        for _ in range(count):
            if spend_limit is not None and (len(bought) + 1) * price > spend_limit:
                break
            try:
                tx = _purchase_tx(wallet, price, rate)
            except InsufficientFunds:
                if bought:
                    break
                raise
            bought.append(wallet.broadcast(tx))
        return bought


def _purchase_tx(wallet: Wallet, price: int, rate: int) -> Tx:
    state = wallet.state
    chain = wallet._first_chain()
    stake_script = state.issue(chain, RECEIVE)
    vote_pubkey = state.origins[state.issue(chain, RECEIVE)].xonly
    reward_script = state.issue(chain, RECEIVE)
    payload = TicketPurchasePayload(vote_pubkey, reward_script).serialize()
    extra = len(encode_compact_size(len(payload))) - 1 + len(payload)  # vs an empty payload
    plan = builder._fund(
        wallet,
        [TxOut(price, stake_script)],
        rate,
        sffo=(),
        sequence=builder.SEQUENCE_NO_RBF,
        extra_size=extra,
    )
    outputs = list(plan.tx.outputs)
    change_index = plan.change_index
    if change_index is not None and change_index == 0:
        outputs.append(outputs.pop(0))
        change_index = len(outputs) - 1
    tx = replace(plan.tx, tx_type=TxType.TICKET_PURCHASE, outputs=tuple(outputs), payload=payload)
    signed = builder.sign_plan(wallet, replace(plan, tx=tx, change_index=change_index))
    with wallet.db.write() as w:
        wallet._persist(w, [])
    return signed


def _our_purchases(wallet: Wallet) -> list[TxRecord]:
    return [
        rec
        for rec in wallet.state.active(wallet._in_mempool)
        if rec.tx.tx_type is TxType.TICKET_PURCHASE
        and rec.tx.outputs
        and wallet.state.is_mine(rec.tx.outputs[STAKE_VOUT].script_pubkey)
    ]


def _spenders(wallet: Wallet) -> dict[OutPoint, bytes]:
    spent: dict[OutPoint, bytes] = {}
    for rec in wallet.state.active(wallet._in_mempool):
        for txin in rec.tx.inputs:
            spent[txin.prevout] = rec.tx.txid
    return spent


def list_tickets(wallet: Wallet) -> list[WalletTicket]:
    """Every ticket the wallet bought (oldest first), with its pool status; 'unmined' while
    the purchase waits in the mempool."""
    with wallet.chainstate.lock, wallet.lock_:
        spenders = _spenders(wallet)
        out: list[WalletTicket] = []
        with read_pool(wallet.chainstate.db, wallet.params) as pool:
            for rec in _our_purchases(wallet):
                tx = rec.tx
                payload = tx.decoded_payload()
                assert isinstance(payload, TicketPurchasePayload)
                ticket = pool.get(tx.txid)
                vote_script = Keychain.script_of(payload.vote_pubkey)
                out.append(
                    WalletTicket(
                        ticket_id=tx.txid,
                        price=tx.outputs[STAKE_VOUT].value,
                        status="unmined" if ticket is None else ticket.state.name.lower(),
                        purchase_height=None if ticket is None else ticket.purchase_height,
                        state_height=None if ticket is None else ticket.state_height,
                        vote_address=wallet.address_of(vote_script),
                        reward_address=_address_or_none(wallet, payload.reward_script),
                        spent_by=spenders.get(OutPoint(tx.txid, STAKE_VOUT)),
                    )
                )
        return out


def _address_or_none(wallet: Wallet, script: bytes) -> str | None:
    try:
        return wallet.address_of(script)
    except Exception:
        return None


def revoke_tickets(wallet: Wallet) -> list[bytes]:
    """Revoke every MISSED or EXPIRED ticket of the wallet whose stake is unspent; txids."""
    with wallet.chainstate.lock, wallet.lock_:
        if not wallet.has_private_keys:
            raise WalletError("Error: Private keys are disabled for this wallet")
        spenders = _spenders(wallet)
        todo: list[tuple[Ticket, TxOut]] = []
        with read_pool(wallet.chainstate.db, wallet.params) as pool:
            for rec in _our_purchases(wallet):
                ticket = pool.get(rec.tx.txid)
                op = OutPoint(rec.tx.txid, STAKE_VOUT)
                if (
                    ticket is not None
                    and ticket.state in (TicketState.MISSED, TicketState.EXPIRED)
                    and op not in spenders
                ):
                    todo.append((ticket, rec.tx.outputs[STAKE_VOUT]))
        txids = []
        for ticket, stake in todo:
            tx = _revoke_tx(wallet, ticket, stake)
            txids.append(wallet.broadcast(tx))
        return txids


def _revoke_tx(wallet: Wallet, ticket: Ticket, stake: TxOut) -> Tx:
    op = OutPoint(ticket.ticket_id, STAKE_VOUT)
    refund_script = wallet._new_script(RECEIVE)
    tx = Tx(
        version=1,
        tx_type=TxType.TICKET_REVOKE,
        inputs=(TxIn(op, SEQUENCE_FINAL),),
        outputs=(TxOut(max_revoke_refund(ticket.price, wallet.params), refund_script),),
        lock_time=0,
        payload=TicketRevokePayload(ticket.ticket_id).serialize(),
        witnesses=(b"",),
    )
    signed, complete = wallet.sign_transaction(tx, {op: stake})
    if not complete:
        raise WalletError(f"cannot sign the revocation of {ticket.ticket_id.hex()}")
    return signed


def stake_view(wallet: Wallet) -> Callable[[Tx, int], bool]:
    """A predicate `locked(tx, vout)`: True for a stake output the wallet may not spend yet
    (read once from the pool; call with the wallet lock held)."""
    purchases = {
        rec.tx.txid
        for rec in wallet.state.active(wallet._in_mempool)
        if rec.tx.tx_type is TxType.TICKET_PURCHASE
    }
    if not purchases:
        return lambda tx, vout: False
    next_height = wallet.chainstate.height + 1
    maturity = wallet.params.coinbase_maturity
    with read_pool(wallet.chainstate.db, wallet.params) as pool:
        unlocked = {
            tid for tid in purchases if stake_spendable(pool.get(tid), next_height, maturity)
        }

    def locked(tx: Tx, vout: int) -> bool:
        return is_stake_output(tx, vout) and tx.txid not in unlocked

    return locked
