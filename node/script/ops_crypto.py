"""Hashing, signature and lock-time opcodes.

Hashes: RIPEMD160, SHA256, HASH256 (= SHA-256d), HASH160 (= BLAKE3-160, SPEC §1) and the new
OP_BLAKE3 (0xc0, BLAKE3-256). CHECKSIG(VERIFY) checks BIP340 Schnorr signatures over x-only
keys; CHECKMULTISIG(VERIFY) is Bitcoin's without the historical dummy element.
CHECKLOCKTIMEVERIFY / CHECKSEQUENCEVERIFY follow BIP65 / BIP112 (the comparisons live in
the checker).

Signature encoding, checked here for every signature that reaches a check: the public key
must be 32 bytes (else PUBKEYTYPE); an empty signature is a plain "false"; otherwise it is
64 bytes (hash type 0x00, the default = ALL) or 65 bytes whose last byte is an explicit hash
type in {0x01, 0x02, 0x03, 0x81, 0x82, 0x83} (else SCHNORR_SIG_SIZE / SCHNORR_SIG_HASHTYPE).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from node.crypto.hashes import H, hash160, ripemd160, sha256, sha256d
from node.script.errors import ScriptError, ScriptErrorCode
from node.script.limits import (
    MAX_LOCKTIME_NUM_SIZE,
    MAX_NUM_SIZE,
    MAX_OPS_PER_SCRIPT,
    MAX_PUBKEYS_PER_MULTISIG,
    SEQUENCE_LOCKTIME_DISABLE_FLAG,
    XONLY_PUBKEY_SIZE,
)
from node.script.num import decode_num
from node.script.opcodes import Op
from node.script.ops_flow import op_upgradable_nop
from node.script.state import FALSE, TRUE, OpFunc, State, stack_error

EXPLICIT_HASH_TYPES: Final = frozenset((0x01, 0x02, 0x03, 0x81, 0x82, 0x83))
"""Hash types that may appear as the 65th signature byte (0x00 only implicitly)."""

_HASHES: Final[dict[int, Callable[[bytes], bytes]]] = {
    Op.OP_RIPEMD160: ripemd160,
    Op.OP_SHA256: sha256,
    Op.OP_HASH160: hash160,
    Op.OP_HASH256: sha256d,
    Op.OP_BLAKE3: H,
}


def op_hash(st: State, op: int) -> None:
    """Replace the top item by its hash."""
    stack = st.stack
    if not stack:
        raise stack_error()
    stack[-1] = _HASHES[op](stack[-1])


def check_sig_encoding(sig: bytes, pubkey: bytes) -> int:
    """Validate the encodings; return the hash type, or -1 for an empty signature."""
    if len(pubkey) != XONLY_PUBKEY_SIZE:
        raise ScriptError(ScriptErrorCode.PUBKEYTYPE, f"public key of {len(pubkey)} bytes")
    size = len(sig)
    if size == 64:
        return 0
    if size == 0:
        return -1
    if size == 65:
        hash_type = sig[64]
        if hash_type not in EXPLICIT_HASH_TYPES:
            raise ScriptError(
                ScriptErrorCode.SCHNORR_SIG_HASHTYPE, f"invalid hash type 0x{hash_type:02x}"
            )
        return hash_type
    raise ScriptError(ScriptErrorCode.SCHNORR_SIG_SIZE, f"signature of {size} bytes")


def check_sig(st: State, sig: bytes, pubkey: bytes) -> bool:
    """Encoding checks then the checker; False for an empty signature."""
    hash_type = check_sig_encoding(sig, pubkey)
    if hash_type < 0:
        return False
    return st.checker.check_schnorr(sig[:64], hash_type, pubkey)


def op_checksig(st: State, op: int) -> None:
    """CHECKSIG / CHECKSIGVERIFY: <sig> <pubkey> -> bool."""
    stack = st.stack
    if len(stack) < 2:
        raise stack_error()
    pubkey = stack.pop()
    sig = stack.pop()
    ok = check_sig(st, sig, pubkey)
    if not ok and sig and st.nullfail:
        raise ScriptError(ScriptErrorCode.SIG_NULLFAIL, "non-empty signature failed")
    if op == Op.OP_CHECKSIGVERIFY:
        if not ok:
            raise ScriptError(ScriptErrorCode.CHECKSIGVERIFY, "signature check failed")
    else:
        stack.append(TRUE if ok else FALSE)


def op_checkmultisig(st: State, op: int) -> None:
    """CHECKMULTISIG(VERIFY): <sig_1..sig_m> m <pk_1..pk_n> n -> bool (no dummy element).

    Signatures must be in the same order as their keys. As in Bitcoin Core, matching runs from
    the last signature and last key downwards and each key counts as one op. Every key must be
    32 bytes (checked up front, even for keys never reached).
    """
    stack = st.stack
    minimal = st.require_minimal
    size = len(stack)
    if size < 1:
        raise stack_error()
    n_keys = decode_num(stack[-1], MAX_NUM_SIZE, minimal)
    if n_keys < 0 or n_keys > MAX_PUBKEYS_PER_MULTISIG:
        raise ScriptError(ScriptErrorCode.PUBKEY_COUNT, f"{n_keys} public keys")
    st.op_count += n_keys
    if st.op_count > MAX_OPS_PER_SCRIPT:
        raise ScriptError(ScriptErrorCode.OP_COUNT, "too many ops (CHECKMULTISIG keys)")
    ikey = 2
    i = n_keys + 2  # depth of m
    if size < i:
        raise stack_error()
    n_sigs = decode_num(stack[-i], MAX_NUM_SIZE, minimal)
    if n_sigs < 0 or n_sigs > n_keys:
        raise ScriptError(ScriptErrorCode.SIG_COUNT, f"{n_sigs} signatures for {n_keys} keys")
    isig = i + 1
    i += n_sigs  # depth of the deepest signature = number of items consumed
    if size < i:
        raise stack_error()
    for depth in range(ikey, ikey + n_keys):
        if len(stack[-depth]) != XONLY_PUBKEY_SIZE:
            raise ScriptError(
                ScriptErrorCode.PUBKEYTYPE, f"public key of {len(stack[-depth])} bytes"
            )
    first_sig = isig
    success = True
    while success and n_sigs > 0:
        if check_sig(st, stack[-isig], stack[-ikey]):
            isig += 1
            n_sigs -= 1
        ikey += 1
        n_keys -= 1
        if n_sigs > n_keys:
            success = False
    if not success and st.nullfail:
        for depth in range(first_sig, i + 1):
            if stack[-depth]:
                raise ScriptError(ScriptErrorCode.SIG_NULLFAIL, "non-empty signature failed")
    del stack[-i:]
    if op == Op.OP_CHECKMULTISIGVERIFY:
        if not success:
            raise ScriptError(ScriptErrorCode.CHECKMULTISIGVERIFY, "multisig check failed")
    else:
        stack.append(TRUE if success else FALSE)


def op_checklocktimeverify(st: State, op: int) -> None:
    """BIP65: fail unless the tx lock_time satisfies the (5-byte, non-negative) top item."""
    if not st.cltv:
        op_upgradable_nop(st, op)
        return
    stack = st.stack
    if not stack:
        raise stack_error()
    lock_time = decode_num(stack[-1], MAX_LOCKTIME_NUM_SIZE, st.require_minimal)
    if lock_time < 0:
        raise ScriptError(ScriptErrorCode.NEGATIVE_LOCKTIME, f"lock time {lock_time}")
    if not st.checker.check_lock_time(lock_time):
        raise ScriptError(ScriptErrorCode.UNSATISFIED_LOCKTIME, f"lock time {lock_time}")


def op_checksequenceverify(st: State, op: int) -> None:
    """BIP112: fail unless this input's sequence satisfies the relative lock on the stack."""
    if not st.csv:
        op_upgradable_nop(st, op)
        return
    stack = st.stack
    if not stack:
        raise stack_error()
    sequence = decode_num(stack[-1], MAX_LOCKTIME_NUM_SIZE, st.require_minimal)
    if sequence < 0:
        raise ScriptError(ScriptErrorCode.NEGATIVE_LOCKTIME, f"sequence {sequence}")
    if sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG:
        return  # disabled relative lock: behaves as a NOP
    if not st.checker.check_sequence(sequence):
        raise ScriptError(ScriptErrorCode.UNSATISFIED_LOCKTIME, f"sequence 0x{sequence:x}")


OPS: Final[dict[int, OpFunc]] = {
    **dict.fromkeys(_HASHES, op_hash),
    Op.OP_CHECKSIG: op_checksig,
    Op.OP_CHECKSIGVERIFY: op_checksig,
    Op.OP_CHECKMULTISIG: op_checkmultisig,
    Op.OP_CHECKMULTISIGVERIFY: op_checkmultisig,
    Op.OP_CHECKLOCKTIMEVERIFY: op_checklocktimeverify,
    Op.OP_CHECKSEQUENCEVERIFY: op_checksequenceverify,
}
"""Opcode byte -> implementation for this module's opcodes."""
