"""The stake rules through the real chainstate (LMDB, StakeRules): a 520-block regtest chain
with ticket purchases at changing prices, votes by 3-5 of the 5 selected tickets (the rest
missed), expiries, revocations, stake rewards in the coinbase, and a reorganisation across
stake_validation_height fed block by block from a second chainstate.

At checkpoints the ticket pool (every record, the LIVE set, the next price) is compared with
the event-based reference of test_scenario (which never runs the pool's code) and the UTXO
set with an independent replay of the blocks' transactions.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from node.chain.chainstate import Chainstate
from node.stake.chainrules import read_pool
from node.stake.tickets import STAKE_VOUT, TicketState, ticket_from_purchase
from node.types import Block, OutPoint
from tests.node.stake.chainharness import (
    build,
    funding_coins,
    open_stake_chain,
    purchase,
    revoke,
    selected,
    vote,
)
from tests.node.stake.helpers import PARAMS
from tests.node.stake.test_scenario import BlockInput, Reference, naive_lottery

SVH = PARAMS.stake_validation_height
FORK = SVH - 6
MAIN_A = SVH + 30
BRANCH_B = SVH + 45
TOTAL = 520


class UtxoModel:
    """The UTXO set replayed from the blocks alone (inputs out, outputs in)."""

    def __init__(self) -> None:
        self.coins: dict[OutPoint, tuple[int, bytes]] = {}

    def apply(self, block: Block) -> None:
        for tx in block.txs:
            if not tx.is_coinbase():
                for txin in tx.inputs:
                    del self.coins[txin.prevout]
            for vout, out in enumerate(tx.outputs):
                if out.script_pubkey[:1] != b"\x6a":
                    self.coins[OutPoint(tx.txid, vout)] = (out.value, out.script_pubkey)


def step(cs: Chainstate, rng: random.Random, tag: bytes) -> tuple[Block, BlockInput]:
    """Build and connect one block with random purchases, votes and revocations."""
    h = cs.height + 1
    with read_pool(cs.db, cs.params) as pool:
        price = pool.next_price()
        tickets = pool.store.all_tickets()
    txs, bought = [], []
    coins = funding_coins(cs)
    pipeline = sum(
        1 for t in tickets.values() if t.state in (TicketState.LIVE, TicketState.IMMATURE)
    )
    # buy in waves around the pool target (counting the maturing tickets) so the price
    # moves both ways
    p = cs.params
    target = p.ticket_pool_target * (2 if (h // 100) % 2 == 0 else 1)
    target += p.tickets_per_block * p.ticket_maturity
    count = rng.randint(0, 3) if pipeline > target else rng.randint(5, 9)
    for i in range(count):
        funding, total = [], 0
        while coins and total < price + 10_000:
            funding.append(coins.pop())
            total += funding[-1][1].value
        if total < price + 10_000:
            break
        tx = purchase(funding, price, key=i % 4, tag=f"{tag.decode()}/{h}/{i}")
        txs.append(tx)
        bought.append(ticket_from_purchase(tx, h, price))
    revocable = sorted(
        t for t, k in tickets.items() if k.state in (TicketState.MISSED, TicketState.EXPIRED)
    )
    revoked = rng.sample(revocable, min(len(revocable), rng.randint(0, 2)))
    txs += [revoke(tickets[t]) for t in revoked]
    votes, voters, missed = [], [], []
    if h >= SVH:
        chosen = selected(cs)
        n = min(len(chosen), rng.choice([3, 4, 5, 5]))
        voters = sorted(rng.sample(chosen, n), key=lambda t: t.ticket_id)
        votes = [vote(cs.tip.hash, t) for t in voters]
        missed = [t.ticket_id for t in chosen if t not in voters]
    block = build(cs, txs, votes, voters, tag=tag)
    cs.process_block(block)
    assert cs.tip.hash == block.hash, f"block {h} was not connected"
    inp = BlockInput(h, block.header.prev_hash, bought, [t.ticket_id for t in voters], missed,
                     revoked, [])  # fmt: skip
    return block, inp


def check(cs: Chainstate, ref: Reference, utxos: UtxoModel) -> None:
    h = cs.height
    with read_pool(cs.db, cs.params) as pool:
        assert pool.store.all_tickets() == ref.tickets_at(h), h
        assert sorted(pool.store.live_ids()) == sorted(ref.live_at(h)), h
        assert pool.next_price() == ref.price_at(h + 1), h
        assert pool.height == h
        if h + 1 >= SVH:
            assert list(pool.selected_for(cs.tip.hash)) == naive_lottery(
                cs.tip.hash, ref.live_at(h)
            )
    with cs.db.read() as txn:
        got = {op: (c.value, c.script_pubkey) for op, c in txn.iter_utxos()}
    assert got == utxos.coins, h


def replay(blocks: list[Block], inputs: list[BlockInput]) -> tuple[Reference, UtxoModel]:
    ref, utxos = Reference(), UtxoModel()
    for block, inp in zip(blocks, inputs, strict=True):
        ref.add(inp)
        utxos.apply(block)
    return ref, utxos


def test_520_blocks_with_reorg_across_svh(tmp_path: Path) -> None:
    rng = random.Random(20261125)
    cs = open_stake_chain(tmp_path / "a")
    cs2 = open_stake_chain(tmp_path / "b")
    genesis = cs.get_block(cs.tip.hash)
    blocks: list[Block] = [genesis]
    inputs: list[BlockInput] = [BlockInput(0, bytes(32), [], [], [], [], [])]
    try:
        # branch A up to SVH + 30 (votes from SVH on)
        while cs.height < MAIN_A:
            block, inp = step(cs, rng, b"a")
            blocks.append(block)
            inputs.append(inp)
        ref, utxos = replay(blocks, inputs)
        check(cs, ref, utxos)
        assert len(cs.get_block(cs.tip.hash).votes) >= 3

        # branch B from FORK (below SVH) to SVH + 45, built on a second chainstate
        for block in blocks[1 : FORK + 1]:
            cs2.process_block(block)
        b_blocks, b_inputs = blocks[: FORK + 1], inputs[: FORK + 1]
        rng_b = random.Random(7)
        while cs2.height < BRANCH_B:
            block, inp = step(cs2, rng_b, b"b")
            b_blocks.append(block)
            b_inputs.append(inp)
        # feed B to A's chainstate: it reorganises across stake_validation_height
        for block in b_blocks[FORK + 1 :]:
            cs.process_block(block)
        assert cs.tip.hash == cs2.tip.hash
        blocks, inputs = b_blocks, b_inputs
        ref, utxos = replay(blocks, inputs)
        check(cs, ref, utxos)
        with cs.db.read() as txn, cs2.db.read() as txn2:
            assert txn.utxo_set_digest() == txn2.utxo_set_digest()
        assert cs.tip.header.state_root == cs2.tip.header.state_root

        # and on to 520 blocks, checking every 25
        while cs.height < TOTAL:
            block, inp = step(cs, rng, b"c")
            blocks.append(block)
            inputs.append(inp)
            ref.add(inp)
            utxos.apply(block)
            if cs.height % 25 == 0:
                check(cs, ref, utxos)
        check(cs, ref, utxos)
    finally:
        cs.close()
        cs2.close()

    events = Counter(name for ev in ref.events.values() for name in ev)
    states = Counter(t.state for t in ref.tickets_at(TOTAL).values())
    assert events["vote"] > 1000
    assert events["miss"] > 100
    assert events["revoke"] > 50
    expired = states[TicketState.EXPIRED] + sum(
        1 for ev in ref.events.values() if "revoke" in ev and "miss" not in ev
    )
    assert expired > 0, "no ticket expired"
    assert len({ref.price_at(h) for h in range(0, TOTAL, 10)}) > 10, "the price never moved"
    # every included vote was paid 7 % of the subsidy to the ticket's reward script
    for block in blocks[SVH:]:
        assert len(block.votes) >= 3
        rewards = block.txs[0].outputs[-len(block.votes) :]
        assert len({out.value for out in rewards}) == 1
    # a voted stake is an ordinary UTXO again, a revoked one is spent
    with cs_reopen(tmp_path / "a") as again:
        with again.db.read() as txn:
            voted = [t for t in ref.tickets_at(TOTAL).values() if t.state is TicketState.VOTED]
            assert all(txn.has_coin(OutPoint(t.ticket_id, STAKE_VOUT)) for t in voted[:50])
        assert again.height == TOTAL


class cs_reopen:  # noqa: N801 - used as a context manager
    """Reopen a stake chain (the pool's height is checked against the tip on open)."""

    def __init__(self, path: Path) -> None:
        self.cs = open_stake_chain(path)

    def __enter__(self) -> Chainstate:
        return self.cs

    def __exit__(self, *exc: object) -> None:
        self.cs.close()
