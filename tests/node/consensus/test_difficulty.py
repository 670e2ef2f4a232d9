"""LWMA-1 difficulty (SPEC §4), checked against a Fraction-based reference written here."""

from __future__ import annotations

import dataclasses
import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.consensus.difficulty import HeaderInfo, next_bits
from node.consensus.pow import bits_from_target, target_from_bits
from node.params import DEVNET, MAINNET, REGTEST, TESTNET, ChainParams

N = MAINNET.lwma_window
T = MAINNET.target_spacing
LIMIT_BITS = bits_from_target(MAINNET.pow_limit)
BITS = 0x1D123456
TARGET = target_from_bits(BITS)


def reference_next_bits(params: ChainParams, headers: list[HeaderInfo]) -> int:
    """LWMA-1 as a weighted average: mean target x (weighted mean solvetime / T)."""
    n, spacing = params.lwma_window, params.target_spacing
    if params.pow_no_retarget or headers[-1].height + 1 <= n:
        return bits_from_target(params.pow_limit)
    window = headers[-(n + 1) :]
    solvetimes = [
        min(6 * spacing, max(-6 * spacing, b.timestamp - a.timestamp))
        for a, b in itertools.pairwise(window)
    ]
    weight_sum = Fraction(n * (n + 1), 2)
    weighted_mean = sum(Fraction(j * s) for j, s in enumerate(solvetimes, start=1)) / weight_sum
    # Bitcoin Gold's guard: the weighted sum is at least floor(k / 10).
    floor_sum = math.floor(weight_sum * spacing / 10)
    weighted_mean = max(weighted_mean, floor_sum / weight_sum)
    mean_target = Fraction(sum(target_from_bits(h.bits) for h in window[1:]), n)
    target = math.floor(mean_target * weighted_mean / spacing)
    return bits_from_target(min(params.pow_limit, max(1, target)))


def chain(
    solvetimes: list[int], bits: list[int] | int = BITS, *, start_height: int | None = None
) -> list[HeaderInfo]:
    """Headers whose consecutive solvetimes are `solvetimes`, ending at a parent of height
    `start_height + len(solvetimes)` (default: just enough history)."""
    first = 0 if start_height is None else start_height
    all_bits = [bits] * (len(solvetimes) + 1) if isinstance(bits, int) else bits
    timestamp = 1_800_000_000
    headers = [HeaderInfo(first, timestamp, all_bits[0])]
    for i, solvetime in enumerate(solvetimes, start=1):
        timestamp += solvetime
        headers.append(HeaderInfo(first + i, timestamp, all_bits[i]))
    return headers


def test_stable_at_target_keeps_the_target() -> None:
    headers = chain([T] * N)
    assert next_bits(MAINNET, headers) == BITS
    assert next_bits(MAINNET, chain([T] * (N + 50))) == BITS


def test_twice_as_fast_halves_the_target() -> None:
    assert target_from_bits(next_bits(MAINNET, chain([T // 2] * N))) == TARGET // 2


def test_twice_as_slow_doubles_the_target() -> None:
    assert target_from_bits(next_bits(MAINNET, chain([2 * T] * N))) == TARGET * 2


def test_recent_blocks_weigh_more() -> None:
    fast_then_slow = chain([T // 2] * (N // 2) + [2 * T] * (N // 2))
    slow_then_fast = chain([2 * T] * (N // 2) + [T // 2] * (N // 2))
    assert target_from_bits(next_bits(MAINNET, fast_then_slow)) > TARGET
    assert target_from_bits(next_bits(MAINNET, slow_then_fast)) < TARGET


def test_huge_solvetimes_are_clamped_to_6T() -> None:
    base = [T] * N
    huge = [*base[:-1], 10**9]
    capped = [*base[:-1], 6 * T]
    assert next_bits(MAINNET, chain(huge)) == next_bits(MAINNET, chain(capped))
    assert next_bits(MAINNET, chain(huge)) != next_bits(MAINNET, chain([T] * (N - 1) + [5 * T]))


def test_negative_solvetimes_are_clamped_to_minus_6T() -> None:
    base = [T] * N
    negative = [*base[:-1], -(10**6)]
    capped = [*base[:-1], -6 * T]
    assert next_bits(MAINNET, chain(negative)) == next_bits(MAINNET, chain(capped))
    assert target_from_bits(next_bits(MAINNET, chain(capped))) < TARGET


def test_weighted_sum_floor_limits_one_step_to_10x() -> None:
    k = N * (N + 1) * T // 2
    result = target_from_bits(next_bits(MAINNET, chain([-6 * T] * N)))
    assert result == target_from_bits(bits_from_target(TARGET * (k // 10) // k))
    assert TARGET // 11 < result <= TARGET // 10
    assert next_bits(MAINNET, chain([0] * N)) == next_bits(MAINNET, chain([-6 * T] * N))


def test_result_is_clamped_to_pow_limit() -> None:
    assert next_bits(MAINNET, chain([6 * T] * N, LIMIT_BITS)) == LIMIT_BITS
    assert next_bits(MAINNET, chain([T] * N, LIMIT_BITS)) == LIMIT_BITS


def test_only_the_last_N_targets_count() -> None:
    bits = [0x1C00FFFF] + [BITS] * N  # the oldest header's bits are outside the window
    assert next_bits(MAINNET, chain([T] * N, bits)) == BITS


@pytest.mark.parametrize("params", [MAINNET, TESTNET, DEVNET])
def test_pow_limit_below_height_N_plus_1(params: ChainParams) -> None:
    fast = [1] * 200
    n = params.lwma_window
    for parent_height in (0, 1, n - 2, n - 1):
        headers = chain(fast[:parent_height])
        assert headers[-1].height == parent_height
        assert next_bits(params, headers) == bits_from_target(params.pow_limit)
    # The block at height N+1 is the first to retarget: fast blocks raise the difficulty.
    headers = chain(fast[:n], bits_from_target(params.pow_limit))
    assert headers[-1].height == n
    assert next_bits(params, headers) != bits_from_target(params.pow_limit)
    assert next_bits(params, headers) == reference_next_bits(params, headers)


def test_regtest_never_retargets() -> None:
    headers = chain([1] * 300, BITS)
    assert next_bits(REGTEST, headers) == bits_from_target(REGTEST.pow_limit) == 0x207FFFFF


def test_caller_errors() -> None:
    with pytest.raises(ValueError, match="parent"):
        next_bits(MAINNET, [])
    with pytest.raises(ValueError, match="last 73 headers"):
        next_bits(MAINNET, chain([T] * N)[1:])
    broken = chain([T] * N)
    broken[10] = dataclasses.replace(broken[10], height=999)
    with pytest.raises(ValueError, match="consecutive"):
        next_bits(MAINNET, broken)


_WINDOWS = st.integers(1, 90)


@given(
    data=st.data(),
    window=_WINDOWS,
    spacing=st.sampled_from([15, 150, 600, 7]),
    offset=st.integers(0, 5),
)
def test_matches_reference_on_random_histories(
    data: st.DataObject, window: int, spacing: int, offset: int
) -> None:
    params = dataclasses.replace(MAINNET, lwma_window=window, target_spacing=spacing)
    count = window + offset
    solvetimes = data.draw(
        st.lists(
            st.one_of(
                st.integers(-8 * spacing, 8 * spacing),
                st.integers(-(10**7), 10**7),
                st.just(spacing),
            ),
            min_size=count,
            max_size=count,
        )
    )
    targets = data.draw(
        st.lists(
            st.one_of(
                st.integers(1, MAINNET.pow_limit),
                st.integers(TARGET // 4, TARGET * 4),
                st.just(MAINNET.pow_limit),
            ),
            min_size=count + 1,
            max_size=count + 1,
        )
    )
    bits = [bits_from_target(t) for t in targets]
    headers = chain(solvetimes, bits, start_height=data.draw(st.integers(0, 10**6)))
    assert next_bits(params, headers) == reference_next_bits(params, headers)


def test_result_is_at_least_one() -> None:
    one = bits_from_target(1)
    headers = chain([-6 * T] * N, one)
    assert target_from_bits(next_bits(MAINNET, headers)) == 1
    assert next_bits(MAINNET, headers) == reference_next_bits(MAINNET, headers)
