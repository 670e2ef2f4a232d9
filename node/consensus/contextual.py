"""Contextual rules: a header against its parent, transaction finality, BIP68 sequence
locks, a transaction against the coins it spends, the height-dependent size and sigop
limits, and the coinbase (height commitment, amount, payee outputs).

Pure functions: the chain looks up parents, median times and spent coins and passes them
in. Spent coins are seen through the small `SpentCoin` protocol, so this module never
imports node.storage. Rules and reject reasons: docs/protocol/consensus.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from node.consensus.difficulty import HeaderInfo
from node.consensus.errors import (
    BadBlockHeight,
    BlockLength,
    BlockSigops,
    CoinbaseAmount,
    CoinbaseHeight,
    CoinbaseMissing,
    CoinbasePayee,
    InBelowOut,
    InputValuesOutOfRange,
    PrematureCoinbaseSpend,
    SequenceLocksNotMet,
    TxNonFinal,
    UnexpectedBits,
)
from node.consensus.subsidy import reward_split
from node.consensus.timerules import check_block_time
from node.params import MAX_MONEY, ChainParams
from node.types.block import Block, BlockHeader
from node.types.tx import SEQUENCE_FINAL, Tx, TxOut

LOCKTIME_THRESHOLD = 500_000_000
"""lock_time below this is a block height, otherwise a unix time (SPEC §3)."""
SEQUENCE_LOCKTIME_DISABLE_FLAG = 1 << 31
SEQUENCE_LOCKTIME_TYPE_FLAG = 1 << 22
SEQUENCE_LOCKTIME_MASK = 0x0000FFFF
SEQUENCE_LOCKTIME_GRANULARITY = 9
"""Time-based relative locks count units of 2^9 = 512 seconds (BIP68)."""

NO_LOCK = (-1, -1)


class SpentCoin(Protocol):
    """An unspent output as the chain stores it (value, script, creation height, coinbase?)."""

    @property
    def value(self) -> int: ...

    @property
    def script_pubkey(self) -> bytes: ...

    @property
    def height(self) -> int: ...

    @property
    def is_coinbase(self) -> bool: ...


# --------------------------------------------------------------------------- headers


def check_header_contextual(
    header: BlockHeader,
    parent: HeaderInfo,
    params: ChainParams,
    *,
    expected_bits: int,
    median_time_past: int,
    adjusted_time: int,
) -> None:
    """Height = parent + 1, bits = LWMA-1's value, MTP < timestamp <= adjusted time + 6T.

    `median_time_past` is the MTP of the parent (the last 11 blocks ending at it).
    """
    if header.height != parent.height + 1:
        raise BadBlockHeight(f"header height {header.height}, parent height {parent.height}")
    if header.bits != expected_bits:
        raise UnexpectedBits(f"bits 0x{header.bits:08x}, expected 0x{expected_bits:08x}")
    check_block_time(header.timestamp, median_time_past, adjusted_time, params)


# --------------------------------------------------------------------------- lock times


def is_final_tx(tx: Tx, block_height: int, block_time: int) -> bool:
    """Bitcoin's IsFinalTx: lock_time 0, or below the height / time it is compared with, or
    every input sequence 0xFFFFFFFF. `block_time` is the MTP of the block's parent."""
    lock_time = tx.lock_time
    if lock_time == 0:
        return True
    cutoff = block_height if lock_time < LOCKTIME_THRESHOLD else block_time
    if lock_time < cutoff:
        return True
    return all(txin.sequence == SEQUENCE_FINAL for txin in tx.inputs)


def check_tx_final(tx: Tx, block_height: int, lock_time_cutoff: int) -> None:
    """Raise TxNonFinal unless `is_final_tx(tx, block_height, lock_time_cutoff)`."""
    if not is_final_tx(tx, block_height, lock_time_cutoff):
        raise TxNonFinal(
            f"lock_time {tx.lock_time} not reached at height {block_height} "
            f"/ time {lock_time_cutoff}"
        )


def sequence_locks(
    tx: Tx, coin_heights: Sequence[int], coin_mtps: Sequence[int]
) -> tuple[int, int]:
    """BIP68 CalculateSequenceLocks: (min height, min time) that must be *exceeded*.

    ``coin_heights[i]`` is the height of the block that created input i's coin (the height
    of the block being connected for a coin created earlier in it); ``coin_mtps[i]`` is the
    median time past of block ``max(coin_heights[i] - 1, 0)``. Unlike BIP68 there is no
    ``tx.version >= 2`` condition (SPEC §3 fixes version 1): every input whose sequence lacks
    the disable flag (bit 31) is relatively locked. A coinbase has no locks: (-1, -1).
    """
    if tx.is_coinbase():
        return NO_LOCK
    n = len(tx.inputs)
    if len(coin_heights) != n or len(coin_mtps) != n:
        raise ValueError(
            f"{n} inputs but {len(coin_heights)} coin heights and {len(coin_mtps)} coin mtps"
        )
    min_height, min_time = NO_LOCK
    for txin, coin_height, coin_mtp in zip(tx.inputs, coin_heights, coin_mtps, strict=True):
        sequence = txin.sequence
        if sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG:
            continue
        value = sequence & SEQUENCE_LOCKTIME_MASK
        if sequence & SEQUENCE_LOCKTIME_TYPE_FLAG:
            min_time = max(min_time, coin_mtp + (value << SEQUENCE_LOCKTIME_GRANULARITY) - 1)
        else:
            min_height = max(min_height, coin_height + value - 1)
    return min_height, min_time


def check_sequence_locks(locks: tuple[int, int], block_height: int, prev_mtp: int) -> None:
    """BIP68 EvaluateSequenceLocks: raise unless min height < block_height and
    min time < prev_mtp (the MTP of the block's parent)."""
    min_height, min_time = locks
    if min_height >= block_height:
        raise SequenceLocksNotMet(
            f"relative lock until height {min_height} not passed at height {block_height}"
        )
    if min_time >= prev_mtp:
        raise SequenceLocksNotMet(
            f"relative lock until time {min_time} not passed at median time {prev_mtp}"
        )


# --------------------------------------------------------------------------- inputs


def check_tx_inputs(
    tx: Tx, spent: Sequence[SpentCoin], spend_height: int, params: ChainParams
) -> int:
    """Core's Consensus::CheckTxInputs for a non-coinbase tx; returns the fee.

    ``spent[i]`` is the coin input i spends (the chain raises InputsMissingOrSpent when one
    does not exist); `spend_height` is the height of the block that spends them.
    """
    if tx.is_coinbase():
        raise ValueError("a coinbase spends no coins")
    if len(spent) != len(tx.inputs):
        raise ValueError(f"{len(tx.inputs)} inputs but {len(spent)} spent coins")
    value_in = 0
    for i, coin in enumerate(spent):
        if coin.is_coinbase and spend_height - coin.height < params.coinbase_maturity:
            raise PrematureCoinbaseSpend(
                f"input {i} spends a coinbase of height {coin.height} at height "
                f"{spend_height} (maturity {params.coinbase_maturity})"
            )
        value_in += coin.value
        if not 0 <= coin.value <= MAX_MONEY or value_in > MAX_MONEY:
            raise InputValuesOutOfRange(f"input {i}: value {coin.value}, running sum {value_in}")
    value_out = sum(out.value for out in tx.outputs)
    if value_in < value_out:
        raise InBelowOut(f"value in {value_in} < value out {value_out}")
    return value_in - value_out


# --------------------------------------------------------------------------- block limits


def check_block_size(block: Block, size_limit: int) -> None:
    """Raise BlockLength if the serialized block exceeds its height's `size_limit`."""
    if block.size > size_limit:
        raise BlockLength(f"block size {block.size} exceeds the limit {size_limit}")


def check_block_sigops(sigops: int, sigops_limit: int) -> None:
    """Raise BlockSigops if the block's total sigops (legacy + P2SH) exceed the limit."""
    if sigops > sigops_limit:
        raise BlockSigops(f"{sigops} sigops exceed the limit {sigops_limit}")


# --------------------------------------------------------------------------- coinbase


def check_coinbase(
    block: Block,
    fees: int,
    params: ChainParams,
    *,
    n_votes: int = 0,
    has_masternode: bool = False,
    stake_scripts: Sequence[bytes] | None = None,
    masternode_script: bytes | None = None,
) -> None:
    """The coinbase's height commitment and what it may pay (SPEC §5.1, §5.3).

    Outputs are ``[miner outputs..., n_votes stake outputs, masternode output]``: the last
    ``n_votes + has_masternode`` outputs must pay exactly ``per_vote`` / ``masternode``
    (to `stake_scripts` in vote order / `masternode_script` when given), and the miner
    outputs together at most ``split.miner + fees`` (paying less burns the difference).
    """
    if fees < 0:
        raise ValueError(f"fees must be >= 0, got {fees}")
    if not block.txs or not block.txs[0].is_coinbase():
        raise CoinbaseMissing("first transaction is not a coinbase")
    coinbase = block.txs[0]
    height = block.header.height
    if coinbase.lock_time != height:
        raise CoinbaseHeight(f"coinbase lock_time {coinbase.lock_time} != height {height}")
    split = reward_split(height, n_votes, has_masternode, params)
    required = [TxOut(split.per_vote, b"")] * n_votes
    scripts: list[bytes | None] = [None] * n_votes
    if stake_scripts is not None:
        if len(stake_scripts) != n_votes:
            raise ValueError(f"{len(stake_scripts)} stake scripts for {n_votes} votes")
        scripts = list(stake_scripts)
    if has_masternode:
        required.append(TxOut(split.masternode, b""))
        scripts.append(masternode_script)
    elif masternode_script is not None:
        raise ValueError("masternode_script given without a masternode")
    outputs = coinbase.outputs
    n_miner = len(outputs) - len(required)
    if n_miner < 0:
        raise CoinbasePayee(
            f"coinbase has {len(outputs)} outputs, fewer than the {len(required)} required"
        )
    for offset, (want, script) in enumerate(zip(required, scripts, strict=True)):
        index = n_miner + offset
        got = outputs[index]
        if got.value != want.value or (script is not None and got.script_pubkey != script):
            raise CoinbasePayee(
                f"coinbase output {index} pays {got.value}, expected {want.value}"
                + ("" if script is None else f" to {script.hex()}")
            )
    miner_total = sum(out.value for out in outputs[:n_miner])
    allowed = split.miner + fees
    if miner_total > allowed:
        raise CoinbaseAmount(f"coinbase pays {miner_total}, allowed {allowed}")
