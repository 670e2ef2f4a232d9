"""Median time past and the block timestamp window (SPEC §4)."""

from __future__ import annotations

import pytest

from node.consensus.errors import TimeTooNew, TimeTooOld
from node.consensus.timerules import check_block_time, median_time_past
from node.params import DEVNET, MAINNET, ChainParams


@pytest.mark.parametrize(
    ("timestamps", "mtp"),
    [
        ([5], 5),
        ([5, 1], 5),  # upper middle of two, as Bitcoin near genesis
        ([3, 1, 2], 2),
        ([4, 1, 3, 2], 3),
        ([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 15),
        ([20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10], 15),
        ([1, 100, 2, 99, 3, 98, 4, 97, 5, 96, 6], 6),
        ([1000, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 6),  # only the last 11 count
        ([7] * 11, 7),
    ],
)
def test_median_time_past(timestamps: list[int], mtp: int) -> None:
    assert median_time_past(timestamps) == mtp


def test_median_time_past_span_and_errors() -> None:
    assert median_time_past([1, 2, 3, 4, 5], span=3) == 4
    with pytest.raises(ValueError, match="at least one"):
        median_time_past([])
    with pytest.raises(ValueError, match="span"):
        median_time_past([1], span=0)


@pytest.mark.parametrize("params", [MAINNET, DEVNET])
def test_block_time_window(params: ChainParams) -> None:
    mtp, now = 1_000_000, 1_000_500
    ahead = 6 * params.target_spacing
    check_block_time(mtp + 1, mtp, now, params)
    check_block_time(now + ahead, mtp, now, params)
    with pytest.raises(TimeTooOld) as old:
        check_block_time(mtp, mtp, now, params)
    assert old.value.reason == "time-too-old"
    with pytest.raises(TimeTooNew) as new:
        check_block_time(now + ahead + 1, mtp, now, params)
    assert new.value.reason == "time-too-new"
