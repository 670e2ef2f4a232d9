"""Stack, alt-stack, SIZE and EQUAL opcodes (Bitcoin semantics)."""

from __future__ import annotations

from typing import Final

from node.script.errors import ScriptError, ScriptErrorCode
from node.script.limits import MAX_NUM_SIZE
from node.script.num import cast_to_bool, decode_num, encode_num
from node.script.opcodes import Op
from node.script.state import FALSE, TRUE, OpFunc, State, stack_error


def op_toaltstack(st: State, op: int) -> None:
    stack = st.stack
    if not stack:
        raise stack_error("TOALTSTACK on an empty stack")
    st.altstack.append(stack.pop())


def op_fromaltstack(st: State, op: int) -> None:
    if not st.altstack:
        raise ScriptError(ScriptErrorCode.INVALID_ALTSTACK_OPERATION, "alt stack is empty")
    st.stack.append(st.altstack.pop())


def op_2drop(st: State, op: int) -> None:
    stack = st.stack
    if len(stack) < 2:
        raise stack_error()
    del stack[-2:]


def op_2dup(st: State, op: int) -> None:
    stack = st.stack
    if len(stack) < 2:
        raise stack_error()
    stack.extend(stack[-2:])


def op_3dup(st: State, op: int) -> None:
    stack = st.stack
    if len(stack) < 3:
        raise stack_error()
    stack.extend(stack[-3:])


def op_2over(st: State, op: int) -> None:
    stack = st.stack
    if len(stack) < 4:
        raise stack_error()
    stack.extend(stack[-4:-2])


def op_2rot(st: State, op: int) -> None:
    stack = st.stack
    if len(stack) < 6:
        raise stack_error()
    moved = stack[-6:-4]
    del stack[-6:-4]
    stack.extend(moved)


def op_2swap(st: State, op: int) -> None:
    stack = st.stack
    if len(stack) < 4:
        raise stack_error()
    stack[-4:] = stack[-2:] + stack[-4:-2]


def op_ifdup(st: State, op: int) -> None:
    stack = st.stack
    if not stack:
        raise stack_error()
    if cast_to_bool(stack[-1]):
        stack.append(stack[-1])


def op_depth(st: State, op: int) -> None:
    st.stack.append(encode_num(len(st.stack)))


def op_drop(st: State, op: int) -> None:
    stack = st.stack
    if not stack:
        raise stack_error()
    stack.pop()


def op_dup(st: State, op: int) -> None:
    stack = st.stack
    if not stack:
        raise stack_error()
    stack.append(stack[-1])


def op_nip(st: State, op: int) -> None:
    stack = st.stack
    if len(stack) < 2:
        raise stack_error()
    del stack[-2]


def op_over(st: State, op: int) -> None:
    stack = st.stack
    if len(stack) < 2:
        raise stack_error()
    stack.append(stack[-2])


def op_pick_roll(st: State, op: int) -> None:
    """PICK copies, ROLL moves, the item n deep (n popped first) to the top."""
    stack = st.stack
    if len(stack) < 2:
        raise stack_error()
    depth = decode_num(stack[-1], MAX_NUM_SIZE, st.require_minimal)
    stack.pop()
    if depth < 0 or depth >= len(stack):
        raise stack_error(f"{Op(op).name} index {depth} out of range")
    item = stack[-depth - 1]
    if op == Op.OP_ROLL:
        del stack[-depth - 1]
    stack.append(item)


def op_rot(st: State, op: int) -> None:
    stack = st.stack
    if len(stack) < 3:
        raise stack_error()
    stack.append(stack.pop(-3))


def op_swap(st: State, op: int) -> None:
    stack = st.stack
    if len(stack) < 2:
        raise stack_error()
    stack[-1], stack[-2] = stack[-2], stack[-1]


def op_tuck(st: State, op: int) -> None:
    stack = st.stack
    if len(stack) < 2:
        raise stack_error()
    stack.insert(-2, stack[-1])


def op_size(st: State, op: int) -> None:
    stack = st.stack
    if not stack:
        raise stack_error()
    stack.append(encode_num(len(stack[-1])))


def op_equal(st: State, op: int) -> None:
    """EQUAL pushes whether the two top items are byte-equal; EQUALVERIFY requires it."""
    stack = st.stack
    if len(stack) < 2:
        raise stack_error()
    equal = stack.pop() == stack.pop()
    if op == Op.OP_EQUALVERIFY:
        if not equal:
            raise ScriptError(ScriptErrorCode.EQUALVERIFY, "items differ")
    else:
        stack.append(TRUE if equal else FALSE)


OPS: Final[dict[int, OpFunc]] = {
    Op.OP_TOALTSTACK: op_toaltstack,
    Op.OP_FROMALTSTACK: op_fromaltstack,
    Op.OP_2DROP: op_2drop,
    Op.OP_2DUP: op_2dup,
    Op.OP_3DUP: op_3dup,
    Op.OP_2OVER: op_2over,
    Op.OP_2ROT: op_2rot,
    Op.OP_2SWAP: op_2swap,
    Op.OP_IFDUP: op_ifdup,
    Op.OP_DEPTH: op_depth,
    Op.OP_DROP: op_drop,
    Op.OP_DUP: op_dup,
    Op.OP_NIP: op_nip,
    Op.OP_OVER: op_over,
    Op.OP_PICK: op_pick_roll,
    Op.OP_ROLL: op_pick_roll,
    Op.OP_ROT: op_rot,
    Op.OP_SWAP: op_swap,
    Op.OP_TUCK: op_tuck,
    Op.OP_SIZE: op_size,
    Op.OP_EQUAL: op_equal,
    Op.OP_EQUALVERIFY: op_equal,
}
"""Opcode byte -> implementation for this module's opcodes."""
