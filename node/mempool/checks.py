"""Per-transaction checks the pool runs against chain context: script verification with
Core's mandatory / non-mandatory split, and the re-check of lock times, sequence locks and
coinbase maturity after a reorganisation (Core's removeForReorg predicate).

Pure functions: the pool passes in the tip height, median times and coin lookups.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from node.consensus.contextual import (
    check_sequence_locks,
    is_final_tx,
    sequence_locks,
)
from node.consensus.errors import SequenceLocksNotMet
from node.mempool.entry import MempoolEntry
from node.mempool.errors import ScriptReject
from node.script import CONSENSUS_FLAGS, STANDARD_FLAGS, PrecomputedTxData, ScriptError
from node.script.cache import ScriptCache
from node.script.verify import verify_input
from node.storage.records import Coin
from node.types.tx import OutPoint, Tx, TxOut


def verify_scripts(
    tx: Tx,
    spent_outputs: Sequence[TxOut],
    *,
    standard: bool = True,
    cache: ScriptCache | None = None,
) -> None:
    """Verify every input with STANDARD_FLAGS (CONSENSUS_FLAGS when not `standard`).

    A failure is "mandatory-script-verify-flag-failed (<error>)" when consensus flags fail
    too, else "non-mandatory-script-verify-flag-failed (<error>)" (Core's wording). On
    success the wtxid goes into `cache`, so connecting the block that mines it skips it.
    """
    flags = STANDARD_FLAGS if standard else CONSENSUS_FLAGS
    precomputed = PrecomputedTxData.from_tx(tx)
    for index, out in enumerate(spent_outputs):
        try:
            verify_input(tx, index, out, flags, precomputed)
        except ScriptError as exc:
            failure = exc
            mandatory = True
            if flags != CONSENSUS_FLAGS:
                try:
                    verify_input(tx, index, out, CONSENSUS_FLAGS, precomputed)
                    mandatory = False
                except ScriptError as consensus_exc:
                    failure = consensus_exc
            kind = "mandatory" if mandatory else "non-mandatory"
            raise ScriptReject(
                f"{kind}-script-verify-flag-failed ({failure.code.value})", str(failure)
            ) from None
    if cache is not None:
        cache.add(tx.wtxid)  # every input passed flags that include all consensus flags


def still_valid_after_reorg(
    entry: MempoolEntry,
    entries: Mapping[bytes, MempoolEntry],
    get_coin: Callable[[OutPoint], Coin | None],
    *,
    height: int,
    mtp: int,
    coin_mtp: Callable[[int], int],
    maturity: int,
) -> bool:
    """Whether `entry` can still be mined at `height` (tip+1, whose parent has median time
    `mtp`): final, confirmed inputs present and mature, sequence locks met."""
    tx = entry.tx
    if not is_final_tx(tx, height, mtp):
        return False
    heights: list[int] = []
    for txin in tx.inputs:
        if txin.prevout.txid in entries:
            heights.append(height)
            continue
        coin = get_coin(txin.prevout)
        if coin is None or (coin.is_coinbase and height - coin.height < maturity):
            return False
        heights.append(coin.height)
    mtps = [mtp if h >= height else coin_mtp(h) for h in heights]
    try:
        check_sequence_locks(sequence_locks(tx, heights, mtps), height, mtp)
    except SequenceLocksNotMet:
        return False
    return True
