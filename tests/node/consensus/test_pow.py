"""OxideHash, compact target encoding and chain work (SPEC §4)."""

from __future__ import annotations

import dataclasses
import struct

import blake3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.consensus.errors import HighHash, InvalidBits
from node.consensus.pow import (
    bits_from_target,
    block_work,
    check_proof_of_work,
    checked_target,
    oxidehash,
    pow_value,
    target_from_bits,
)
from node.params import MAINNET, REGTEST


def reference_oxidehash(header: bytes, pad_bytes: int, rounds: int) -> bytes:
    """SPEC §4 written as literally as possible, to check the optimised implementation."""
    seed = blake3.blake3(header).digest()
    pad = blake3.blake3(seed).digest(length=pad_bytes)
    acc = seed
    for i in range(rounds):
        j = int.from_bytes(acc[0:4], "little") % (pad_bytes // 32)
        acc = blake3.blake3(acc + pad[32 * j : 32 * j + 32] + struct.pack("<I", i)).digest()
    return acc


@given(header=st.binary(min_size=160, max_size=160), rounds=st.integers(0, 300))
def test_oxidehash_matches_the_spec_formula(header: bytes, rounds: int) -> None:
    assert oxidehash(header, 4096, rounds) == reference_oxidehash(header, 4096, rounds)


def test_oxidehash_with_mainnet_pad_matches_reference() -> None:
    header = bytes(range(160))
    assert oxidehash(header, MAINNET.oxide_pad_bytes, 64) == reference_oxidehash(
        header, MAINNET.oxide_pad_bytes, 64
    )


def test_oxidehash_depends_on_every_header_byte() -> None:
    header = bytearray(160)
    base = oxidehash(bytes(header), 4096, 4)
    for i in range(160):
        header[i] ^= 1
        assert oxidehash(bytes(header), 4096, 4) != base
        header[i] ^= 1


@pytest.mark.parametrize("pad", [0, 31, 33, 100])
def test_oxidehash_rejects_bad_pad_sizes(pad: int) -> None:
    with pytest.raises(ValueError, match="multiple of 32"):
        oxidehash(bytes(160), pad, 4)


# Bitcoin Core's arith_uint256 SetCompact cases.
@pytest.mark.parametrize(
    ("bits", "target"),
    [
        (0x01123456, 0x12),
        (0x02123456, 0x1234),
        (0x03123456, 0x123456),
        (0x04123456, 0x12345600),
        (0x05009234, 0x92340000),
        (0x20123456, 0x1234560000000000000000000000000000000000000000000000000000000000),
        (0x1D00FFFF, 0xFFFF << 208),
        (0x207FFFFF, 0x7FFFFF << 232),
    ],
)
def test_target_from_bits_known_values(bits: int, target: int) -> None:
    assert target_from_bits(bits) == target


@pytest.mark.parametrize(
    ("bits", "why"),
    [
        (0x04923456, "negative"),
        (0x01FEDCBA, "negative"),
        (0xFF123456, "overflows"),
        (0x23000001, "overflows"),
        (0x22000100, "overflows"),
        (0x21010000, "overflows"),
        (0x00000000, "zero"),
        (0x01003456, "zero"),
        (0x00123456, "zero"),
    ],
)
def test_target_from_bits_rejects_bad_encodings(bits: int, why: str) -> None:
    with pytest.raises(InvalidBits, match=why) as info:
        target_from_bits(bits)
    assert info.value.reason == "bad-diffbits"


@pytest.mark.parametrize("bits", [-1, 1 << 32])
def test_target_from_bits_rejects_non_u32(bits: int) -> None:
    with pytest.raises(InvalidBits, match="u32"):
        target_from_bits(bits)


@given(st.integers(min_value=1, max_value=(1 << 256) - 1))
def test_bits_round_trip_keeps_the_top_bits(target: int) -> None:
    bits = bits_from_target(target)
    decoded = target_from_bits(bits)
    assert decoded <= target
    # Compact form keeps at least 15 significant bits (mantissa 0x8000..0x7fffff).
    assert target - decoded < max(1, target >> 15)
    assert bits_from_target(decoded) == bits


@pytest.mark.parametrize("target", [0, -5, 1 << 256])
def test_bits_from_target_rejects_out_of_range(target: int) -> None:
    with pytest.raises(InvalidBits):
        bits_from_target(target)


def test_checked_target_refuses_targets_above_pow_limit() -> None:
    assert checked_target(bits_from_target(MAINNET.pow_limit), MAINNET) <= MAINNET.pow_limit
    with pytest.raises(InvalidBits, match="pow_limit"):
        checked_target(bits_from_target(REGTEST.pow_limit), MAINNET)


def test_check_proof_of_work_accepts_and_rejects() -> None:
    params = dataclasses.replace(REGTEST, pow_limit=(1 << 251) - 1)  # 1 in 32 headers pass
    bits = bits_from_target(params.pow_limit)
    target = target_from_bits(bits)
    header = bytearray(160)
    good = bad = None
    for nonce in range(5000):
        header[152:160] = nonce.to_bytes(8, "little")
        value = pow_value(bytes(header), params)
        if value <= target and good is None:
            good = bytes(header)
        if value > target and bad is None:
            bad = bytes(header)
        if good and bad:
            break
    assert good is not None
    assert bad is not None
    check_proof_of_work(good, bits, params)
    with pytest.raises(HighHash) as info:
        check_proof_of_work(bad, bits, params)
    assert info.value.reason == "high-hash"
    assert str(info.value).startswith("high-hash: ")


def test_block_work() -> None:
    assert block_work(0x207FFFFF) == (1 << 256) // ((0x7FFFFF << 232) + 1)
    assert block_work(0x1D00FFFF) == 0x100010001
    assert block_work(0x1D00FFFF) > block_work(0x1E00FFFF)
