"""BIP32 hierarchical deterministic keys over secp256k1, Base58Check extended-key strings,
and the Rusty Coin key path and version bytes.

The derivation math is BIP32's exactly (HMAC-SHA512, hardened indices >= 2^31, the
fingerprint is the first 4 bytes of RIPEMD160(SHA256(compressed pubkey))), so the BIP32 test
vectors pass with Bitcoin's version bytes. Rusty Coin uses the path
``m/44'/7337'/account'/change/index`` (SPEC §2) and, for addresses and signatures, the x-only
form of the derived public key: the 32-byte X coordinate, whatever the parity of Y (BIP340's
even-Y convention — libsecp256k1 negates the secret internally when signing if the point has
an odd Y, so the derived secret is used as is). Extended keys keep the 33-byte compressed key
because public (non-hardened) derivation needs the full point.

Version bytes (4 bytes, big-endian) are chosen so that every string of a network starts with
a fixed prefix: see `NETWORK_VERSIONS` and docs/protocol/wallet.md.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Final

from coincurve import PrivateKey, PublicKey

from node.crypto.hashes import ripemd160
from node.wallet.errors import InvalidExtendedKey

__all__ = [
    "BITCOIN_MAINNET",
    "COIN_TYPE",
    "HARDENED",
    "NETWORK_VERSIONS",
    "PURPOSE",
    "ExtendedKey",
    "KeyVersions",
    "account_path",
    "b58check_decode",
    "b58check_encode",
    "parse_extended_key",
    "parse_path",
]

HARDENED: Final = 0x8000_0000
PURPOSE: Final = 44
COIN_TYPE: Final = 7337
CURVE_ORDER: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
EXTENDED_KEY_SIZE: Final = 78
_B58: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX: Final = {c: i for i, c in enumerate(_B58)}


@dataclass(frozen=True, slots=True)
class KeyVersions:
    """The version bytes of extended public and private keys of one network."""

    public: int
    private: int


BITCOIN_MAINNET: Final = KeyVersions(0x0488_B21E, 0x0488_ADE4)
"""xpub / xprv: used by the BIP32 and BIP39 test vectors only."""

NETWORK_VERSIONS: Final[dict[str, KeyVersions]] = {
    "mainnet": KeyVersions(0x040B_F2A6, 0x040B_EE6C),  # rpub / rprv
    "testnet": KeyVersions(0x0435_87CF, 0x0435_8394),  # tpub / tprv (as Bitcoin's testnet)
    "regtest": KeyVersions(0x033C_08DF, 0x033C_04A4),  # gpub / gprv
    "devnet": KeyVersions(0x02FD_A923, 0x02FD_A4E8),  # dpub / dprv
}


# --------------------------------------------------------------------------- base58check


def b58check_encode(payload: bytes) -> str:
    """Base58 of payload || SHA256d(payload)[:4], leading zero bytes as '1'."""
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number = int.from_bytes(data, "big")
    chars = []
    while number:
        number, rem = divmod(number, 58)
        chars.append(_B58[rem])
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(chars))


def b58check_decode(text: str) -> bytes:
    """The payload of a Base58Check string; raises InvalidExtendedKey."""
    if not isinstance(text, str) or not text or len(text) > 200:
        raise InvalidExtendedKey("extended key must be a non-empty Base58 string")
    number = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            raise InvalidExtendedKey(f"invalid Base58 character {char!r}")
        number = number * 58 + digit
    pad = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    data = b"\0" * pad + body
    if len(data) < 4:
        raise InvalidExtendedKey("Base58Check string too short")
    payload, checksum = data[:-4], data[-4:]
    expected = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    if not hmac.compare_digest(checksum, expected):
        raise InvalidExtendedKey("Base58Check checksum mismatch")
    return payload


# --------------------------------------------------------------------------- paths


def parse_path(path: str) -> tuple[int, ...]:
    """Child indices of "m/44'/7337'/0'/0/5" (hardened marked by ', h or H)."""
    if not isinstance(path, str):
        raise InvalidExtendedKey("derivation path must be a string")
    parts = path.strip().split("/")
    if parts[0] != "m":
        raise InvalidExtendedKey(f"derivation path must start with 'm': {path!r}")
    indices = []
    for part in parts[1:]:
        hardened = part[-1:] in ("'", "h", "H")
        digits = part[:-1] if hardened else part
        if not digits.isdigit() or int(digits) >= HARDENED:
            raise InvalidExtendedKey(f"bad path component {part!r} in {path!r}")
        indices.append(int(digits) + (HARDENED if hardened else 0))
    return tuple(indices)


def account_path(account: int = 0) -> tuple[int, ...]:
    """m/44'/7337'/account' (SPEC §2)."""
    if not 0 <= account < HARDENED:
        raise InvalidExtendedKey(f"account must be in [0, 2^31), got {account}")
    return (PURPOSE + HARDENED, COIN_TYPE + HARDENED, account + HARDENED)


# --------------------------------------------------------------------------- keys


def _hash160(data: bytes) -> bytes:
    return ripemd160(hashlib.sha256(data).digest())


@dataclass(frozen=True, slots=True)
class ExtendedKey:
    """A BIP32 node: private (`key` = 32-byte secret) or public (`key` = 33-byte point)."""

    depth: int
    parent_fingerprint: bytes
    child_number: int
    chain_code: bytes
    key: bytes
    private: bool

    @classmethod
    def from_seed(cls, seed: bytes) -> ExtendedKey:
        """The master key of a 16..64-byte seed."""
        if not isinstance(seed, bytes) or not 16 <= len(seed) <= 64:
            raise InvalidExtendedKey("seed must be 16 to 64 bytes")
        digest = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
        secret = int.from_bytes(digest[:32], "big")
        if not 0 < secret < CURVE_ORDER:
            raise InvalidExtendedKey("seed yields an invalid master key; use another seed")
        return cls(0, bytes(4), 0, digest[32:], digest[:32], True)

    # ------------------------------------------------------------------ properties

    @property
    def public_key(self) -> bytes:
        """The 33-byte compressed public key."""
        if self.private:
            return PrivateKey(self.key).public_key.format(compressed=True)
        return self.key

    @property
    def xonly(self) -> bytes:
        """The 32-byte x-only public key Rusty Coin addresses and signatures use."""
        return self.public_key[1:]

    @property
    def secret(self) -> bytes:
        """The 32-byte secret key (private nodes only)."""
        if not self.private:
            raise InvalidExtendedKey("a public extended key has no secret")
        return self.key

    @property
    def identifier(self) -> bytes:
        return _hash160(self.public_key)

    @property
    def fingerprint(self) -> bytes:
        return self.identifier[:4]

    # ------------------------------------------------------------------ derivation

    def neuter(self) -> ExtendedKey:
        """The public extended key of this node."""
        if not self.private:
            return self
        return ExtendedKey(
            self.depth,
            self.parent_fingerprint,
            self.child_number,
            self.chain_code,
            self.public_key,
            False,
        )

    def derive(self, index: int) -> ExtendedKey:
        """Child `index` (hardened when >= 2^31; public keys cannot derive those)."""
        if not 0 <= index <= 0xFFFF_FFFF:
            raise InvalidExtendedKey(f"child index out of range: {index}")
        if self.depth >= 255:
            raise InvalidExtendedKey("maximum derivation depth (255) reached")
        hardened = index >= HARDENED
        if hardened:
            if not self.private:
                raise InvalidExtendedKey("cannot derive a hardened child from a public key")
            data = b"\0" + self.key + index.to_bytes(4, "big")
        else:
            data = self.public_key + index.to_bytes(4, "big")
        digest = hmac.new(self.chain_code, data, hashlib.sha512).digest()
        tweak, chain_code = digest[:32], digest[32:]
        tweak_int = int.from_bytes(tweak, "big")
        if tweak_int >= CURVE_ORDER:
            # Probability < 2^-127; BIP32 says to proceed with the next index.
            raise InvalidExtendedKey(f"child {index} is invalid; use the next index")
        if self.private:
            child = (tweak_int + int.from_bytes(self.key, "big")) % CURVE_ORDER
            if child == 0:
                raise InvalidExtendedKey(f"child {index} is invalid; use the next index")
            key = child.to_bytes(32, "big")
        else:
            try:
                key = PublicKey(self.key).add(tweak).format(compressed=True)
            except ValueError as exc:
                raise InvalidExtendedKey(f"child {index} is invalid; use the next index") from exc
        return ExtendedKey(self.depth + 1, self.fingerprint, index, chain_code, key, self.private)

    def derive_path(self, path: str | tuple[int, ...]) -> ExtendedKey:
        """Walk a path ("m/0'/1" or a tuple of indices) from this node."""
        node = self
        for index in parse_path(path) if isinstance(path, str) else path:
            node = node.derive(index)
        return node

    # ------------------------------------------------------------------ encoding

    def serialize(self, versions: KeyVersions) -> str:
        """The Base58Check string (xprv-style for private nodes, xpub-style for public)."""
        version = versions.private if self.private else versions.public
        key = b"\0" + self.key if self.private else self.key
        payload = (
            version.to_bytes(4, "big")
            + bytes((self.depth,))
            + self.parent_fingerprint
            + self.child_number.to_bytes(4, "big")
            + self.chain_code
            + key
        )
        return b58check_encode(payload)


def _network_of(version: int) -> str | None:
    for name, versions in NETWORK_VERSIONS.items():
        if version in (versions.public, versions.private):
            return name
    if version in (BITCOIN_MAINNET.public, BITCOIN_MAINNET.private):
        return "bitcoin mainnet"
    return None


def parse_extended_key(
    text: str, versions: KeyVersions, *, private: bool | None = None
) -> ExtendedKey:
    """Decode an extended key of the network whose version bytes are `versions`.

    `private` = True / False demands a private / public key; None accepts either.
    Raises InvalidExtendedKey for anything malformed, foreign or of the wrong kind.
    """
    payload = b58check_decode(text.strip() if isinstance(text, str) else text)
    if len(payload) != EXTENDED_KEY_SIZE:
        raise InvalidExtendedKey(
            f"extended key payload must be {EXTENDED_KEY_SIZE} bytes, got {len(payload)}"
        )
    version = int.from_bytes(payload[:4], "big")
    if version not in (versions.public, versions.private):
        other = _network_of(version)
        where = f"for {other}" if other else f"of unknown version 0x{version:08x}"
        raise InvalidExtendedKey(f"extended key is {where}, not for this network")
    is_private = version == versions.private
    if private is not None and private != is_private:
        kind = "private (xprv)" if private else "public (xpub)"
        raise InvalidExtendedKey(f"expected an extended {kind} key")
    depth = payload[4]
    fingerprint = payload[5:9]
    child_number = int.from_bytes(payload[9:13], "big")
    chain_code = payload[13:45]
    key_data = payload[45:78]
    if depth == 0 and (fingerprint != bytes(4) or child_number != 0):
        raise InvalidExtendedKey("a depth-0 key must have a zero parent fingerprint and index")
    if is_private:
        if key_data[0] != 0:
            raise InvalidExtendedKey("private key data must start with a zero byte")
        if not 0 < int.from_bytes(key_data[1:], "big") < CURVE_ORDER:
            raise InvalidExtendedKey("private key out of range")
        key = key_data[1:]
    else:
        if key_data[0] not in (2, 3):
            raise InvalidExtendedKey("public key must be a compressed point (02/03 prefix)")
        try:
            PublicKey(key_data)
        except ValueError as exc:
            raise InvalidExtendedKey("public key is not a point on secp256k1") from exc
        key = key_data
    return ExtendedKey(depth, fingerprint, child_number, chain_code, key, is_private)
