"""The wire codec: CompactSize (minimal form), fixed-width ints, var bytes, strings, limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.errors import RustyError
from node.types import (
    ByteReader,
    ByteWriter,
    InvalidField,
    LimitExceeded,
    NonMinimalCompactSize,
    SerializationError,
    TrailingBytes,
    TruncatedInput,
    UnknownTxType,
    encode_compact_size,
)
from node.types.codec import compact_size_len, encode_string, encode_var_bytes

# Bitcoin's CompactSize boundary encodings.
COMPACT_VECTORS = [
    (0, "00"),
    (1, "01"),
    (0xFC, "fc"),
    (0xFD, "fdfd00"),
    (0xFFFF, "fdffff"),
    (0x10000, "fe00000100"),
    (0xFFFF_FFFF, "feffffffff"),
    (0x1_0000_0000, "ff0000000001000000"),
    (0xFFFF_FFFF_FFFF_FFFF, "ffffffffffffffffff"),
]


def test_error_hierarchy() -> None:
    for cls in (
        TruncatedInput,
        TrailingBytes,
        NonMinimalCompactSize,
        LimitExceeded,
        UnknownTxType,
        InvalidField,
    ):
        assert issubclass(cls, SerializationError)
    assert issubclass(SerializationError, RustyError)


@pytest.mark.parametrize(("value", "hex_"), COMPACT_VECTORS)
def test_compact_size_vectors(value: int, hex_: str) -> None:
    raw = bytes.fromhex(hex_)
    assert encode_compact_size(value) == raw
    assert compact_size_len(value) == len(raw)
    r = ByteReader(raw)
    assert r.read_compact_size() == value
    r.assert_finished()
    w = ByteWriter()
    w.write_compact_size(value)
    assert w.getvalue() == raw


@given(st.integers(0, 2**64 - 1))
def test_compact_size_roundtrip(n: int) -> None:
    raw = encode_compact_size(n)
    assert len(raw) == compact_size_len(n)
    r = ByteReader(raw)
    assert r.read_compact_size() == n
    assert r.remaining() == 0


@pytest.mark.parametrize("bad", [-1, 2**64])
def test_compact_size_encode_out_of_range(bad: int) -> None:
    with pytest.raises(InvalidField):
        encode_compact_size(bad)


@pytest.mark.parametrize(
    "hex_",
    [
        "fd0000",  # 0 in 3 bytes
        "fdfc00",  # 252 in 3 bytes (largest non-minimal 3-byte value)
        "fe00000000",  # 0 in 5 bytes
        "feffff0000",  # 0xffff in 5 bytes
        "ff0000000000000000",  # 0 in 9 bytes
        "ffffffffff00000000",  # 0xffffffff in 9 bytes
    ],
)
def test_non_minimal_compact_size_rejected(hex_: str) -> None:
    with pytest.raises(NonMinimalCompactSize):
        ByteReader(bytes.fromhex(hex_)).read_compact_size()


@pytest.mark.parametrize("hex_", ["", "fd", "fdff", "fe", "feffffff", "ff", "ff00000000000001"])
def test_truncated_compact_size(hex_: str) -> None:
    with pytest.raises(TruncatedInput):
        ByteReader(bytes.fromhex(hex_)).read_compact_size()


def test_compact_size_limit() -> None:
    assert ByteReader(b"\x0a").read_compact_size(10) == 10
    with pytest.raises(LimitExceeded, match="11 exceeds the limit 10"):
        ByteReader(b"\x0b").read_compact_size(10, "thing")


def test_fixed_width_little_endian() -> None:
    r = ByteReader(bytes.fromhex("ff341278563412efcdab9078563412"))
    assert r.read_u8() == 0xFF
    assert r.read_u16() == 0x1234
    assert r.read_u32() == 0x12345678
    assert r.read_u64() == 0x1234567890ABCDEF
    r.assert_finished()
    w = ByteWriter()
    w.write_u8(0xFF)
    w.write_u16(0x1234)
    w.write_u32(0x12345678)
    w.write_u64(0x1234567890ABCDEF)
    assert w.getvalue().hex() == "ff341278563412efcdab9078563412"


@pytest.mark.parametrize(
    ("method", "size"), [("read_u8", 1), ("read_u16", 2), ("read_u32", 4), ("read_u64", 8)]
)
def test_fixed_width_truncated(method: str, size: int) -> None:
    r = ByteReader(bytes(size - 1))
    with pytest.raises(TruncatedInput):
        getattr(r, method)()
    assert r.position == 0  # a failed read does not move the cursor


@pytest.mark.parametrize(
    ("method", "value"),
    [
        ("write_u8", 256),
        ("write_u8", -1),
        ("write_u16", 0x10000),
        ("write_u32", 2**32),
        ("write_u64", 2**64),
        ("write_u64", -1),
    ],
)
def test_writer_rejects_out_of_range(method: str, value: int) -> None:
    with pytest.raises(InvalidField):
        getattr(ByteWriter(), method)(value)


def test_read_exact_and_truncated() -> None:
    r = ByteReader(b"abcdef")
    assert r.read(2) == b"ab"
    assert r.remaining() == 4
    with pytest.raises(TruncatedInput, match="needs 5 byte"):
        r.read(5)
    assert r.read(4) == b"cdef"
    r.assert_finished()


def test_trailing_bytes() -> None:
    r = ByteReader(b"\x01\x02")
    r.read_u8()
    with pytest.raises(TrailingBytes, match="1 trailing byte"):
        r.assert_finished()


def test_var_bytes() -> None:
    data = bytes(range(256)) * 2
    raw = encode_var_bytes(data)
    assert raw[:3] == b"\xfd\x00\x02"
    assert ByteReader(raw).read_var_bytes() == data
    w = ByteWriter()
    w.write_var_bytes(b"xyz")
    assert w.getvalue() == b"\x03xyz"


def test_var_bytes_longer_than_remaining_is_rejected() -> None:
    with pytest.raises(LimitExceeded, match="remaining"):
        ByteReader(b"\x05abcd").read_var_bytes()
    # 3-byte and 5-byte lengths too, before any allocation.
    with pytest.raises(LimitExceeded):
        ByteReader(b"\xfe\xff\xff\xff\xff" + b"x").read_var_bytes()


def test_var_bytes_limit() -> None:
    assert ByteReader(b"\x03abc").read_var_bytes(3) == b"abc"
    with pytest.raises(LimitExceeded, match="length 4 exceeds the limit 3"):
        ByteReader(b"\x04abcd").read_var_bytes(3)
    with pytest.raises(LimitExceeded):
        ByteReader(b"\xfd\x00\x01" + bytes(256)).read_var_bytes(255)


def test_var_bytes_non_minimal_length() -> None:
    with pytest.raises(NonMinimalCompactSize):
        ByteReader(b"\xfd\x03\x00abc").read_var_bytes()


def test_read_count_checks_what_fits() -> None:
    r = ByteReader(b"\x02" + bytes(80))
    assert r.read_count(10, 40) == 2
    with pytest.raises(LimitExceeded, match="cannot fit"):
        ByteReader(b"\x03" + bytes(80)).read_count(10, 40)
    with pytest.raises(LimitExceeded, match="exceeds the limit"):
        ByteReader(b"\x0b" + bytes(1000)).read_count(10, 1)


def test_strings() -> None:
    raw = encode_string("héllo ✓")
    assert raw[0] == len("héllo ✓".encode())
    assert ByteReader(raw).read_string(10) == "héllo ✓"
    w = ByteWriter()
    w.write_string("ok")
    assert w.getvalue() == b"\x02ok"


@pytest.mark.parametrize(
    "bad",
    [
        b"\xff",  # never valid
        b"\xc0\x80",  # overlong NUL
        b"\xed\xa0\x80",  # UTF-16 surrogate
        b"abc\xe2\x82",  # truncated sequence
        b"\xf4\x90\x80\x80",  # above U+10FFFF
    ],
)
def test_strings_reject_invalid_utf8(bad: bytes) -> None:
    with pytest.raises(InvalidField, match="invalid UTF-8"):
        ByteReader(encode_var_bytes(bad)).read_string(100, "title")


def test_string_char_limits() -> None:
    assert ByteReader(encode_string("✓" * 4)).read_string(4) == "✓" * 4
    with pytest.raises(LimitExceeded):
        ByteReader(encode_string("a" * 5)).read_string(4)
    # a multi-byte string whose byte length is above 4*max_chars fails on the length alone
    with pytest.raises(LimitExceeded):
        ByteReader(encode_var_bytes(b"a" * 17)).read_string(4)
    with pytest.raises(InvalidField, match="at least 3"):
        ByteReader(encode_string("ab")).read_string(10, min_chars=3)
    with pytest.raises(InvalidField):
        encode_string("\ud800")


def test_reader_accepts_bytearray_and_memoryview() -> None:
    assert ByteReader(bytearray(b"\x01")).read_u8() == 1
    assert ByteReader(memoryview(b"\x02\x03")[1:]).read_u8() == 3
