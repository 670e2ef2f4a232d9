"""Key store encryption: scrypt + ChaCha20-Poly1305 round trip, wrong passphrase, tampering."""

from __future__ import annotations

import pytest

from node.wallet.errors import BadPassphrase, CorruptWallet
from node.wallet.keystore import (
    ScryptParams,
    decrypt_secret,
    encrypt_secret,
    is_encrypted,
    plain_secret,
    read_plain_secret,
)

FAST = ScryptParams(log2_n=10)
SECRET = b"legal winner thank year wave sausage worth useful legal winner thank yellow"


def test_round_trip_and_fresh_randomness() -> None:
    blob = encrypt_secret(SECRET, "correct horse", "regtest", FAST)
    assert is_encrypted(blob)
    assert SECRET not in blob
    assert blob[:4] == bytes((1, 10, 8, 1))
    assert decrypt_secret(blob, "correct horse", "regtest") == SECRET
    assert encrypt_secret(SECRET, "correct horse", "regtest", FAST) != blob


def test_wrong_passphrase_and_network() -> None:
    blob = encrypt_secret(SECRET, "correct horse", "regtest", FAST)
    with pytest.raises(BadPassphrase, match="incorrect"):
        decrypt_secret(blob, "correct horsE", "regtest")
    with pytest.raises(BadPassphrase):
        decrypt_secret(blob, "correct horse", "devnet")  # network is authenticated data
    with pytest.raises(BadPassphrase, match="non-empty"):
        decrypt_secret(blob, "", "regtest")
    with pytest.raises(BadPassphrase):
        encrypt_secret(SECRET, "", "regtest", FAST)


def test_tampering_is_detected() -> None:
    blob = bytearray(encrypt_secret(SECRET, "pw", "regtest", FAST))
    for offset in (5, 25, len(blob) - 1):  # salt, nonce, tag
        changed = bytearray(blob)
        changed[offset] ^= 1
        with pytest.raises(BadPassphrase):
            decrypt_secret(bytes(changed), "pw", "regtest")
    changed = bytearray(blob)
    changed[1] = 11  # scrypt cost is authenticated too
    with pytest.raises(BadPassphrase):
        decrypt_secret(bytes(changed), "pw", "regtest")
    with pytest.raises(CorruptWallet):
        decrypt_secret(bytes(blob[:30]), "pw", "regtest")
    changed[1] = 40
    with pytest.raises(CorruptWallet):
        decrypt_secret(bytes(changed), "pw", "regtest")


def test_plain_blobs() -> None:
    blob = plain_secret(SECRET)
    assert not is_encrypted(blob)
    assert read_plain_secret(blob) == SECRET
    with pytest.raises(CorruptWallet):
        decrypt_secret(blob, "pw", "regtest")
    with pytest.raises(CorruptWallet):
        is_encrypted(b"\x07abc")
    with pytest.raises(CorruptWallet):
        is_encrypted(b"")
    with pytest.raises(ValueError, match="scrypt"):
        ScryptParams(log2_n=0)
