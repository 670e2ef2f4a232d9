"""Stake transactions in the mempool: a purchase must pay the next block's price, a ticket's
stake cannot be spent while IMMATURE (even from the mempool) or LIVE, a LIVE ticket cannot
be revoked, and purchases at a stale price are evicted when the price window turns. Also the
vote pool: only selected tickets' correctly signed votes for the tip are accepted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.chain.chainstate import Chainstate
from node.chain.miner import solve
from node.mempool.errors import ConsensusReject
from node.mempool.pool import Mempool
from node.mempool.template import build_template
from node.mempool.votes import VotePool, vote_id
from node.stake.chainrules import read_pool
from node.stake.errors import BadVoteSig, BadVoteTicket
from node.stake.rewards import stake_reward_outputs
from node.stake.tickets import ticket_from_purchase
from node.stake.votes import RelayedVote
from node.types import OutPoint, TicketVote, TxType
from tests.node.stake.chainharness import (
    FUND_SCRIPT,
    build,
    funding_coins,
    open_stake_chain,
    purchase,
    revoke,
    selected,
    spend_stake,
    vote,
)
from tests.node.stake.helpers import PARAMS


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[tuple[Chainstate, Mempool]]:
    cs = open_stake_chain(tmp_path)
    pool = Mempool(cs)
    try:
        yield cs, pool
    finally:
        pool.close()
        cs.close()


def price(cs: Chainstate) -> int:
    with read_pool(cs.db, cs.params) as p:
        return p.next_price()


def grow(cs: Chainstate, height: int, per_block: int = 6) -> None:
    while cs.height < height:
        txs = []
        if cs.height + 1 < PARAMS.stake_validation_height:
            coins = funding_coins(cs)[:per_block]
            txs = [purchase([c], price(cs), key=i % 4, tag=f"m{cs.height}/{i}")
                   for i, c in enumerate(coins)]  # fmt: skip
        chosen = selected(cs)
        votes = [vote(cs.tip.hash, t) for t in chosen]
        cs.process_block(build(cs, txs, votes, chosen))


def reason_of(pool: Mempool, tx: object) -> str:
    with pytest.raises(ConsensusReject) as err:
        pool.accept(tx)  # type: ignore[arg-type]
    return err.value.reason


def test_purchase_price_and_immature_stake(chain: tuple[Chainstate, Mempool]) -> None:
    cs, pool = chain
    grow(cs, 12)
    coin = funding_coins(cs)[0]
    assert reason_of(pool, purchase([coin], price(cs) + 1, 0, "wrong")) == "bad-ticket-price"
    good = purchase([coin], price(cs), 0, "good")
    assert good.tx_type is TxType.TICKET_PURCHASE
    pool.accept(good)
    # spending the stake of a purchase still in the mempool: IMMATURE
    ticket = ticket_from_purchase(good, cs.height + 1, price(cs))
    assert reason_of(pool, spend_stake(ticket)) == "spend-of-live-ticket"


def test_live_stake_cannot_be_spent_or_revoked(chain: tuple[Chainstate, Mempool]) -> None:
    cs, pool = chain
    grow(cs, 25)
    with read_pool(cs.db, cs.params) as p:
        live = p.get(p.store.live_ids()[0])
    assert live is not None
    assert reason_of(pool, spend_stake(live)) == "spend-of-live-ticket"
    assert reason_of(pool, revoke(live)) == "bad-revoke-live"


def test_stale_price_purchases_are_evicted(chain: tuple[Chainstate, Mempool]) -> None:
    cs, pool = chain
    interval = PARAMS.ticket_price_interval
    grow(cs, 2 * interval - 2)  # the next block closes a price window
    before = price(cs)
    tx = purchase(funding_coins(cs)[:1], before, 1, "stale")
    pool.accept(tx)
    cs.process_block(build(cs))  # a block without it: the window turns
    assert price(cs) != before
    assert tx.txid not in pool.entries


def test_vote_pool_accepts_only_selected_signed_votes(chain: tuple[Chainstate, Mempool]) -> None:
    cs, _ = chain
    grow(cs, PARAMS.stake_validation_height - 1)
    votes = VotePool(cs)
    try:
        tip = cs.tip.hash
        chosen = selected(cs)
        assert list(votes.selected()) == [t.ticket_id for t in chosen]
        good = RelayedVote(tip, vote(tip, chosen[0]))
        assert votes.add(good) is True
        assert votes.add(good) is False  # known
        assert votes.has(vote_id(good))
        forged = RelayedVote(tip, TicketVote(chosen[1].ticket_id, 1, bytes(64)))
        with pytest.raises(BadVoteSig):
            votes.add(forged)
        with read_pool(cs.db, cs.params) as p:
            other = next(p.get(t) for t in p.store.live_ids() if t not in votes.selected())
        assert other is not None
        with pytest.raises(BadVoteTicket):
            votes.add(RelayedVote(tip, vote(tip, other)))
        parent = cs.tip.parent
        assert parent is not None
        assert votes.add(RelayedVote(parent.hash, vote(parent.hash, chosen[2]))) is False
        for t in chosen[1:]:
            votes.add(RelayedVote(tip, vote(tip, t)))
        assert votes.wait_for(tip, 5, 0.0) == 5
        assert [rv.vote.ticket_id for rv in votes.votes_for(tip)] == sorted(
            t.ticket_id for t in chosen
        )
        # the tip moves: the pool starts over for the new tip
        cs.process_block(build(cs, (), [rv.vote for rv in votes.votes_for(tip)],
                               votes.tickets_of(votes.votes_for(tip))))  # fmt: skip
        assert votes.votes_for(tip) == []
        assert len(votes) == 0
    finally:
        votes.close()


def test_reorg_evicts_a_stake_spend_that_no_longer_holds(
    chain: tuple[Chainstate, Mempool],
) -> None:
    cs, pool = chain
    grow(cs, PARAMS.stake_validation_height)
    vote_block = cs.tip.hash
    voted = next(t for t in _all(cs) if t.state.name == "VOTED")
    grow(cs, cs.height + PARAMS.coinbase_maturity)
    spend = spend_stake(voted)
    pool.accept(spend)
    assert spend.txid in pool.entries
    cs.invalidate_block(vote_block)  # the vote is gone: the ticket is LIVE again
    assert cs.height == PARAMS.stake_validation_height - 1
    assert spend.txid not in pool.entries


def _all(cs: Chainstate) -> list:  # type: ignore[type-arg]
    with read_pool(cs.db, cs.params) as p:
        return sorted(p.store.all_tickets().values(), key=lambda t: t.ticket_id)


def test_double_vote_becomes_a_slash_in_the_next_template(
    chain: tuple[Chainstate, Mempool],
) -> None:
    cs, pool = chain
    grow(cs, PARAMS.stake_validation_height)
    chosen = selected(cs)
    votes_ = [vote(cs.tip.hash, t) for t in chosen]
    a = build(cs, (), votes_, chosen)
    b = build(cs, (), votes_, chosen, tag=b"sibling")
    cs.process_block(a)
    cs.process_block(b)  # a side block at the same height
    assert cs.tip.hash == a.hash
    vp = VotePool(cs)
    try:
        cheater = selected(cs)[0]
        assert vp.add(RelayedVote(a.hash, vote(a.hash, cheater))) is True
        assert vp.add(RelayedVote(b.hash, vote(b.hash, cheater))) is False
        assert len(vp.double_votes) == 1
        (slash,) = vp.slash_txs()
        assert slash.tx_type is TxType.SLASH
        for t in selected(cs)[1:]:
            vp.add(RelayedVote(a.hash, vote(a.hash, t)))
        relayed = vp.votes_for(a.hash)
        tickets = vp.tickets_of(relayed)
        template = build_template(
            cs, pool, FUND_SCRIPT, votes=[rv.vote for rv in relayed],
            stake_outputs=stake_reward_outputs(cs.height + 1, tickets, False, cs.params),
            special_txs=[slash],
        )  # fmt: skip
        block = solve(template.block, cs.params)
        assert block is not None
        cs.process_block(block)
        assert cs.tip.hash == block.hash
        with read_pool(cs.db, cs.params) as p, cs.db.read() as txn:
            assert p.get(cheater.ticket_id) is None
            assert not txn.has_coin(OutPoint(cheater.ticket_id, 0))
        assert vp.slash_txs() == []  # used up
    finally:
        vp.close()


def test_votes_arriving_before_their_block_are_kept_until_it_connects(
    chain: tuple[Chainstate, Mempool],
) -> None:
    """Over P2P a block's votes can overtake the block: they wait (bounded) and count as soon
    as the block becomes the tip; votes of tickets not drawn are then dropped."""
    cs, _ = chain
    grow(cs, PARAMS.stake_validation_height)
    vp = VotePool(cs)
    try:
        chosen = selected(cs)
        block = build(cs, (), [vote(cs.tip.hash, t) for t in chosen], chosen)
        with read_pool(cs.db, cs.params) as p:
            live = [t for tid in p.store.live_ids() if (t := p.get(tid)) is not None]
        announced: list[RelayedVote] = []
        vp.subscribe(announced.append)
        for t in live:  # every live ticket signs for the block we do not have yet
            assert vp.add(RelayedVote(block.hash, vote(block.hash, t))) is False
        assert vp.votes_for(block.hash) == []
        cs.process_block(block)
        drawn = sorted(t.ticket_id for t in selected(cs))
        got = sorted(rv.vote.ticket_id for rv in vp.votes_for(block.hash))
        assert got == drawn
        assert len(announced) == len(drawn)  # and they are relayed onward
    finally:
        vp.close()
