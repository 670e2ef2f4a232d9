"""Stake rewards in the coinbase (SPEC §5.1, §5.3).

Each included vote earns ``reward_split(h, n_votes, has_masternode).per_vote`` (7 % of
``subsidy(h)``, floored), paid by one coinbase output to the voting ticket's
``reward_script``. Coinbase outputs are laid out as
``[miner outputs..., one stake output per vote in vote order, masternode output]``, the same
layout node.consensus.contextual.check_coinbase checks (its ``stake_scripts`` argument is
`stake_scripts` here). These outputs are coinbase outputs, so the chain's ordinary
coinbase-maturity rule makes them spendable after ``coinbase_maturity`` blocks.
"""

from __future__ import annotations

from collections.abc import Sequence

from node.consensus.subsidy import reward_split
from node.params import ChainParams
from node.stake.errors import BadStakeReward
from node.stake.tickets import Ticket
from node.types import Block, TxOut

__all__ = ["check_stake_rewards", "stake_reward_outputs", "stake_scripts"]


def stake_scripts(vote_tickets: Sequence[Ticket]) -> tuple[bytes, ...]:
    """The reward scripts of the voting tickets in vote order (check_coinbase's
    ``stake_scripts``)."""
    return tuple(t.reward_script for t in vote_tickets)


def stake_reward_outputs(
    height: int, vote_tickets: Sequence[Ticket], has_masternode: bool, params: ChainParams
) -> tuple[TxOut, ...]:
    """The stake outputs a coinbase at `height` must carry, in vote order (for builders)."""
    split = reward_split(height, len(vote_tickets), has_masternode, params)
    return tuple(TxOut(split.per_vote, t.reward_script) for t in vote_tickets)


def check_stake_rewards(
    block: Block, vote_tickets: Sequence[Ticket], has_masternode: bool, params: ChainParams
) -> None:
    """Raise BadStakeReward unless the coinbase carries exactly the expected stake outputs at
    their place (just before the masternode output, if any, else last).

    Only the stake outputs are checked here; the miner's amount, the masternode payment and
    the height commitment stay with check_coinbase, which the chain calls afterwards with
    ``n_votes=len(vote_tickets), stake_scripts=stake_scripts(vote_tickets)``.
    """
    if not block.txs or not block.txs[0].is_coinbase():
        raise BadStakeReward("block has no coinbase")
    outputs = block.txs[0].outputs
    expected = stake_reward_outputs(block.header.height, vote_tickets, has_masternode, params)
    end = len(outputs) - (1 if has_masternode else 0)
    start = end - len(expected)
    if start < 0:
        raise BadStakeReward(
            f"coinbase has {len(outputs)} outputs, too few for {len(expected)} stake outputs"
        )
    for offset, want in enumerate(expected):
        got = outputs[start + offset]
        if got != want:
            raise BadStakeReward(
                f"coinbase output {start + offset} pays {got.value} to "
                f"{got.script_pubkey.hex()}, expected {want.value} to "
                f"{want.script_pubkey.hex()} (vote {offset})"
            )
