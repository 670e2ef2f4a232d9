"""Message payload encodings (SPEC §8): every message round-trips, decoding is strict, and
the decoder raises only its own MalformedMessage on any input (hypothesis)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.p2p.errors import MalformedMessage
from node.p2p.messages import (
    MESSAGE_TYPES,
    CmpctBlock,
    GetBlockTxn,
    Headers,
    Inv,
    Opaque,
    Version,
    command_of,
    decode_message,
)
from node.p2p.protocol import COMMANDS, MAX_HEADERS, MAX_INV
from node.types.codec import encode_compact_size
from tests.node.p2p.samples import HEADER, samples


@pytest.mark.parametrize("msg", samples(), ids=lambda m: command_of(m))
def test_round_trip(msg: object) -> None:
    assert isinstance(msg, MESSAGE_TYPES[command_of(msg)])  # type: ignore[arg-type]
    payload = msg.encode()  # type: ignore[attr-defined]
    assert decode_message(command_of(msg), payload) == msg  # type: ignore[arg-type]


@pytest.mark.parametrize("msg", samples(), ids=lambda m: command_of(m))
def test_truncated_and_trailing_payloads_are_refused(msg: object) -> None:
    payload = msg.encode()  # type: ignore[attr-defined]
    command = command_of(msg)  # type: ignore[arg-type]
    with pytest.raises(MalformedMessage):
        decode_message(command, payload + b"\x00")
    if payload:
        with pytest.raises(MalformedMessage):
            decode_message(command, payload[:-1])


def test_every_spec_command_is_known() -> None:
    for command in COMMANDS:
        msg = decode_message(command, b"") if command in ("verack", "getaddr", "mempool") else None
        assert command in MESSAGE_TYPES or isinstance(decode_message(command, b"x"), Opaque)
        assert msg is None or command_of(msg) == command


def test_unknown_command_is_ignored() -> None:
    assert decode_message("sendheaders", b"") is None


def test_counts_above_the_spec_limits_are_refused_before_reading() -> None:
    with pytest.raises(MalformedMessage, match="exceeds the limit"):
        decode_message("headers", encode_compact_size(MAX_HEADERS + 1) + HEADER.serialize())
    with pytest.raises(MalformedMessage, match="exceeds the limit"):
        decode_message("inv", encode_compact_size(MAX_INV + 1))
    with pytest.raises(MalformedMessage, match="cannot fit"):
        decode_message("inv", encode_compact_size(1000) + b"\x00" * 36)
    assert len(Headers((HEADER,) * MAX_HEADERS).encode()) == 3 + 160 * MAX_HEADERS
    assert len(Inv(()).encode()) == 1


def test_non_minimal_compact_size_is_refused() -> None:
    with pytest.raises(MalformedMessage, match="3-byte form"):
        decode_message("inv", b"\xfd\x01\x00" + b"\x00" * 36)


def test_version_fields() -> None:
    version = samples()[0]
    assert isinstance(version, Version)
    payload = bytearray(version.encode())
    payload[-1] = 2  # relay flag
    with pytest.raises(MalformedMessage, match="relay"):
        decode_message("version", bytes(payload))
    long_agent = Version(1, 1, 0, version.addr_recv, version.addr_from, 1, "x" * 257, 0)
    with pytest.raises(MalformedMessage, match="user_agent"):
        decode_message("version", long_agent.encode())


def test_cmpctblock_prefilled_index_out_of_range() -> None:
    msg = samples()[17]
    assert isinstance(msg, CmpctBlock)
    bad = CmpctBlock(msg.header, msg.votes, msg.nonce, (), msg.prefilled)
    with pytest.raises(MalformedMessage, match="out of range"):
        decode_message("cmpctblock", bad.encode())


def test_getblocktxn_differential_indexes() -> None:
    msg = GetBlockTxn(b"\x00" * 32, (1, 2, 10))
    assert msg.encode()[32:] == b"\x03\x01\x00\x07"


@given(st.sampled_from(sorted(MESSAGE_TYPES)), st.binary(max_size=600))
def test_fuzz_random_payloads_raise_only_decode_errors(command: str, payload: bytes) -> None:
    with contextlib.suppress(MalformedMessage):
        decode_message(command, payload)


@given(st.data())
def test_fuzz_mutated_payloads_raise_only_decode_errors(data: st.DataObject) -> None:
    msg = data.draw(st.sampled_from(samples()))
    payload = bytearray(msg.encode())
    for _ in range(data.draw(st.integers(1, 8))):
        kind = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = data.draw(st.integers(0, max(len(payload) - 1, 0)))
        if kind == "flip" and payload:
            payload[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "insert":
            payload[pos:pos] = data.draw(st.binary(min_size=1, max_size=9))
        elif kind == "delete" and payload:
            del payload[pos]
        else:
            del payload[pos:]
    with contextlib.suppress(MalformedMessage):
        decode_message(command_of(msg), bytes(payload))
