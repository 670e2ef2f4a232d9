"""node.crypto.bech32: the BIP173 and BIP350 test vectors (valid and invalid strings with the
error class for each reason, and the segwit address vectors through convertbits), encoder
errors, and regrouping round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.crypto.bech32 import (
    CHARSET,
    Bech32CaseError,
    Bech32CharacterError,
    Bech32ChecksumError,
    Bech32Error,
    Bech32HrpError,
    Bech32LengthError,
    Bech32PaddingError,
    Bech32SeparatorError,
    Bech32ValueError,
    Encoding,
    bech32_decode,
    bech32_encode,
    convertbits,
)
from node.crypto.errors import CryptoError
from tests.node.crypto.vectors import load_json

VECTORS = load_json("bech32_vectors.json")

# The BIPs' reasons, lowercased, and the error each must produce.
REASON_ERRORS: dict[str, type[Bech32Error]] = {
    "hrp character out of range": Bech32CharacterError,
    "overall max length exceeded": Bech32LengthError,
    "no separator character": Bech32SeparatorError,
    "empty hrp": Bech32HrpError,
    "invalid data character": Bech32CharacterError,
    "too short checksum": Bech32LengthError,
    "invalid character in checksum": Bech32CharacterError,
    "checksum calculated with uppercase form of hrp": Bech32ChecksumError,
}


@pytest.mark.parametrize("text", VECTORS["bip173_valid_bech32"])
def test_bip173_valid_strings_decode_as_bech32(text: str) -> None:
    decoded = bech32_decode(text)
    assert decoded.encoding is Encoding.BECH32
    assert bech32_encode(decoded.hrp, decoded.data, Encoding.BECH32) == text.lower()
    # The same payload under the other constant is a different string.
    assert bech32_encode(decoded.hrp, decoded.data, Encoding.BECH32M) != text.lower()


@pytest.mark.parametrize("text", VECTORS["bip350_valid_bech32m"])
def test_bip350_valid_strings_decode_as_bech32m(text: str) -> None:
    decoded = bech32_decode(text)
    assert decoded.encoding is Encoding.BECH32M
    assert bech32_encode(decoded.hrp, decoded.data, Encoding.BECH32M) == text.lower()


def test_decoded_contents() -> None:
    empty = bech32_decode("A1LQFN3A")
    assert (empty.hrp, empty.data, empty.encoding) == ("a", (), Encoding.BECH32M)
    charset = bech32_decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")
    assert charset.hrp == "abcdef"
    assert charset.data == tuple(range(32))
    reverse = bech32_decode("abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx")
    assert reverse.data == tuple(range(31, -1, -1))
    assert bech32_decode("?1ezyfcl").hrp == "?"


@pytest.mark.parametrize(
    ("text", "reason"),
    VECTORS["bip173_invalid_bech32"] + VECTORS["bip350_invalid_bech32m"],
    ids=lambda value: repr(value)[:24],
)
def test_invalid_strings_raise_the_precise_error(text: str, reason: str) -> None:
    with pytest.raises(REASON_ERRORS[reason.lower()]):
        bech32_decode(text)


def test_mixed_case_is_rejected() -> None:
    with pytest.raises(Bech32CaseError):
        bech32_decode("A1lqfn3a")
    with pytest.raises(Bech32CaseError):
        bech32_decode("a1LQFN3A")


def test_length_limit_is_configurable() -> None:
    long_valid = VECTORS["bip350_valid_bech32m"][2]  # exactly 90 characters
    assert len(long_valid) == 90
    assert bech32_decode(long_valid).encoding is Encoding.BECH32M
    with pytest.raises(Bech32LengthError, match="90 > 89"):
        bech32_decode(long_valid, max_length=89)


def test_every_single_substitution_is_detected() -> None:
    text = "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx"
    start = text.rfind("1") + 1
    for i in range(start, len(text)):
        for char in CHARSET:
            if char == text[i]:
                continue
            with pytest.raises(Bech32ChecksumError):
                bech32_decode(text[:i] + char + text[i + 1 :])


def test_errors_derive_from_crypto_error() -> None:
    for error in (*REASON_ERRORS.values(), Bech32CaseError, Bech32PaddingError, Bech32ValueError):
        assert issubclass(error, Bech32Error)
    assert issubclass(Bech32Error, CryptoError)


# --- encoder ---------------------------------------------------------------------------------


def test_encode_rejects_bad_input() -> None:
    with pytest.raises(Bech32HrpError, match="lowercase"):
        bech32_encode("RC", [0], Encoding.BECH32M)
    with pytest.raises(Bech32HrpError, match="empty"):
        bech32_encode("", [0], Encoding.BECH32M)
    with pytest.raises(Bech32HrpError, match="out of range"):
        bech32_encode("r c", [0], Encoding.BECH32M)
    with pytest.raises(Bech32HrpError, match="longer"):
        bech32_encode("a" * 84, [], Encoding.BECH32M, max_length=200)
    with pytest.raises(Bech32ValueError):
        bech32_encode("rc", [32], Encoding.BECH32M)
    with pytest.raises(Bech32ValueError):
        bech32_encode("rc", [-1], Encoding.BECH32M)
    with pytest.raises(Bech32LengthError):
        bech32_encode("rc", [0] * 82, Encoding.BECH32M)
    assert len(bech32_encode("rc", [0] * 81, Encoding.BECH32M)) == 90


@given(
    hrp=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789!?-", min_size=1, max_size=10),
    data=st.lists(st.integers(min_value=0, max_value=31), max_size=60),
    encoding=st.sampled_from(Encoding),
)
def test_encode_decode_round_trip(hrp: str, data: list[int], encoding: Encoding) -> None:
    text = bech32_encode(hrp, data, encoding)
    decoded = bech32_decode(text)
    assert (decoded.hrp, list(decoded.data), decoded.encoding) == (hrp, data, encoding)
    assert bech32_decode(text.upper()) == decoded


# --- convertbits -----------------------------------------------------------------------------


@given(st.binary(max_size=80))
def test_convertbits_round_trip(payload: bytes) -> None:
    five = convertbits(payload, 8, 5, pad=True)
    assert all(0 <= value < 32 for value in five)
    assert len(five) == (len(payload) * 8 + 4) // 5
    assert bytes(convertbits(five, 5, 8, pad=False)) == payload


def test_convertbits_padding_errors() -> None:
    # One 5-bit group holds no whole byte: 5 bits of padding, more than 4.
    with pytest.raises(Bech32PaddingError, match="more than 4"):
        convertbits([0], 5, 8, pad=False)
    # Two groups = 10 bits: one byte plus 2 padding bits that must be zero.
    assert convertbits([0b11111, 0b11100], 5, 8, pad=False) == [0xFF]
    with pytest.raises(Bech32PaddingError, match="non-zero"):
        convertbits([0b11111, 0b11101], 5, 8, pad=False)


def test_convertbits_rejects_out_of_range_values() -> None:
    with pytest.raises(Bech32ValueError):
        convertbits([32], 5, 8, pad=False)
    with pytest.raises(Bech32ValueError):
        convertbits([256], 8, 5, pad=True)
    with pytest.raises(Bech32ValueError):
        convertbits([-1], 8, 5, pad=True)
    with pytest.raises(Bech32ValueError):
        convertbits([1], 0, 5, pad=True)


# --- BIP350 segwit vectors, decoded with the generic functions -------------------------------


def _segwit_decode(address: str) -> bytes:
    """BIP350 segwit address -> scriptPubKey, raising Bech32Error/ValueError when invalid."""
    decoded = bech32_decode(address)
    if decoded.hrp not in {"bc", "tb"}:
        raise ValueError("invalid human-readable part")
    if not decoded.data:
        raise ValueError("empty data section")
    version = decoded.data[0]
    if version > 16:
        raise ValueError("invalid witness version")
    want = Encoding.BECH32 if version == 0 else Encoding.BECH32M
    if decoded.encoding is not want:
        raise Bech32ChecksumError("wrong checksum variant for the witness version")
    program = bytes(convertbits(decoded.data[1:], 5, 8, pad=False))
    if not 2 <= len(program) <= 40 or (version == 0 and len(program) not in (20, 32)):
        raise ValueError("invalid program length")
    return bytes([version + 0x50 if version else 0, len(program)]) + program


@pytest.mark.parametrize(("address", "script_hex"), VECTORS["bip350_valid_segwit"])
def test_bip350_valid_segwit_addresses(address: str, script_hex: str) -> None:
    script = _segwit_decode(address)
    assert script.hex() == script_hex
    version = script[0] - 0x50 if script[0] else 0
    encoding = Encoding.BECH32 if version == 0 else Encoding.BECH32M
    hrp = address.lower().split("1", 1)[0]
    data = [version, *convertbits(script[2:], 8, 5, pad=True)]
    assert bech32_encode(hrp, data, encoding) == address.lower()


SEGWIT_REASON_ERRORS: dict[str, type[Exception]] = {
    "mixed case": Bech32CaseError,
    "invalid character in checksum": Bech32CharacterError,
    "zero padding of more than 4 bits": Bech32PaddingError,
    "non-zero padding in 8-to-5 conversion": Bech32PaddingError,
}


@pytest.mark.parametrize(("address", "reason"), VECTORS["bip350_invalid_segwit"])
def test_bip350_invalid_segwit_addresses(address: str, reason: str) -> None:
    reason = reason.lower()
    if reason.startswith("invalid checksum"):
        expected: type[Exception] = Bech32ChecksumError
    else:
        expected = SEGWIT_REASON_ERRORS.get(reason, ValueError)
    with pytest.raises(expected):
        _segwit_decode(address)
