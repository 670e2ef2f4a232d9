"""Emission schedule and reward split (SPEC §5.1)."""

from __future__ import annotations

import dataclasses
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.consensus.subsidy import RewardSplit, block_subsidy, reward_split, total_emission
from node.params import COIN, MAINNET, MAX_MONEY, NETWORKS, REGTEST

INTERVAL = MAINNET.subsidy_interval


@pytest.mark.parametrize(
    ("height", "subsidy"),
    [
        (0, 14_800_000_000),
        (1, 14_800_000_000),
        (INTERVAL - 1, 14_800_000_000),
        (INTERVAL, 13_024_000_000),
        (2 * INTERVAL - 1, 13_024_000_000),
        (2 * INTERVAL, 11_461_120_000),
        (3 * INTERVAL, 10_085_785_600),
        (4 * INTERVAL, 8_875_491_328),
        (5 * INTERVAL, 7_810_432_368),  # 7,810,432,368.64 floored
    ],
)
def test_schedule_first_steps(height: int, subsidy: int) -> None:
    assert block_subsidy(height, MAINNET) == subsidy


def test_schedule_ends_and_never_grows() -> None:
    values = [block_subsidy(k * INTERVAL, MAINNET) for k in range(200)]
    assert all(a > b for a, b in pairwise(values[:172]))
    assert values[171] > 0
    assert values[172:] == [0] * 28
    assert block_subsidy(2**64, MAINNET) == 0


def test_negative_height_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="height"):
        block_subsidy(-1, MAINNET)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_total_emission_stays_below_max_money(name: str) -> None:
    params = NETWORKS[name]
    total = total_emission(params)
    eras = sum(block_subsidy(k * INTERVAL, params) * INTERVAL for k in range(400))
    assert total == eras
    assert total <= MAX_MONEY
    assert total == 25_929_599_867_478_720  # 259,295,998.67 RUST
    assert MAX_MONEY - total < COIN * 1_000_000


def test_total_emission_matches_a_block_by_block_sum() -> None:
    params = dataclasses.replace(MAINNET, subsidy_interval=3, initial_subsidy=1000)
    brute = 0
    height = 0
    while (s := block_subsidy(height, params)) or height < 3:
        brute += s
        height += 1
    assert brute == total_emission(params)
    assert block_subsidy(height + 1000, params) == 0


@pytest.mark.parametrize(
    ("n_votes", "masternode", "miner", "stake_total", "mn_share"),
    [
        (0, False, 3703, 0, 0),
        (0, True, 3704, 0, 4320),
        (3, False, 3703, 2592, 0),
        (3, True, 3704, 2592, 4320),
        (4, False, 3704, 3456, 0),
        (5, False, 3704, 4320, 0),
        (5, True, 3705, 4320, 4320),
    ],
)
def test_reward_split_with_remainders(
    n_votes: int, masternode: bool, miner: int, stake_total: int, mn_share: int
) -> None:
    params = dataclasses.replace(MAINNET, initial_subsidy=12_345)
    split = reward_split(0, n_votes, masternode, params)
    assert split == RewardSplit(miner, 864, stake_total, mn_share)


def test_reward_split_full_block_uses_the_whole_subsidy() -> None:
    split = reward_split(0, 5, True, MAINNET)
    assert split == RewardSplit(4_440_000_000, 1_036_000_000, 5_180_000_000, 5_180_000_000)
    assert split.total == block_subsidy(0, MAINNET)
    assert reward_split(0, 0, False, MAINNET).total == 4_440_000_000


@pytest.mark.parametrize("n_votes", [-1, 6])
def test_reward_split_vote_count_range(n_votes: int) -> None:
    with pytest.raises(ValueError, match="n_votes"):
        reward_split(0, n_votes, False, REGTEST)


@given(
    subsidy=st.integers(0, 10**12),
    n_votes=st.integers(0, 5),
    masternode=st.booleans(),
)
def test_reward_split_properties(subsidy: int, n_votes: int, masternode: bool) -> None:
    params = dataclasses.replace(MAINNET, initial_subsidy=subsidy)
    split = reward_split(0, n_votes, masternode, params)
    assert split.per_vote == subsidy * 7 // 100
    assert split.stake_total == split.per_vote * n_votes
    assert split.masternode == (subsidy * 35 // 100 if masternode else 0)
    remainder = split.miner - subsidy * 30 // 100
    assert 0 <= remainder <= n_votes + int(masternode) + 1
    exact_created = subsidy * (30 + 7 * n_votes + 35 * int(masternode))
    assert split.total * 100 <= exact_created < (split.total + 1) * 100
    if n_votes == 5 and masternode:
        assert split.total == subsidy
