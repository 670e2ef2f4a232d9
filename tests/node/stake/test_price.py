"""Ticket price retargeting (SPEC §5.2): the integer formula, its floors and clamps, and the
window semantics of ticket_price_at."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.params import COIN, MAINNET, REGTEST
from node.stake.price import (
    is_price_retarget_height,
    next_ticket_price,
    ticket_price_at,
    window_of,
)

# REGTEST: T = 20, min 0.01 RUST, max 100 RUST, interval 10.
CENT = COIN // 100


@pytest.mark.parametrize(
    ("price", "live", "expected"),
    [
        (COIN, 20, COIN),  # at target: unchanged
        (COIN, 40, COIN + COIN * 5 // 100),  # twice the target: +5 %
        (COIN, 0, COIN - COIN * 5 // 100),  # empty pool: -5 %
        (COIN, 21, COIN + COIN // 400),  # +0.25 %
        (COIN, 19, COIN - COIN // 400),  # -0.25 %
        (COIN, 420, COIN * 2),  # 21 targets: +100 %
        (101, 0, 95),  # floor toward -inf: 101 - ceil(5.05) = 95 (no clamp at 95? see min)
        (101, 21, 101),  # 101*5*1/2000 = 0.2525 floors to 0
        (99 * COIN, 40, 100 * COIN),  # 103.95 RUST clamped to max
        (100 * COIN, 10_000, 100 * COIN),  # already at max
        (CENT, 0, CENT),  # below min after -5 %: clamped to min
        (CENT + 1, 0, CENT),  # 1_000_001 - 50_001 = 950_000 -> min 1_000_000
        (2 * CENT, 0, 2 * CENT - CENT // 10),  # -5 % of 0.02 = 0.019 RUST
    ],
)
def test_regtest_table(price: int, live: int, expected: int) -> None:
    # 101 is below the regtest minimum: use a params copy without that floor
    params = dataclasses.replace(REGTEST, ticket_price_min=1) if price == 101 else REGTEST
    assert next_ticket_price(price, live, params) == expected


def test_mainnet_values() -> None:
    # T = 20,000: 30,000 live is +2.5 %, 10,000 live is -2.5 %.
    assert next_ticket_price(100 * COIN, 30_000, MAINNET) == 102 * COIN + COIN // 2
    assert next_ticket_price(100 * COIN, 10_000, MAINNET) == 97 * COIN + COIN // 2
    assert next_ticket_price(MAINNET.ticket_price_min, 0, MAINNET) == MAINNET.ticket_price_min


@pytest.mark.parametrize(("price", "live"), [(0, 1), (-1, 1), (COIN, -1)])
def test_bad_arguments(price: int, live: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        next_ticket_price(price, live, REGTEST)


def _reference(price: int, live: int, t: int, lo: int, hi: int) -> int:
    exact = price * (1 + Fraction(5, 100) * Fraction(live - t, t))
    return min(max(math.floor(exact), lo), hi)


@given(
    price=st.integers(1, 10**12),
    live=st.integers(0, 10**6),
    target=st.integers(1, 50_000),
)
def test_matches_exact_rational_formula(price: int, live: int, target: int) -> None:
    params = dataclasses.replace(
        REGTEST, ticket_pool_target=target, ticket_price_min=1, ticket_price_max=10**13
    )
    got = next_ticket_price(price, live, params)
    assert got == _reference(price, live, target, 1, 10**13)
    assert params.ticket_price_min <= got <= params.ticket_price_max


def test_windows() -> None:
    assert [window_of(h, REGTEST) for h in (0, 9, 10, 19, 20)] == [0, 0, 1, 1, 2]
    assert [h for h in range(35) if is_price_retarget_height(h, REGTEST)] == [9, 19, 29]
    with pytest.raises(ValueError, match="height"):
        window_of(-1, REGTEST)


def test_ticket_price_at() -> None:
    counts = [40, 40, 0]
    assert ticket_price_at(0, [], REGTEST) == REGTEST.ticket_price_start
    assert ticket_price_at(9, [], REGTEST) == COIN
    assert ticket_price_at(10, counts, REGTEST) == COIN * 105 // 100
    assert ticket_price_at(19, counts, REGTEST) == COIN * 105 // 100
    p2 = COIN * 105 // 100 * 105 // 100
    assert ticket_price_at(20, counts, REGTEST) == p2
    assert ticket_price_at(30, counts, REGTEST) == p2 - p2 * 5 // 100
    with pytest.raises(ValueError, match="window live counts"):
        ticket_price_at(30, counts[:2], REGTEST)
