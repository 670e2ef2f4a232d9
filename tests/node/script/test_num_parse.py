"""Script numbers, booleans, push encoding, opcode parsing and the asm text format."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.script.asm import from_asm, to_asm
from node.script.errors import ScriptError, ScriptErrorCode
from node.script.num import cast_to_bool, decode_num, encode_num, is_minimal_num
from node.script.opcodes import OPCODE_NAMES, Op, opcode_name
from node.script.parse import (
    first_non_push,
    is_minimal_push,
    is_push_only,
    iter_ops,
    last_push,
    push_data,
    push_int,
    small_int_value,
    try_parse,
)

KNOWN_NUMS = [
    (0, ""),
    (1, "01"),
    (-1, "81"),
    (127, "7f"),
    (128, "8000"),
    (-128, "8080"),
    (255, "ff00"),
    (256, "0001"),
    (-255, "ff80"),
    (32767, "ff7f"),
    (32768, "008000"),
    (0x7FFFFFFF, "ffffff7f"),
    (-0x7FFFFFFF, "ffffffff"),
    (0x80000000, "0000008000"),
    (-0x80000000, "0000008080"),
    (0xFFFFFFFF, "ffffffff00"),
]


@pytest.mark.parametrize(("value", "hex_"), KNOWN_NUMS)
def test_known_numbers(value: int, hex_: str) -> None:
    assert encode_num(value).hex() == hex_
    assert decode_num(bytes.fromhex(hex_), max_size=5) == value
    assert is_minimal_num(bytes.fromhex(hex_))


@given(st.integers(min_value=-(2**39) + 1, max_value=2**39 - 1))
def test_num_round_trip(value: int) -> None:
    data = encode_num(value)
    assert len(data) <= 5
    assert is_minimal_num(data)
    assert decode_num(data, max_size=5) == value
    assert cast_to_bool(data) is (value != 0)


@pytest.mark.parametrize("hex_", ["00", "80", "0000", "0080", "0100", "ff0000", "7f80"])
def test_non_minimal_numbers(hex_: str) -> None:
    data = bytes.fromhex(hex_)
    assert not is_minimal_num(data)
    with pytest.raises(ScriptError) as info:
        decode_num(data)
    assert info.value.code is ScriptErrorCode.SCRIPTNUM_MINIMAL
    decode_num(data, require_minimal=False)  # accepted when not required


def test_non_minimal_values() -> None:
    assert decode_num(b"\x00\x80", require_minimal=False) == 0
    assert decode_num(b"\x01\x00", require_minimal=False) == 1
    assert decode_num(b"\x01\x80", require_minimal=False) == -1


def test_num_overflow() -> None:
    with pytest.raises(ScriptError) as info:
        decode_num(bytes(5))
    assert info.value.code is ScriptErrorCode.SCRIPTNUM_OVERFLOW
    assert decode_num(b"\x01\x00\x00\x00\x01", max_size=5) == 2**32 + 1
    with pytest.raises(ScriptError):
        decode_num(b"\x01" * 6, max_size=5)


@pytest.mark.parametrize(
    ("hex_", "truth"),
    [
        ("", False),
        ("00", False),
        ("80", False),
        ("0000", False),
        ("000080", False),
        ("01", True),
        ("8000", True),
        ("0001", True),
        ("ff", True),
        ("00000081", True),
    ],
)
def test_cast_to_bool(hex_: str, truth: bool) -> None:
    assert cast_to_bool(bytes.fromhex(hex_)) is truth


def test_push_data_is_minimal() -> None:
    assert push_data(b"") == b"\x00"
    assert push_data(b"\x05") == b"\x55"
    assert push_data(b"\x10") == b"\x60"
    assert push_data(b"\x11") == b"\x01\x11"
    assert push_data(b"\x81") == b"\x4f"
    assert push_data(b"\x00") == b"\x01\x00"
    assert push_data(bytes(75))[:1] == b"\x4b"
    assert push_data(bytes(76))[:2] == b"\x4c\x4c"
    assert push_data(bytes(255))[:2] == b"\x4c\xff"
    assert push_data(bytes(256))[:3] == b"\x4d\x00\x01"
    assert push_data(bytes(65536))[:5] == b"\x4e\x00\x00\x01\x00"
    assert push_int(0) == b"\x00"
    assert push_int(-1) == b"\x4f"
    assert push_int(16) == b"\x60"
    assert push_int(17) == b"\x01\x11"
    assert push_int(-2) == b"\x01\x82"


@given(st.binary(max_size=300))
def test_push_data_parses_back(data: bytes) -> None:
    script = push_data(data)
    ops = list(iter_ops(script))
    assert len(ops) == 1
    assert is_minimal_push(ops[0].opcode, ops[0].data or b"") or ops[0].data is None
    assert is_push_only(script)


def test_is_minimal_push() -> None:
    assert is_minimal_push(0x00, b"")
    assert not is_minimal_push(0x4C, b"")
    assert not is_minimal_push(0x01, b"\x07")
    assert is_minimal_push(0x01, b"\x11")
    assert not is_minimal_push(0x4C, bytes(75))
    assert is_minimal_push(0x4C, bytes(76))
    assert not is_minimal_push(0x4D, bytes(255))
    assert is_minimal_push(0x4D, bytes(256))
    assert not is_minimal_push(0x4E, bytes(300))
    assert is_minimal_push(0x4E, bytes(65536))


def test_iter_ops_and_errors() -> None:
    script = bytes.fromhex("0051" + "02aabb" + "4c01cc" + "76")
    ops = list(iter_ops(script))
    assert [(o.opcode, o.data, o.position) for o in ops] == [
        (0x00, b"", 0),
        (0x51, None, 1),
        (0x02, b"\xaa\xbb", 2),
        (0x4C, b"\xcc", 5),
        (0x76, None, 8),
    ]
    for bad, pos in ((b"\x76\x02\xaa", 1), (b"\x4c", 0), (b"\x4d\x01", 0), (b"\x4e\x01\x00", 0)):
        with pytest.raises(ScriptError) as info:
            list(iter_ops(bad))
        assert info.value.code is ScriptErrorCode.BAD_OPCODE
        assert info.value.position == pos
        assert try_parse(bad) is None


def test_push_only_and_last_push() -> None:
    assert is_push_only(b"")
    assert is_push_only(b"\x00\x4f\x50\x51\x60\x01\xaa")
    assert not is_push_only(b"\x61")
    assert not is_push_only(b"\x51\x76")
    assert not is_push_only(b"\x02\xaa")
    assert first_non_push(b"\x51\x01\xaa\x76\x61") == 3
    assert first_non_push(b"\x51\x02\xaa") == 1
    assert first_non_push(b"\x00\x50\x60") is None
    assert last_push(b"\x01\xaa\x02\xbb\xcc") == b"\xbb\xcc"
    assert last_push(b"\x01\xaa\x51") == b""
    assert last_push(b"") is None
    assert last_push(b"\x01\xaa\x76") is None
    assert last_push(b"\x02") is None


def test_small_ints_and_names() -> None:
    assert small_int_value(0x00) == 0
    assert small_int_value(0x51) == 1
    assert small_int_value(0x60) == 16
    assert small_int_value(0x4F) is None
    assert small_int_value(0x61) is None
    assert opcode_name(0xB1) == "OP_CHECKLOCKTIMEVERIFY"
    assert opcode_name(0xC0) == "OP_BLAKE3"
    assert opcode_name(0xC1) == "OP_UNKNOWN_0xc1"
    assert Op.OP_NOP2 == Op.OP_CHECKLOCKTIMEVERIFY
    assert OPCODE_NAMES[0x00] == "OP_0"


def test_asm() -> None:
    assert from_asm("DUP OP_HASH160 0 -1 16 17 <aabb> 'ab' 0x4c01ff BLAKE3 NOP2") == bytes.fromhex(
        "76a9" + "00" + "4f" + "60" + "0111" + "02aabb" + "026162" + "4c01ff" + "c0" + "b1"
    )
    assert from_asm("<>") == b"\x00"
    assert to_asm(bytes.fromhex("76a90002aabb4c01ff4f60c1c0")) == (
        "OP_DUP OP_HASH160 0 <aabb> 0x4c01ff -1 16 0xc1 OP_BLAKE3"
    )
    assert to_asm(b"\x4c\x05\xaa") == "0x4c05aa"
    for bad in ("FOO", "OP_", "<zz>", "0xz"):
        with pytest.raises(ValueError):  # noqa: PT011 - any parse error is a ValueError
            from_asm(bad)


@given(st.binary(max_size=200))
def test_asm_round_trip(script: bytes) -> None:
    assert from_asm(to_asm(script)) == script
