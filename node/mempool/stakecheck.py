"""The stake rules a mempool transaction must meet (SPEC §5.2), against the committed pool.

A TICKET_PURCHASE must pay the price of the next block; an input spending a ticket's stake
must be allowed by the ticket's state at the next height (never while IMMATURE or LIVE, a
MISSED/EXPIRED stake only by its TICKET_REVOKE, a VOTED stake after coinbase maturity); a
TICKET_REVOKE must revoke a revocable ticket with at most the refund allowed. The stake of a
purchase still in the mempool is IMMATURE. A rejection is a ConsensusReject with the stake
rule's reason, as the block would get.

`stale_purchases` lists pool purchases that no longer pay the price (after a retarget or a
reorg across one); the mempool evicts them, as dcrd drops stale tickets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from node.mempool.entry import MempoolEntry
from node.mempool.errors import ConsensusReject
from node.params import ChainParams
from node.stake.errors import SpendOfLiveTicket, StakeError
from node.stake.pool import TicketPool
from node.stake.revoke import check_stake_spend, check_ticket_revoke, revoke_ticket_id
from node.stake.store import LmdbTicketStore
from node.stake.tickets import STAKE_VOUT, check_ticket_purchase
from node.storage.schema import DB_TICKETS
from node.storage.txn import ReadTxn
from node.types.tx import Tx, TxType

__all__ = ["STAKE_TX_TYPES", "check_stake_tx", "invalid_stake_txs", "stale_purchases"]

STAKE_TX_TYPES = (TxType.TICKET_PURCHASE, TxType.TICKET_REVOKE)
"""Stake transaction types the mempool relays (SLASH evidence goes straight to miners)."""


def check_stake_tx(
    tx: Tx,
    txn: ReadTxn,
    params: ChainParams,
    height: int,
    entries: Mapping[bytes, MempoolEntry],
) -> None:
    """Raise ConsensusReject unless `tx` meets the stake rules in a block at `height`."""
    pool = TicketPool(LmdbTicketStore(txn.kv(DB_TICKETS)), params)
    try:
        if tx.tx_type is TxType.TICKET_PURCHASE:
            check_ticket_purchase(tx, pool.next_price())
        elif tx.tx_type is TxType.TICKET_REVOKE:
            check_ticket_revoke(tx, pool.get(revoke_ticket_id(tx)), params)
        for txin in tx.inputs:
            op = txin.prevout
            if op.vout != STAKE_VOUT:
                continue
            parent = entries.get(op.txid)
            if parent is not None and parent.tx.tx_type is TxType.TICKET_PURCHASE:
                raise SpendOfLiveTicket(f"stake of IMMATURE ticket {op.txid.hex()}")
            ticket = pool.get(op.txid)
            if ticket is not None:
                check_stake_spend(tx, ticket, height, params)
    except StakeError as exc:
        raise ConsensusReject(exc.reason, str(exc)) from None


def stale_purchases(entries: Iterable[MempoolEntry], price: int) -> set[bytes]:
    """Txids of pool ticket purchases whose stake is not `price`."""
    return {
        e.tx.txid
        for e in entries
        if e.tx.tx_type is TxType.TICKET_PURCHASE and e.tx.outputs[STAKE_VOUT].value != price
    }


def invalid_stake_txs(
    entries: Mapping[bytes, MempoolEntry], txn: ReadTxn, params: ChainParams, height: int
) -> set[bytes]:
    """Txids of pool entries that touch the stake (purchases, revocations, spends of an
    output 0) and no longer meet the stake rules at `height` (after a reorg)."""
    bad = set()
    for txid, e in entries.items():
        tx = e.tx
        if tx.tx_type in STAKE_TX_TYPES or any(i.prevout.vout == STAKE_VOUT for i in tx.inputs):
            try:
                check_stake_tx(tx, txn, params, height, entries)
            except ConsensusReject:
                bad.add(txid)
    return bad
