"""Rusty Coin addresses (SPEC §2): bech32m strings `<hrp>1<version><program><checksum>`.

HRPs: `rc` mainnet, `trc` testnet, `rcrt` regtest, `rcdv` devnet. Version 0 = P2PKH with a
20-byte program (HASH160 of the x-only key), version 1 = P2SH with a 32-byte program (H of
the redeem script). Any other version or length is rejected, as is a bech32 (BIP173)
checksum. Length limit: BIP173's 90 characters (the longest valid address, a devnet P2SH,
is 64). Decoding accepts an all-uppercase string; encoding always gives lowercase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from node.crypto import bech32
from node.crypto.errors import CryptoError
from node.crypto.hashes import H, hash160

__all__ = [
    "KNOWN_HRPS",
    "MAX_ADDRESS_LENGTH",
    "P2PKH_VERSION",
    "P2SH_VERSION",
    "PROGRAM_LENGTHS",
    "Address",
    "AddressError",
    "InvalidAddressEncoding",
    "InvalidChecksum",
    "InvalidPadding",
    "InvalidProgramLength",
    "NotBech32m",
    "UnknownHrp",
    "UnsupportedVersion",
    "WrongNetwork",
    "decode_address",
    "encode_address",
    "p2pkh_address",
    "p2sh_address",
]

P2PKH_VERSION: Final = 0
P2SH_VERSION: Final = 1
PROGRAM_LENGTHS: Final = {P2PKH_VERSION: 20, P2SH_VERSION: 32}
KNOWN_HRPS: Final = {"rc": "mainnet", "trc": "testnet", "rcrt": "regtest", "rcdv": "devnet"}
MAX_ADDRESS_LENGTH: Final = bech32.DEFAULT_MAX_LENGTH
XONLY_PUBKEY_SIZE: Final = 32


class AddressError(CryptoError):
    """Base class of address errors."""


class InvalidAddressEncoding(AddressError):
    """Not a well-formed bech32m string (bad characters, mixed case, too long, no separator,
    empty HRP or data part)."""


class InvalidChecksum(AddressError):
    """The checksum is wrong (neither bech32m nor bech32)."""


class NotBech32m(AddressError):
    """The string carries a valid bech32 (BIP173) checksum; addresses need bech32m."""


class WrongNetwork(AddressError):
    """The HRP belongs to another Rusty Coin network than the expected one."""


class UnknownHrp(AddressError):
    """The HRP is not a Rusty Coin network's."""


class UnsupportedVersion(AddressError):
    """The address version is not 0 (P2PKH) or 1 (P2SH)."""


class InvalidProgramLength(AddressError):
    """The program length does not match the version (20 for P2PKH, 32 for P2SH)."""


class InvalidPadding(AddressError):
    """The 5-bit to 8-bit regrouping of the program has excess or non-zero padding."""


def _network(hrp: str) -> str:
    network = KNOWN_HRPS.get(hrp)
    if network is None:
        known = ", ".join(f"{h!r} ({n})" for h, n in KNOWN_HRPS.items())
        raise UnknownHrp(f"unknown address prefix {hrp!r}; known prefixes: {known}")
    return network


def _check_program(version: int, program: bytes) -> None:
    expected = PROGRAM_LENGTHS.get(version)
    if expected is None:
        raise UnsupportedVersion(
            f"unsupported address version {version} "
            f"(only {P2PKH_VERSION} = P2PKH and {P2SH_VERSION} = P2SH exist)"
        )
    if len(program) != expected:
        kind = "P2PKH" if version == P2PKH_VERSION else "P2SH"
        raise InvalidProgramLength(
            f"version {version} ({kind}) program must be {expected} bytes, got {len(program)}"
        )


@dataclass(frozen=True, slots=True)
class Address:
    """A validated address; `str(address)` is its bech32m encoding."""

    hrp: str
    version: int
    program: bytes

    def __post_init__(self) -> None:
        if type(self.program) is not bytes:
            if not isinstance(self.program, bytes | bytearray | memoryview):
                raise TypeError(f"program must be bytes, got {type(self.program).__name__}")
            object.__setattr__(self, "program", bytes(self.program))
        if type(self.version) is not int:
            raise TypeError(f"version must be an int, got {type(self.version).__name__}")
        _network(self.hrp)
        _check_program(self.version, self.program)

    @property
    def network(self) -> str:
        """The network name of the HRP ("mainnet", "testnet", "regtest", "devnet")."""
        return KNOWN_HRPS[self.hrp]

    def __str__(self) -> str:
        data = [self.version, *bech32.convertbits(self.program, 8, 5, pad=True)]
        return bech32.bech32_encode(
            self.hrp, data, bech32.Encoding.BECH32M, max_length=MAX_ADDRESS_LENGTH
        )


def encode_address(hrp: str, version: int, program: bytes) -> str:
    """The bech32m address string; raises an AddressError subclass for invalid parts."""
    return str(Address(hrp, version, program))


def p2pkh_address(hrp: str, xonly_pubkey: bytes) -> Address:
    """The P2PKH address of a 32-byte x-only public key (program = HASH160(key))."""
    if len(xonly_pubkey) != XONLY_PUBKEY_SIZE:
        raise AddressError(
            f"x-only public key must be {XONLY_PUBKEY_SIZE} bytes, got {len(xonly_pubkey)}"
        )
    return Address(hrp, P2PKH_VERSION, hash160(xonly_pubkey))


def p2sh_address(hrp: str, redeem_script: bytes) -> Address:
    """The P2SH address of a redeem script (program = H(script))."""
    return Address(hrp, P2SH_VERSION, H(redeem_script))


def decode_address(address: str, expected_hrp: str) -> Address:
    """Parse `address`, which must belong to the network of `expected_hrp`.

    Raises InvalidAddressEncoding, InvalidChecksum, NotBech32m, WrongNetwork, UnknownHrp,
    UnsupportedVersion, InvalidPadding or InvalidProgramLength (all AddressError).
    """
    expected_network = _network(expected_hrp)
    if not isinstance(address, str):
        raise InvalidAddressEncoding(f"address must be a string, got {type(address).__name__}")
    try:
        decoded = bech32.bech32_decode(address, max_length=MAX_ADDRESS_LENGTH)
    except bech32.Bech32ChecksumError as exc:
        raise InvalidChecksum(f"invalid address checksum: {address!r}") from exc
    except bech32.Bech32Error as exc:
        raise InvalidAddressEncoding(f"malformed address {address!r}: {exc}") from exc
    if decoded.encoding is not bech32.Encoding.BECH32M:
        raise NotBech32m(
            f"address {address!r} has a bech32 (BIP173) checksum; "
            "Rusty Coin addresses use bech32m (BIP350)"
        )
    if decoded.hrp != expected_hrp:
        network = KNOWN_HRPS.get(decoded.hrp)
        if network is None:
            _network(decoded.hrp)  # raises UnknownHrp
        raise WrongNetwork(
            f"address is for {network} (prefix {decoded.hrp!r}) but {expected_network} "
            f"(prefix {expected_hrp!r}) was expected"
        )
    if not decoded.data:
        raise InvalidAddressEncoding(f"address {address!r} has an empty data part (no version)")
    version = decoded.data[0]
    if version not in PROGRAM_LENGTHS:
        _check_program(version, b"")  # raises UnsupportedVersion
    try:
        program = bytes(bech32.convertbits(decoded.data[1:], 5, 8, pad=False))
    except bech32.Bech32PaddingError as exc:
        raise InvalidPadding(f"address {address!r}: {exc}") from exc
    return Address(decoded.hrp, version, program)
