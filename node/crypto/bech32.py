"""Generic bech32 (BIP173) and bech32m (BIP350) strings: checksum, encode, decode and the
5-bit/8-bit regrouping (`convertbits`), with one precise error class per way a string can
be wrong. Nothing here knows about addresses; `node.crypto.address` builds on it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from node.crypto.errors import CryptoError

__all__ = [
    "CHARSET",
    "DEFAULT_MAX_LENGTH",
    "Bech32CaseError",
    "Bech32CharacterError",
    "Bech32ChecksumError",
    "Bech32Decoded",
    "Bech32Error",
    "Bech32HrpError",
    "Bech32LengthError",
    "Bech32PaddingError",
    "Bech32SeparatorError",
    "Bech32ValueError",
    "Encoding",
    "bech32_decode",
    "bech32_encode",
    "convertbits",
]

CHARSET: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_REV: Final = {char: value for value, char in enumerate(CHARSET)}
# BIP173: "The human-readable part ... 1 to 83 US-ASCII characters"; whole string <= 90.
DEFAULT_MAX_LENGTH: Final = 90
MAX_HRP_LENGTH: Final = 83
CHECKSUM_LENGTH: Final = 6
SEPARATOR: Final = "1"
_GENERATOR: Final = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


class Encoding(enum.Enum):
    """Checksum variant; the value is the constant the polymod must equal."""

    BECH32 = 1
    BECH32M = 0x2BC830A3


class Bech32Error(CryptoError):
    """Base class of bech32/bech32m errors."""


class Bech32CharacterError(Bech32Error):
    """A character outside US-ASCII 33..126, or a data character not in the charset."""


class Bech32CaseError(Bech32Error):
    """The string mixes upper and lower case."""


class Bech32LengthError(Bech32Error):
    """The string is too long, or its data part is shorter than the 6-character checksum."""


class Bech32SeparatorError(Bech32Error):
    """The string has no '1' separator."""


class Bech32HrpError(Bech32Error):
    """The human-readable part is empty, too long or has an invalid character."""


class Bech32ChecksumError(Bech32Error):
    """The checksum is neither a valid bech32 nor a valid bech32m checksum."""


class Bech32PaddingError(Bech32Error):
    """Bit regrouping left more than 4 padding bits, or padding bits that are not zero."""


class Bech32ValueError(Bech32Error):
    """A value given to the encoder or to convertbits is out of range."""


@dataclass(frozen=True, slots=True)
class Bech32Decoded:
    """A decoded string: lowercase HRP, 5-bit data values (checksum removed), variant."""

    hrp: str
    data: tuple[int, ...]
    encoding: Encoding


def _polymod(values: Iterable[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _GENERATOR[i]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    codes = [ord(char) for char in hrp]
    return [code >> 5 for code in codes] + [0] + [code & 31 for code in codes]


def _create_checksum(hrp: str, data: Sequence[int], encoding: Encoding) -> list[int]:
    polymod = _polymod([*_hrp_expand(hrp), *data, 0, 0, 0, 0, 0, 0]) ^ encoding.value
    return [(polymod >> 5 * (5 - i)) & 31 for i in range(CHECKSUM_LENGTH)]


def _check_hrp(hrp: str) -> None:
    if not hrp:
        raise Bech32HrpError("empty human-readable part")
    if len(hrp) > MAX_HRP_LENGTH:
        raise Bech32HrpError(f"human-readable part longer than {MAX_HRP_LENGTH} characters")
    for char in hrp:
        if not 33 <= ord(char) <= 126:
            raise Bech32HrpError(f"human-readable part character {char!r} out of range")


def bech32_encode(
    hrp: str,
    data: Sequence[int],
    encoding: Encoding,
    *,
    max_length: int = DEFAULT_MAX_LENGTH,
) -> str:
    """Encode `hrp` and 5-bit `data` values with the checksum of `encoding` (lowercase)."""
    _check_hrp(hrp)
    if hrp.lower() != hrp:
        raise Bech32HrpError("human-readable part must be lowercase to encode")
    for value in data:
        if not 0 <= value < 32:
            raise Bech32ValueError(f"data value {value} is not a 5-bit value")
    length = len(hrp) + 1 + len(data) + CHECKSUM_LENGTH
    if length > max_length:
        raise Bech32LengthError(f"encoded string would be {length} > {max_length} characters")
    combined = [*data, *_create_checksum(hrp, data, encoding)]
    return hrp + SEPARATOR + "".join(CHARSET[value] for value in combined)


def bech32_decode(text: str, *, max_length: int = DEFAULT_MAX_LENGTH) -> Bech32Decoded:
    """Decode a bech32 or bech32m string, telling which variant its checksum is.

    Checks, in BIP173 order: characters in 33..126, not mixed case, overall length, a
    separator, a non-empty HRP, a data part of at least 6 characters, data characters from
    the charset, then the checksum. Upper-case input is accepted; the HRP is returned lowercase.
    """
    for char in text:
        if not 33 <= ord(char) <= 126:
            raise Bech32CharacterError(f"character {char!r} out of range (US-ASCII 33..126)")
    lower = text.lower()
    if lower != text and text.upper() != text:
        raise Bech32CaseError("mixed upper and lower case")
    if len(text) > max_length:
        raise Bech32LengthError(f"string is {len(text)} > {max_length} characters")
    pos = lower.rfind(SEPARATOR)
    if pos < 0:
        raise Bech32SeparatorError("no '1' separator")
    hrp, data_part = lower[:pos], lower[pos + 1 :]
    _check_hrp(hrp)
    if len(data_part) < CHECKSUM_LENGTH:
        raise Bech32LengthError(
            f"data part is {len(data_part)} characters, shorter than the {CHECKSUM_LENGTH}-"
            "character checksum"
        )
    try:
        values = [_CHARSET_REV[char] for char in data_part]
    except KeyError as exc:
        raise Bech32CharacterError(f"invalid data character {exc.args[0]!r}") from None
    polymod = _polymod([*_hrp_expand(hrp), *values])
    if polymod == Encoding.BECH32M.value:
        encoding = Encoding.BECH32M
    elif polymod == Encoding.BECH32.value:
        encoding = Encoding.BECH32
    else:
        raise Bech32ChecksumError("invalid checksum")
    return Bech32Decoded(hrp, tuple(values[:-CHECKSUM_LENGTH]), encoding)


def convertbits(data: Iterable[int], frombits: int, tobits: int, *, pad: bool) -> list[int]:
    """Regroup `frombits`-bit values into `tobits`-bit values (big-endian bit order).

    With `pad`, a final partial group is zero-padded. Without it (decoding), a leftover of
    `frombits` or more bits, or any non-zero leftover bit, raises Bech32PaddingError.
    """
    if not (0 < frombits <= 8 and 0 < tobits <= 8):
        raise Bech32ValueError("bit widths must be in 1..8")
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << tobits) - 1
    max_acc = (1 << (frombits + tobits - 1)) - 1
    for value in data:
        if value < 0 or value >> frombits:
            raise Bech32ValueError(f"value {value} does not fit in {frombits} bits")
        acc = ((acc << frombits) | value) & max_acc
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits:
        raise Bech32PaddingError(f"{bits} bits of padding, more than {frombits - 1}")
    elif (acc << (tobits - bits)) & maxv:
        raise Bech32PaddingError("non-zero padding bits")
    return out
