"""The adaptive block-size limit and the sigop limit (SPEC §4)."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence

import pytest

from node.consensus.blocksize import (
    is_size_retarget_height,
    max_block_sigops,
    max_block_size,
    median_size,
    next_max_block_size,
    size_limit_schedule,
)
from node.params import MAINNET, REGTEST

PERIOD = 2016


@pytest.mark.parametrize(
    ("limit", "size", "expected"),
    [
        (2_000_000, 1_000_000, 2_000_000),  # 2M == L: stays
        (2_000_000, 1_900_000, 2_200_000),  # growth capped at +10 %
        (2_000_000, 1_050_000, 2_100_000),  # growth to the target 2M
        (2_000_000, 0, 1_900_000),  # shrink capped at -5 %
        (2_000_000, 960_000, 1_920_000),  # shrink to the target 2M
        (1_000_000, 0, 1_000_000),  # lower clamp (950,000 -> 1,000,000)
        (1_020_000, 10, 1_000_000),  # 969,000 -> lower clamp
        (64_000_000, 64_000_000, 64_000_000),  # upper clamp (70,400,000 -> 64,000,000)
        (60_000_000, 40_000_000, 64_000_000),  # 66,000,000 -> upper clamp
        (1_999_999, 0, 1_899_999),  # floor of 1,899,999.05
        (1_999_999, 1_500_000, 2_199_998),  # floor of 2,199,998.9
        (1_999_999, 1_000_000, 2_000_000),  # 2M = 2,000,000 < 2,199,998
    ],
)
def test_next_limit_table(limit: int, size: int, expected: int) -> None:
    assert next_max_block_size(limit, [size] * PERIOD) == expected


def test_median_is_the_upper_middle_of_an_even_count() -> None:
    assert median_size([4, 1, 3, 2]) == 3
    assert median_size([5]) == 5
    sizes = [100] * (PERIOD // 2) + [1_500_000] * (PERIOD // 2)
    random.Random(7).shuffle(sizes)
    # upper median 1,500,000 -> grow (a lower median 100 would shrink to 1,900,000)
    assert next_max_block_size(2_000_000, sizes) == 2_200_000
    with pytest.raises(ValueError, match="median"):
        median_size([])


def test_custom_clamps() -> None:
    assert next_max_block_size(100, [0], min_limit=90, max_limit=200) == 95
    assert next_max_block_size(100, [0], min_limit=96, max_limit=200) == 96
    assert next_max_block_size(190, [1000], min_limit=1, max_limit=200) == 200


def _never() -> Sequence[int]:
    raise AssertionError("sizes must not be read outside a retarget height")


def test_max_block_size_steps() -> None:
    assert max_block_size(0, MAINNET, 123, _never) == 2_000_000
    assert max_block_size(1, MAINNET, 2_000_000, _never) == 2_000_000
    assert max_block_size(PERIOD - 1, MAINNET, 2_100_000, _never) == 2_100_000
    assert max_block_size(PERIOD + 1, MAINNET, 1_234_567, _never) == 1_234_567
    grown = max_block_size(PERIOD, MAINNET, 2_000_000, lambda: [1_900_000] * PERIOD)
    assert grown == 2_200_000
    with pytest.raises(ValueError, match="last 2016"):
        max_block_size(PERIOD, MAINNET, 2_000_000, lambda: [0] * (PERIOD - 1))
    with pytest.raises(ValueError, match="height"):
        max_block_size(-1, MAINNET, 2_000_000, _never)
    assert [h for h in range(5 * PERIOD) if is_size_retarget_height(h, MAINNET)] == [
        PERIOD,
        2 * PERIOD,
        3 * PERIOD,
        4 * PERIOD,
    ]


def test_schedule_replays_periods() -> None:
    params = dataclasses.replace(
        REGTEST,
        block_size_retarget_interval=4,
        initial_max_block_size=2_000,
        min_max_block_size=1_000,
        max_max_block_size=2_500,
    )
    sizes = [1_900, 1_900, 10, 1_900] + [0, 0, 0, 5] + [2_400] * 4 + [2_400] * 4
    limits = size_limit_schedule(sizes, params)
    assert len(limits) == len(sizes) + 1
    # period 1: median 1,900 -> 3,800 > 2,000 -> +10 % = 2,200
    # period 2: median 0 -> -5 % = 2,090; period 3: 4,800 -> 2,299; period 4: 2,528 -> 2,500
    assert limits == [2_000] * 4 + [2_200] * 4 + [2_090] * 4 + [2_299] * 4 + [2_500]


def test_sigops_limit() -> None:
    assert max_block_sigops(2_000_000, MAINNET) == 40_000
    assert max_block_sigops(64_000_000, MAINNET) == 1_280_000
    assert max_block_sigops(1_000_049, MAINNET) == 20_000
