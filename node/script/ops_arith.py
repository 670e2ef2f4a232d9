"""Arithmetic opcodes on 4-byte script numbers (results may grow to 5 bytes).

Operands longer than 4 bytes fail with SCRIPTNUM_OVERFLOW; with MINIMALDATA, operands that
are not minimally encoded fail with SCRIPTNUM_MINIMAL. Booleans are pushed as 0x01 / empty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from node.script.errors import ScriptError, ScriptErrorCode
from node.script.limits import MAX_NUM_SIZE
from node.script.num import decode_num, encode_num
from node.script.opcodes import Op
from node.script.state import FALSE, TRUE, OpFunc, State, stack_error

_UNARY: Final[dict[int, Callable[[int], int]]] = {
    Op.OP_1ADD: lambda a: a + 1,
    Op.OP_1SUB: lambda a: a - 1,
    Op.OP_NEGATE: lambda a: -a,
    Op.OP_ABS: abs,
    Op.OP_NOT: lambda a: int(a == 0),
    Op.OP_0NOTEQUAL: lambda a: int(a != 0),
}

_BINARY: Final[dict[int, Callable[[int, int], int]]] = {
    Op.OP_ADD: lambda a, b: a + b,
    Op.OP_SUB: lambda a, b: a - b,
    Op.OP_BOOLAND: lambda a, b: int(a != 0 and b != 0),
    Op.OP_BOOLOR: lambda a, b: int(a != 0 or b != 0),
    Op.OP_NUMEQUAL: lambda a, b: int(a == b),
    Op.OP_NUMEQUALVERIFY: lambda a, b: int(a == b),
    Op.OP_NUMNOTEQUAL: lambda a, b: int(a != b),
    Op.OP_LESSTHAN: lambda a, b: int(a < b),
    Op.OP_GREATERTHAN: lambda a, b: int(a > b),
    Op.OP_LESSTHANOREQUAL: lambda a, b: int(a <= b),
    Op.OP_GREATERTHANOREQUAL: lambda a, b: int(a >= b),
    Op.OP_MIN: min,
    Op.OP_MAX: max,
}


def op_unary(st: State, op: int) -> None:
    """1ADD, 1SUB, NEGATE, ABS, NOT, 0NOTEQUAL."""
    stack = st.stack
    if not stack:
        raise stack_error()
    value = decode_num(stack[-1], MAX_NUM_SIZE, st.require_minimal)
    stack[-1] = encode_num(_UNARY[op](value))


def op_binary(st: State, op: int) -> None:
    """ADD, SUB, BOOLAND, BOOLOR, NUM(NOT)EQUAL(VERIFY), comparisons, MIN, MAX (a = 2nd)."""
    stack = st.stack
    if len(stack) < 2:
        raise stack_error()
    minimal = st.require_minimal
    a = decode_num(stack[-2], MAX_NUM_SIZE, minimal)
    b = decode_num(stack[-1], MAX_NUM_SIZE, minimal)
    result = _BINARY[op](a, b)
    del stack[-2:]
    if op == Op.OP_NUMEQUALVERIFY:
        if not result:
            raise ScriptError(ScriptErrorCode.NUMEQUALVERIFY, f"{a} != {b}")
    else:
        stack.append(encode_num(result))


def op_within(st: State, op: int) -> None:
    """WITHIN: x min max -> (min <= x < max)."""
    stack = st.stack
    if len(stack) < 3:
        raise stack_error()
    minimal = st.require_minimal
    x = decode_num(stack[-3], MAX_NUM_SIZE, minimal)
    low = decode_num(stack[-2], MAX_NUM_SIZE, minimal)
    high = decode_num(stack[-1], MAX_NUM_SIZE, minimal)
    del stack[-3:]
    stack.append(TRUE if low <= x < high else FALSE)


OPS: Final[dict[int, OpFunc]] = {
    **dict.fromkeys(_UNARY, op_unary),
    **dict.fromkeys(_BINARY, op_binary),
    Op.OP_WITHIN: op_within,
}
"""Opcode byte -> implementation for this module's opcodes."""
