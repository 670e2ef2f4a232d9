"""The FerrisScript interpreter: `eval_script` (one script on a stack) and `verify_script`
(script_sig + script_pubkey, BIP16 P2SH, CLEANSTACK).

Opcodes are plain functions registered in a 256-entry dispatch table built from the
``OPS`` dicts of the ``ops_*`` modules (py-evm style). Pushes are decoded inline by the loop
with direct indexing. Limits (SPEC §11) are enforced by the loop: script size, push size,
non-push op count (executed or not), and stack + alt-stack size after every opcode.
"""

from __future__ import annotations

from typing import Final

from node.script import ops_arith, ops_crypto, ops_flow, ops_stack
from node.script.checker import SignatureChecker
from node.script.errors import ScriptError, ScriptErrorCode
from node.script.flags import ScriptFlags
from node.script.limits import (
    MAX_OPS_PER_SCRIPT,
    MAX_SCRIPT_ELEMENT_SIZE,
    MAX_SCRIPT_SIZE,
    MAX_STACK_SIZE,
)
from node.script.num import cast_to_bool
from node.script.opcodes import DISABLED_OPCODES, Op
from node.script.parse import first_non_push, read_push
from node.script.state import OpFunc, State


def _build_table() -> tuple[OpFunc, ...]:
    table: list[OpFunc] = [ops_flow.op_bad] * 256
    for module_ops in (ops_flow.OPS, ops_stack.OPS, ops_arith.OPS, ops_crypto.OPS):
        for op, func in module_ops.items():
            if table[op] is not ops_flow.op_bad and func is not ops_flow.op_bad:
                raise RuntimeError(f"opcode 0x{op:02x} registered twice")
            table[op] = func
    return tuple(table)


OPCODE_TABLE: Final = _build_table()
"""Opcode byte -> implementation; undefined opcodes map to a function failing BAD_OPCODE."""

_DISABLED: Final = bytes(1 if op in DISABLED_OPCODES else 0 for op in range(256))
_P2SH: Final = int(ScriptFlags.P2SH)
_SIGPUSHONLY: Final = int(ScriptFlags.SIGPUSHONLY)
_CLEANSTACK: Final = int(ScriptFlags.CLEANSTACK)


def eval_script(
    stack: list[bytes],
    script: bytes,
    flags: int,
    checker: SignatureChecker,
    stage: str = "script",
) -> int:
    """Run ``script`` on ``stack`` (modified in place); return the number of opcodes read.

    Raises ScriptError carrying the code, the byte offset of the failing opcode, the opcode
    and ``stage``. The returned count is at most ``len(script)`` (every opcode consumes at
    least one byte), which with the op and size limits bounds the work per script.
    """
    n = len(script)
    if n > MAX_SCRIPT_SIZE:
        raise ScriptError(
            ScriptErrorCode.SCRIPT_SIZE,
            f"script of {n} bytes (max {MAX_SCRIPT_SIZE})",
            position=0,
            stage=stage,
        )
    st = State(stack, flags, checker)
    altstack = st.altstack
    table = OPCODE_TABLE
    disabled = _DISABLED
    require_minimal = st.require_minimal
    pc = 0
    start = 0
    op = 0
    steps = 0
    try:
        while pc < n:
            start = pc
            op = script[pc]
            pc += 1
            steps += 1
            if op <= 0x4E:  # push data
                if op < 0x4C:
                    end = pc + op
                    if end > n:
                        raise ScriptError(
                            ScriptErrorCode.BAD_OPCODE, "push runs past the end of the script"
                        )
                    begin = pc
                else:
                    begin, end = read_push(script, pc, op)
                    if end - begin > MAX_SCRIPT_ELEMENT_SIZE:
                        raise ScriptError(ScriptErrorCode.PUSH_SIZE, f"push of {end - begin} bytes")
                if st.false_count == 0:
                    data = script[begin:end]
                    if require_minimal and (
                        (op == 1 and (0 < data[0] <= 16 or data[0] == 0x81))
                        or (op == 0x4C and end - begin < 0x4C)
                        or (op == 0x4D and end - begin <= 0xFF)
                        or op == 0x4E
                    ):
                        raise ScriptError(ScriptErrorCode.MINIMALDATA, "non-minimal push")
                    stack.append(data)
                pc = end
            elif op > 0x60:  # counted opcode
                st.op_count += 1
                if st.op_count > MAX_OPS_PER_SCRIPT:
                    raise ScriptError(
                        ScriptErrorCode.OP_COUNT, f"more than {MAX_OPS_PER_SCRIPT} ops"
                    )
                if disabled[op]:
                    raise ScriptError(ScriptErrorCode.DISABLED_OPCODE, "disabled opcode")
                if st.false_count == 0 or 0x63 <= op <= 0x68:
                    table[op](st, op)
            elif st.false_count == 0:  # OP_1NEGATE, OP_RESERVED, OP_1..OP_16
                table[op](st, op)
            if len(stack) + len(altstack) > MAX_STACK_SIZE:
                raise ScriptError(
                    ScriptErrorCode.STACK_SIZE, f"more than {MAX_STACK_SIZE} stack items"
                )
        if st.vfexec:
            start = n
            op = -1
            raise ScriptError(ScriptErrorCode.UNBALANCED_CONDITIONAL, "IF without ENDIF")
    except ScriptError as exc:
        if exc.position is None:
            exc.position = start
            if op >= 0:
                exc.opcode = op
        exc.stage = stage
        raise
    return steps


def _end_error(code: ScriptErrorCode, detail: str, script: bytes, stage: str) -> ScriptError:
    return ScriptError(code, detail, position=len(script), stage=stage)


def verify_script(
    script_sig: bytes,
    script_pubkey: bytes,
    flags: int,
    checker: SignatureChecker,
) -> None:
    """Check that ``script_sig`` unlocks ``script_pubkey``; raise ScriptError otherwise.

    Order (Bitcoin Core's VerifyScript): SIGPUSHONLY, evaluate script_sig, evaluate
    script_pubkey on the result, require a true top; then for a P2SH output (with P2SH)
    require a push-only script_sig, pop the redeem script from the script_sig's stack,
    evaluate it and require a true top; finally CLEANSTACK (one item left).
    """
    if flags & _SIGPUSHONLY:
        _require_push_only(script_sig)
    stack: list[bytes] = []
    eval_script(stack, script_sig, flags, checker, "script_sig")
    p2sh = bool(flags & _P2SH) and is_p2sh(script_pubkey)
    saved = list(stack) if p2sh else stack
    eval_script(stack, script_pubkey, flags, checker, "script_pubkey")
    if not stack or not cast_to_bool(stack[-1]):
        raise _end_error(
            ScriptErrorCode.EVAL_FALSE, "false after script_pubkey", script_pubkey, "script_pubkey"
        )
    if p2sh:
        _require_push_only(script_sig)
        stack = saved
        redeem_script = stack.pop()  # non-empty: script_pubkey hashed its top item
        eval_script(stack, redeem_script, flags, checker, "redeem_script")
        if not stack or not cast_to_bool(stack[-1]):
            raise _end_error(
                ScriptErrorCode.EVAL_FALSE,
                "false after redeem script",
                redeem_script,
                "redeem_script",
            )
    if flags & _CLEANSTACK and len(stack) != 1:
        if p2sh:
            raise _end_error(
                ScriptErrorCode.CLEANSTACK,
                f"{len(stack)} items left",
                redeem_script,
                "redeem_script",
            )
        raise _end_error(
            ScriptErrorCode.CLEANSTACK,
            f"{len(stack)} items left",
            script_pubkey,
            "script_pubkey",
        )


def _require_push_only(script_sig: bytes) -> None:
    position = first_non_push(script_sig)
    if position is not None:
        raise ScriptError(
            ScriptErrorCode.SIG_PUSHONLY,
            "script_sig is not push-only",
            position=position,
            opcode=script_sig[position],
            stage="script_sig",
        )


P2SH_SCRIPT_SIZE: Final = 35


def is_p2sh(script_pubkey: bytes) -> bool:
    """True for the exact P2SH template ``OP_BLAKE3 <32 bytes> OP_EQUAL``."""
    return (
        len(script_pubkey) == P2SH_SCRIPT_SIZE
        and script_pubkey[0] == Op.OP_BLAKE3
        and script_pubkey[1] == 0x20
        and script_pubkey[34] == Op.OP_EQUAL
    )
