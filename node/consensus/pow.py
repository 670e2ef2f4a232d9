"""Proof of work: OxideHash (SPEC §4), compact target encoding and chain work.

OxideHash is a small memory-hard loop over a BLAKE3-XOF pad derived from the header:
``seed = H(header)``, ``pad = BLAKE3-XOF(seed, P)``, ``acc = seed``, then R rounds of
``j = u32le(acc[0:4]) mod (P/32); acc = H(acc || pad[32j:32j+32] || u32le(i))``. The header
is valid when ``int.from_bytes(acc, "little") <= target(bits)``.
"""

from __future__ import annotations

import struct

import blake3

from node.consensus.errors import HighHash, InvalidBits
from node.params import ChainParams

_U32 = struct.Struct("<I")
_ROUND_SUFFIX = tuple(_U32.pack(i) for i in range(256))


def oxidehash(header_bytes: bytes, pad_bytes: int, rounds: int) -> bytes:
    """The 32-byte OxideHash of a serialized header for pad size `pad_bytes` and `rounds`."""
    if pad_bytes < 32 or pad_bytes % 32:
        raise ValueError(f"pad_bytes must be a positive multiple of 32, got {pad_bytes}")
    seed = blake3.blake3(header_bytes).digest()
    pad = memoryview(blake3.blake3(seed).digest(length=pad_bytes))
    slots = pad_bytes // 32
    acc = seed
    unpack = _U32.unpack_from
    suffixes = _ROUND_SUFFIX if rounds <= len(_ROUND_SUFFIX) else None
    for i in range(rounds):
        j = unpack(acc, 0)[0] % slots
        suffix = suffixes[i] if suffixes is not None else _U32.pack(i)
        hasher = blake3.blake3(acc)
        hasher.update(pad[32 * j : 32 * j + 32])
        hasher.update(suffix)
        acc = hasher.digest()
    return acc


def pow_value(header_bytes: bytes, params: ChainParams) -> int:
    """OxideHash of the header as the little-endian integer compared against the target."""
    digest = oxidehash(header_bytes, params.oxide_pad_bytes, params.oxide_rounds)
    return int.from_bytes(digest, "little")


def target_from_bits(bits: int) -> int:
    """Decode Bitcoin's compact encoding; negative, overflowing or zero targets are invalid."""
    if not 0 <= bits <= 0xFFFFFFFF:
        raise InvalidBits(f"bits {bits} is not a u32")
    size = bits >> 24
    mantissa = bits & 0x007FFFFF
    if bits & 0x00800000 and mantissa:
        raise InvalidBits(f"bits 0x{bits:08x} encodes a negative target")
    if mantissa and (
        size > 34 or (mantissa > 0xFF and size > 33) or (mantissa > 0xFFFF and size > 32)
    ):
        raise InvalidBits(f"bits 0x{bits:08x} overflows 256 bits")
    target = mantissa >> (8 * (3 - size)) if size <= 3 else mantissa << (8 * (size - 3))
    if target == 0:
        raise InvalidBits(f"bits 0x{bits:08x} encodes a zero target")
    return target


def bits_from_target(target: int) -> int:
    """Encode a positive target in compact form (rounding down, as Bitcoin's GetCompact)."""
    if target <= 0 or target.bit_length() > 256:
        raise InvalidBits(f"target must be in 1..2^256-1, got {target}")
    size = (target.bit_length() + 7) // 8
    mantissa = target << (8 * (3 - size)) if size <= 3 else target >> (8 * (size - 3))
    if mantissa & 0x00800000:
        mantissa >>= 8
        size += 1
    return (size << 24) | mantissa


def checked_target(bits: int, params: ChainParams) -> int:
    """The target of `bits`, refusing encodings above the network's pow_limit."""
    target = target_from_bits(bits)
    if target > params.pow_limit:
        raise InvalidBits(
            f"bits 0x{bits:08x} is easier than the {params.name} pow_limit", reason="bad-diffbits"
        )
    return target


def check_proof_of_work(header_bytes: bytes, bits: int, params: ChainParams) -> None:
    """Raise InvalidBits or HighHash unless the header's OxideHash meets `bits`.

    Whether `bits` is the *expected* value for the header's position (LWMA) is a contextual
    check made by the chainstate; this is the context-free part.
    """
    target = checked_target(bits, params)
    value = pow_value(header_bytes, params)
    if value > target:
        raise HighHash(f"proof of work {value:#066x} above target {target:#066x}")


def block_work(bits: int) -> int:
    """Expected hashes to find a block at `bits`: 2^256 / (target + 1), floored."""
    return (1 << 256) // (target_from_bits(bits) + 1)
