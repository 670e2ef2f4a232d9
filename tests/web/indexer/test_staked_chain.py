"""The indexer on a real staked chain (tests/web/stakechain.py), SQLite and Postgres: ticket
rows in every state, votes and stake rewards per block, supply, ticket prices, a SLASH that
burns a stake, and a reorg across stake_validation_height, each checked against what the
node itself holds (its ticket pool, its UTXO set, its next ticket price) and against the
independent recomputation of tests/web/indexer/expected.py.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

from indexer.models import Address, Block, Ticket, TicketEvent, Transaction, TxOutput, Vote
from indexer.sink import Indexer
from node import api
from node.types import TxType
from tests.web.indexer.expected import compare, recompute
from tests.web.stakechain import (
    FORK,
    HEIGHT_A,
    HEIGHT_B,
    PARAMS,
    REWARD_SCRIPT,
    STAKER_SCRIPT,
    SVH,
    StakedChain,
    node_view,
)

HRP = PARAMS.bech32_hrp
STAKER = api.script_address(STAKER_SCRIPT, HRP)
REWARD = api.script_address(REWARD_SCRIPT, HRP)


def index(datadir: Path, alias: str) -> Indexer:
    reader = api.ChainReader.open_readonly(datadir, PARAMS)
    indexer = Indexer(reader, using=alias, batch_blocks=7)
    try:
        indexer.sync()
    finally:
        reader.close()
    return indexer


def test_every_ticket_state_matches_the_node_pool(idx_db: str, staked: StakedChain) -> None:
    """Catch-up of a chain 36 blocks past SVH gives the recomputed rows, and each ticket's
    status is the node pool's state (a SLASHed ticket, gone from the pool, is `slashed`)."""
    index(staked.a, idx_db)
    assert compare(recompute(staked.a, PARAMS), idx_db) == []
    node = node_view(staked.a)
    rows = dict(Ticket.objects.using(idx_db).values_list("ticket_id", "status"))
    assert {t: s for t, s in rows.items() if t != staked.slashed} == node.tickets
    assert rows[staked.slashed] == "slashed"
    assert staked.slashed not in node.tickets
    counts = Counter(rows.values())
    assert set(counts) == {"immature", "live", "voted", "missed", "expired", "revoked", "slashed"}
    tip = Block.objects.using(idx_db).get(height=HEIGHT_A)
    assert tip.ticket_pool_size == node.live == counts["live"]
    events = TicketEvent.objects.using(idx_db).filter(ticket__ticket_id=staked.slashed)
    assert list(events.values_list("status", flat=True))[-1] == "slashed"


def test_votes_and_stake_rewards_of_every_block(idx_db: str, staked: StakedChain) -> None:
    """Each block's Vote rows are its votes in order; from SVH on the coinbase pays 7 % of
    the subsidy per vote to the tickets' reward address, and nothing before it."""
    index(staked.a, idx_db)
    reader = api.ChainReader.open_readonly(staked.a, PARAMS)
    try:
        chain = reader.read(0, HEIGHT_A + 1)
    finally:
        reader.close()
    votes: dict[int, list[tuple[str, int]]] = {}
    for h, tid, bits in (
        Vote.objects.using(idx_db)
        .order_by("block__height", "position")
        .values_list("block__height", "ticket_id", "vote_bits")
    ):
        votes.setdefault(h, []).append((tid, bits))
    for cb in chain:
        want = [(v.ticket_id.hex(), v.vote_bits) for v in cb.block.votes]
        assert votes.get(cb.height, []) == want, cb.height
        block = Block.objects.using(idx_db).get(height=cb.height)
        assert block.vote_count == len(want)
        assert (len(want) >= 3) == (cb.height >= SVH)
        rewards = list(
            TxOutput.objects.using(idx_db)
            .filter(tx__height=cb.height, tx__position=0, address=REWARD)
            .values_list("value", flat=True)
        )
        assert rewards == [api.subsidy(cb.height, PARAMS) * 7 // 100] * len(want), cb.height


def test_supply_and_prices_follow_the_node(idx_db: str, staked: StakedChain) -> None:
    """Supply after every block = previous + coinbase outputs - fees - burned stake, and at
    the tip it is the node's UTXO total; every purchase paid its block's ticket_price, which
    only changes at window starts; each block's next_ticket_price is the next block's price
    as the node stored it, and at the tip (which closes a window) the pool's next price."""
    index(staked.a, idx_db)
    node = node_view(staked.a)
    blocks = list(Block.objects.using(idx_db).order_by("height"))
    assert blocks[-1].supply == sum(v for v, _ in node.utxos.values())
    unspent = TxOutput.objects.using(idx_db).filter(spent_by_txid__isnull=True)
    assert sum(unspent.values_list("value", flat=True)) == blocks[-1].supply
    burned = {staked.slash_height: _stake_value(idx_db, staked.slashed)}
    for prev, block in itertools.pairwise(blocks):
        coinbase = Transaction.objects.using(idx_db).get(height=block.height, position=0)
        change = coinbase.output_total - block.total_fees - burned.get(block.height, 0)
        assert block.supply - prev.supply == change, block.height
        if block.height % PARAMS.ticket_price_interval:
            assert block.ticket_price == prev.ticket_price, block.height
        assert prev.next_ticket_price == block.ticket_price, prev.height
    assert blocks[-1].next_ticket_price == node.next_price != blocks[-1].ticket_price
    stakes = TxOutput.objects.using(idx_db).filter(index=0, tx__tx_type=TxType.TICKET_PURCHASE)
    for value, price in stakes.values_list("value", "tx__block__ticket_price"):
        assert value == price
    assert len({b.ticket_price for b in blocks}) >= 4


def _stake_value(alias: str, ticket_id: str) -> int:
    return TxOutput.objects.using(alias).get(tx__txid=ticket_id, index=0).value


def test_a_slashed_stake_is_not_left_unspent(idx_db: str, staked: StakedChain) -> None:
    """The SLASH burns the stake: its output shows the SLASH transaction as spender, and the
    staker's address holds exactly the node's UTXOs for its script (balance and count)."""
    index(staked.a, idx_db)
    node = node_view(staked.a)
    assert (staked.slashed, 0) not in node.utxos
    stake = TxOutput.objects.using(idx_db).get(tx__txid=staked.slashed, index=0)
    assert stake.spent_by_txid == staked.slash_txid
    assert stake.spent_by_index is None
    assert stake.spent_height == staked.slash_height
    mine = {op: v for op, (v, script) in node.utxos.items() if script == STAKER_SCRIPT}
    row = Address.objects.using(idx_db).get(address=STAKER)
    assert (row.balance, row.utxo_count) == (sum(mine.values()), len(mine))
    assert row.received - row.sent == row.balance
    sql_utxos = set(
        TxOutput.objects.using(idx_db)
        .filter(address=STAKER, spent_by_txid__isnull=True)
        .values_list("tx__txid", "index")
    )
    assert sql_utxos == set(mine)


def test_reorg_across_stake_validation_height(idx_db: str, staked: StakedChain) -> None:
    """SQL holds A (39 blocks past SVH, with the SLASH); the node switches to B, forked
    below SVH: A's votes, rewards, tickets and the burn are undone from SQL alone and B's
    applied; then back to A. Each time the rows equal the recomputation and the pool."""
    index(staked.a, idx_db)
    moved = index(staked.b, idx_db)
    assert moved.blocks_indexed == HEIGHT_B - FORK
    assert compare(recompute(staked.b, PARAMS), idx_db) == []
    node_b = node_view(staked.b)
    rows = dict(Ticket.objects.using(idx_db).values_list("ticket_id", "status"))
    assert rows == node_b.tickets
    assert not TxOutput.objects.using(idx_db).filter(tx__txid=staked.slash_txid).exists()
    assert Block.objects.using(idx_db).get(height=HEIGHT_B).ticket_pool_size == node_b.live
    index(staked.a, idx_db)
    assert compare(recompute(staked.a, PARAMS), idx_db) == []
    stake = TxOutput.objects.using(idx_db).get(tx__txid=staked.slashed, index=0)
    assert stake.spent_by_txid == staked.slash_txid
