"""Standardness policy for scripts: what the mempool relays, not what consensus allows.

* Standard script_pubkeys: P2PKH, P2SH, bare multisig with at most 3 keys, HTLC, and
  OP_RETURN data carrying at most 80 bytes (SPEC §11); one OP_RETURN output per transaction.
* Dust: a non-OP_RETURN output worth less than 546 units (SPEC §11).
* script_sig: push-only and at most 1,650 bytes; a P2SH redeem script may hold at most 15
  sigops (accurate count), as in Bitcoin Core.
* Script flags: `STANDARD_FLAGS` (consensus flags + CLEANSTACK +
  DISCOURAGE_UPGRADABLE_NOPS).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from node.script.flags import STANDARD_FLAGS
from node.script.parse import is_push_only, last_push
from node.script.sigops import count_sigops
from node.script.templates import ScriptType, classify, match_multisig, match_null_data
from node.types.tx import Tx, TxOut

__all__ = [
    "DUST_THRESHOLD",
    "MAX_OP_RETURN_DATA",
    "MAX_P2SH_SIGOPS",
    "MAX_STANDARD_MULTISIG_KEYS",
    "MAX_STANDARD_SCRIPT_SIG_SIZE",
    "STANDARD_FLAGS",
    "check_tx_script_policy",
    "is_dust",
    "is_standard_input",
    "is_standard_script_pubkey",
    "is_standard_script_sig",
    "standard_script_type",
]

DUST_THRESHOLD: Final = 546
"""Outputs below this many units are dust (policy)."""
MAX_OP_RETURN_DATA: Final = 80
"""Most bytes of data an OP_RETURN output may carry (policy)."""
MAX_STANDARD_MULTISIG_KEYS: Final = 3
"""Bare multisig is standard up to 3-of-3."""
MAX_STANDARD_SCRIPT_SIG_SIZE: Final = 1_650
"""Largest standard script_sig (room for a 15-of-15-sized P2SH redeem script)."""
MAX_P2SH_SIGOPS: Final = 15
"""Most sigops a standard P2SH redeem script may hold."""


def standard_script_type(script_pubkey: bytes) -> ScriptType | None:
    """The template of a standard script_pubkey, or None when it is not standard."""
    kind = classify(script_pubkey)
    if kind is ScriptType.NONSTANDARD:
        return None
    if kind is ScriptType.MULTISIG:
        info = match_multisig(script_pubkey)
        if info is None or len(info.pubkeys) > MAX_STANDARD_MULTISIG_KEYS:
            return None
    elif kind is ScriptType.NULL_DATA:
        chunks = match_null_data(script_pubkey) or ()
        if sum(len(chunk) for chunk in chunks) > MAX_OP_RETURN_DATA:
            return None
    return kind


def is_standard_script_pubkey(script_pubkey: bytes) -> bool:
    """True when outputs with this script are relayed."""
    return standard_script_type(script_pubkey) is not None


def is_dust(txout: TxOut) -> bool:
    """True for a spendable output worth less than DUST_THRESHOLD."""
    if classify(txout.script_pubkey) is ScriptType.NULL_DATA:
        return False
    return txout.value < DUST_THRESHOLD


def is_standard_script_sig(script_sig: bytes) -> bool:
    """Push-only and not larger than MAX_STANDARD_SCRIPT_SIG_SIZE."""
    return len(script_sig) <= MAX_STANDARD_SCRIPT_SIG_SIZE and is_push_only(script_sig)


def is_standard_input(script_sig: bytes, spent_script_pubkey: bytes) -> bool:
    """The spent output is standard and, for P2SH, the redeem script has <= 15 sigops."""
    kind = standard_script_type(spent_script_pubkey)
    if kind is None or kind is ScriptType.NULL_DATA:
        return False
    if not is_standard_script_sig(script_sig):
        return False
    if kind is ScriptType.P2SH:
        redeem_script = last_push(script_sig)
        if not redeem_script:
            return False
        return count_sigops(redeem_script, accurate=True) <= MAX_P2SH_SIGOPS
    return True


def check_tx_script_policy(tx: Tx, spent_outputs: Sequence[TxOut] | None = None) -> str | None:
    """The first script-policy violation of ``tx`` (a Core-style reason string) or None.

    Reasons: "scriptpubkey", "dust", "multi-op-return", "scriptsig-not-pushonly",
    "scriptsig-size", "bad-txns-nonstandard-inputs". Inputs are only checked when
    ``spent_outputs`` is given (and never for a coinbase).
    """
    op_returns = 0
    for out in tx.outputs:
        kind = standard_script_type(out.script_pubkey)
        if kind is None:
            return "scriptpubkey"
        if kind is ScriptType.NULL_DATA:
            op_returns += 1
        elif out.value < DUST_THRESHOLD:
            return "dust"
    if op_returns > 1:
        return "multi-op-return"
    if tx.is_coinbase():
        return None
    for witness in tx.witnesses:
        if len(witness) > MAX_STANDARD_SCRIPT_SIG_SIZE:
            return "scriptsig-size"
        if not is_push_only(witness):
            return "scriptsig-not-pushonly"
    if spent_outputs is not None:
        for witness, spent in zip(tx.witnesses, spent_outputs, strict=True):
            if not is_standard_input(witness, spent.script_pubkey):
                return "bad-txns-nonstandard-inputs"
    return None
