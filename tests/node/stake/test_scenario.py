"""A long simulated chain (600 heights) through TicketPool, checked at every height against an
independent recomputation: purchases at changing prices, random partial votes (misses),
expiries, revocations and slashes (with verified double-vote evidence); then a reorg back to a
midpoint that re-applies the same branch (same pool) and a different branch (checked again).

The reference never runs the pool's code: a ticket's state at height H is derived directly
from the events that name it (purchase, vote, miss, revoke, slash) and the maturity/expiry
arithmetic; the lottery is a full sort; the price uses exact fractions.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from fractions import Fraction

import blake3

from node.stake.pool import MemoryTicketStore, PoolUndo, TicketPool
from node.stake.revoke import check_ticket_revoke, max_revoke_refund
from node.stake.slash import check_slash, slash_payload
from node.stake.tickets import Ticket, TicketState, ticket_from_purchase
from node.stake.votes import sign_vote
from node.types import DoubleVoteEvidence, SlashPayload
from tests.node.stake.helpers import (
    AUX,
    PARAMS,
    fill,
    pubkey,
    purchase_tx,
    revoke_tx,
    secret,
    slash_tx,
)

S = TicketState
M, E, SVH, INTERVAL, T = (
    PARAMS.ticket_maturity,
    PARAMS.ticket_expiry,
    PARAMS.stake_validation_height,
    PARAMS.ticket_price_interval,
    PARAMS.ticket_pool_target,
)
HEIGHTS = 600
FORK = 300


@dataclass
class BlockInput:
    height: int
    prev_hash: bytes
    purchases: list[Ticket]
    votes: list[bytes]
    missed: list[bytes]
    revocations: list[bytes]
    slashes: list[bytes]


@dataclass
class Reference:
    """Ticket states recomputed from events only."""

    blocks: list[BlockInput] = field(default_factory=list)
    bought: dict[bytes, Ticket] = field(default_factory=dict)
    events: dict[bytes, dict[str, int]] = field(default_factory=dict)
    window_live: dict[int, int] = field(default_factory=dict)

    def add(self, b: BlockInput) -> None:
        self.blocks.append(b)
        for t in b.purchases:
            self.bought[t.ticket_id] = t
            self.events[t.ticket_id] = {}
        for name, ids in (
            ("vote", b.votes),
            ("miss", b.missed),
            ("revoke", b.revocations),
            ("slash", b.slashes),
        ):
            for tid in ids:
                assert name not in self.events[tid]
                self.events[tid][name] = b.height

    def state(self, tid: bytes, h: int) -> tuple[TicketState, int] | None:
        t = self.bought[tid]
        if t.purchase_height > h:
            return None
        ev = {k: v for k, v in self.events[tid].items() if v <= h}
        p = t.purchase_height
        if "slash" in ev:
            return None
        if "revoke" in ev:
            return S.REVOKED, ev["revoke"]
        if "vote" in ev:
            return S.VOTED, ev["vote"]
        if "miss" in ev:
            return S.MISSED, ev["miss"]
        if h >= p + M + E:
            return S.EXPIRED, p + M + E
        if h >= p + M:
            return S.LIVE, p + M
        return S.IMMATURE, p

    def tickets_at(self, h: int) -> dict[bytes, Ticket]:
        out = {}
        for tid, t in self.bought.items():
            st = self.state(tid, h)
            if st is not None:
                out[tid] = Ticket(
                    t.ticket_id,
                    t.purchase_height,
                    t.price,
                    t.vote_pubkey,
                    t.reward_script,
                    st[0],
                    st[1],
                )
        return out

    def live_at(self, h: int) -> list[bytes]:
        return [tid for tid in self.bought if (self.state(tid, h) or (None,))[0] is S.LIVE]

    def price_at(self, h: int) -> int:
        price = PARAMS.ticket_price_start
        for k in range(h // INTERVAL):
            if k not in self.window_live:  # blocks only get appended: a closed window is final
                self.window_live[k] = len(self.live_at((k + 1) * INTERVAL - 1))
            n = self.window_live[k]
            exact = price * (1 + Fraction(5, 100) * Fraction(n - T, T))
            price = min(max(math.floor(exact), PARAMS.ticket_price_min), PARAMS.ticket_price_max)
        return price


def naive_lottery(prev_hash: bytes, live: list[bytes]) -> list[bytes]:
    return sorted(live, key=lambda t: (blake3.blake3(prev_hash + t).digest(), t))[:5]


def make_block(ref: Reference, h: int, rng: random.Random, branch: str) -> BlockInput:
    prev_hash = fill(f"{branch} block {h - 1}")
    price = ref.price_at(h)
    purchases = []
    # buying waves keep the pool swinging around its target so the price moves both ways
    wave = 14 if (h // 80) % 2 == 0 else 2
    for i in range(rng.randint(0, wave)):
        tag = f"{branch}/{h}/{i}"
        tx = purchase_tx(tag, price, vote_pubkey=pubkey(f"k{i % 4}"))
        purchases.append(ticket_from_purchase(tx, h, price))
    votes: list[bytes] = []
    missed: list[bytes] = []
    if h >= SVH:
        chosen = naive_lottery(prev_hash, ref.live_at(h - 1))
        n = min(len(chosen), rng.choice([3, 4, 5, 5]))
        votes = rng.sample(chosen, n)
        missed = [t for t in chosen if t not in votes]
    prev_tickets = ref.tickets_at(h - 1) if h else {}
    revocable = sorted(t for t, k in prev_tickets.items() if k.state in (S.MISSED, S.EXPIRED))
    revocations = rng.sample(revocable, min(len(revocable), rng.randint(0, 2)))
    for tid in revocations:  # the rule check the chain runs before the pool
        k = prev_tickets[tid]
        check_ticket_revoke(revoke_tx(tid, max_revoke_refund(k.price, PARAMS)), k, PARAMS)
    slashes: list[bytes] = []
    if h % 97 == 0 and h >= SVH:
        voted = sorted(
            t for t, k in prev_tickets.items() if k.state is S.VOTED and t not in revocations
        )
        if voted:
            victim = prev_tickets[voted[rng.randrange(len(voted))]]
            slashes.append(_verified_slash(victim, h))
    return BlockInput(h, prev_hash, purchases, votes, missed, revocations, slashes)


def _verified_slash(victim: Ticket, h: int) -> bytes:
    key = next(f"k{i}" for i in range(4) if pubkey(f"k{i}") == victim.vote_pubkey)
    a, b = fill(f"fork a {victim.state_height - 1}"), fill(f"fork b {victim.state_height - 1}")
    ev = DoubleVoteEvidence(
        a,
        sign_vote(secret(key), a, victim.ticket_id, 1, AUX),
        b,
        sign_vote(secret(key), b, victim.ticket_id, 1, AUX),
    )
    payload = slash_payload(slash_tx(SlashPayload(victim.state_height, ev)))
    heights = {a: victim.state_height - 1, b: victim.state_height - 1}
    return check_slash(payload, victim, h, heights.get)


def apply(pool: TicketPool, b: BlockInput) -> PoolUndo:
    return pool.apply_block(b.height, b.prev_hash, b.purchases, b.votes, b.revocations, b.slashes)


def check(pool: TicketPool, store: MemoryTicketStore, ref: Reference, h: int) -> None:
    assert store.all_tickets() == ref.tickets_at(h), h
    assert pool.next_price() == ref.price_at(h + 1), h
    assert sorted(store.live_ids()) == sorted(ref.live_at(h))


def test_long_scenario_with_reorgs() -> None:
    rng = random.Random(20261123)
    store = MemoryTicketStore()
    pool = TicketPool(store, PARAMS)
    ref = Reference()
    undos: list[PoolUndo] = []
    stats = {"voted": 0, "missed": 0, "revoked": 0, "slashed": 0}
    prices: set[int] = set()
    for h in range(HEIGHTS):
        b = make_block(ref, h, rng, "main")
        if h >= SVH:  # the pool's lottery equals the naive one
            assert pool.selected_for(b.prev_hash) == tuple(
                b.votes and naive_lottery(b.prev_hash, ref.live_at(h - 1))
            )
        ref.add(b)
        undo = apply(pool, b)
        undos.append(PoolUndo.deserialize(undo.serialize()))
        check(pool, store, ref, h)
        stats["voted"] += len(b.votes)
        stats["missed"] += len(b.missed)
        stats["revoked"] += len(b.revocations)
        stats["slashed"] += len(b.slashes)
        prices.add(pool.next_price())
        if h == FORK:
            mid = (store.all_tickets(), store.get_info())
    final = (store.all_tickets(), store.get_info())
    # tickets that reached EXPIRED (some were revoked afterwards)
    expired = sum(
        1
        for tid, t in ref.bought.items()
        if t.purchase_height + M + E < HEIGHTS
        and not {"vote", "miss"} & ref.events[tid].keys()
        and ref.events[tid].get("slash", HEIGHTS) > t.purchase_height + M + E
    )
    assert stats["missed"] > 100
    assert stats["revoked"] > 100
    assert expired > 50
    assert stats["slashed"] >= 3
    assert len(prices) > 10

    # reorg 1: back to FORK, re-apply the same blocks -> the same pool
    for undo in reversed(undos[FORK + 1 :]):
        pool.undo_block(undo)
    assert (store.all_tickets(), store.get_info()) == mid
    for b in ref.blocks[FORK + 1 :]:
        apply(pool, b)
    assert (store.all_tickets(), store.get_info()) == final

    # reorg 2: back to FORK, then a different branch, checked against its own reference
    for undo in reversed(undos[FORK + 1 :]):
        pool.undo_block(undo)
    side = Reference()
    for b in ref.blocks[: FORK + 1]:
        side.add(b)
    rng2 = random.Random(7)
    for h in range(FORK + 1, FORK + 121):
        b = make_block(side, h, rng2, "side")
        side.add(b)
        apply(pool, b)
        check(pool, store, side, h)
