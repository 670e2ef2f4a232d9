"""node.crypto.address: bech32m address round trips for every network and version, the
P2PKH/P2SH program derivations, and one test per error class."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.crypto import bech32
from node.crypto.address import (
    KNOWN_HRPS,
    MAX_ADDRESS_LENGTH,
    P2PKH_VERSION,
    P2SH_VERSION,
    Address,
    AddressError,
    InvalidAddressEncoding,
    InvalidChecksum,
    InvalidPadding,
    InvalidProgramLength,
    NotBech32m,
    UnknownHrp,
    UnsupportedVersion,
    WrongNetwork,
    decode_address,
    encode_address,
    p2pkh_address,
    p2sh_address,
)
from node.crypto.errors import CryptoError
from node.crypto.hashes import H, hash160

HRPS = sorted(KNOWN_HRPS)
PKH = bytes(range(20))
SH = bytes(range(100, 132))


def _raw(hrp: str, data: list[int], encoding: bech32.Encoding = bech32.Encoding.BECH32M) -> str:
    """A bech32(m) string from raw 5-bit data, bypassing the address checks."""
    return bech32.bech32_encode(hrp, data, encoding)


def _data(version: int, program: bytes) -> list[int]:
    return [version, *bech32.convertbits(program, 8, 5, pad=True)]


def test_constants() -> None:
    assert (P2PKH_VERSION, P2SH_VERSION) == (0, 1)
    assert KNOWN_HRPS == {"rc": "mainnet", "trc": "testnet", "rcrt": "regtest", "rcdv": "devnet"}
    assert MAX_ADDRESS_LENGTH == 90


@pytest.mark.parametrize("hrp", HRPS)
@pytest.mark.parametrize(("version", "program"), [(P2PKH_VERSION, PKH), (P2SH_VERSION, SH)])
def test_round_trip_each_network_and_version(hrp: str, version: int, program: bytes) -> None:
    text = encode_address(hrp, version, program)
    assert text == str(Address(hrp, version, program))
    assert text.startswith(hrp + "1")
    assert text == text.lower()
    decoded = decode_address(text, hrp)
    assert decoded == Address(hrp, version, program)
    assert decoded.network == KNOWN_HRPS[hrp]
    assert decode_address(text.upper(), hrp) == decoded
    # The data part is bech32m over version || program.
    raw = bech32.bech32_decode(text)
    assert raw.encoding is bech32.Encoding.BECH32M
    assert list(raw.data) == _data(version, program)


@given(
    hrp=st.sampled_from(HRPS),
    version=st.sampled_from([P2PKH_VERSION, P2SH_VERSION]),
    data=st.data(),
)
def test_round_trip_any_program(hrp: str, version: int, data: st.DataObject) -> None:
    size = 20 if version == P2PKH_VERSION else 32
    program = data.draw(st.binary(min_size=size, max_size=size))
    assert decode_address(encode_address(hrp, version, program), hrp).program == program


def test_longest_address_fits_the_limit() -> None:
    longest = encode_address("rcdv", P2SH_VERSION, SH)
    assert len(longest) == 64 <= MAX_ADDRESS_LENGTH
    assert len(encode_address("rc", P2PKH_VERSION, PKH)) == 42


def test_p2pkh_and_p2sh_programs() -> None:
    pubkey = bytes.fromhex("DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659")
    assert p2pkh_address("rc", pubkey) == Address("rc", P2PKH_VERSION, hash160(pubkey))
    script = b"\x51"
    assert p2sh_address("trc", script) == Address("trc", P2SH_VERSION, H(script))
    with pytest.raises(AddressError, match="32 bytes"):
        p2pkh_address("rc", b"\x02" + pubkey)


def test_address_is_frozen_and_hashable() -> None:
    address = Address("rc", P2PKH_VERSION, PKH)
    with pytest.raises(dataclasses.FrozenInstanceError):
        address.version = 1  # type: ignore[misc]
    assert {address, Address("rc", P2PKH_VERSION, PKH)} == {address}
    assert Address("rc", P2PKH_VERSION, bytearray(PKH)).program == PKH  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Address("rc", P2PKH_VERSION, "00" * 20)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Address("rc", "0", PKH)  # type: ignore[arg-type]


def test_error_hierarchy() -> None:
    for error in (
        InvalidAddressEncoding,
        InvalidChecksum,
        NotBech32m,
        WrongNetwork,
        UnknownHrp,
        UnsupportedVersion,
        InvalidProgramLength,
        InvalidPadding,
    ):
        assert issubclass(error, AddressError)
    assert issubclass(AddressError, CryptoError)


# --- one test per error class ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rc1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0ssvsmdl b", "out of range"),
        ("rc1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0jqgwb7ya" + "é", "out of range"),
        ("rc1qqqsyqcyq5rqwzqfpg9scrGwpugpzysnzs23v9ccrydpk8qarc0jqgwb7ya", "mixed"),
        ("rc1" + "q" * 88, "91 > 90"),
        ("rcqqqsyqcyq5rqwzqfpg9sc", "separator"),
        ("rc1qqqsyqcyq5rqwzqfpg9scbio", "invalid data character"),
        ("rc1qqqqq", "shorter than"),
        ("", "separator"),
    ],
)
def test_invalid_address_encoding(text: str, message: str) -> None:
    with pytest.raises(InvalidAddressEncoding, match=message):
        decode_address(text, "rc")


def test_invalid_address_encoding_empty_data_part() -> None:
    with pytest.raises(InvalidAddressEncoding, match="empty data"):
        decode_address(_raw("rc", []), "rc")


def test_invalid_address_encoding_not_a_string() -> None:
    with pytest.raises(InvalidAddressEncoding, match="string"):
        decode_address(b"rc1...", "rc")  # type: ignore[arg-type]


def test_invalid_checksum() -> None:
    good = encode_address("rc", P2PKH_VERSION, PKH)
    for i in range(3, len(good)):
        replacement = "q" if good[i] != "q" else "p"
        with pytest.raises(InvalidChecksum):
            decode_address(good[:i] + replacement + good[i + 1 :], "rc")


def test_not_bech32m() -> None:
    text = _raw("rc", _data(P2PKH_VERSION, PKH), bech32.Encoding.BECH32)
    with pytest.raises(NotBech32m, match="bech32m"):
        decode_address(text, "rc")


def test_wrong_network_names_both_networks() -> None:
    testnet = encode_address("trc", P2PKH_VERSION, PKH)
    with pytest.raises(WrongNetwork) as info:
        decode_address(testnet, "rc")
    assert "testnet" in str(info.value)
    assert "mainnet" in str(info.value)
    with pytest.raises(WrongNetwork, match=r"regtest.*devnet"):
        decode_address(encode_address("rcrt", P2SH_VERSION, SH), "rcdv")


def test_unknown_hrp() -> None:
    bitcoin_like = _raw("bc", _data(P2PKH_VERSION, PKH))
    with pytest.raises(UnknownHrp, match="'bc'"):
        decode_address(bitcoin_like, "rc")
    with pytest.raises(UnknownHrp):
        decode_address(encode_address("rc", P2PKH_VERSION, PKH), "bc")
    with pytest.raises(UnknownHrp):
        encode_address("tb", P2PKH_VERSION, PKH)
    with pytest.raises(UnknownHrp):
        Address("RC", P2PKH_VERSION, PKH)


@pytest.mark.parametrize("version", [2, 3, 16, 31])
def test_unsupported_version(version: int) -> None:
    with pytest.raises(UnsupportedVersion, match=f"version {version}"):
        decode_address(_raw("rc", _data(version, SH)), "rc")
    with pytest.raises(UnsupportedVersion):
        encode_address("rc", version, SH)


@pytest.mark.parametrize(
    ("version", "length"),
    [
        (P2PKH_VERSION, 0),
        (P2PKH_VERSION, 19),
        (P2PKH_VERSION, 21),
        (P2PKH_VERSION, 32),
        (P2SH_VERSION, 20),
        (P2SH_VERSION, 31),
        (P2SH_VERSION, 33),
        (P2SH_VERSION, 40),
    ],
)
def test_invalid_program_length(version: int, length: int) -> None:
    program = bytes(length)
    with pytest.raises(InvalidProgramLength, match=f"got {length}"):
        decode_address(_raw("trc", _data(version, program)), "trc")
    with pytest.raises(InvalidProgramLength):
        encode_address("trc", version, program)


def test_invalid_padding_non_zero_bits() -> None:
    # 32 bytes are 52 groups = 260 bits: the last group is 1 data bit + 4 padding bits.
    data = _data(P2SH_VERSION, SH)
    assert data[-1] & 0b01111 == 0
    with pytest.raises(InvalidPadding, match="non-zero"):
        decode_address(_raw("rc", [*data[:-1], data[-1] | 0b00001]), "rc")


def test_invalid_padding_too_many_bits() -> None:
    # 20 bytes are exactly 32 groups; one more zero group is 5 bits of padding.
    with pytest.raises(InvalidPadding, match="more than 4"):
        decode_address(_raw("rc", [*_data(P2PKH_VERSION, PKH), 0]), "rc")
