"""Message framing (SPEC §8): `magic[4] | command[12] | length u32 | checksum[4] | payload`.

`checksum` = first 4 bytes of BLAKE3(payload). The header is checked before the payload
is read: magic, command (printable ASCII, NUL-padded, no byte after the first NUL),
length against the command's limit (32 MiB for block, cmpctblock and blocktxn; 2 MiB for
everything else). Only `DecodeError` subclasses are raised.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import blake3

from node.p2p.errors import BadChecksum, BadCommand, BadMagic, OversizeMessage
from node.p2p.protocol import (
    COMMAND_LEN,
    HEADER_LEN,
    LARGE_COMMANDS,
    MAX_BLOCK_PAYLOAD,
    MAX_PAYLOAD,
)

_HEADER = struct.Struct("<4s12sI4s")
assert _HEADER.size == HEADER_LEN


def checksum(payload: bytes) -> bytes:
    """First 4 bytes of BLAKE3(payload)."""
    return blake3.blake3(payload).digest()[:4]


def payload_limit(command: str) -> int:
    return MAX_BLOCK_PAYLOAD if command in LARGE_COMMANDS else MAX_PAYLOAD


def encode_frame(magic: bytes, command: str, payload: bytes) -> bytes:
    """One framed message."""
    raw = command.encode("ascii")
    if not 0 < len(raw) <= COMMAND_LEN:
        raise BadCommand(f"command {command!r} must be 1..{COMMAND_LEN} ASCII bytes")
    if len(payload) > payload_limit(command):
        raise OversizeMessage(f"{command}: payload of {len(payload)} bytes is over the limit")
    return _HEADER.pack(magic, raw, len(payload), checksum(payload)) + payload


@dataclass(frozen=True, slots=True)
class FrameHeader:
    """A decoded and checked frame header."""

    command: str
    length: int
    checksum: bytes

    def check_payload(self, payload: bytes) -> None:
        """Raise BadChecksum unless `payload` matches the header's checksum."""
        if checksum(payload) != self.checksum:
            raise BadChecksum(f"{self.command}: bad checksum")


def decode_command(raw: bytes) -> str:
    """The command of a 12-byte field; BadCommand unless printable ASCII then only NULs."""
    name = raw.rstrip(b"\x00")
    if not name or b"\x00" in name or any(not 0x20 < c < 0x7F for c in name):
        raise BadCommand(f"bad command field {raw!r}")
    return name.decode("ascii")


def decode_header(magic: bytes, raw: bytes) -> FrameHeader:
    """Check a 24-byte frame header; raises BadMagic, BadCommand or OversizeMessage."""
    if len(raw) != HEADER_LEN:
        raise BadMagic(f"a frame header is {HEADER_LEN} bytes, got {len(raw)}")
    got_magic, raw_command, length, check = _HEADER.unpack(raw)
    if got_magic != magic:
        raise BadMagic(f"bad magic {got_magic.hex()} (expected {magic.hex()})")
    command = decode_command(raw_command)
    limit = payload_limit(command)
    if length > limit:
        raise OversizeMessage(f"{command}: payload of {length} bytes over the limit {limit}")
    return FrameHeader(command, length, check)


def decode_frames(magic: bytes, data: bytes) -> tuple[list[tuple[str, bytes]], bytes]:
    """Split a byte buffer into checked (command, payload) pairs and the unfinished rest.

    Used by tests and raw clients; the node's peer loop reads frames from its stream.
    """
    out: list[tuple[str, bytes]] = []
    pos = 0
    while len(data) - pos >= HEADER_LEN:
        header = decode_header(magic, data[pos : pos + HEADER_LEN])
        end = pos + HEADER_LEN + header.length
        if end > len(data):
            break
        payload = data[pos + HEADER_LEN : end]
        header.check_payload(payload)
        out.append((header.command, payload))
        pos = end
    return out, data[pos:]
