"""node.crypto.schnorr: every BIP340 test vector (signing, including the variable-length
messages, and verification), secret/public key validation, and that verify never raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.crypto.errors import CryptoError
from node.crypto.schnorr import (
    CURVE_ORDER,
    InvalidAuxRand,
    InvalidSecret,
    SchnorrError,
    SigningFailed,
    generate_secret,
    is_valid_pubkey,
    is_valid_secret,
    pubkey_from_secret,
    sign,
    verify,
)
from tests.node.crypto.vectors import load_csv

VECTORS = load_csv("bip340_test_vectors.csv")
SIGNING_VECTORS = [row for row in VECTORS if row["secret key"]]
FIELD_SIZE = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F


def _row_id(row: dict[str, str]) -> str:
    return f"v{row['index']}"


def test_vector_file_has_all_rows() -> None:
    assert [int(row["index"]) for row in VECTORS] == list(range(19))
    assert {len(bytes.fromhex(row["message"])) for row in VECTORS} == {0, 1, 17, 32, 100}
    assert sum(row["verification result"] == "FALSE" for row in VECTORS) == 10


@pytest.mark.parametrize("row", VECTORS, ids=_row_id)
def test_bip340_verify_vectors(row: dict[str, str]) -> None:
    pubkey = bytes.fromhex(row["public key"])
    msg = bytes.fromhex(row["message"])
    sig = bytes.fromhex(row["signature"])
    expected = row["verification result"] == "TRUE"
    assert verify(pubkey, msg, sig) is expected


@pytest.mark.parametrize("row", SIGNING_VECTORS, ids=_row_id)
def test_bip340_sign_vectors(row: dict[str, str]) -> None:
    secret = bytes.fromhex(row["secret key"])
    msg = bytes.fromhex(row["message"])
    assert pubkey_from_secret(secret) == bytes.fromhex(row["public key"])
    sig = sign(secret, msg, bytes.fromhex(row["aux_rand"]))
    assert sig == bytes.fromhex(row["signature"])


@pytest.mark.parametrize("row", [r for r in VECTORS if r["comment"]], ids=_row_id)
def test_vectors_pubkey_validity(row: dict[str, str]) -> None:
    pubkey = bytes.fromhex(row["public key"])
    invalid_key = row["index"] in {"5", "14"}  # not on the curve / x >= p
    assert is_valid_pubkey(pubkey) is not invalid_key


# --- verify never raises ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def keypair() -> tuple[bytes, bytes, bytes, bytes]:
    secret = bytes.fromhex("B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF")
    msg = bytes(range(32))
    return secret, pubkey_from_secret(secret), msg, sign(secret, msg, bytes(32))


def test_verify_rejects_wrong_lengths(keypair: tuple[bytes, bytes, bytes, bytes]) -> None:
    _, pubkey, msg, sig = keypair
    assert verify(pubkey, msg, sig)
    for bad_sig in (b"", sig[:63], sig + b"\x00", sig + sig):
        assert verify(pubkey, msg, bad_sig) is False
    for bad_key in (b"", pubkey[:31], pubkey + b"\x00", b"\x02" + pubkey):
        assert verify(bad_key, msg, sig) is False
    assert verify(pubkey, msg[:31], sig) is False
    assert verify(pubkey, msg + b"\x00", sig) is False


def test_verify_rejects_out_of_range_values(keypair: tuple[bytes, bytes, bytes, bytes]) -> None:
    _, pubkey, msg, sig = keypair
    r, s = sig[:32], int.from_bytes(sig[32:], "big")
    # s + n encodes the same scalar mod n but is not canonical: must be rejected.
    if s + CURVE_ORDER < 2**256:
        assert verify(pubkey, msg, r + (s + CURVE_ORDER).to_bytes(32, "big")) is False
    assert verify(pubkey, msg, r + CURVE_ORDER.to_bytes(32, "big")) is False
    assert verify(pubkey, msg, FIELD_SIZE.to_bytes(32, "big") + sig[32:]) is False
    assert verify(FIELD_SIZE.to_bytes(32, "big"), msg, sig) is False
    assert verify(bytes(32), msg, sig) is False  # x = 0 is not on the curve
    assert verify(b"\xff" * 32, msg, sig) is False


@pytest.mark.parametrize("junk", [None, 5, 32, 64, "ab" * 32, 1.5, [1, 2], object()])
def test_verify_rejects_non_bytes(keypair: tuple[bytes, bytes, bytes, bytes], junk: object) -> None:
    _, pubkey, msg, sig = keypair
    assert verify(junk, msg, sig) is False  # type: ignore[arg-type]
    assert verify(pubkey, junk, sig) is False  # type: ignore[arg-type]
    assert verify(pubkey, msg, junk) is False  # type: ignore[arg-type]
    assert is_valid_pubkey(junk) is False  # type: ignore[arg-type]


def test_verify_does_not_treat_an_int_as_a_zero_message() -> None:
    # bytes(32) would be 32 zero bytes: an int must not be silently turned into a message.
    secret = generate_secret()
    sig = sign(secret, bytes(32), bytes(32))
    pubkey = pubkey_from_secret(secret)
    assert verify(pubkey, bytes(32), sig)
    assert verify(pubkey, 32, sig) is False  # type: ignore[arg-type]


def test_verify_accepts_other_buffers(keypair: tuple[bytes, bytes, bytes, bytes]) -> None:
    _, pubkey, msg, sig = keypair
    assert verify(bytearray(pubkey), memoryview(msg), bytearray(sig))  # type: ignore[arg-type]
    assert is_valid_pubkey(bytearray(pubkey))  # type: ignore[arg-type]


def test_verify_with_cached_keys_stays_correct() -> None:
    secrets = [generate_secret() for _ in range(3)]
    pubkeys = [pubkey_from_secret(s) for s in secrets]
    msg = b"m" * 32
    sigs = [sign(s, msg) for s in secrets]
    for _ in range(3):  # repeated calls hit the parsed-key cache
        for i, pubkey in enumerate(pubkeys):
            for j, sig in enumerate(sigs):
                assert verify(pubkey, msg, sig) is (i == j)
    bad = FIELD_SIZE.to_bytes(32, "big")
    assert not verify(bad, msg, sigs[0])
    assert not verify(bad, msg, sigs[0])


# --- keys and signing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "valid"),
    [
        (bytes(32), False),
        ((1).to_bytes(32, "big"), True),
        ((CURVE_ORDER - 1).to_bytes(32, "big"), True),
        (CURVE_ORDER.to_bytes(32, "big"), False),
        ((CURVE_ORDER + 1).to_bytes(32, "big"), False),
        (b"\xff" * 32, False),
        (b"\x01" * 31, False),
        (b"\x01" * 33, False),
        (b"", False),
    ],
)
def test_is_valid_secret(secret: bytes, valid: bool) -> None:
    assert is_valid_secret(secret) is valid
    if valid:
        assert len(pubkey_from_secret(secret)) == 32
    else:
        with pytest.raises(InvalidSecret):
            pubkey_from_secret(secret)
        with pytest.raises(InvalidSecret):
            sign(secret, bytes(32), bytes(32))


def test_is_valid_secret_rejects_non_bytes() -> None:
    assert is_valid_secret(1) is False  # type: ignore[arg-type]
    assert is_valid_secret("0" * 32) is False  # type: ignore[arg-type]


def test_generate_secret() -> None:
    secrets = {generate_secret() for _ in range(20)}
    assert len(secrets) == 20
    assert all(is_valid_secret(secret) for secret in secrets)


def test_known_pubkey_of_generator_multiple() -> None:
    # 3·G (BIP340 vector 0's key), and 1·G: the generator's x coordinate.
    assert pubkey_from_secret((3).to_bytes(32, "big")).hex().upper() == VECTORS[0]["public key"]
    assert pubkey_from_secret((1).to_bytes(32, "big")) == bytes.fromhex(
        "79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798"
    )


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_sign_rejects_bad_aux_rand(length: int) -> None:
    with pytest.raises(InvalidAuxRand, match="32 bytes"):
        sign(generate_secret(), bytes(32), bytes(length))


def test_sign_rejects_non_bytes_message() -> None:
    with pytest.raises(TypeError):
        sign(generate_secret(), 32, bytes(32))  # type: ignore[arg-type]


def test_sign_without_aux_rand_is_randomised_and_valid() -> None:
    secret = generate_secret()
    pubkey = pubkey_from_secret(secret)
    msg = b"\x42" * 32
    first, second = sign(secret, msg), sign(secret, msg)
    assert first != second
    assert verify(pubkey, msg, first)
    assert verify(pubkey, msg, second)
    assert sign(secret, msg, bytes(32)) == sign(secret, msg, bytes(32))


def test_error_hierarchy() -> None:
    for error in (InvalidSecret, InvalidAuxRand, SigningFailed):
        assert issubclass(error, SchnorrError)
    assert issubclass(SchnorrError, CryptoError)


@settings(max_examples=40, deadline=None)
@given(
    secret_int=st.integers(min_value=1, max_value=CURVE_ORDER - 1),
    msg=st.binary(max_size=100),
    aux=st.binary(min_size=32, max_size=32),
)
def test_sign_verify_round_trip(secret_int: int, msg: bytes, aux: bytes) -> None:
    secret = secret_int.to_bytes(32, "big")
    pubkey = pubkey_from_secret(secret)
    sig = sign(secret, msg, aux)
    assert len(sig) == 64
    assert verify(pubkey, msg, sig)
    assert not verify(pubkey, msg + b"\x00", sig)
    tweaked = bytes([sig[0]]) + bytes([sig[1] ^ 1]) + sig[2:]
    assert not verify(pubkey, msg, tweaked)
