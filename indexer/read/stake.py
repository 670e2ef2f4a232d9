"""What the transaction page says about stake: readable type names, the ticket a purchase,
revocation or SLASH concerns (its state, price, vote, reward address, history, the burned
stake), and labels on outputs (the stake of a purchase, the stake rewards of a coinbase).

Reads the indexer's models only; `annotate` returns a copy of a pages.TxView with the
output labels set, `ticket_note` the ticket card. A SLASH's burned stake is the output
whose spender is the SLASH with no input index (indexer.rows).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Final

from indexer.models import Block, Ticket, TicketEvent, TxOutput, Vote
from indexer.read.pages import TxIo, TxView
from indexer.rows import slashed_stake
from node import api
from node.params import ChainParams
from node.types.payloads import TicketRevokePayload, decode_payload
from node.types.tx import Tx, TxType

STAKE_VOUT: Final = 0
"""The stake is output 0 of a TICKET_PURCHASE (SPEC §5.2)."""
VOTE_REWARD_PERCENT: Final = 7
"""Each included vote earns 7 % of the subsidy (SPEC §5.3)."""
TX_TYPE_LABELS: Final = {
    TxType.STANDARD: "Standard",
    TxType.COINBASE: "Coinbase",
    TxType.TICKET_PURCHASE: "Ticket purchase",
    TxType.TICKET_REVOKE: "Ticket revocation",
    TxType.MN_REGISTER: "Masternode registration",
    TxType.MN_UPDATE_SERVICE: "Masternode service update",
    TxType.MN_UPDATE_REGISTRAR: "Masternode registrar update",
    TxType.MN_REVOKE: "Masternode revocation",
    TxType.QUORUM_COMMITMENT: "Quorum commitment",
    TxType.GOV_PROPOSAL: "Governance proposal",
    TxType.GOV_VOTE: "Governance vote",
    TxType.SLASH: "Slash",
    TxType.PEG_IN: "Peg-in",
    TxType.PEG_OUT: "Peg-out",
}
STATUS_LABELS: Final = {
    "immature": "Immature (maturing before it can be drawn)",
    "live": "Live (in the lottery)",
    "voted": "Voted",
    "missed": "Missed (drawn, did not vote; awaiting revocation)",
    "expired": "Expired (never drawn; awaiting revocation)",
    "revoked": "Revoked (stake refunded minus the penalty)",
    "slashed": "Slashed (stake burned for a double vote)",
}


def tx_type_label(tx_type: int) -> str:
    """A readable name of a tx_type number ("Type n" for an unknown one)."""
    try:
        return TX_TYPE_LABELS[TxType(tx_type)]
    except ValueError:
        return f"Type {tx_type}"


@dataclass(frozen=True, slots=True)
class TicketNote:
    """The ticket card of a stake transaction's page.

    `role` is purchase, revocation or slash; `status` is None for a ticket not indexed yet
    (a purchase waiting in the mempool)."""

    role: str
    ticket_id: str
    status: str | None = None
    price: int | None = None
    purchase_height: int | None = None
    status_height: int | None = None
    vote_block: Block | None = None
    reward_address: str | None = None
    events: tuple[tuple[int, str], ...] = ()
    burned_value: int | None = None
    burned_address: str | None = None

    @property
    def status_label(self) -> str:
        if self.status is None:
            return "Not mined yet (the purchase is in the mempool)"
        return STATUS_LABELS.get(self.status, self.status)


def _decode(view: TxView) -> Tx | None:
    try:
        return Tx.deserialize(bytes.fromhex(view.raw_hex))
    except ValueError:
        return None


def ticket_note(view: TxView) -> TicketNote | None:
    """The ticket a TICKET_PURCHASE, TICKET_REVOKE or SLASH transaction concerns."""
    tx = _decode(view)
    if tx is None:
        return None
    role, ticket_id = "", None
    if tx.tx_type is TxType.TICKET_PURCHASE:
        role, ticket_id = "purchase", view.txid
    elif tx.tx_type is TxType.TICKET_REVOKE:
        payload = decode_payload(tx.tx_type, tx.payload)
        if isinstance(payload, TicketRevokePayload):
            role, ticket_id = "revocation", payload.ticket_id.hex()
    elif tx.tx_type is TxType.SLASH:
        role, ticket_id = "slash", slashed_stake(tx)
    if ticket_id is None:
        return None
    burned_value = burned_address = None
    if role == "slash" and view.block is not None:
        burned = (
            TxOutput.objects.filter(spent_by_txid=view.txid, spent_by_index__isnull=True)
            .values_list("value", "address")
            .first()
        )
        if burned is not None:
            burned_value, burned_address = burned
    row = Ticket.objects.filter(ticket_id=ticket_id).first()
    if row is None:
        return TicketNote(role, ticket_id, burned_value=burned_value, burned_address=burned_address)
    events = tuple(
        TicketEvent.objects.filter(ticket=row)
        .order_by("height", "id")
        .values_list("height", "status")
    )
    vote_block = None
    if row.vote_block_height is not None:
        vote_block = Block.objects.filter(height=row.vote_block_height).first()
    return TicketNote(
        role, ticket_id, status=row.status, price=row.price,
        purchase_height=row.purchase_height, status_height=row.status_height,
        vote_block=vote_block, reward_address=row.reward_address, events=events,
        burned_value=burned_value, burned_address=burned_address,
    )  # fmt: skip


def annotate(view: TxView, params: ChainParams) -> TxView:
    """`view` with labels on the stake output of a purchase, on the stake input of a
    revocation, and on the stake reward outputs of a coinbase (vote order, SPEC §5.3)."""
    outputs, inputs = list(view.outputs), list(view.inputs)
    if view.tx_type == TxType.TICKET_PURCHASE and outputs:
        outputs[STAKE_VOUT] = dataclasses.replace(outputs[STAKE_VOUT], label="stake")
    elif view.tx_type == TxType.TICKET_REVOKE and inputs:
        inputs[0] = dataclasses.replace(inputs[0], label="stake", label_ticket=inputs[0].prev_txid)
    elif view.is_coinbase and view.block is not None:
        _label_rewards(view.block, outputs, params)
    return dataclasses.replace(view, outputs=outputs, inputs=inputs)


def _label_rewards(block: Block, outputs: list[TxIo], params: ChainParams) -> None:
    """Label the block's stake reward outputs: one per vote, in vote order, just before the
    masternode payment or last; each pays 7 % of the subsidy to the ticket's reward script."""
    votes = list(Vote.objects.filter(block=block).order_by("position").values_list("ticket_id"))
    if not votes:
        return
    ids = [v[0] for v in votes]
    rewards = dict(
        Ticket.objects.filter(ticket_id__in=ids).values_list("ticket_id", "reward_address")
    )
    per_vote = api.subsidy(block.height, params) * VOTE_REWARD_PERCENT // 100
    n = len(ids)
    for end in (len(outputs), len(outputs) - 1):
        window = outputs[end - n : end] if end - n >= 1 else []
        if len(window) == n and all(
            o.value == per_vote and (rewards.get(t) is None or o.address == rewards[t])
            for o, t in zip(window, ids, strict=True)
        ):
            for i, ticket_id in enumerate(ids):
                index = end - n + i
                outputs[index] = dataclasses.replace(
                    outputs[index], label="stake reward", label_ticket=ticket_id
                )
            return
