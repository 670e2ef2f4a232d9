"""Framing (SPEC §8): magic, command, length limits and the BLAKE3 checksum; a byte stream
of random or mutated frames raises only DecodeError subclasses."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.p2p.errors import BadChecksum, BadCommand, BadMagic, DecodeError, OversizeMessage
from node.p2p.frame import checksum, decode_frames, decode_header, encode_frame
from node.p2p.messages import command_of, decode_message
from node.p2p.protocol import MAX_BLOCK_PAYLOAD, MAX_PAYLOAD
from node.params import get_params
from tests.node.p2p.samples import samples

MAGIC = get_params("regtest").magic


def test_frame_layout() -> None:
    frame = encode_frame(MAGIC, "ping", b"\x01" * 8)
    assert frame[:4] == MAGIC
    assert frame[4:16] == b"ping" + bytes(8)
    assert struct.unpack("<I", frame[16:20])[0] == 8
    assert frame[20:24] == checksum(b"\x01" * 8)
    assert decode_frames(MAGIC, frame + frame[:10]) == ([("ping", b"\x01" * 8)], frame[:10])


def test_bad_magic() -> None:
    frame = encode_frame(get_params("mainnet").magic, "ping", bytes(8))
    with pytest.raises(BadMagic):
        decode_header(MAGIC, frame[:24])


@pytest.mark.parametrize("raw", [b"ping\x00x" + bytes(6), bytes(12), b"pi ng" + bytes(7),
                                 b"\xffping" + bytes(7)])  # fmt: skip
def test_bad_command_field(raw: bytes) -> None:
    header = MAGIC + raw + struct.pack("<I", 0) + checksum(b"")
    with pytest.raises(BadCommand):
        decode_header(MAGIC, header)


def test_size_limits_per_command() -> None:
    def header(command: str, length: int) -> bytes:
        return MAGIC + command.encode().ljust(12, b"\x00") + struct.pack("<I", length) + bytes(4)

    assert decode_header(MAGIC, header("block", MAX_BLOCK_PAYLOAD)).length == MAX_BLOCK_PAYLOAD
    assert decode_header(MAGIC, header("tx", MAX_PAYLOAD)).length == MAX_PAYLOAD
    with pytest.raises(OversizeMessage):
        decode_header(MAGIC, header("tx", MAX_PAYLOAD + 1))
    with pytest.raises(OversizeMessage):
        decode_header(MAGIC, header("block", MAX_BLOCK_PAYLOAD + 1))
    with pytest.raises(OversizeMessage):
        encode_frame(MAGIC, "inv", bytes(MAX_PAYLOAD + 1))


def test_bad_checksum() -> None:
    frame = bytearray(encode_frame(MAGIC, "ping", bytes(8)))
    frame[-1] ^= 1
    with pytest.raises(BadChecksum):
        decode_frames(MAGIC, bytes(frame))


def _stream_decode(data: bytes) -> None:
    try:
        frames, _ = decode_frames(MAGIC, data)
        for command, payload in frames:
            decode_message(command, payload)
    except DecodeError:
        pass


@given(st.binary(max_size=400))
def test_fuzz_random_streams(data: bytes) -> None:
    _stream_decode(MAGIC + data)
    _stream_decode(data)


@given(st.data())
def test_fuzz_mutated_frames(data: st.DataObject) -> None:
    msg = data.draw(st.sampled_from(samples()))
    frame = bytearray(encode_frame(MAGIC, command_of(msg), msg.encode()))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(frame) - 1))
        frame[pos] = data.draw(st.integers(0, 255))
    _stream_decode(bytes(frame))
