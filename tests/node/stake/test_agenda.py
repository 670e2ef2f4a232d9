"""Agenda signalling tallies in vote_bits (SPEC §5.2, §7.3)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.params import REGTEST
from node.stake.agenda import AgendaTally, agenda_signalled, tally_window, window_start

W = REGTEST.agenda_window


def test_window_start() -> None:
    assert [window_start(h, REGTEST) for h in (0, W - 1, W, 2 * W + 5)] == [0, 0, W, 2 * W]
    with pytest.raises(ValueError, match="height"):
        window_start(-1, REGTEST)


def test_threshold_is_75_percent_of_votes() -> None:
    # 4 blocks x 5 votes = 20 votes; 15 signal bit 3 -> exactly 75 %
    blocks = [[0b1001] * 5] * 3 + [[0b0001] * 5]
    tally = tally_window(W, blocks, REGTEST)
    assert tally.total_votes == 20
    assert tally.counts[3] == 15
    assert tally.counts[0] == 20
    assert tally.counts[1] == 0
    assert tally.signalled(3, REGTEST)
    short = tally.with_block([0b0001])  # 15 of 21 < 75 %
    assert not short.signalled(3, REGTEST)
    assert not agenda_signalled(AgendaTally(0), 3, REGTEST)  # no votes: never


def test_bad_arguments() -> None:
    tally = AgendaTally(0)
    for bit in (0, 16):
        with pytest.raises(ValueError, match="agenda bit"):
            agenda_signalled(tally, bit, REGTEST)
    with pytest.raises(ValueError, match="u16"):
        tally.with_block([0x10000])
    with pytest.raises(ValueError, match="start"):
        tally_window(1, [], REGTEST)
    with pytest.raises(ValueError, match="exceed"):
        tally_window(0, [[]] * (W + 1), REGTEST)
    with pytest.raises(ValueError, match="range"):
        AgendaTally(0, 1, (2,) + (0,) * 15)
    with pytest.raises(ValueError, match="range"):
        tally.without_block([1])  # below zero


@given(st.lists(st.lists(st.integers(0, 0xFFFF), max_size=5), max_size=30))
def test_incremental_equals_recount_and_undo(blocks: list[list[int]]) -> None:
    tally = tally_window(0, blocks, REGTEST)
    votes = [b for blk in blocks for b in blk]
    assert tally.total_votes == len(votes)
    for bit in range(16):
        assert tally.counts[bit] == sum(1 for v in votes if v >> bit & 1)
    for blk in reversed(blocks):
        tally = tally.without_block(blk)
    assert tally == AgendaTally(0)


def test_random_window_matches_percentages() -> None:
    rng = random.Random(5)
    blocks = [[rng.getrandbits(16) for _ in range(rng.randint(3, 5))] for _ in range(200)]
    tally = tally_window(0, blocks, REGTEST)
    for bit in range(1, 16):
        assert tally.signalled(bit, REGTEST) == (4 * tally.counts[bit] >= 3 * tally.total_votes)
