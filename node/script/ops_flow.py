"""Opcodes for constants and flow control: OP_1NEGATE, OP_1..OP_16, NOPs, IF/NOTIF/ELSE/
ENDIF, VERIFY, RETURN, and the reserved opcodes that fail when executed.

IF, NOTIF, ELSE and ENDIF also run inside an unexecuted branch (the loop calls them there)
to track nesting; all others only run when executing.
"""

from __future__ import annotations

from typing import Final

from node.script.errors import ScriptError, ScriptErrorCode
from node.script.num import cast_to_bool, encode_num
from node.script.opcodes import UPGRADABLE_NOPS, Op
from node.script.state import OpFunc, State, stack_error

_SMALL_INTS: Final = tuple(encode_num(n) for n in range(-1, 17))


def op_push_small(st: State, op: int) -> None:
    """OP_1NEGATE (0x4f) and OP_1..OP_16 (0x51..0x60) push -1 and 1..16."""
    st.stack.append(_SMALL_INTS[op - 0x4F])  # 0x4f -> -1, 0x51..0x60 -> 1..16


def op_nop(st: State, op: int) -> None:
    """OP_NOP does nothing."""


def op_upgradable_nop(st: State, op: int) -> None:
    """NOP1, NOP4..NOP10 (and NOP2/NOP3 when CLTV/CSV are off): nothing, unless discouraged."""
    if st.discourage_nops:
        raise ScriptError(ScriptErrorCode.DISCOURAGE_UPGRADABLE_NOPS, "upgradable NOP executed")


def op_bad(st: State, op: int) -> None:
    """Reserved or undefined opcodes fail when executed (VERIF/VERNOTIF even unexecuted)."""
    raise ScriptError(ScriptErrorCode.BAD_OPCODE, "reserved or undefined opcode")


def op_if(st: State, op: int) -> None:
    """IF / NOTIF: pop the condition (only when executing) and open a branch."""
    value = False
    if st.false_count == 0:
        stack = st.stack
        if not stack:
            raise ScriptError(ScriptErrorCode.UNBALANCED_CONDITIONAL, "IF without a condition")
        top = stack.pop()
        if st.minimal_if and (len(top) > 1 or (len(top) == 1 and top[0] != 1)):
            raise ScriptError(ScriptErrorCode.MINIMALIF, "IF argument must be empty or 0x01")
        value = cast_to_bool(top)
        if op == Op.OP_NOTIF:
            value = not value
    st.vfexec.append(value)
    if not value:
        st.false_count += 1


def op_else(st: State, op: int) -> None:
    """ELSE: flip the innermost branch."""
    vfexec = st.vfexec
    if not vfexec:
        raise ScriptError(ScriptErrorCode.UNBALANCED_CONDITIONAL, "ELSE without IF")
    if vfexec[-1]:
        st.false_count += 1
        vfexec[-1] = False
    else:
        st.false_count -= 1
        vfexec[-1] = True


def op_endif(st: State, op: int) -> None:
    """ENDIF: close the innermost branch."""
    vfexec = st.vfexec
    if not vfexec:
        raise ScriptError(ScriptErrorCode.UNBALANCED_CONDITIONAL, "ENDIF without IF")
    if not vfexec.pop():
        st.false_count -= 1


def op_verify(st: State, op: int) -> None:
    """VERIFY: fail unless the top is true; pop it."""
    stack = st.stack
    if not stack:
        raise stack_error("VERIFY on an empty stack")
    if not cast_to_bool(stack[-1]):
        raise ScriptError(ScriptErrorCode.VERIFY, "VERIFY of a false value")
    stack.pop()


def op_return(st: State, op: int) -> None:
    """RETURN: fail (used to mark provably unspendable outputs)."""
    raise ScriptError(ScriptErrorCode.OP_RETURN, "OP_RETURN executed")


OPS: Final[dict[int, OpFunc]] = {
    Op.OP_1NEGATE: op_push_small,
    Op.OP_RESERVED: op_bad,
    **dict.fromkeys(range(Op.OP_1, Op.OP_16 + 1), op_push_small),
    Op.OP_NOP: op_nop,
    Op.OP_VER: op_bad,
    Op.OP_IF: op_if,
    Op.OP_NOTIF: op_if,
    Op.OP_VERIF: op_bad,
    Op.OP_VERNOTIF: op_bad,
    Op.OP_ELSE: op_else,
    Op.OP_ENDIF: op_endif,
    Op.OP_VERIFY: op_verify,
    Op.OP_RETURN: op_return,
    Op.OP_RESERVED1: op_bad,
    Op.OP_RESERVED2: op_bad,
    **dict.fromkeys(UPGRADABLE_NOPS, op_upgradable_nop),
}
"""Opcode byte -> implementation for this module's opcodes."""
