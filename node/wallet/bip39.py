"""BIP39 mnemonics (English wordlist): entropy <-> words with the SHA-256 checksum, and the
PBKDF2-HMAC-SHA512 seed.

The wordlist is `node/wallet/data/english.txt`, the official list (SHA-256
2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda, checked on load).
Mnemonics are normalised before use: NFKD, lower case, words separated by single spaces.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Final

from node.wallet.errors import InvalidMnemonic

__all__ = [
    "VALID_STRENGTHS",
    "entropy_to_mnemonic",
    "generate_mnemonic",
    "mnemonic_to_entropy",
    "mnemonic_to_seed",
    "normalize_mnemonic",
    "wordlist",
]

WORDLIST_PATH: Final = Path(__file__).parent / "data" / "english.txt"
WORDLIST_SHA256: Final = "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"
VALID_STRENGTHS: Final = (128, 160, 192, 224, 256)
"""Entropy sizes in bits (12, 15, 18, 21 and 24 words)."""
PBKDF2_ROUNDS: Final = 2048


@lru_cache(maxsize=1)
def wordlist() -> tuple[str, ...]:
    """The 2048 English words in order (verified against the official list's hash)."""
    raw = WORDLIST_PATH.read_bytes()
    if hashlib.sha256(raw).hexdigest() != WORDLIST_SHA256:
        raise RuntimeError(f"{WORDLIST_PATH} is not the official BIP39 English wordlist")
    words = tuple(raw.decode("ascii").split("\n")[:2048])
    assert len(words) == 2048
    return words


@lru_cache(maxsize=1)
def _index() -> dict[str, int]:
    return {word: i for i, word in enumerate(wordlist())}


def normalize_mnemonic(mnemonic: str) -> str:
    """NFKD, lower case, single spaces between words."""
    if not isinstance(mnemonic, str):
        raise InvalidMnemonic(f"mnemonic must be a string, got {type(mnemonic).__name__}")
    return " ".join(unicodedata.normalize("NFKD", mnemonic).lower().split())


def entropy_to_mnemonic(entropy: bytes) -> str:
    """The mnemonic encoding `entropy` (16, 20, 24, 28 or 32 bytes)."""
    if not isinstance(entropy, bytes) or len(entropy) * 8 not in VALID_STRENGTHS:
        raise InvalidMnemonic(
            "entropy must be 16, 20, 24, 28 or 32 bytes, got "
            f"{len(entropy) if isinstance(entropy, bytes) else type(entropy).__name__}"
        )
    bits = len(entropy) * 8
    checksum_bits = bits // 32
    checksum = hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)
    value = (int.from_bytes(entropy, "big") << checksum_bits) | checksum
    count = (bits + checksum_bits) // 11
    words = wordlist()
    return " ".join(words[(value >> (11 * (count - 1 - i))) & 0x7FF] for i in range(count))


def mnemonic_to_entropy(mnemonic: str) -> bytes:
    """The entropy of a valid mnemonic; raises InvalidMnemonic (word count, word, checksum)."""
    words = normalize_mnemonic(mnemonic).split(" ")
    if len(words) not in (12, 15, 18, 21, 24):
        raise InvalidMnemonic(
            f"a mnemonic has 12, 15, 18, 21 or 24 words, got {len(words) if words[0] else 0}"
        )
    index = _index()
    value = 0
    for position, word in enumerate(words, 1):
        number = index.get(word)
        if number is None:
            raise InvalidMnemonic(f"word {position} ({word!r}) is not in the BIP39 wordlist")
        value = (value << 11) | number
    total_bits = len(words) * 11
    checksum_bits = total_bits // 33
    entropy_bits = total_bits - checksum_bits
    entropy = (value >> checksum_bits).to_bytes(entropy_bits // 8, "big")
    expected = hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)
    if value & ((1 << checksum_bits) - 1) != expected:
        raise InvalidMnemonic("mnemonic checksum mismatch (a word is wrong or out of order)")
    return entropy


def generate_mnemonic(strength: int = 256) -> str:
    """A fresh mnemonic from `strength` bits of OS randomness (default 24 words)."""
    if strength not in VALID_STRENGTHS:
        raise InvalidMnemonic(f"strength must be one of {VALID_STRENGTHS}, got {strength}")
    return entropy_to_mnemonic(os.urandom(strength // 8))


def mnemonic_to_seed(mnemonic: str, passphrase: str = "", *, validate: bool = True) -> bytes:
    """The 64-byte BIP39 seed: PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" + passphrase, 2048).

    With `validate` (the default) the checksum is checked first.
    """
    normalized = normalize_mnemonic(mnemonic)
    if validate:
        mnemonic_to_entropy(normalized)
    salt = "mnemonic" + unicodedata.normalize("NFKD", passphrase)
    return hashlib.pbkdf2_hmac(
        "sha512", normalized.encode("utf-8"), salt.encode("utf-8"), PBKDF2_ROUNDS
    )


def same_mnemonic(a: str, b: str) -> bool:
    """Constant-time comparison of two normalised mnemonics."""
    return hmac.compare_digest(normalize_mnemonic(a).encode(), normalize_mnemonic(b).encode())
