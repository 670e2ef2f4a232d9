"""A real chainstate with the stake rules on (LMDB, StakeRules) and builders for stake blocks:
funded ticket purchases signed by a test key, votes signed by known vote keys, revocations,
and blocks carrying votes and their stake reward outputs.

Vote keys are `secret(f"k{i}")` for i in 0..3 (tests.node.stake.helpers); stakes and change
pay the funding key, so revocations can be signed; rewards go to `p2pkh("reward/...")`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from node.chain.chainstate import Chainstate
from node.chain.miner import BlockAssembler, solve
from node.consensus.subsidy import reward_split
from node.crypto.schnorr import pubkey_from_secret
from node.params import ChainParams
from node.script import PrecomputedTxData, sign_input
from node.script.templates import p2pkh_script_for_pubkey, p2pkh_script_sig
from node.stake.chainrules import StakeRules, read_pool
from node.stake.revoke import max_revoke_refund
from node.stake.rewards import stake_reward_outputs
from node.stake.tickets import Ticket
from node.stake.votes import sign_vote
from node.storage.records import Coin
from node.types import (
    SEQUENCE_FINAL,
    Block,
    OutPoint,
    TicketPurchasePayload,
    TicketRevokePayload,
    TicketVote,
    Tx,
    TxIn,
    TxOut,
    TxType,
)
from tests.node.stake.helpers import AUX, PARAMS, p2pkh, pubkey, secret

FUND_SECRET = bytes.fromhex("33" * 32)
FUND_PUBKEY = pubkey_from_secret(FUND_SECRET)
FUND_SCRIPT = p2pkh_script_for_pubkey(FUND_PUBKEY)
VOTE_KEYS = {pubkey(f"k{i}"): secret(f"k{i}") for i in range(4)}
SPACING = 150
FANOUT = 4


class Clock:
    def __init__(self, params: ChainParams) -> None:
        self.now = float(params.genesis_timestamp + 10**8)

    def __call__(self) -> float:
        return self.now


def open_stake_chain(path: Path, params: ChainParams = PARAMS) -> Chainstate:
    return Chainstate.open(path, params, clock=Clock(params), extensions=[StakeRules(params)])


def sign(tx: Tx, spent: Sequence[TxOut], secret_key: bytes = FUND_SECRET) -> Tx:
    pre = PrecomputedTxData.from_tx(tx)
    pub = pubkey_from_secret(secret_key)
    witnesses = tuple(
        p2pkh_script_sig(sign_input(secret_key, tx, i, out, precomputed=pre, aux_rand=AUX), pub)
        for i, out in enumerate(spent)
    )
    return dataclasses.replace(tx, witnesses=witnesses)


def purchase(
    coins: Sequence[tuple[OutPoint, Coin]], price: int, key: int, tag: str, fee: int = 5000
) -> Tx:
    """A signed TICKET_PURCHASE spending funding coins: stake `price` to the funding key,
    vote key k<key>, change back to the funding key."""
    total = sum(c.value for _, c in coins)
    payload = TicketPurchasePayload(pubkey(f"k{key}"), p2pkh("reward/" + tag)).serialize()
    tx = Tx(1, TxType.TICKET_PURCHASE, tuple(TxIn(op, SEQUENCE_FINAL) for op, _ in coins),
            (TxOut(price, FUND_SCRIPT), TxOut(total - price - fee, FUND_SCRIPT)),
            0, payload, tuple(b"" for _ in coins))  # fmt: skip
    return sign(tx, [TxOut(c.value, c.script_pubkey) for _, c in coins])


def revoke(ticket: Ticket, params: ChainParams = PARAMS) -> Tx:
    refund = max_revoke_refund(ticket.price, params)
    tx = Tx(1, TxType.TICKET_REVOKE, (TxIn(OutPoint(ticket.ticket_id, 0), SEQUENCE_FINAL),),
            (TxOut(refund, FUND_SCRIPT),), 0,
            TicketRevokePayload(ticket.ticket_id).serialize(), (b"",))  # fmt: skip
    return sign(tx, [TxOut(ticket.price, FUND_SCRIPT)])


def spend_stake(ticket: Ticket, fee: int = 5000) -> Tx:
    """An ordinary spend of a ticket's stake output (valid only once it voted and matured)."""
    tx = Tx(1, TxType.STANDARD, (TxIn(OutPoint(ticket.ticket_id, 0), SEQUENCE_FINAL),),
            (TxOut(ticket.price - fee, FUND_SCRIPT),), 0, b"", (b"",))  # fmt: skip
    return sign(tx, [TxOut(ticket.price, FUND_SCRIPT)])


def vote(prev_hash: bytes, ticket: Ticket, bits: int = 1) -> TicketVote:
    return sign_vote(VOTE_KEYS[ticket.vote_pubkey], prev_hash, ticket.ticket_id, bits, AUX)


def funding_coins(cs: Chainstate) -> list[tuple[OutPoint, Coin]]:
    """Mature funding-key coins that are not ticket stakes, oldest first."""
    maturity = cs.params.coinbase_maturity
    with cs.db.read() as txn, read_pool(cs.db, cs.params) as pool:
        coins = [
            (op, c)
            for op, c in txn.iter_utxos()
            if c.script_pubkey == FUND_SCRIPT
            and (not c.is_coinbase or cs.height + 1 - c.height >= maturity)
            and not (op.vout == 0 and pool.get(op.txid) is not None)
        ]
    return sorted(coins, key=lambda item: (item[1].height, item[0].txid, item[0].vout))


def selected(cs: Chainstate, parent: bytes | None = None) -> list[Ticket]:
    parent = cs.tip.hash if parent is None else parent
    with read_pool(cs.db, cs.params) as pool:
        return [t for tid in pool.selected_for(parent) if (t := pool.get(tid)) is not None]


def build(
    cs: Chainstate,
    txs: Sequence[Tx] = (),
    votes: Sequence[TicketVote] = (),
    vote_tickets: Sequence[Ticket] = (),
    *,
    stake_outputs: Sequence[TxOut] | None = None,
    tag: bytes = b"stake",
) -> Block:
    """A solved block on the tip with `txs`, `votes` and (by default) the right stake
    outputs for `vote_tickets`; the coinbase fans the miner share out to the funding key."""
    height = cs.height + 1
    if stake_outputs is None:
        stake_outputs = stake_reward_outputs(height, list(vote_tickets), False, cs.params)
    assembler = BlockAssembler(cs)
    fees = assembler.fees_of(txs)
    share = reward_split(height, len(votes), False, cs.params).miner + fees
    part = share // FANOUT
    outputs = [TxOut(part, FUND_SCRIPT)] * (FANOUT - 1) + [
        TxOut(share - part * (FANOUT - 1), FUND_SCRIPT)
    ]
    block = assembler.create_block(
        FUND_SCRIPT, txs, timestamp=cs.tip.timestamp + SPACING, tag=tag,
        coinbase_outputs=outputs, votes=votes, stake_outputs=stake_outputs,
    )  # fmt: skip
    solved = solve(block, cs.params)
    assert solved is not None
    return solved
