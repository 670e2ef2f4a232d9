"""P2P errors: `P2PError` (the package root), the decoder's errors and misbehaviour.

The frame and message decoders raise only `DecodeError` subclasses (never a bare
SerializationError, ValueError or struct.error), so the peer loop can score one kind of
error. `Misbehaving` carries the score a peer earns for a protocol violation.
"""

from __future__ import annotations

from node.errors import RustyError


class P2PError(RustyError):
    """Root of every error raised by node.p2p."""


class DecodeError(P2PError):
    """A frame or payload could not be decoded; `score` is the misbehaviour it earns."""

    score = 50


class BadMagic(DecodeError):
    """The frame does not start with this network's magic (the stream is garbage)."""

    score = 100


class BadCommand(DecodeError):
    """The command field is not NUL-padded printable ASCII."""

    score = 100


class OversizeMessage(DecodeError):
    """The frame announces a payload above the limit for its command."""

    score = 100


class BadChecksum(DecodeError):
    """The payload's BLAKE3 checksum does not match the frame header."""

    score = 50


class MalformedMessage(DecodeError):
    """A payload that does not decode as its command (truncated, trailing, over a limit)."""

    score = 50


class Misbehaving(P2PError):
    """A peer broke a protocol rule; `score` is added to its misbehaviour score."""

    def __init__(self, score: int, reason: str) -> None:
        super().__init__(f"{reason} (+{score})")
        self.score = score
        self.reason = reason


class BadAddress(P2PError):
    """A host, port or subnet given by an operator (option or RPC) that cannot be parsed."""
