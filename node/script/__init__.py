"""FerrisScript: the script interpreter (opcodes as plain functions in a dispatch table),
signature hashes, signature checkers, standard templates, sigop counting and script policy.

Layering: node.script imports only node.crypto, node.types, node.params and node.errors.
The names below are the package's public surface; see docs/protocol/script.md for the rules.
"""

from node.script.checker import BaseSignatureChecker, SignatureChecker
from node.script.errors import ScriptError, ScriptErrorCode, SighashError, TemplateError
from node.script.flags import CONSENSUS_FLAGS, STANDARD_FLAGS, ScriptFlags
from node.script.interpreter import eval_script, is_p2sh, verify_script
from node.script.sighash import (
    SIGHASH_ALL,
    SIGHASH_ANYONECANPAY,
    SIGHASH_DEFAULT,
    SIGHASH_NONE,
    SIGHASH_SINGLE,
    PrecomputedTxData,
    signature_hash,
)
from node.script.signing import sign_input
from node.script.sigops import count_sigops, tx_sigops
from node.script.txchecker import TransactionSignatureChecker
from node.script.verify import verify_input, verify_tx_inputs

__all__ = [
    "CONSENSUS_FLAGS",
    "SIGHASH_ALL",
    "SIGHASH_ANYONECANPAY",
    "SIGHASH_DEFAULT",
    "SIGHASH_NONE",
    "SIGHASH_SINGLE",
    "STANDARD_FLAGS",
    "BaseSignatureChecker",
    "PrecomputedTxData",
    "ScriptError",
    "ScriptErrorCode",
    "ScriptFlags",
    "SighashError",
    "SignatureChecker",
    "TemplateError",
    "TransactionSignatureChecker",
    "count_sigops",
    "eval_script",
    "is_p2sh",
    "sign_input",
    "signature_hash",
    "tx_sigops",
    "verify_input",
    "verify_script",
    "verify_tx_inputs",
]
