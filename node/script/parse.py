"""Reading and writing raw scripts: opcode iteration, push encoding, push-only checks.

This is the byte-level grammar of FerrisScript (Bitcoin's): 0x00 pushes nothing, 0x01..0x4b
push that many following bytes, OP_PUSHDATA1/2/4 carry a 1/2/4-byte little-endian length.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from node.script.errors import ScriptError, ScriptErrorCode
from node.script.num import encode_num
from node.script.opcodes import MAX_PUSH_OPCODE, MAX_SMALL_PUSH_OPCODE, Op


class ScriptOp(NamedTuple):
    """One parsed opcode: its byte, pushed data (None for a non-push) and byte offset."""

    opcode: int
    data: bytes | None
    position: int


def read_push(script: bytes, pc: int, op: int) -> tuple[int, int]:
    """For push opcode ``op`` whose opcode byte precedes ``pc``: (data_start, data_end).

    Raises ScriptError(BAD_OPCODE) when the length or the data runs past the script's end.
    """
    n = len(script)
    if op < Op.OP_PUSHDATA1:
        size = op
    elif op == Op.OP_PUSHDATA1:
        if pc + 1 > n:
            raise ScriptError(ScriptErrorCode.BAD_OPCODE, "truncated PUSHDATA1 length")
        size = script[pc]
        pc += 1
    elif op == Op.OP_PUSHDATA2:
        if pc + 2 > n:
            raise ScriptError(ScriptErrorCode.BAD_OPCODE, "truncated PUSHDATA2 length")
        size = script[pc] | script[pc + 1] << 8
        pc += 2
    else:
        if pc + 4 > n:
            raise ScriptError(ScriptErrorCode.BAD_OPCODE, "truncated PUSHDATA4 length")
        size = int.from_bytes(script[pc : pc + 4], "little")
        pc += 4
    if pc + size > n:
        raise ScriptError(ScriptErrorCode.BAD_OPCODE, "push runs past the end of the script")
    return pc, pc + size


def iter_ops(script: bytes) -> Iterator[ScriptOp]:
    """Yield every opcode of ``script``; raises ScriptError(BAD_OPCODE) on a truncated push."""
    pc = 0
    n = len(script)
    while pc < n:
        op = script[pc]
        start = pc
        pc += 1
        if op <= MAX_PUSH_OPCODE:
            try:
                begin, pc = read_push(script, pc, op)
            except ScriptError as exc:
                exc.position = start
                exc.opcode = op
                raise
            yield ScriptOp(op, script[begin:pc], start)
        else:
            yield ScriptOp(op, None, start)


def try_parse(script: bytes) -> list[ScriptOp] | None:
    """All opcodes of ``script``, or None when it does not parse."""
    try:
        return list(iter_ops(script))
    except ScriptError:
        return None


def is_push_only(script: bytes) -> bool:
    """True when ``script`` parses and holds only push opcodes (up to OP_16, incl. RESERVED).

    OP_RESERVED counts as a push here, as in Bitcoin Core; executing it still fails.
    """
    return first_non_push(script) is None


def first_non_push(script: bytes) -> int | None:
    """Byte offset of the first opcode that is not a push (or does not parse), else None."""
    pc = 0
    n = len(script)
    while pc < n:
        start = pc
        op = script[pc]
        pc += 1
        if op > MAX_SMALL_PUSH_OPCODE:
            return start
        if op <= MAX_PUSH_OPCODE:
            try:
                _, pc = read_push(script, pc, op)
            except ScriptError:
                return start
    return None


def is_minimal_push(op: int, data: bytes) -> bool:
    """True when ``data`` was pushed with the smallest possible opcode ``op``."""
    size = len(data)
    if size == 0:
        return op == Op.OP_0
    if size == 1 and (1 <= data[0] <= 16 or data[0] == 0x81):
        return False  # OP_1..OP_16 / OP_1NEGATE should have been used
    if size < Op.OP_PUSHDATA1:
        return op == size
    if size <= 0xFF:
        return op == Op.OP_PUSHDATA1
    if size <= 0xFFFF:
        return op == Op.OP_PUSHDATA2
    return op == Op.OP_PUSHDATA4


def push_data(data: bytes) -> bytes:
    """The minimal push of ``data`` (OP_0, OP_1..OP_16, OP_1NEGATE, direct or PUSHDATAn)."""
    size = len(data)
    if size == 0:
        return b"\x00"
    if size == 1 and 1 <= data[0] <= 16:
        return bytes((Op.OP_1 + data[0] - 1,))
    if size == 1 and data[0] == 0x81:
        return bytes((Op.OP_1NEGATE,))
    if size < Op.OP_PUSHDATA1:
        return bytes((size,)) + data
    if size <= 0xFF:
        return bytes((Op.OP_PUSHDATA1, size)) + data
    if size <= 0xFFFF:
        return bytes((Op.OP_PUSHDATA2,)) + size.to_bytes(2, "little") + data
    return bytes((Op.OP_PUSHDATA4,)) + size.to_bytes(4, "little") + data


def push_int(value: int) -> bytes:
    """The minimal push of the script number ``value``."""
    if value == 0:
        return b"\x00"
    if value == -1:
        return bytes((Op.OP_1NEGATE,))
    if 1 <= value <= 16:
        return bytes((Op.OP_1 + value - 1,))
    return push_data(encode_num(value))


def small_int_value(op: int) -> int | None:
    """The number an OP_0 / OP_1..OP_16 opcode stands for, else None."""
    if op == Op.OP_0:
        return 0
    if Op.OP_1 <= op <= Op.OP_16:
        return op - (Op.OP_1 - 1)
    return None


def last_push(script: bytes) -> bytes | None:
    """Data of the last push of a push-only script (None if empty, unparsable or not push-only).

    OP_0 / OP_1NEGATE / OP_n carry no data here (b""), as with Bitcoin Core's GetOp; this is
    only used to find a P2SH redeem script for sigop counting.
    """
    ops = try_parse(script)
    if not ops:
        return None
    last = b""
    for item in ops:
        if item.opcode > MAX_SMALL_PUSH_OPCODE:
            return None
        last = item.data if item.data is not None else b""
    return last
