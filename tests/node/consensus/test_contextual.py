"""Contextual rules: header against parent, finality, BIP68 sequence locks, inputs against
spent coins, block size/sigop limits and the coinbase (height, amount, payee outputs)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from node.consensus.contextual import (
    LOCKTIME_THRESHOLD,
    SEQUENCE_LOCKTIME_DISABLE_FLAG,
    SEQUENCE_LOCKTIME_TYPE_FLAG,
    SpentCoin,
    check_block_sigops,
    check_block_size,
    check_coinbase,
    check_header_contextual,
    check_sequence_locks,
    check_tx_final,
    check_tx_inputs,
    is_final_tx,
    sequence_locks,
)
from node.consensus.difficulty import HeaderInfo
from node.consensus.errors import ConsensusError
from node.consensus.subsidy import block_subsidy, reward_split
from node.params import COIN, MAINNET, MAX_MONEY, REGTEST
from node.types.block import Block, BlockHeader
from node.types.tx import SEQUENCE_FINAL, Tx, TxOut
from tests.node.consensus.helpers import coinbase, fill, make_block, p2pkh, spend


def reason_of(fn: Callable[[], object]) -> str:
    with pytest.raises(ConsensusError) as info:
        fn()
    return info.value.reason


# --------------------------------------------------------------------------- headers

PARENT = HeaderInfo(height=41, timestamp=1_800_000_000, bits=0x1F00FFFF)
MTP = 1_799_999_000
NOW = 1_800_000_100


def header(**changes: Any) -> BlockHeader:
    base = BlockHeader(
        version=1,
        height=42,
        prev_hash=fill("p"),
        merkle_root=fill("m"),
        votes_root=bytes(32),
        state_root=bytes(32),
        timestamp=MTP + 1,
        bits=0x1F00FFFF,
        nonce=0,
    )
    return dataclasses.replace(base, **changes)


def check_header(h: BlockHeader) -> None:
    check_header_contextual(
        h, PARENT, MAINNET, expected_bits=0x1F00FFFF, median_time_past=MTP, adjusted_time=NOW
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"height": 41}, "bad-blk-height"),
        ({"height": 43}, "bad-blk-height"),
        ({"height": 0}, "bad-blk-height"),
        ({"bits": 0x1F00FFFE}, "bad-diffbits"),
        ({"timestamp": MTP}, "time-too-old"),
        ({"timestamp": MTP - 1000}, "time-too-old"),
        ({"timestamp": NOW + 6 * 150 + 1}, "time-too-new"),
    ],
)
def test_header_contextual_rejections(changes: dict[str, int], reason: str) -> None:
    assert reason_of(lambda: check_header(header(**changes))) == reason


def test_header_contextual_accepts_the_window_edges() -> None:
    check_header(header())
    check_header(header(timestamp=NOW + 6 * 150))
    check_header(header(timestamp=PARENT.timestamp - 500))  # before the parent but after MTP


# --------------------------------------------------------------------------- finality


def locked(lock_time: int, sequence: int = 0) -> Tx:
    return spend("lock", 2, lock_time=lock_time, sequence=sequence)


@pytest.mark.parametrize(
    ("lock_time", "sequence", "height", "time", "final"),
    [
        (0, 0, 1, 0, True),
        (100, 0, 101, 0, True),
        (100, 0, 100, 0, False),
        (100, 0, 99, 0, False),
        (100, SEQUENCE_FINAL, 50, 0, True),
        (100, SEQUENCE_FINAL - 1, 50, 0, False),
        (LOCKTIME_THRESHOLD - 1, 0, LOCKTIME_THRESHOLD, 0, True),
        (LOCKTIME_THRESHOLD - 1, 0, LOCKTIME_THRESHOLD - 1, 2**40, False),
        (LOCKTIME_THRESHOLD, 0, 10**9, LOCKTIME_THRESHOLD + 1, True),
        (LOCKTIME_THRESHOLD, 0, 10**9, LOCKTIME_THRESHOLD, False),
        (1_800_000_000, 0, 5, 1_800_000_001, True),
        (1_800_000_000, 0, 5, 1_799_999_999, False),
        (1_800_000_000, SEQUENCE_FINAL, 5, 0, True),
    ],
)
def test_is_final_tx(lock_time: int, sequence: int, height: int, time: int, final: bool) -> None:
    tx = locked(lock_time, sequence)
    assert is_final_tx(tx, height, time) is final
    if final:
        check_tx_final(tx, height, time)
    else:
        assert reason_of(lambda: check_tx_final(tx, height, time)) == "bad-txns-nonfinal"


def test_one_non_final_sequence_makes_a_locked_tx_non_final() -> None:
    tx = locked(100, SEQUENCE_FINAL)
    mixed = dataclasses.replace(
        tx, inputs=(tx.inputs[0], dataclasses.replace(tx.inputs[1], sequence=7))
    )
    assert is_final_tx(tx, 10, 0)
    assert not is_final_tx(mixed, 10, 0)


def test_coinbase_is_final_at_its_height_only_with_a_final_sequence() -> None:
    assert is_final_tx(coinbase(500), 500, 0)
    assert not is_final_tx(coinbase(500, sequence=0), 500, 0)


# --------------------------------------------------------------------------- BIP68


def test_disabled_sequences_have_no_lock() -> None:
    tx = spend("d", 2, sequence=SEQUENCE_LOCKTIME_DISABLE_FLAG | 500)
    assert sequence_locks(tx, [100, 100], [0, 0]) == (-1, -1)
    assert sequence_locks(spend("f", sequence=SEQUENCE_FINAL), [5], [0]) == (-1, -1)
    check_sequence_locks((-1, -1), 0, 0)


def test_height_lock() -> None:
    tx = spend("h", sequence=10)
    locks = sequence_locks(tx, [100], [123])
    assert locks == (109, -1)
    assert reason_of(lambda: check_sequence_locks(locks, 109, 10**9)) == "non-BIP68-final"
    check_sequence_locks(locks, 110, 10**9)


def test_zero_sequence_allows_spending_in_the_same_block() -> None:
    locks = sequence_locks(spend("z", sequence=0), [77], [0])
    assert locks == (76, -1)
    check_sequence_locks(locks, 77, 0)


def test_time_lock_has_512_second_granularity() -> None:
    tx = spend("t", sequence=SEQUENCE_LOCKTIME_TYPE_FLAG | 3)
    locks = sequence_locks(tx, [100], [1_000_000])
    assert locks == (-1, 1_000_000 + 3 * 512 - 1)
    assert reason_of(lambda: check_sequence_locks(locks, 10**6, 1_000_000 + 1535)) == (
        "non-BIP68-final"
    )
    check_sequence_locks(locks, 10**6, 1_000_000 + 1536)


def test_bits_outside_the_mask_and_flags_are_ignored() -> None:
    tx = spend("m", sequence=(1 << 16) | (1 << 30) | 5)
    assert sequence_locks(tx, [10], [0]) == (14, -1)


def test_locks_take_the_maximum_over_inputs() -> None:
    tx = spend("x", 3)
    seqs = (3, SEQUENCE_LOCKTIME_TYPE_FLAG | 1, 9)
    tx = dataclasses.replace(
        tx,
        inputs=tuple(
            dataclasses.replace(i, sequence=s) for i, s in zip(tx.inputs, seqs, strict=True)
        ),
    )
    assert sequence_locks(tx, [50, 60, 45], [7000, 8000, 9000]) == (53, 8000 + 511)


def test_sequence_locks_input_checks() -> None:
    assert sequence_locks(coinbase(5, sequence=0), [], []) == (-1, -1)
    with pytest.raises(ValueError, match="inputs"):
        sequence_locks(spend("x", 2), [1], [1, 2])


# --------------------------------------------------------------------------- inputs


@dataclasses.dataclass(frozen=True, slots=True)
class Coin:
    value: int
    script_pubkey: bytes
    height: int
    is_coinbase: bool = False


def coins(*values: int, height: int = 5, is_coinbase: bool = False) -> list[SpentCoin]:
    return [Coin(v, p2pkh("c"), height, is_coinbase) for v in values]


def test_check_tx_inputs_returns_the_fee() -> None:
    tx = spend("f", 2, (TxOut(3 * COIN, b""), TxOut(COIN, b"")))
    assert check_tx_inputs(tx, coins(2 * COIN, 2 * COIN + 7), 100, REGTEST) == 7
    assert check_tx_inputs(tx, coins(2 * COIN, 2 * COIN), 100, REGTEST) == 0


@pytest.mark.parametrize(
    ("spent", "height", "reason"),
    [
        (coins(COIN, height=90, is_coinbase=True), 99, "bad-txns-premature-spend-of-coinbase"),
        (coins(COIN, height=0, is_coinbase=True), 9, "bad-txns-premature-spend-of-coinbase"),
        (coins(MAX_MONEY + 1), 99, "bad-txns-inputvalues-outofrange"),
        (coins(MAX_MONEY, 1), 99, "bad-txns-inputvalues-outofrange"),
        (coins(-1, 2 * COIN), 99, "bad-txns-inputvalues-outofrange"),
        (coins(COIN - 1), 99, "bad-txns-in-belowout"),
    ],
)
def test_check_tx_inputs_rejections(spent: list[SpentCoin], height: int, reason: str) -> None:
    tx = spend("i", len(spent), (TxOut(COIN, b""),))
    assert reason_of(lambda: check_tx_inputs(tx, spent, height, REGTEST)) == reason


def test_coinbase_maturity_boundary() -> None:
    tx = spend("i", outputs=(TxOut(COIN, b""),))
    check_tx_inputs(tx, coins(COIN, height=90, is_coinbase=True), 100, REGTEST)
    check_tx_inputs(tx, coins(COIN, height=99), 99, REGTEST)  # not a coinbase: no maturity
    assert REGTEST.coinbase_maturity == 10


def test_check_tx_inputs_caller_errors() -> None:
    with pytest.raises(ValueError, match="coinbase"):
        check_tx_inputs(coinbase(3), [], 3, REGTEST)
    with pytest.raises(ValueError, match="spent coins"):
        check_tx_inputs(spend("x", 2), coins(COIN), 3, REGTEST)


# --------------------------------------------------------------------------- block limits


def test_block_size_and_sigop_limits() -> None:
    block = make_block([coinbase(1)], solve=False)
    check_block_size(block, block.size)
    assert reason_of(lambda: check_block_size(block, block.size - 1)) == "bad-blk-length"
    check_block_sigops(40_000, 40_000)
    assert reason_of(lambda: check_block_sigops(40_001, 40_000)) == "bad-blk-sigops"


# --------------------------------------------------------------------------- coinbase

MINER = reward_split(1, 0, False, REGTEST).miner


def cb_block(*outputs: TxOut, height: int = 1, lock_time: int | None = None) -> Block:
    return make_block([coinbase(height, outputs, lock_time=lock_time)], height=height, solve=False)


def test_coinbase_amount() -> None:
    assert MINER == block_subsidy(1, REGTEST) * 30 // 100 == 4_440_000_000
    check_coinbase(cb_block(TxOut(MINER, b"")), 0, REGTEST)
    check_coinbase(cb_block(TxOut(MINER + 500, b"")), 500, REGTEST)
    check_coinbase(cb_block(TxOut(1, b""), TxOut(2, b"")), 0, REGTEST)
    over = cb_block(TxOut(MINER, b""), TxOut(501, b""))
    assert reason_of(lambda: check_coinbase(over, 500, REGTEST)) == "bad-cb-amount"


def test_coinbase_height() -> None:
    block = cb_block(TxOut(1, b""), height=7, lock_time=6)
    assert reason_of(lambda: check_coinbase(block, 0, REGTEST)) == "bad-cb-height"
    check_coinbase(cb_block(TxOut(1, b""), height=7), 0, REGTEST)


def test_coinbase_missing() -> None:
    block = make_block([spend("a")], solve=False)
    assert reason_of(lambda: check_coinbase(block, 0, REGTEST)) == "bad-cb-missing"
    with pytest.raises(ValueError, match="fees"):
        check_coinbase(cb_block(TxOut(1, b"")), -1, REGTEST)


SPLIT = reward_split(1, 2, True, REGTEST)
VOTE_A, VOTE_B, MN = p2pkh("va"), p2pkh("vb"), p2pkh("mn")


def payee_block(*outputs: TxOut) -> Block:
    return cb_block(*outputs)


GOOD_PAYEES = (
    TxOut(SPLIT.miner, p2pkh("miner")),
    TxOut(SPLIT.per_vote, VOTE_A),
    TxOut(SPLIT.per_vote, VOTE_B),
    TxOut(SPLIT.masternode, MN),
)


def check_payees(block: Block, fees: int = 0, *, scripts: bool = True) -> None:
    check_coinbase(
        block,
        fees,
        REGTEST,
        n_votes=2,
        has_masternode=True,
        stake_scripts=(VOTE_A, VOTE_B) if scripts else None,
        masternode_script=MN if scripts else None,
    )


def test_coinbase_with_stake_and_masternode_outputs() -> None:
    check_payees(payee_block(*GOOD_PAYEES))
    check_payees(payee_block(*GOOD_PAYEES), scripts=False)
    check_payees(payee_block(*GOOD_PAYEES[1:]))  # the miner may take nothing
    with_fees = (TxOut(SPLIT.miner + 9, b""), *GOOD_PAYEES[1:])
    check_payees(payee_block(*with_fees), 9)


@pytest.mark.parametrize(
    ("outputs", "reason"),
    [
        ((TxOut(SPLIT.miner + 1, b""), *GOOD_PAYEES[1:]), "bad-cb-amount"),
        ((GOOD_PAYEES[0], TxOut(SPLIT.per_vote + 1, VOTE_A), *GOOD_PAYEES[2:]), "bad-cb-payee"),
        ((GOOD_PAYEES[0], TxOut(SPLIT.per_vote, VOTE_B), *GOOD_PAYEES[2:]), "bad-cb-payee"),
        ((*GOOD_PAYEES[:3], TxOut(SPLIT.masternode - 1, MN)), "bad-cb-payee"),
        ((*GOOD_PAYEES[:3], TxOut(SPLIT.masternode, VOTE_A)), "bad-cb-payee"),
        ((GOOD_PAYEES[0], GOOD_PAYEES[3], GOOD_PAYEES[1], GOOD_PAYEES[2]), "bad-cb-payee"),
        (GOOD_PAYEES[1:3], "bad-cb-payee"),
    ],
)
def test_coinbase_payee_rejections(outputs: tuple[TxOut, ...], reason: str) -> None:
    assert reason_of(lambda: check_payees(payee_block(*outputs))) == reason


def test_coinbase_payee_argument_errors() -> None:
    block = payee_block(*GOOD_PAYEES)
    with pytest.raises(ValueError, match="stake scripts"):
        check_coinbase(block, 0, REGTEST, n_votes=2, has_masternode=True, stake_scripts=(VOTE_A,))
    with pytest.raises(ValueError, match="masternode_script"):
        check_coinbase(block, 0, REGTEST, masternode_script=MN)
