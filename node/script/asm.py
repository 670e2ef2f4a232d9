"""Script assembly text: `to_asm` (for RPC / explorer display) and `from_asm` (for tests).

Grammar of `from_asm` (whitespace-separated tokens, after Bitcoin Core's ParseScript):

* ``-1``, ``0``..``16`` and any other decimal integer: the minimal push of that number;
* ``<hex>``: the minimal push of those bytes (``<>`` pushes the empty string);
* ``'text'``: the minimal push of the ASCII text (no spaces inside);
* ``0x<hex>``: raw bytes inserted as they are (to write non-minimal or malformed pushes);
* an opcode name, with or without ``OP_`` (``DUP``, ``OP_DUP``, ``NOP2``, ``BLAKE3``).

`to_asm` writes numbers for OP_0 / OP_1NEGATE / OP_1..OP_16, ``<hex>`` for minimal pushes,
``0x<hex>`` for non-minimal or truncated pushes and undefined opcodes, and ``OP_`` names for
the rest, so that ``from_asm(to_asm(s)) == s`` for every byte string ``s``.
"""

from __future__ import annotations

from node.script.errors import ScriptError
from node.script.opcodes import MAX_PUSH_OPCODE, NAME_TO_OPCODE, OPCODE_NAMES, Op
from node.script.parse import is_minimal_push, push_data, push_int, read_push, small_int_value


def to_asm(script: bytes) -> str:
    """Human-readable form of ``script`` (round-trips through `from_asm`)."""
    tokens: list[str] = []
    pc = 0
    n = len(script)
    while pc < n:
        op = script[pc]
        start = pc
        pc += 1
        if op <= MAX_PUSH_OPCODE and op != Op.OP_0:
            try:
                begin, pc = read_push(script, pc, op)
            except ScriptError:
                tokens.append("0x" + script[start:].hex())
                break
            data = script[begin:pc]
            if is_minimal_push(op, data):
                tokens.append(f"<{data.hex()}>")
            else:
                tokens.append("0x" + script[start:pc].hex())
            continue
        small = small_int_value(op)
        if small is not None:
            tokens.append(str(small))
        elif op == Op.OP_1NEGATE:
            tokens.append("-1")
        elif op in OPCODE_NAMES:
            tokens.append(OPCODE_NAMES[op])
        else:
            tokens.append(f"0x{op:02x}")
    return " ".join(tokens)


def _is_int(token: str) -> bool:
    body = token[1:] if token.startswith("-") else token
    return body.isdigit()


def from_asm(text: str) -> bytes:
    """Assemble ``text`` (grammar in the module docstring); raises ValueError on a bad token."""
    out = bytearray()
    for token in text.split():
        if _is_int(token):
            out += push_int(int(token))
        elif token.startswith("<") and token.endswith(">"):
            out += push_data(bytes.fromhex(token[1:-1]))
        elif len(token) >= 2 and token.startswith("'") and token.endswith("'"):
            out += push_data(token[1:-1].encode("ascii"))
        elif token.lower().startswith("0x"):
            out += bytes.fromhex(token[2:])
        else:
            name = token.upper()
            if not name.startswith("OP_"):
                name = "OP_" + name
            op = NAME_TO_OPCODE.get(name)
            if op is None:
                raise ValueError(f"unknown asm token {token!r}")
            out.append(op)
    return bytes(out)
