"""Script numbers and booleans: Bitcoin's little-endian sign-magnitude encoding.

A number is little-endian with the sign in the top bit of the last byte; zero is the empty
string. Operands of arithmetic opcodes are at most 4 bytes (results may be 5), operands of
CLTV/CSV at most 5. With MINIMALDATA an operand must be in its shortest form.
"""

from __future__ import annotations

from node.script.errors import ScriptError, ScriptErrorCode


def encode_num(value: int) -> bytes:
    """Shortest encoding of ``value`` (b"" for zero)."""
    if value == 0:
        return b""
    negative = value < 0
    magnitude = -value if negative else value
    out = bytearray(magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "little"))
    if out[-1] & 0x80:
        out.append(0x80 if negative else 0x00)
    elif negative:
        out[-1] |= 0x80
    return bytes(out)


def is_minimal_num(data: bytes) -> bool:
    """True when ``data`` is the shortest encoding of the number it holds."""
    if not data:
        return True
    # The last byte may only be 0x00 or 0x80 when the byte before needs its top bit.
    if data[-1] & 0x7F == 0:
        return len(data) > 1 and bool(data[-2] & 0x80)
    return True


def decode_num(data: bytes, max_size: int = 4, require_minimal: bool = True) -> int:
    """Decode a script number, raising ScriptError when it is too long or not minimal."""
    size = len(data)
    if size > max_size:
        raise ScriptError(
            ScriptErrorCode.SCRIPTNUM_OVERFLOW, f"number of {size} bytes (max {max_size})"
        )
    if size == 0:
        return 0
    last = data[-1]
    if require_minimal and last & 0x7F == 0 and (size == 1 or not data[-2] & 0x80):
        raise ScriptError(ScriptErrorCode.SCRIPTNUM_MINIMAL, "non-minimally encoded number")
    value = int.from_bytes(data, "little")
    if last & 0x80:
        return -(value & ~(0x80 << (8 * (size - 1))))
    return value


def cast_to_bool(data: bytes) -> bool:
    """Script truth: any non-zero byte, except that 0x80 as the last byte is negative zero."""
    for i, byte in enumerate(data):
        if byte:
            return not (i == len(data) - 1 and byte == 0x80)
    return False
