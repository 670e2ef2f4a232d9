"""Stake bad input through the chainstate: each block below is valid except for one stake
fault, is rejected with its reason, and leaves the tip, the UTXO set and the ticket pool
untouched (the honest block connects afterwards). Also: a SLASH burns a double-voting
ticket's stake and a disconnect restores it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from node.chain.chainstate import Chainstate
from node.chain.miner import solve
from node.consensus.errors import ConsensusError
from node.crypto.merkle import merkle_root
from node.stake.chainrules import read_pool
from node.stake.tickets import STAKE_VOUT, Ticket, TicketState
from node.stake.votes import sign_vote
from node.types import Block, DoubleVoteEvidence, OutPoint, SlashPayload, TicketVote, TxOut
from tests.node.stake.chainharness import (
    build,
    funding_coins,
    open_stake_chain,
    purchase,
    revoke,
    selected,
    spend_stake,
    vote,
)
from tests.node.stake.helpers import AUX, PARAMS, secret, slash_tx

SVH = PARAMS.stake_validation_height


def rebuild(block: Block, *, votes: tuple[TicketVote, ...] | None = None, txs=None) -> Block:  # type: ignore[no-untyped-def]
    """Change votes/txs, fix both Merkle roots and re-solve (state root left as it was)."""
    votes = block.votes if votes is None else votes
    txs = block.txs if txs is None else tuple(txs)
    header = dataclasses.replace(
        block.header,
        votes_root=merkle_root([v.hash for v in votes]),
        merkle_root=merkle_root([tx.wtxid for tx in txs]),
    )
    solved = solve(Block(header, votes, txs), PARAMS)
    assert solved is not None
    return solved


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A chain at SVH - 1 with a healthy pool, built once and copied per test."""
    path = tmp_path_factory.mktemp("stake-chain")
    cs = open_stake_chain(path)
    try:
        while cs.height < SVH - 1:
            with read_pool(cs.db, cs.params) as pool:
                price = pool.next_price()
            coins = funding_coins(cs)
            txs = [purchase([c], price, key=i % 4, tag=f"t{cs.height}/{i}")
                   for i, c in enumerate(coins[:6]) if c[1].value > price + 10_000]  # fmt: skip
            cs.process_block(build(cs, txs))
    finally:
        cs.close()
    return path


@pytest.fixture
def cs(template_dir: Path, tmp_path: Path) -> Iterator[Chainstate]:
    import shutil

    shutil.copytree(template_dir, tmp_path / "c")
    chain = open_stake_chain(tmp_path / "c")
    yield chain
    chain.close()


def honest(cs: Chainstate, n: int = 5, txs=()) -> tuple[Block, list[Ticket]]:  # type: ignore[no-untyped-def]
    chosen = selected(cs)[:n]
    votes = [vote(cs.tip.hash, t) for t in chosen]
    return build(cs, txs, votes, chosen), chosen


def state(cs: Chainstate) -> tuple[bytes, bytes, dict[bytes, Ticket]]:
    with cs.db.read() as txn, read_pool(cs.db, cs.params) as pool:
        return cs.tip.hash, txn.utxo_set_digest(), pool.store.all_tickets()


def rejected(cs: Chainstate, block: Block, reason: str) -> None:
    before = state(cs)
    with pytest.raises(ConsensusError) as info:
        submit(cs, block)
    assert info.value.reason == reason, info.value
    assert state(cs) == before


def submit(cs: Chainstate, block: Block) -> None:
    """process_block, raising the connect failure of `block` if it had one."""
    result = cs.process_block(block)
    failure = cs._failures.get(block.hash)
    if failure is not None:
        raise failure
    pytest.fail(f"block accepted ({result})")


def unselected_live(cs: Chainstate) -> Ticket:
    chosen = {t.ticket_id for t in selected(cs)}
    with read_pool(cs.db, cs.params) as pool:
        live = [pool.get(t) for t in pool.store.live_ids() if t not in chosen]
    assert live
    ticket = live[0]
    assert ticket is not None
    return ticket


Case = Callable[[Chainstate], Block]


def unselected_vote(cs: Chainstate) -> Block:
    block, _ = honest(cs)
    other = vote(cs.tip.hash, unselected_live(cs))
    return rebuild(block, votes=(*block.votes[:4], other))


def forged_signature(cs: Chainstate) -> Block:
    block, _ = honest(cs)
    bad = dataclasses.replace(block.votes[0], sig=bytes(64))
    return rebuild(block, votes=(bad, *block.votes[1:]))


def duplicate_vote(cs: Chainstate) -> Block:
    block, _ = honest(cs, 4)
    again = dataclasses.replace(block.votes[0], vote_bits=3)
    again = sign_vote_like(cs, again)
    return rebuild(block, votes=(*block.votes, again))


def sign_vote_like(cs: Chainstate, v: TicketVote) -> TicketVote:
    ticket = next(t for t in selected(cs) if t.ticket_id == v.ticket_id)
    return vote(cs.tip.hash, ticket, v.vote_bits)


def wrong_parent(cs: Chainstate) -> Block:
    block, chosen = honest(cs)
    parent = cs.tip.parent
    assert parent is not None
    wrong = vote(parent.hash, chosen[0])
    return rebuild(block, votes=(wrong, *block.votes[1:]))


def too_few(cs: Chainstate) -> Block:
    block, _ = honest(cs, 3)
    return rebuild(block, votes=block.votes[:2])


def wrong_reward(cs: Chainstate) -> Block:
    block, _ = honest(cs)
    cb = block.txs[0]
    outs = list(cb.outputs)
    last = outs[-1]
    outs[-1] = TxOut(last.value + 1, last.script_pubkey)
    outs[0] = TxOut(outs[0].value - 1, outs[0].script_pubkey)
    return rebuild(block, txs=[dataclasses.replace(cb, outputs=tuple(outs)), *block.txs[1:]])


def spend_live(cs: Chainstate) -> Block:
    block, _ = honest(cs)
    return rebuild(block, txs=[*block.txs, spend_stake(unselected_live(cs))])


def revoke_live(cs: Chainstate) -> Block:
    block, _ = honest(cs)
    return rebuild(block, txs=[*block.txs, revoke(unselected_live(cs))])


def votes_before_svh(cs: Chainstate) -> Block:
    cs.invalidate_block(cs.tip.hash)  # back to SVH - 2: the next block may carry no votes
    block = build(cs)
    chosen = selected(cs, cs.tip.hash) or []
    v = vote(cs.tip.hash, chosen[0]) if chosen else None
    assert v is None  # no lottery below SVH: forge one from a live ticket instead
    ticket = unselected_live(cs)
    return rebuild(block, votes=(vote(cs.tip.hash, ticket),))


CASES: dict[str, tuple[Case, str]] = {
    "vote from an unselected ticket": (unselected_vote, "bad-vote-ticket"),
    "forged vote signature": (forged_signature, "bad-vote-sig"),
    "duplicate vote": (duplicate_vote, "bad-vote-duplicate"),
    "vote for the wrong parent": (wrong_parent, "bad-vote-parent"),
    "too few votes": (too_few, "too-few-votes"),
    "wrong stake reward amount": (wrong_reward, "bad-stake-reward"),
    "spending a live ticket": (spend_live, "spend-of-live-ticket"),
    "revoking a live ticket": (revoke_live, "bad-revoke-live"),
    "votes before stake_validation_height": (votes_before_svh, "votes-before-svh"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rejected_with_reason_and_nothing_changes(cs: Chainstate, name: str) -> None:
    case, reason = CASES[name]
    bad = case(cs)
    rejected(cs, bad, reason)
    good = honest(cs)[0] if cs.height + 1 >= SVH else build(cs)
    cs.process_block(good)
    assert cs.tip.hash == good.hash


def test_voted_stake_spendable_after_maturity_and_revocation_refunds(cs: Chainstate) -> None:
    block, chosen = honest(cs, 3)
    cs.process_block(block)
    voter = chosen[0]
    early = honest(cs)[0]
    rejected(cs, rebuild(early, txs=[*early.txs, spend_stake(voter)]),
             "bad-txns-premature-spend-of-ticket")  # fmt: skip
    while cs.height < block.header.height + PARAMS.coinbase_maturity:
        cs.process_block(honest(cs)[0])
    with read_pool(cs.db, cs.params) as pool:
        ticket = pool.get(voter.ticket_id)
        missed = [pool.get(t) for t in [x.ticket_id for x in selected(cs)]]
        all_t = pool.store.all_tickets().values()
        missed_t = next(t for t in all_t if t.state is TicketState.MISSED)
    assert ticket is not None
    assert ticket.state is TicketState.VOTED
    assert missed
    spend = spend_stake(ticket)
    refund = revoke(missed_t)
    good, _ = honest(cs, 5, (spend, refund))
    cs.process_block(good)
    assert cs.tip.hash == good.hash
    with read_pool(cs.db, cs.params) as pool:
        revoked = pool.get(missed_t.ticket_id)
    assert revoked is not None
    assert revoked.state is TicketState.REVOKED


def test_slash_burns_a_double_voters_stake_and_disconnect_restores_it(cs: Chainstate) -> None:
    # two competing blocks at SVH (same parent): one becomes the tip, the other a side block
    a, chosen = honest(cs)
    b = build(cs, (), list(a.votes), chosen, tag=b"other")
    cs.process_block(a)
    cs.process_block(b)
    assert cs.tip.hash == a.hash
    assert b.hash in cs.entries
    victim = selected(cs, a.hash)[0]
    key = next(f"k{i}" for i in range(4) if victim.vote_pubkey == _pub(f"k{i}"))
    evidence = DoubleVoteEvidence(
        a.hash, sign_vote(secret(key), a.hash, victim.ticket_id, 1, AUX),
        b.hash, sign_vote(secret(key), b.hash, victim.ticket_id, 1, AUX),
    )  # fmt: skip
    slash = slash_tx(SlashPayload(SVH + 1, evidence))
    stake = OutPoint(victim.ticket_id, STAKE_VOUT)
    block, _ = honest(cs, 5, (slash,))
    before = state(cs)
    cs.process_block(block)
    assert cs.tip.hash == block.hash
    with cs.db.read() as txn, read_pool(cs.db, cs.params) as pool:
        assert not txn.has_coin(stake)
        assert pool.get(victim.ticket_id) is None
    cs.invalidate_block(block.hash)
    assert state(cs) == before
    with cs.db.read() as txn:
        assert txn.has_coin(stake)


def _pub(tag: str) -> bytes:
    from tests.node.stake.helpers import pubkey

    return pubkey(tag)
