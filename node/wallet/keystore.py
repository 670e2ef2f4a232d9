"""The wallet's secret at rest: the BIP39 mnemonic (and so the seed), plain or encrypted with
scrypt + ChaCha20-Poly1305.

Secret plaintext: ``mnemonic (UTF-8, normalised)``; the BIP39 passphrase is always "".

Blob layout (docs/protocol/wallet.md)::

    plain:      0x00 | plaintext
    encrypted:  0x01 | log2_n u8 | r u8 | p u8 | salt[16] | nonce[12] | ciphertext+tag[len+16]

The key is ``scrypt(passphrase UTF-8, salt, N = 2^log2_n, r, p, 32 bytes)``; the AEAD's
associated data is the 20-byte header (version .. salt) followed by the wallet's
network name, so the KDF parameters and the network cannot be altered without detection.
A wrong passphrase (or any tampering) fails the Poly1305 tag and raises BadPassphrase.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from node.wallet.errors import BadPassphrase, CorruptWallet

__all__ = [
    "DEFAULT_SCRYPT_LOG_N",
    "ScryptParams",
    "decrypt_secret",
    "encrypt_secret",
    "is_encrypted",
    "plain_secret",
    "read_plain_secret",
]

DEFAULT_SCRYPT_LOG_N: Final = 15
"""N = 2^15 (32 MiB with r = 8): about 70 ms on the dev machine."""
VERSION_PLAIN: Final = 0
VERSION_SCRYPT_CHACHA: Final = 1
SALT_SIZE: Final = 16
NONCE_SIZE: Final = 12
HEADER_SIZE: Final = 4 + SALT_SIZE
MAX_LOG_N: Final = 20


@dataclass(frozen=True, slots=True)
class ScryptParams:
    """scrypt cost parameters (N = 2^log2_n)."""

    log2_n: int = DEFAULT_SCRYPT_LOG_N
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.log2_n <= MAX_LOG_N or not 1 <= self.r <= 32 or not 1 <= self.p <= 16:
            raise ValueError(f"unusable scrypt parameters {self}")


def _key(passphrase: str, salt: bytes, params: ScryptParams) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=1 << params.log2_n, r=params.r, p=params.p)
    return kdf.derive(passphrase.encode("utf-8"))


def _check_passphrase(passphrase: str) -> None:
    if not isinstance(passphrase, str) or not passphrase:
        raise BadPassphrase("the passphrase must be a non-empty string")


def plain_secret(plaintext: bytes) -> bytes:
    """The blob of an unencrypted wallet."""
    return bytes((VERSION_PLAIN,)) + plaintext


def is_encrypted(blob: bytes) -> bool:
    if not blob:
        raise CorruptWallet("empty key store record")
    if blob[0] not in (VERSION_PLAIN, VERSION_SCRYPT_CHACHA):
        raise CorruptWallet(f"unknown key store version {blob[0]}")
    return blob[0] == VERSION_SCRYPT_CHACHA


def read_plain_secret(blob: bytes) -> bytes:
    """The plaintext of an unencrypted blob."""
    if is_encrypted(blob):
        raise CorruptWallet("key store is encrypted")
    return blob[1:]


def encrypt_secret(
    plaintext: bytes, passphrase: str, network: str, params: ScryptParams | None = None
) -> bytes:
    """Encrypt `plaintext` under `passphrase` (fresh salt and nonce)."""
    _check_passphrase(passphrase)
    params = params or ScryptParams()
    salt = os.urandom(SALT_SIZE)
    nonce = os.urandom(NONCE_SIZE)
    header = bytes((VERSION_SCRYPT_CHACHA, params.log2_n, params.r, params.p)) + salt
    cipher = ChaCha20Poly1305(_key(passphrase, salt, params))
    sealed = cipher.encrypt(nonce, plaintext, header + network.encode("ascii"))
    return header + nonce + sealed


def decrypt_secret(blob: bytes, passphrase: str, network: str) -> bytes:
    """The plaintext of an encrypted blob; BadPassphrase if the passphrase is wrong."""
    _check_passphrase(passphrase)
    if not is_encrypted(blob):
        raise CorruptWallet("key store is not encrypted")
    if len(blob) < HEADER_SIZE + NONCE_SIZE + 16:
        raise CorruptWallet("encrypted key store record is truncated")
    header = blob[:HEADER_SIZE]
    try:
        params = ScryptParams(header[1], header[2], header[3])
    except ValueError as exc:
        raise CorruptWallet(str(exc)) from exc
    nonce = blob[HEADER_SIZE : HEADER_SIZE + NONCE_SIZE]
    cipher = ChaCha20Poly1305(_key(passphrase, header[4:], params))
    try:
        return cipher.decrypt(nonce, blob[HEADER_SIZE + NONCE_SIZE :],
                              header + network.encode("ascii"))  # fmt: skip
    except InvalidTag:
        raise BadPassphrase("the wallet passphrase entered was incorrect") from None
