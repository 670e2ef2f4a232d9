"""`TransactionSignatureChecker`: the checker for one input of a real transaction.

CHECKSIG verifies BIP340 signatures against the SPEC §3 signature hash; CLTV compares with
the transaction's lock_time (BIP65) and CSV with the input's sequence (BIP68/BIP112).

Deviation from Bitcoin Core: BIP68/BIP112 apply to every transaction version, because
SPEC §3 fixes the version at 1 and gives ``sequence`` BIP68 semantics unconditionally (Core
requires version >= 2).
"""

from __future__ import annotations

from node.crypto.hashes import tagged_hash
from node.crypto.schnorr import verify as schnorr_verify
from node.script.errors import ScriptError, ScriptErrorCode, SighashError
from node.script.limits import (
    LOCKTIME_THRESHOLD,
    SEQUENCE_LOCKTIME_DISABLE_FLAG,
    SEQUENCE_LOCKTIME_MASK,
    SEQUENCE_LOCKTIME_TYPE_FLAG,
)
from node.script.sighash import SIGHASH_TAG, PrecomputedTxData, sighash_message
from node.types.tx import SEQUENCE_FINAL, Tx, TxOut


class TransactionSignatureChecker:
    """Checks signatures and locks for input ``index`` of ``tx`` spending ``spent_output``."""

    __slots__ = ("index", "precomputed", "spent_output", "tx")

    def __init__(
        self,
        tx: Tx,
        index: int,
        spent_output: TxOut,
        precomputed: PrecomputedTxData | None = None,
    ) -> None:
        if not 0 <= index < len(tx.inputs):
            raise ScriptError(
                ScriptErrorCode.SIGHASH_INPUT,
                f"input index {index} out of range ({len(tx.inputs)} inputs)",
            )
        if precomputed is None:
            precomputed = PrecomputedTxData.from_tx(tx)
        elif precomputed.tx is not tx and precomputed.tx.txid != tx.txid:
            raise ScriptError(
                ScriptErrorCode.SIGHASH_INPUT, "precomputed data belongs to another transaction"
            )
        self.tx = tx
        self.index = index
        self.spent_output = spent_output
        self.precomputed = precomputed

    def sighash(self, hash_type: int) -> bytes:
        """This input's signature hash for ``hash_type`` (raises SighashError)."""
        return tagged_hash(
            SIGHASH_TAG, sighash_message(self.precomputed, self.index, self.spent_output, hash_type)
        )

    def check_schnorr(self, sig64: bytes, hash_type: int, pubkey32: bytes) -> bool:
        try:
            msg = self.sighash(hash_type)
        except SighashError as exc:
            raise ScriptError(ScriptErrorCode.SCHNORR_SIG_HASHTYPE, exc.detail) from None
        return schnorr_verify(pubkey32, msg, sig64)

    def check_lock_time(self, lock_time: int) -> bool:
        tx_lock_time = self.tx.lock_time
        # Both heights or both times.
        if (tx_lock_time < LOCKTIME_THRESHOLD) != (lock_time < LOCKTIME_THRESHOLD):
            return False
        if lock_time > tx_lock_time:
            return False
        # A final sequence makes lock_time meaningless, so it cannot satisfy CLTV.
        return self.tx.inputs[self.index].sequence != SEQUENCE_FINAL

    def check_sequence(self, sequence: int) -> bool:
        tx_sequence = self.tx.inputs[self.index].sequence
        if tx_sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG:
            return False
        mask = SEQUENCE_LOCKTIME_TYPE_FLAG | SEQUENCE_LOCKTIME_MASK
        tx_masked = tx_sequence & mask
        masked = sequence & mask
        if (tx_masked < SEQUENCE_LOCKTIME_TYPE_FLAG) != (masked < SEQUENCE_LOCKTIME_TYPE_FLAG):
            return False
        return masked <= tx_masked
