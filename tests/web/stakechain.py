"""A real staked regtest chain for the explorer tests, built in-process with the node's
chainstate and stake rules (LMDB, StakeRules), and what the node says about it.

`build_staked` mines, with short ticket lives (`PARAMS`), a chain that goes well past
stake_validation_height and holds every ticket state: tickets bought at moving prices by a
staker key (stake and revocation refunds to STAKER, rewards to REWARD, so both addresses
hold exactly what the stake rules gave them), 3-5 of the 5 selected tickets voting (the
others missed), expiries, revocations of missed and expired tickets, an ordinary spend of a
voted stake, and a SLASH: two competing blocks at one height, a ticket's vote for each,
and the evidence in a later block, burning that ticket's stake (its UTXO disappears
without a spending input). Branch B forks below stake_validation_height and goes past it
too, for reorgs. Chain A's tip block carries votes and closes a price window; a purchase
at the next price is built for the tests' mempool snapshot.

Deterministic: fixed keys, BIP340 aux randomness, timestamps and a seeded RNG.
"""

from __future__ import annotations

import dataclasses
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from node.chain.chainstate import Chainstate
from node.crypto.schnorr import pubkey_from_secret
from node.params import ChainParams, get_params
from node.script.templates import p2pkh_script_for_pubkey
from node.stake.chainrules import read_pool
from node.stake.revoke import max_revoke_refund
from node.stake.tickets import Ticket, TicketState
from node.stake.votes import sign_vote
from node.storage.records import Coin
from node.types import (
    SEQUENCE_FINAL,
    Block,
    DoubleVoteEvidence,
    OutPoint,
    SlashPayload,
    TicketPurchasePayload,
    TicketRevokePayload,
    Tx,
    TxIn,
    TxOut,
    TxType,
)
from tests.node.stake.chainharness import (
    FUND_SCRIPT,
    build,
    funding_coins,
    open_stake_chain,
    selected,
    sign,
    vote,
)
from tests.node.stake.helpers import AUX, pubkey, secret

PARAMS: ChainParams = dataclasses.replace(
    get_params("regtest"),
    stake_validation_height=24,
    ticket_maturity=4,
    ticket_expiry=20,
    ticket_pool_target=16,
    ticket_price_interval=8,
)
"""Regtest (coinbase maturity 10) with votes from 24 and a 20-block ticket life."""
SVH = PARAMS.stake_validation_height
FORK = SVH - 3
"""Branch B shares A's blocks 0..FORK."""
HEIGHT_A = SVH + 39
"""A's tip closes a price window: the next block's price differs from the tip's."""
HEIGHT_B = SVH + 14
SLASH_AT = SVH + 4
"""The competing blocks are at SLASH_AT - 1, the SLASH transaction at SLASH_AT."""

STAKER_SECRET = bytes.fromhex("44" * 32)
STAKER_SCRIPT = p2pkh_script_for_pubkey(pubkey_from_secret(STAKER_SECRET))
REWARD_SCRIPT = p2pkh_script_for_pubkey(pubkey_from_secret(bytes.fromhex("55" * 32)))
FEE = 5_000
VOTE_KEYS = 4
"""Vote keys k0..k3 of tests.node.stake.helpers (the harness signs votes with them)."""


@dataclass
class StakedChain:
    """Where the chains are and the objects the tests look at (hex ids)."""

    a: Path
    b: Path
    params: ChainParams = PARAMS
    slashed: str = ""
    slash_txid: str = ""
    slash_height: int = 0
    revoke_txids: list[str] = field(default_factory=list)
    stake_spend_txid: str = ""
    purchase_txid: str = ""
    mempool_purchase: Tx | None = None
    mempool_coins: tuple[Coin, ...] = ()


def purchase(coins: Sequence[tuple[OutPoint, Coin]], price: int, key: int) -> Tx:
    """A TICKET_PURCHASE paying `price` to STAKER (output 0), change to the funding key."""
    total = sum(c.value for _, c in coins)
    payload = TicketPurchasePayload(pubkey(f"k{key}"), REWARD_SCRIPT).serialize()
    tx = Tx(1, TxType.TICKET_PURCHASE, tuple(TxIn(op, SEQUENCE_FINAL) for op, _ in coins),
            (TxOut(price, STAKER_SCRIPT), TxOut(total - price - FEE, FUND_SCRIPT)),
            0, payload, tuple(b"" for _ in coins))  # fmt: skip
    return sign(tx, [TxOut(c.value, c.script_pubkey) for _, c in coins])


def revoke(ticket: Ticket, params: ChainParams = PARAMS) -> Tx:
    """The TICKET_REVOKE of a missed/expired ticket, refunding the most allowed to STAKER."""
    refund = max_revoke_refund(ticket.price, params)
    tx = Tx(1, TxType.TICKET_REVOKE, (TxIn(OutPoint(ticket.ticket_id, 0), SEQUENCE_FINAL),),
            (TxOut(refund, STAKER_SCRIPT),), 0,
            TicketRevokePayload(ticket.ticket_id).serialize(), (b"",))  # fmt: skip
    return sign(tx, [TxOut(ticket.price, STAKER_SCRIPT)], STAKER_SECRET)


def spend_stake(ticket: Ticket) -> Tx:
    """An ordinary (STANDARD) spend of a voted, matured stake back to STAKER."""
    tx = Tx(1, TxType.STANDARD, (TxIn(OutPoint(ticket.ticket_id, 0), SEQUENCE_FINAL),),
            (TxOut(ticket.price - FEE, STAKER_SCRIPT),), 0, b"", (b"",))  # fmt: skip
    return sign(tx, [TxOut(ticket.price, STAKER_SCRIPT)], STAKER_SECRET)


def slash(height: int, ticket: Ticket, parent_a: bytes, parent_b: bytes) -> Tx:
    """A SLASH of `ticket` with its votes for two blocks at height - 1."""
    key = secret(f"k{_key_index(ticket)}")
    evidence = DoubleVoteEvidence(
        parent_a, sign_vote(key, parent_a, ticket.ticket_id, 1, AUX),
        parent_b, sign_vote(key, parent_b, ticket.ticket_id, 1, AUX),
    )  # fmt: skip
    payload = SlashPayload(height, evidence).serialize()
    return Tx(1, TxType.SLASH, (), (), 0, payload, ())


def _key_index(ticket: Ticket) -> int:
    return next(i for i in range(VOTE_KEYS) if pubkey(f"k{i}") == ticket.vote_pubkey)


def _tickets(cs: Chainstate) -> dict[bytes, Ticket]:
    with read_pool(cs.db, cs.params) as pool:
        return dict(pool.store.all_tickets())


def _stake_unspent(cs: Chainstate, ticket_id: bytes) -> bool:
    with cs.db.read() as txn:
        return txn.has_coin(OutPoint(ticket_id, 0))


class Builder:
    """Mines one branch block by block (module docstring)."""

    def __init__(self, cs: Chainstate, out: StakedChain, seed: int, tag: bytes) -> None:
        self.cs = cs
        self.out = out
        self.rng = random.Random(seed)
        self.tag = tag

    def purchases(self, count: int) -> list[Tx]:
        with read_pool(self.cs.db, self.cs.params) as pool:
            price = pool.next_price()
        coins = funding_coins(self.cs)
        txs = []
        for i in range(count):
            funding, total = [], 0
            while coins and total < price + FEE:
                funding.append(coins.pop())
                total += funding[-1][1].value
            if total < price + FEE:
                break
            txs.append(purchase(funding, price, key=(self.cs.height + i) % VOTE_KEYS))
        return txs

    def step(self, extra: Sequence[Tx] = (), *, slash_victim: bytes | None = None) -> Block:
        """One block: purchases keeping ~44 tickets in the pipeline, a revocation of the
        oldest missed/expired ticket every third block (one of each state is kept), the
        first voted stake that matured spent once, and 3-5 votes from SVH on."""
        cs, h = self.cs, self.cs.height + 1
        tickets = _tickets(cs)
        pipeline = sum(
            t.state in (TicketState.LIVE, TicketState.IMMATURE) for t in tickets.values()
        )
        txs: list[Tx] = list(extra)
        if h >= cs.params.coinbase_maturity + 2:
            txs += self.purchases(8 if pipeline < 44 else 4)
        if h % 3 == 0:
            for state in (TicketState.MISSED, TicketState.EXPIRED):
                waiting = sorted(
                    (t for t in tickets.values() if t.state is state),
                    key=lambda t: (t.state_height, t.ticket_id),
                )
                if len(waiting) > 1:
                    txs.append(revoke(waiting[0], cs.params))
                    self.out.revoke_txids.append(txs[-1].txid.hex())
        if not self.out.stake_spend_txid:
            voted = [
                t for t in tickets.values()
                if t.state is TicketState.VOTED
                and h - t.state_height >= cs.params.coinbase_maturity
                and t.ticket_id != slash_victim
            ]  # fmt: skip
            if voted:
                txs.append(spend_stake(min(voted, key=lambda t: t.ticket_id)))
                self.out.stake_spend_txid = txs[-1].txid.hex()
        votes, voters = [], []
        if h >= cs.params.stake_validation_height:
            chosen = [t for t in selected(cs) if t.ticket_id != slash_victim]
            n = min(len(chosen), self.rng.choice([3, 4, 5, 5]))
            voters = sorted(self.rng.sample(chosen, n), key=lambda t: t.ticket_id)
            votes = [vote(cs.tip.hash, t) for t in voters]
        block = build(cs, txs, votes, voters, tag=self.tag)
        cs.process_block(block)
        assert cs.tip.hash == block.hash, f"block {h} was not connected"
        return block

    def double_vote_and_slash(self) -> None:
        """Two competing blocks at SLASH_AT - 1, then the SLASH of a LIVE ticket that is
        not drawn for SLASH_AT, with its votes for both."""
        cs = self.cs
        chosen = selected(cs)
        voters = chosen[:4]
        votes = [vote(cs.tip.hash, t) for t in voters]
        a = build(cs, (), votes, voters, tag=self.tag)
        b = build(cs, (), votes, voters, tag=self.tag + b"/sibling")
        cs.process_block(a)
        cs.process_block(b)
        assert cs.tip.hash == a.hash
        drawn = {t.ticket_id for t in selected(cs)}
        victim = min(
            (t for t in _tickets(cs).values()
             if t.state is TicketState.LIVE and t.ticket_id not in drawn),
            key=lambda t: t.ticket_id,
        )  # fmt: skip
        tx = slash(cs.height + 1, victim, a.hash, b.hash)
        self.step([tx], slash_victim=victim.ticket_id)
        assert not _stake_unspent(cs, victim.ticket_id)
        self.out.slashed = victim.ticket_id.hex()
        self.out.slash_txid = tx.txid.hex()
        self.out.slash_height = cs.height


def build_staked(root: Path) -> StakedChain:
    """Chains A and B under `root` (module docstring); the chainstates are closed."""
    a, b = root / "a", root / "b"
    out = StakedChain(a, b)
    cs = open_stake_chain(a, PARAMS)
    try:
        builder = Builder(cs, out, seed=8, tag=b"a")
        while cs.height < FORK:
            builder.step()
    finally:
        cs.close()
    shutil.copytree(a, b)
    cs = open_stake_chain(a, PARAMS)
    try:
        builder = Builder(cs, out, seed=8, tag=b"a")
        while cs.height < HEIGHT_A:
            if cs.height == SLASH_AT - 2:
                builder.double_vote_and_slash()
            else:
                builder.step()
        out.purchase_txid = next(
            tx.txid.hex() for tx in cs.get_block(cs.tip.hash).txs
            if tx.tx_type is TxType.TICKET_PURCHASE
        )  # fmt: skip
        (pending,) = builder.purchases(1)
        out.mempool_purchase = pending
        with cs.db.read() as txn:
            out.mempool_coins = tuple(
                c for txin in pending.inputs if (c := txn.get_coin(txin.prevout)) is not None
            )
    finally:
        cs.close()
    cs = open_stake_chain(b, PARAMS)
    try:
        builder = Builder(cs, StakedChain(a, b), seed=9, tag=b"b")
        while cs.height < HEIGHT_B:
            builder.step()
    finally:
        cs.close()
    return out


@dataclass(frozen=True)
class NodeView:
    """What the node itself holds at its tip: the ticket pool, the UTXO set and the price a
    purchase in the next block pays (the sources of getstakeinfo, listtickets,
    gettxoutsetinfo and gettxout)."""

    height: int
    tickets: dict[str, str]
    utxos: dict[tuple[str, int], tuple[int, bytes]]
    next_price: int
    live: int


def node_view(datadir: Path, params: ChainParams = PARAMS) -> NodeView:
    """Open the chainstate of `datadir` and read the node's view of its tip."""
    cs = open_stake_chain(datadir, params)
    try:
        with read_pool(cs.db, params) as pool, cs.db.read() as txn:
            return NodeView(
                height=cs.height,
                tickets={
                    t.ticket_id.hex(): t.state.name.lower()
                    for t in pool.store.all_tickets().values()
                },
                utxos={
                    (op.txid.hex(), op.vout): (c.value, c.script_pubkey)
                    for op, c in txn.iter_utxos()
                },
                next_price=pool.next_price(),
                live=pool.store.live_count(),
            )
    finally:
        cs.close()
