"""Stake reward outputs in the coinbase (SPEC §5.3), agreeing with check_coinbase."""

from __future__ import annotations

import pytest

from node.consensus.contextual import check_coinbase
from node.consensus.errors import CoinbasePayee
from node.consensus.subsidy import block_subsidy
from node.params import REGTEST
from node.stake.errors import BadStakeReward
from node.stake.rewards import check_stake_rewards, stake_reward_outputs, stake_scripts
from node.types import TxOut
from tests.node.stake.helpers import block, fill, p2pkh, ticket

HEIGHT = 250
S = block_subsidy(HEIGHT, REGTEST)
PER_VOTE = S * 7 // 100
VOTERS = [ticket(t) for t in ("c", "a", "e")]
MINER = TxOut(S * 30 // 100 + 2 * PER_VOTE, p2pkh("miner"))  # 5 - 3 votes not created
MN = TxOut(S * 35 // 100, p2pkh("masternode"))


def stake_outputs() -> tuple[TxOut, ...]:
    return tuple(TxOut(PER_VOTE, t.reward_script) for t in VOTERS)


def test_expected_outputs() -> None:
    assert stake_reward_outputs(HEIGHT, VOTERS, True, REGTEST) == stake_outputs()
    assert stake_scripts(VOTERS) == tuple(t.reward_script for t in VOTERS)
    assert stake_reward_outputs(HEIGHT, [], False, REGTEST) == ()


@pytest.mark.parametrize("has_mn", [True, False])
def test_valid_coinbase_passes_both_checks(has_mn: bool) -> None:
    miner = TxOut(S * 30 // 100, p2pkh("miner"))
    outputs = (miner, *stake_outputs(), *((MN,) if has_mn else ()))
    b = block(HEIGHT, fill("p"), coinbase_outputs=outputs)
    check_stake_rewards(b, VOTERS, has_mn, REGTEST)
    check_coinbase(
        b,
        0,
        REGTEST,
        n_votes=3,
        has_masternode=has_mn,
        stake_scripts=stake_scripts(VOTERS),
        masternode_script=MN.script_pubkey if has_mn else None,
    )


def _bad(outputs: tuple[TxOut, ...], has_mn: bool = True) -> None:
    b = block(HEIGHT, fill("p"), coinbase_outputs=outputs)
    with pytest.raises(BadStakeReward) as exc:
        check_stake_rewards(b, VOTERS, has_mn, REGTEST)
    assert exc.value.reason == "bad-stake-reward"
    with pytest.raises(CoinbasePayee):  # check_coinbase agrees that it is invalid
        check_coinbase(
            b,
            0,
            REGTEST,
            n_votes=3,
            has_masternode=has_mn,
            stake_scripts=stake_scripts(VOTERS),
            masternode_script=MN.script_pubkey if has_mn else None,
        )


def test_wrong_amount() -> None:
    outs = list(stake_outputs())
    outs[1] = TxOut(PER_VOTE + 1, outs[1].script_pubkey)
    _bad((MINER, *outs, MN))
    outs[1] = TxOut(PER_VOTE - 1, outs[1].script_pubkey)
    _bad((MINER, *outs, MN))


def test_wrong_script_and_order() -> None:
    outs = list(stake_outputs())
    _bad((MINER, outs[1], outs[0], outs[2], MN))  # not in vote order
    outs[2] = TxOut(PER_VOTE, p2pkh("thief"))
    _bad((MINER, *outs, MN))


def test_missing_and_misplaced() -> None:
    outs = stake_outputs()
    _bad((MINER, *outs[:2], MN))
    b = block(HEIGHT, fill("p"), coinbase_outputs=(outs[0],))
    with pytest.raises(BadStakeReward):
        check_stake_rewards(b, VOTERS, True, REGTEST)
    _bad((MINER, *outs), has_mn=True)  # masternode output missing: stake slots shift
