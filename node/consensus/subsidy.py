"""Emission (SPEC §5.1): the block subsidy schedule and its split between miner, stake
voters and the masternode payee.

Schedule: ``subsidy(h) = s_k`` with ``k = h // subsidy_interval``, ``s_0 = initial_subsidy``
(148 RUST) and ``s_{k+1} = s_k * 88 // 100`` (a repeated floor, in base units). Height 0,
the genesis block, is the first block of era 0 (the genesis coinbase nevertheless pays
nothing spendable). ``s_k`` is 0 from era 172 on (mainnet values); the total over all time is
259,295,998.67 RUST, below MAX_MONEY (260,000,000 RUST).

Split of ``S = subsidy(h)`` with ``n`` included votes and ``m`` = 1 if a masternode payee
exists, else 0:

- ``per_vote = S * 7 // 100``, ``stake_total = per_vote * n``;
- ``masternode = S * 35 // 100`` if ``m`` else 0;
- ``miner = S * (30 + 7n + 35m) // 100 - stake_total - masternode``.

So a share with no recipient is never created (the uncreated 7 % per missing vote and the
35 % of an absent masternode are simply not minted), the voter and masternode shares are
floored, and the miner receives 30 % plus exactly the rounding remainders of the shares that
*are* created. With 5 votes and a masternode the three parts add up to S.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.params import ChainParams

MINER_PERCENT = 30
VOTE_PERCENT = 7
MASTERNODE_PERCENT = 35


def block_subsidy(height: int, params: ChainParams) -> int:
    """New coins created by the block at `height` (all shares together), in base units."""
    if height < 0:
        raise ValueError(f"height must be >= 0, got {height}")
    subsidy = params.initial_subsidy
    for _ in range(height // params.subsidy_interval):
        subsidy = subsidy * params.subsidy_decay_numerator // params.subsidy_decay_denominator
        if subsidy == 0:
            break
    return subsidy


def total_emission(params: ChainParams) -> int:
    """Every coin the schedule can ever create (heights 0 and up, all shares created)."""
    total = 0
    subsidy = params.initial_subsidy
    while subsidy:
        total += subsidy * params.subsidy_interval
        subsidy = subsidy * params.subsidy_decay_numerator // params.subsidy_decay_denominator
    return total


@dataclass(frozen=True, slots=True)
class RewardSplit:
    """What the coinbase of one block may create: the miner's part (fees come on top), the
    amount of each stake vote output, their sum, and the masternode payment (0 if none)."""

    miner: int
    per_vote: int
    stake_total: int
    masternode: int

    @property
    def total(self) -> int:
        """Coins created by the block (miner + stake + masternode, fees excluded)."""
        return self.miner + self.stake_total + self.masternode


def reward_split(
    height: int, n_votes: int, has_masternode: bool, params: ChainParams
) -> RewardSplit:
    """The SPEC §5.1 split of `block_subsidy(height)` (formula in the module docstring)."""
    if not 0 <= n_votes <= params.tickets_per_block:
        raise ValueError(f"n_votes must be in 0..{params.tickets_per_block}, got {n_votes}")
    subsidy = block_subsidy(height, params)
    per_vote = subsidy * VOTE_PERCENT // 100
    stake_total = per_vote * n_votes
    masternode = subsidy * MASTERNODE_PERCENT // 100 if has_masternode else 0
    created_percent = MINER_PERCENT + VOTE_PERCENT * n_votes
    if has_masternode:
        created_percent += MASTERNODE_PERCENT
    created = subsidy * created_percent // 100
    return RewardSplit(
        miner=created - stake_total - masternode,
        per_vote=per_vote,
        stake_total=stake_total,
        masternode=masternode,
    )
