"""Signature-operation counting for the block sigop limit (SPEC §4: limit = size / 50).

As in Bitcoin Core: CHECKSIG(VERIFY) counts 1; CHECKMULTISIG(VERIFY) counts 20 in the
"legacy" count and, in the accurate count used for P2SH redeem scripts, the key count n when
it is pushed by the preceding OP_1..OP_16. A script that stops parsing counts the ops before
the bad push. A transaction's count = legacy count of its input scripts and output scripts +
accurate count of the redeem script of every P2SH input.

Choice: the coinbase witness is free data (SPEC §3), never evaluated, so it is not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from node.script.errors import ScriptError
from node.script.interpreter import is_p2sh
from node.script.limits import MAX_PUBKEYS_PER_MULTISIG
from node.script.opcodes import Op
from node.script.parse import iter_ops, last_push
from node.types.tx import Tx, TxOut

_CHECKSIGS: Final = frozenset((Op.OP_CHECKSIG, Op.OP_CHECKSIGVERIFY))
_MULTISIGS: Final = frozenset((Op.OP_CHECKMULTISIG, Op.OP_CHECKMULTISIGVERIFY))


_P2PKH_HEAD = bytes((0x76, 0xA9, 0x14))
_P2PKH_TAIL = bytes((0x88, 0xAC))


def _p2pkh_script_sig_shape(script: bytes) -> bool:
    """`<sig 64|65> <pubkey 32>`: the standard P2PKH unlocking script (0 sigops)."""
    n = len(script)
    if n == 98 or n == 99:
        first = script[0]
        return first in (64, 65) and n == first + 34 and script[first + 1] == 32
    return False


def count_sigops(script: bytes, accurate: bool = False) -> int:
    """Signature operations in ``script`` (see the module docstring for the two modes)."""
    # Fast paths for the two scripts of almost every transaction; same result as the loop.
    if len(script) == 25 and script[:3] == _P2PKH_HEAD and script[23:] == _P2PKH_TAIL:
        return 1
    if _p2pkh_script_sig_shape(script):
        return 0
    count = 0
    last_op = Op.OP_INVALIDOPCODE.value
    try:
        for item in iter_ops(script):
            op = item.opcode
            if op in _CHECKSIGS:
                count += 1
            elif op in _MULTISIGS:
                if accurate and Op.OP_1 <= last_op <= Op.OP_16:
                    count += last_op - (Op.OP_1 - 1)
                else:
                    count += MAX_PUBKEYS_PER_MULTISIG
            last_op = op
    except ScriptError:
        pass  # a truncated push ends the script for counting purposes
    return count


def p2sh_input_sigops(script_sig: bytes, spent_script_pubkey: bytes) -> int:
    """Accurate sigops of the redeem script a P2SH input reveals (0 if not P2SH or no push)."""
    if not is_p2sh(spent_script_pubkey):
        return 0
    redeem_script = last_push(script_sig)
    if redeem_script is None:
        return 0
    return count_sigops(redeem_script, accurate=True)


def legacy_tx_sigops(tx: Tx) -> int:
    """Legacy sigops of every script_sig (not the coinbase's) and every output script."""
    total = sum(count_sigops(out.script_pubkey) for out in tx.outputs)
    if not tx.is_coinbase():
        total += sum(count_sigops(witness) for witness in tx.witnesses)
    return total


def p2sh_tx_sigops(tx: Tx, spent_outputs: Sequence[TxOut]) -> int:
    """Accurate sigops of all P2SH redeem scripts (``spent_outputs[i]`` spent by input i)."""
    if tx.is_coinbase():
        return 0
    return sum(
        p2sh_input_sigops(witness, spent.script_pubkey)
        for witness, spent in zip(tx.witnesses, spent_outputs, strict=True)
    )


def tx_sigops(tx: Tx, spent_outputs: Sequence[TxOut]) -> int:
    """What ``tx`` counts against the block sigop limit."""
    return legacy_tx_sigops(tx) + p2sh_tx_sigops(tx, spent_outputs)
