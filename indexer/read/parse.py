"""Validation of user input for the read layer: every function returns the canonical value or
raises `InvalidInput` with a message that never echoes the input (it may be hostile)."""

from __future__ import annotations

import re
from typing import Final

from django.conf import settings

from indexer.read.errors import InvalidInput
from node.api import get_params
from node.crypto.address import (
    AddressError,
    InvalidChecksum,
    InvalidProgramLength,
    NotBech32m,
    UnknownHrp,
    UnsupportedVersion,
    WrongNetwork,
    decode_address,
)

MAX_INT: Final = 2**31 - 1
"""Heights, positions and indexes are 32-bit SQL integers; anything above is rejected."""
MAX_ADDRESS_LEN: Final = 90
"""Longest bech32 string (BIP173)."""

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_DIGITS = re.compile(r"[0-9]{1,10}")
_BECH32_PREFIX = re.compile(r"[a-z0-9]{1,90}")


def hrp() -> str:
    """The address prefix (bech32 HRP) of the configured network."""
    return get_params(settings.RUSTY_NETWORK).bech32_hrp


def parse_hash(text: str, what: str = "hash") -> str:
    """A 32-byte hash or txid as 64 hex characters (any case) -> lowercase hex."""
    if not isinstance(text, str) or not _HEX64.fullmatch(text):
        raise InvalidInput(f"Invalid {what}: expected 64 hexadecimal characters")
    return text.lower()


def parse_uint(text: str, what: str = "number", maximum: int = MAX_INT) -> int:
    """A non-negative decimal integer (no sign, no spaces) of at most `maximum`."""
    if not isinstance(text, str) or not _DIGITS.fullmatch(text):
        raise InvalidInput(f"Invalid {what}: expected a non-negative integer")
    value = int(text)
    if value > maximum:
        raise InvalidInput(f"Invalid {what}: must be at most {maximum}")
    return value


def parse_height(text: str) -> int:
    """A block height (0 .. 2^31-1)."""
    return parse_uint(text, "block height")


def parse_address(text: str) -> str:
    """An address of the configured network -> its canonical (lowercase) bech32m form.

    The message says what is wrong (checksum, wrong network, version, ...), as the node's
    `validateaddress` does.
    """
    if not isinstance(text, str) or not 0 < len(text) <= MAX_ADDRESS_LEN or not text.isascii():
        raise InvalidAddress("Invalid address: expected a bech32m address of this network")
    try:
        return str(decode_address(text, hrp()))
    except AddressError as exc:
        raise InvalidAddress(f"Invalid address: {_address_reason(exc)}") from None


def parse_address_prefix(text: str) -> str:
    """The start of an address: 1..90 characters of lowercase letters and digits."""
    if not isinstance(text, str) or not _BECH32_PREFIX.fullmatch(text.lower()):
        raise InvalidInput(
            "Invalid address prefix: expected 1 to 90 letters or digits of a bech32 address"
        )
    return text.lower()


class InvalidAddress(InvalidInput):
    """The text is not an address of the configured network."""


def _address_reason(exc: AddressError) -> str:
    """Why decoding failed, without quoting the (possibly hostile) input."""
    if isinstance(exc, InvalidChecksum):
        return "bad bech32m checksum"
    if isinstance(exc, NotBech32m):
        return "it has a bech32 (BIP173) checksum; Rusty Coin addresses use bech32m (BIP350)"
    if isinstance(exc, WrongNetwork | UnsupportedVersion | InvalidProgramLength):
        return str(exc)  # names only the known prefix / version / length, not the input
    if isinstance(exc, UnknownHrp):
        return f"unknown address prefix; this network's addresses start with {hrp()}1"
    return "not a well-formed bech32m address"
