"""Hash functions of the protocol (SPEC §1): BLAKE3 (H, XOF, keyed, tagged), HASH160 and the
standard SHA-256 / RIPEMD-160 digests needed for BIP340 internals and the script opcodes.

RIPEMD-160 comes from hashlib when the linked OpenSSL provides it, else from the pure-Python
implementation in this module (`ripemd160_python`), which is tested against the standard
vectors either way.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from typing import Final

from blake3 import blake3 as _blake3

from node.crypto.errors import CryptoError

__all__ = [
    "BLAKE3_KEY_SIZE",
    "HASH160_SIZE",
    "HASH_SIZE",
    "RIPEMD160_BACKEND",
    "H",
    "HashError",
    "blake3_keyed",
    "blake3_xof",
    "hash160",
    "ripemd160",
    "ripemd160_python",
    "sha256",
    "sha256d",
    "tagged_hash",
]

HASH_SIZE: Final = 32
HASH160_SIZE: Final = 20
BLAKE3_KEY_SIZE: Final = 32

# Below this many bytes of message, extending a copy of the cached tag state is faster than
# hashing prefix || data in one call; above it the one-shot call wins (measured: it lets
# BLAKE3 hash whole 1 KiB chunks in parallel).
_TAGGED_COPY_LIMIT: Final = 1024


class HashError(CryptoError):
    """A hash function was called with an argument it does not accept."""


def H(data: bytes) -> bytes:  # noqa: N802 - the protocol's name for BLAKE3-256
    """BLAKE3-256 of `data` (the protocol's H)."""
    return _blake3(data).digest()


def blake3_xof(data: bytes, length: int) -> bytes:
    """The first `length` bytes of BLAKE3's extendable output over `data`."""
    if length < 0:
        raise HashError(f"XOF length must be >= 0, got {length}")
    return _blake3(data).digest(length)


def blake3_keyed(key: bytes, data: bytes) -> bytes:
    """BLAKE3 keyed hash (32-byte output) of `data` under a 32-byte `key`."""
    if len(key) != BLAKE3_KEY_SIZE:
        raise HashError(f"BLAKE3 key must be {BLAKE3_KEY_SIZE} bytes, got {len(key)}")
    return _blake3(data, key=key).digest()


class _TagState:
    """The BLAKE3 state after absorbing BLAKE3(tag) || BLAKE3(tag), kept per tag."""

    __slots__ = ("hasher", "prefix")

    def __init__(self, tag: str) -> None:
        tag_hash = _blake3(tag.encode("ascii")).digest()
        self.prefix = tag_hash + tag_hash
        self.hasher = _blake3(self.prefix)


_TAG_CACHE: dict[str, _TagState] = {}


def tagged_hash(tag: str, data: bytes) -> bytes:
    """H_tag(tag, data) = BLAKE3(BLAKE3(tag) || BLAKE3(tag) || data); `tag` must be ASCII."""
    state = _TAG_CACHE.get(tag)
    if state is None:
        try:
            state = _TagState(tag)
        except UnicodeEncodeError as exc:
            raise HashError(f"tag must be ASCII, got {tag!r}") from exc
        _TAG_CACHE[tag] = state
    if len(data) < _TAGGED_COPY_LIMIT:
        hasher = state.hasher.copy()
        hasher.update(data)
        return hasher.digest()
    return _blake3(state.prefix + data).digest()


def hash160(data: bytes) -> bytes:
    """HASH160(x) = the first 20 bytes of BLAKE3(x) (not Bitcoin's RIPEMD160(SHA256(x)))."""
    return _blake3(data).digest()[:HASH160_SIZE]


def sha256(data: bytes) -> bytes:
    """SHA-256 of `data`."""
    return hashlib.sha256(data).digest()


def sha256d(data: bytes) -> bytes:
    """SHA-256 applied twice (OP_HASH256)."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


# --- RIPEMD-160 ------------------------------------------------------------------------------
# Pure-Python implementation from the algorithm description (Dobbertin, Bosselaers, Preneel).

_MASK32: Final = 0xFFFFFFFF


def _flatten(*rows: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(value for row in rows for value in row)


# Message word selection for the left and right lines, one row of 16 per round.
_R_LEFT: Final = _flatten(
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8),
    (3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12),
    (1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2),
    (4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13),
)
_R_RIGHT: Final = _flatten(
    (5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12),
    (6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2),
    (15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13),
    (8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14),
    (12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11),
)
# Left-rotation amounts.
_S_LEFT: Final = _flatten(
    (11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8),
    (7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12),
    (11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5),
    (11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12),
    (9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6),
)
_S_RIGHT: Final = _flatten(
    (8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6),
    (9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11),
    (9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5),
    (15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8),
    (8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11),
)
_K_LEFT: Final = (0x00000000, 0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xA953FD4E)
_K_RIGHT: Final = (0x50A28BE6, 0x5C4DD124, 0x6D703EF3, 0x7A6D76E9, 0x00000000)
_RMD_IV: Final = (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0)


def _rmd_f(round_: int, x: int, y: int, z: int) -> int:
    """The round's boolean function (round 0..4), on 32-bit words."""
    if round_ == 0:
        return x ^ y ^ z
    if round_ == 1:
        return (x & y) | (~x & z)
    if round_ == 2:
        return (x | ~y) ^ z
    if round_ == 3:
        return (x & z) | (y & ~z)
    return x ^ (y | ~z)


def _rol(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _MASK32


def _rmd_compress(h: list[int], block: bytes) -> None:
    words = struct.unpack("<16I", block)
    al, bl, cl, dl, el = h
    ar, br, cr, dr, er = h
    for j in range(80):
        rnd = j >> 4
        t = al + (_rmd_f(rnd, bl, cl, dl) & _MASK32) + words[_R_LEFT[j]] + _K_LEFT[rnd]
        t = (_rol(t & _MASK32, _S_LEFT[j]) + el) & _MASK32
        al, el, dl, cl, bl = el, dl, _rol(cl, 10), bl, t
        t = ar + (_rmd_f(4 - rnd, br, cr, dr) & _MASK32) + words[_R_RIGHT[j]] + _K_RIGHT[rnd]
        t = (_rol(t & _MASK32, _S_RIGHT[j]) + er) & _MASK32
        ar, er, dr, cr, br = er, dr, _rol(cr, 10), br, t
    t = (h[1] + cl + dr) & _MASK32
    h[1] = (h[2] + dl + er) & _MASK32
    h[2] = (h[3] + el + ar) & _MASK32
    h[3] = (h[4] + al + br) & _MASK32
    h[4] = (h[0] + bl + cr) & _MASK32
    h[0] = t


def ripemd160_python(data: bytes) -> bytes:
    """RIPEMD-160 of `data`, computed in pure Python (fallback when OpenSSL lacks it)."""
    h = list(_RMD_IV)
    bit_length = (len(data) * 8) & 0xFFFFFFFFFFFFFFFF
    padded = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + struct.pack("<Q", bit_length)
    for offset in range(0, len(padded), 64):
        _rmd_compress(h, padded[offset : offset + 64])
    return struct.pack("<5I", *h)


def _hashlib_ripemd160(data: bytes) -> bytes:
    return hashlib.new("ripemd160", data).digest()


def _pick_ripemd160() -> Callable[[bytes], bytes]:
    try:
        hashlib.new("ripemd160", b"")
    except ValueError:  # OpenSSL 3 without the legacy provider
        return ripemd160_python
    return _hashlib_ripemd160


_RIPEMD160_IMPL: Final = _pick_ripemd160()
RIPEMD160_BACKEND: Final = "hashlib" if _RIPEMD160_IMPL is _hashlib_ripemd160 else "python"


def ripemd160(data: bytes) -> bytes:
    """RIPEMD-160 of `data` (hashlib's if available, else the pure-Python one)."""
    return _RIPEMD160_IMPL(data)
