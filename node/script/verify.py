"""Verifying transaction inputs: `verify_input` (what the chainstate calls per input) and
`verify_tx_inputs`, with a fast path for the exact P2PKH template.

The fast path accepts an input only when the full interpreter would (it is an early exit
for the success case, never a different verdict): the script_pubkey is exactly
``OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG``, the script_sig is exactly two direct
pushes ``<64|65-byte sig> <32-byte key>`` (push-only and minimal, leaving one item: every
flag is satisfied), the key hashes to the template's hash and the signature checks. Any
other case, including a failing signature, runs the full interpreter, which produces the
precise error.
"""

from __future__ import annotations

from collections.abc import Sequence

from node.crypto.hashes import hash160
from node.script.checker import SignatureChecker
from node.script.errors import ScriptError, ScriptErrorCode
from node.script.flags import CONSENSUS_FLAGS
from node.script.interpreter import verify_script
from node.script.ops_crypto import EXPLICIT_HASH_TYPES
from node.script.sighash import PrecomputedTxData
from node.script.txchecker import TransactionSignatureChecker
from node.types.tx import Tx, TxOut

_P2PKH_HEAD = b"\x76\xa9\x14"  # OP_DUP OP_HASH160 <20>
_P2PKH_TAIL = b"\x88\xac"  # OP_EQUALVERIFY OP_CHECKSIG


def p2pkh_fast_accept(script_sig: bytes, script_pubkey: bytes, checker: SignatureChecker) -> bool:
    """True when the P2PKH fast path proves the input valid (False: use the interpreter)."""
    if (
        len(script_pubkey) != 25
        or script_pubkey[:3] != _P2PKH_HEAD
        or script_pubkey[23:] != _P2PKH_TAIL
    ):
        return False
    size = len(script_sig)
    if size == 98 and script_sig[0] == 0x40 and script_sig[65] == 0x20:
        sig = script_sig[1:65]
        hash_type = 0
        pubkey = script_sig[66:]
    elif size == 99 and script_sig[0] == 0x41 and script_sig[66] == 0x20:
        sig = script_sig[1:65]
        hash_type = script_sig[65]
        if hash_type not in EXPLICIT_HASH_TYPES:
            return False
        pubkey = script_sig[67:]
    else:
        return False
    if hash160(pubkey) != script_pubkey[3:23]:
        return False
    try:
        return checker.check_schnorr(sig, hash_type, pubkey)
    except ScriptError:
        return False


def verify_input(
    tx: Tx,
    index: int,
    spent_output: TxOut,
    flags: int = CONSENSUS_FLAGS,
    precomputed: PrecomputedTxData | None = None,
    checker: SignatureChecker | None = None,
) -> None:
    """Verify that input ``index`` of ``tx`` (its witness is the script_sig) may spend
    ``spent_output``; raise ScriptError (with ``input_index`` set) otherwise.

    ``precomputed`` should be shared by all inputs of one transaction; ``checker`` replaces
    the transaction checker (tests inject their own).
    """
    if not 0 <= index < len(tx.inputs):
        raise ScriptError(
            ScriptErrorCode.SIGHASH_INPUT,
            f"input index {index} out of range ({len(tx.inputs)} inputs)",
            input_index=index,
        )
    if checker is None:
        checker = TransactionSignatureChecker(tx, index, spent_output, precomputed)
    script_sig = tx.witnesses[index]
    script_pubkey = spent_output.script_pubkey
    if p2pkh_fast_accept(script_sig, script_pubkey, checker):
        return
    try:
        verify_script(script_sig, script_pubkey, flags, checker)
    except ScriptError as exc:
        exc.input_index = index
        raise


def verify_tx_inputs(tx: Tx, spent_outputs: Sequence[TxOut], flags: int = CONSENSUS_FLAGS) -> None:
    """Verify every input of ``tx`` (``spent_outputs[i]`` is what input i spends)."""
    if len(spent_outputs) != len(tx.inputs):
        raise ScriptError(
            ScriptErrorCode.SIGHASH_INPUT,
            f"{len(spent_outputs)} spent outputs for {len(tx.inputs)} inputs",
        )
    precomputed = PrecomputedTxData.from_tx(tx)
    for index, spent in enumerate(spent_outputs):
        verify_input(tx, index, spent, flags, precomputed)
