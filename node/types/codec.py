"""Bitcoin-style wire codec primitives (SPEC §1): byte reader/writer, CompactSize, Serializable.

Owns the low-level rules every decoder in the node relies on: little-endian fixed-width
integers, minimal CompactSize, length-prefixed byte strings and UTF-8 strings, and the strict
checks (truncation, trailing bytes, non-minimal CompactSize, counts and lengths above their
limit or above what remains, checked before anything is allocated). Also owns the small
range/length validators used by the value types' constructors.
"""

from __future__ import annotations

import struct
from typing import Self

from node.types.errors import (
    InvalidField,
    LimitExceeded,
    NonMinimalCompactSize,
    TrailingBytes,
    TruncatedInput,
)

__all__ = [
    "MAX_COMPACT_SIZE",
    "U8_MAX",
    "U16_MAX",
    "U32_MAX",
    "U64_MAX",
    "ByteReader",
    "ByteWriter",
    "Serializable",
    "check_bytes",
    "check_fixed_bytes",
    "check_string",
    "check_uint",
    "compact_size_len",
    "decode_string",
    "encode_compact_size",
    "encode_string",
    "encode_var_bytes",
]

U8_MAX = 0xFF
U16_MAX = 0xFFFF
U32_MAX = 0xFFFF_FFFF
U64_MAX = 0xFFFF_FFFF_FFFF_FFFF
#: Largest value a CompactSize can carry (9-byte form).
MAX_COMPACT_SIZE = U64_MAX

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_pack_u16 = _U16.pack
_pack_u32 = _U32.pack
_pack_u64 = _U64.pack
_unpack_u16 = _U16.unpack_from
_unpack_u32 = _U32.unpack_from
_unpack_u64 = _U64.unpack_from

# Pre-built one-byte encodings: the overwhelmingly common CompactSize case.
_SMALL_COMPACT = tuple(bytes((i,)) for i in range(0xFD))


# --------------------------------------------------------------------------- validators


def check_uint(value: int, bits: int, field: str) -> None:
    """Raise InvalidField unless ``value`` is an int in ``[0, 2**bits)``."""
    if type(value) is not int and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidField(f"{field}: expected an integer, got {type(value).__name__}")
    if value < 0 or value >> bits:
        raise InvalidField(f"{field}: {value} is outside the u{bits} range [0, {(1 << bits) - 1}]")


def check_fixed_bytes(value: bytes, size: int, field: str) -> None:
    """Raise InvalidField unless ``value`` is ``bytes`` of exactly ``size`` bytes."""
    if type(value) is not bytes:
        raise InvalidField(f"{field}: expected bytes, got {type(value).__name__}")
    if len(value) != size:
        raise InvalidField(f"{field}: expected {size} bytes, got {len(value)}")


def check_bytes(value: bytes, limit: int, field: str) -> None:
    """Raise InvalidField unless ``value`` is ``bytes``; LimitExceeded if longer than ``limit``."""
    if type(value) is not bytes:
        raise InvalidField(f"{field}: expected bytes, got {type(value).__name__}")
    if len(value) > limit:
        raise LimitExceeded(f"{field}: length {len(value)} exceeds the limit {limit}")


# --------------------------------------------------------------------------- encoders


def encode_compact_size(n: int) -> bytes:
    """Return the minimal CompactSize encoding of ``n`` (1, 3, 5 or 9 bytes)."""
    if 0 <= n < 0xFD:
        return _SMALL_COMPACT[n]
    if n < 0:
        raise InvalidField(f"compact size: {n} is negative")
    if n <= U16_MAX:
        return b"\xfd" + _pack_u16(n)
    if n <= U32_MAX:
        return b"\xfe" + _pack_u32(n)
    if n <= U64_MAX:
        return b"\xff" + _pack_u64(n)
    raise InvalidField(f"compact size: {n} does not fit in 64 bits")


def compact_size_len(n: int) -> int:
    """Return how many bytes the CompactSize encoding of ``n`` takes."""
    if n < 0xFD:
        return 1
    if n <= U16_MAX:
        return 3
    if n <= U32_MAX:
        return 5
    return 9


def encode_var_bytes(data: bytes) -> bytes:
    """Return ``data`` prefixed with its CompactSize length."""
    n = len(data)
    if n < 0xFD:
        return _SMALL_COMPACT[n] + data
    return encode_compact_size(n) + data


def encode_string(text: str) -> bytes:
    """Return ``text`` as CompactSize-length-prefixed UTF-8."""
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise InvalidField(f"string: not encodable as UTF-8 ({exc.reason})") from None
    return encode_var_bytes(raw)


# --------------------------------------------------------------------------- reader


class ByteReader:
    """A cursor over an immutable byte string with strict, allocation-safe reads.

    Every read raises :class:`TruncatedInput` when the input ends early. Counts and lengths
    read through :meth:`read_compact_size`, :meth:`read_count` and :meth:`read_var_bytes`
    are checked against their limit and against what remains *before* anything is allocated.
    """

    __slots__ = ("_buf", "_end", "_pos")

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._buf: bytes = data if type(data) is bytes else bytes(data)
        self._pos = 0
        self._end = len(self._buf)

    # -- position

    @property
    def position(self) -> int:
        """Offset of the next unread byte."""
        return self._pos

    def remaining(self) -> int:
        """Number of unread bytes."""
        return self._end - self._pos

    def assert_finished(self, what: str = "input") -> None:
        """Raise TrailingBytes if any byte is left unread."""
        left = self._end - self._pos
        if left:
            raise TrailingBytes(f"{what}: {left} trailing byte(s) after offset {self._pos}")

    def _truncated(self, n: int, field: str) -> TruncatedInput:
        return TruncatedInput(
            f"{field}: needs {n} byte(s) at offset {self._pos}, only {self._end - self._pos} remain"
        )

    # -- fixed width

    def read(self, n: int, field: str = "bytes") -> bytes:
        """Read exactly ``n`` raw bytes."""
        pos = self._pos
        end = pos + n
        if n < 0 or end > self._end:
            raise self._truncated(n, field)
        self._pos = end
        return self._buf[pos:end]

    def read_u8(self, field: str = "u8") -> int:
        """Read one unsigned byte."""
        pos = self._pos
        if pos >= self._end:
            raise self._truncated(1, field)
        self._pos = pos + 1
        return self._buf[pos]

    def read_u16(self, field: str = "u16") -> int:
        """Read a little-endian u16."""
        pos = self._pos
        if pos + 2 > self._end:
            raise self._truncated(2, field)
        self._pos = pos + 2
        value: int = _unpack_u16(self._buf, pos)[0]
        return value

    def read_u32(self, field: str = "u32") -> int:
        """Read a little-endian u32."""
        pos = self._pos
        if pos + 4 > self._end:
            raise self._truncated(4, field)
        self._pos = pos + 4
        value: int = _unpack_u32(self._buf, pos)[0]
        return value

    def read_u64(self, field: str = "u64") -> int:
        """Read a little-endian u64."""
        pos = self._pos
        if pos + 8 > self._end:
            raise self._truncated(8, field)
        self._pos = pos + 8
        value: int = _unpack_u64(self._buf, pos)[0]
        return value

    # -- variable width

    def read_compact_size(self, limit: int = MAX_COMPACT_SIZE, field: str = "compact size") -> int:
        """Read a minimal CompactSize and check it against ``limit``."""
        buf = self._buf
        pos = self._pos
        end = self._end
        if pos >= end:
            raise self._truncated(1, field)
        first = buf[pos]
        if first < 0xFD:
            n = first
            pos += 1
        elif first == 0xFD:
            if pos + 3 > end:
                raise self._truncated(3, field)
            n = _unpack_u16(buf, pos + 1)[0]
            if n < 0xFD:
                raise NonMinimalCompactSize(f"{field}: {n} encoded in the 3-byte form")
            pos += 3
        elif first == 0xFE:
            if pos + 5 > end:
                raise self._truncated(5, field)
            n = _unpack_u32(buf, pos + 1)[0]
            if n <= U16_MAX:
                raise NonMinimalCompactSize(f"{field}: {n} encoded in the 5-byte form")
            pos += 5
        else:
            if pos + 9 > end:
                raise self._truncated(9, field)
            n = _unpack_u64(buf, pos + 1)[0]
            if n <= U32_MAX:
                raise NonMinimalCompactSize(f"{field}: {n} encoded in the 9-byte form")
            pos += 9
        if n > limit:
            raise LimitExceeded(f"{field}: {n} exceeds the limit {limit}")
        self._pos = pos
        return n

    def read_count(self, limit: int, min_item_size: int, field: str = "count") -> int:
        """Read an item count; reject it if above ``limit`` or if that many items of at least
        ``min_item_size`` bytes cannot fit in what remains."""
        n = self.read_compact_size(limit, field)
        if n * min_item_size > self._end - self._pos:
            raise LimitExceeded(
                f"{field}: {n} item(s) of at least {min_item_size} byte(s) cannot fit in the "
                f"{self._end - self._pos} remaining byte(s)"
            )
        return n

    def read_var_bytes(self, limit: int = MAX_COMPACT_SIZE, field: str = "bytes") -> bytes:
        """Read a CompactSize length then that many bytes; the length is checked against
        ``limit`` and against what remains before the bytes are copied."""
        buf = self._buf
        pos = self._pos
        if pos < self._end and buf[pos] < 0xFD:  # fast path: 1-byte length
            n = buf[pos]
            if n > limit:
                raise LimitExceeded(f"{field}: length {n} exceeds the limit {limit}")
            pos += 1
        else:
            n = self.read_compact_size(limit, field)
            pos = self._pos
        end = pos + n
        if end > self._end:
            raise LimitExceeded(
                f"{field}: length {n} exceeds the {self._end - pos} remaining byte(s)"
            )
        self._pos = end
        return buf[pos:end]

    def read_string(self, max_chars: int, field: str = "string", *, min_chars: int = 0) -> str:
        """Read a CompactSize-length UTF-8 string of ``min_chars..max_chars`` code points.

        The byte length is capped at ``4 * max_chars`` before reading; invalid UTF-8 or a
        character count outside the range raises.
        """
        raw = self.read_var_bytes(4 * max_chars, field)
        return decode_string(raw, max_chars, field, min_chars=min_chars)


def decode_string(raw: bytes, max_chars: int, field: str, *, min_chars: int = 0) -> str:
    """Decode strict UTF-8 and check its length in code points."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidField(f"{field}: invalid UTF-8 at byte {exc.start} ({exc.reason})") from None
    check_string(text, max_chars, field, min_chars=min_chars)
    return text


def check_string(text: str, max_chars: int, field: str, *, min_chars: int = 0) -> None:
    """Raise unless ``text`` is a str of ``min_chars..max_chars`` code points, encodable as
    UTF-8 (LimitExceeded above the maximum, InvalidField otherwise)."""
    if type(text) is not str:
        raise InvalidField(f"{field}: expected str, got {type(text).__name__}")
    n = len(text)
    if n > max_chars:
        raise LimitExceeded(f"{field}: {n} characters exceed the limit {max_chars}")
    if n < min_chars:
        raise InvalidField(f"{field}: {n} characters, at least {min_chars} required")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidField(f"{field}: not encodable as UTF-8 ({exc.reason})") from None


# --------------------------------------------------------------------------- writer


class ByteWriter:
    """An append-only byte buffer with the wire encoders as methods."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def write(self, data: bytes) -> None:
        """Append raw bytes."""
        self._buf += data

    def write_u8(self, value: int) -> None:
        """Append one unsigned byte."""
        if not 0 <= value <= U8_MAX:
            raise InvalidField(f"u8: {value} is outside [0, {U8_MAX}]")
        self._buf.append(value)

    def write_u16(self, value: int) -> None:
        """Append a little-endian u16."""
        try:
            self._buf += _pack_u16(value)
        except struct.error:
            raise InvalidField(f"u16: {value} is outside [0, {U16_MAX}]") from None

    def write_u32(self, value: int) -> None:
        """Append a little-endian u32."""
        try:
            self._buf += _pack_u32(value)
        except struct.error:
            raise InvalidField(f"u32: {value} is outside [0, {U32_MAX}]") from None

    def write_u64(self, value: int) -> None:
        """Append a little-endian u64."""
        try:
            self._buf += _pack_u64(value)
        except struct.error:
            raise InvalidField(f"u64: {value} is outside [0, {U64_MAX}]") from None

    def write_compact_size(self, n: int) -> None:
        """Append the minimal CompactSize encoding of ``n``."""
        self._buf += encode_compact_size(n)

    def write_var_bytes(self, data: bytes) -> None:
        """Append ``data`` prefixed with its CompactSize length."""
        self._buf += encode_compact_size(len(data))
        self._buf += data

    def write_string(self, text: str) -> None:
        """Append ``text`` as CompactSize-length UTF-8."""
        self._buf += encode_string(text)

    def __len__(self) -> int:
        return len(self._buf)

    def getvalue(self) -> bytes:
        """Return everything written so far."""
        return bytes(self._buf)


# --------------------------------------------------------------------------- base class


class Serializable:
    """Base of every wire type (python-bitcoinlib style).

    Subclasses implement :meth:`stream_serialize` and :meth:`stream_deserialize`;
    :meth:`serialize` and the strict :meth:`deserialize` (which rejects trailing bytes) come
    for free. Subclasses may override :meth:`serialize` with a faster direct encoding.
    """

    __slots__ = ()

    def stream_serialize(self, w: ByteWriter) -> None:
        """Append this object's encoding to ``w``."""
        raise NotImplementedError

    @classmethod
    def stream_deserialize(cls, r: ByteReader) -> Self:
        """Read one object from ``r``, leaving the cursor just after it."""
        raise NotImplementedError

    def serialize(self) -> bytes:
        """Return this object's wire encoding."""
        w = ByteWriter()
        self.stream_serialize(w)
        return w.getvalue()

    @classmethod
    def deserialize(cls, data: bytes | bytearray | memoryview) -> Self:
        """Decode exactly one object from ``data``; trailing bytes are an error."""
        r = ByteReader(data)
        obj = cls.stream_deserialize(r)
        r.assert_finished(cls.__name__)
        return obj
