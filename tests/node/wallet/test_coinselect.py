"""Coin selection: BnB finds exact (changeless) sets, SRD leaves change, limits hold."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from node.types.tx import OutPoint
from node.wallet.coinselect import (
    CHANGE_LOWER,
    Candidate,
    fee_for_size,
    select_coins_bnb,
    select_coins_srd,
)

FEE = 139  # 139-byte input at 1000 units/kvB
LONG_TERM = 1390


def coin(n: int, value: int, fee: int = FEE, long_term: int = LONG_TERM) -> Candidate:
    return Candidate(OutPoint(n.to_bytes(32, "big"), 0), value, 139, fee, long_term, value - fee)


def pool_of(*values: int) -> list[Candidate]:
    return [coin(i, v + FEE) for i, v in enumerate(values)]  # effective value == v


def test_fee_rounds_up() -> None:
    assert fee_for_size(1000, 139) == 139
    assert fee_for_size(1001, 1) == 2
    assert fee_for_size(10_000, 250) == 2500


def test_bnb_finds_the_exact_subset() -> None:
    pool = pool_of(1_000_000, 2_000_000, 3_000_000, 4_000_000, 7_500_000)
    result = select_coins_bnb(pool, 5_000_000, cost_of_change=100)
    assert result is not None
    assert result.algorithm == "bnb"
    assert sorted(c.selection_amount for c in result.coins) in (
        [1_000_000, 4_000_000], [2_000_000, 3_000_000],
    )  # fmt: skip
    assert result.selected_amount == 5_000_000


def test_bnb_accepts_excess_within_cost_of_change_only() -> None:
    pool = pool_of(1_000_050, 3_000_000)
    found = select_coins_bnb(pool, 1_000_000, cost_of_change=100)
    assert found is not None
    assert found.selected_amount == 1_000_050
    assert select_coins_bnb(pool, 1_000_000, cost_of_change=10) is None
    assert select_coins_bnb(pool, 5_000_000, cost_of_change=100) is None  # not enough


def test_bnb_prefers_least_waste() -> None:
    # Exact match with 2 inputs vs one input overshooting by 60: at a high fee rate the
    # inputs' extra cost dominates, so one input wins; at a low one the exact pair wins.
    high = [coin(i, v + 500, fee=500, long_term=100) for i, v in enumerate((600, 400, 1060))]
    result = select_coins_bnb(high, 1000, cost_of_change=100)
    assert result is not None
    assert len(result.coins) == 1
    low = [coin(i, v + 50, fee=50, long_term=500) for i, v in enumerate((600, 400, 1060))]
    result = select_coins_bnb(low, 1000, cost_of_change=100)
    assert result is not None
    assert len(result.coins) == 2


def test_bnb_ignores_negative_effective_values_and_respects_size() -> None:
    pool = [*pool_of(5_000), coin(9, 100)]  # the second coin costs more than it is worth
    assert select_coins_bnb(pool, 5_000, 0) is not None
    assert select_coins_bnb(pool_of(1000, 1000, 1000), 3000, 0, max_input_size=139 * 2) is None
    assert select_coins_bnb([], 1, 0) is None


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(1, 50).map(lambda v: v * 1000), min_size=1, max_size=9),
    data=st.data(),
)
def test_bnb_finds_an_exact_match_whenever_one_exists(
    values: list[int], data: st.DataObject
) -> None:
    pool = pool_of(*values)
    subset = data.draw(st.lists(st.sampled_from(range(len(values))), min_size=1, unique=True))
    target = sum(values[i] for i in subset)
    result = select_coins_bnb(pool, target, cost_of_change=0)
    assert result is not None
    assert result.selected_amount == target
    # and it never returns a non-solution
    impossible = sum(values) + 1
    assert select_coins_bnb(pool, impossible, cost_of_change=0) is None


def test_bnb_exhaustive_agreement_small() -> None:
    rng = random.Random(7)
    for _ in range(40):
        values = [rng.randrange(1, 20) * 100 for _ in range(6)]
        target = rng.randrange(100, 4000)
        coc = rng.choice((0, 50, 150))
        feasible = any(
            target <= sum(c) <= target + coc
            for r in range(1, 7)
            for c in itertools.combinations(values, r)
        )
        result = select_coins_bnb(pool_of(*values), target, coc)
        assert (result is not None) == feasible
        if result is not None:
            assert target <= result.selected_amount <= target + coc


def test_srd_leaves_change_and_is_random() -> None:
    pool = pool_of(*(100_000 * (i + 1) for i in range(20)))
    target, change_fee = 250_000, 34
    seen = set()
    for seed in range(15):
        result = select_coins_srd(pool, target, change_fee, rng=random.Random(seed))
        assert result is not None
        assert result.algorithm == "srd"
        assert result.selected_amount >= target + change_fee + CHANGE_LOWER
        seen.add(tuple(sorted(c.outpoint.txid for c in result.coins)))
    assert len(seen) > 3


def test_srd_failure_and_size_limit() -> None:
    assert select_coins_srd(pool_of(1000, 2000), 10_000, 34, rng=random.Random(1)) is None
    pool = pool_of(10, 10, 10, 1_000_000)
    result = select_coins_srd(pool, 100_000, 34, rng=random.Random(2), max_input_size=139)
    assert result is not None
    assert [c.selection_amount for c in result.coins] == [1_000_000]
    assert select_coins_srd(pool_of(60_000, 60_000), 100_000, 0, max_input_size=139) is None
