"""node.crypto.hashes: the official BLAKE3 vectors (hash, keyed, XOF), tagged hashes against
their definition, HASH160, and the SHA-256 / RIPEMD-160 standard vectors for both RIPEMD
backends."""

from __future__ import annotations

import hashlib

import pytest
from blake3 import blake3
from hypothesis import given
from hypothesis import strategies as st

from node.crypto import hashes
from node.crypto.errors import CryptoError
from node.crypto.hashes import (
    H,
    HashError,
    blake3_keyed,
    blake3_xof,
    hash160,
    ripemd160,
    ripemd160_python,
    sha256,
    sha256d,
    tagged_hash,
)
from tests.node.crypto.vectors import load_json

BLAKE3 = load_json("blake3_test_vectors.json")
HASH_VECTORS = load_json("hash_vectors.json")


def _blake3_input(length: int) -> bytes:
    """The BLAKE3 vector input: the repeating byte sequence 0, 1, ..., 250."""
    return bytes(i % 251 for i in range(length))


def _vector_input(vector: dict[str, object]) -> bytes:
    text, repeat = vector["text"], vector["repeat"]
    assert isinstance(text, str)
    assert isinstance(repeat, int)
    return text.encode("ascii") * repeat


def _case_id(case: dict[str, object]) -> str:
    return f"len{case['input_len']}"


# --- BLAKE3 ----------------------------------------------------------------------------------


def test_blake3_vector_file_is_complete() -> None:
    lengths = [case["input_len"] for case in BLAKE3["cases"]]
    assert len(lengths) == 22
    assert lengths[0] == 0
    assert lengths[-1] == 102400
    assert BLAKE3["key"] == "whats the Elvish word for friend"


@pytest.mark.parametrize("case", BLAKE3["cases"], ids=_case_id)
def test_blake3_hash_vectors(case: dict[str, object]) -> None:
    data = _blake3_input(int(str(case["input_len"])))
    expected = bytes.fromhex(str(case["hash"]))
    assert len(expected) == 131
    assert H(data) == expected[:32]
    # The extended output, every length from the default up to the full vector.
    assert blake3_xof(data, len(expected)) == expected
    assert blake3_xof(data, 32) == H(data)
    assert blake3_xof(data, 1) == expected[:1]
    assert blake3_xof(data, 0) == b""
    assert hash160(data) == expected[:20]


@pytest.mark.parametrize("case", BLAKE3["cases"], ids=_case_id)
def test_blake3_keyed_vectors(case: dict[str, object]) -> None:
    data = _blake3_input(int(str(case["input_len"])))
    key = BLAKE3["key"].encode("ascii")
    expected = bytes.fromhex(str(case["keyed_hash"]))
    assert blake3_keyed(key, data) == expected[:32]


def test_blake3_keyed_differs_from_unkeyed_and_by_key() -> None:
    key = bytes(range(32))
    assert blake3_keyed(key, b"x") != H(b"x")
    assert blake3_keyed(key, b"x") != blake3_keyed(bytes(32), b"x")


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_blake3_keyed_rejects_wrong_key_length(length: int) -> None:
    with pytest.raises(HashError, match="32 bytes"):
        blake3_keyed(bytes(length), b"data")


def test_blake3_xof_rejects_negative_length() -> None:
    with pytest.raises(HashError):
        blake3_xof(b"seed", -1)


def test_hash_error_is_a_crypto_error() -> None:
    assert issubclass(HashError, CryptoError)


# --- tagged hashes ---------------------------------------------------------------------------


def _naive_tagged(tag: str, data: bytes) -> bytes:
    """SPEC §1's definition, straight on the blake3 library."""
    tag_hash = blake3(tag.encode("ascii")).digest()
    return blake3(tag_hash + tag_hash + data).digest()


# Sizes either side of the copy/one-shot switch and of BLAKE3's 1 KiB chunks.
@pytest.mark.parametrize("size", [0, 1, 31, 32, 64, 959, 960, 1023, 1024, 1025, 2048, 5000])
def test_tagged_hash_matches_definition(size: int) -> None:
    data = bytes((i * 7) % 256 for i in range(size))
    assert tagged_hash("RustyCoin/sighash", data) == _naive_tagged("RustyCoin/sighash", data)


@given(tag=st.text(alphabet=st.characters(max_codepoint=127), max_size=40), data=st.binary())
def test_tagged_hash_matches_definition_for_any_tag(tag: str, data: bytes) -> None:
    # Twice: the second call goes through the cached tag state.
    assert tagged_hash(tag, data) == _naive_tagged(tag, data)
    assert tagged_hash(tag, data) == _naive_tagged(tag, data)


def test_tagged_hash_separates_tags_and_plain_hash() -> None:
    data = b"\x01" * 32
    assert tagged_hash("RustyCoin/sighash", data) != tagged_hash("RustyCoin/special", data)
    assert tagged_hash("RustyCoin/sighash", data) != H(data)


def test_tagged_hash_cache_does_not_leak_state_between_calls() -> None:
    first = tagged_hash("RustyCoin/test-cache", b"a")
    tagged_hash("RustyCoin/test-cache", b"b" * 100)
    assert tagged_hash("RustyCoin/test-cache", b"a") == first


def test_tagged_hash_rejects_non_ascii_tag() -> None:
    with pytest.raises(HashError, match="ASCII"):
        tagged_hash("RustyCoin/ünïcode", b"")


# --- SHA-256 and RIPEMD-160 ------------------------------------------------------------------


@pytest.mark.parametrize("vector", HASH_VECTORS["sha256"], ids=lambda v: v["text"][:12])
def test_sha256_vectors(vector: dict[str, object]) -> None:
    data = _vector_input(vector)
    assert sha256(data) == bytes.fromhex(str(vector["digest"]))
    assert sha256d(data) == sha256(sha256(data))


def test_sha256d_known_value() -> None:
    # SHA256(SHA256("abc")), computed from the FIPS vector by definition.
    inner = bytes.fromhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    assert sha256d(b"abc") == hashlib.sha256(inner).digest()
    assert sha256d(b"abc") != sha256(b"abc")


@pytest.mark.parametrize("vector", HASH_VECTORS["ripemd160"], ids=lambda v: v["text"][:12])
def test_ripemd160_vectors_selected_backend(vector: dict[str, object]) -> None:
    assert ripemd160(_vector_input(vector)) == bytes.fromhex(str(vector["digest"]))


@pytest.mark.parametrize("vector", HASH_VECTORS["ripemd160"], ids=lambda v: v["text"][:12])
def test_ripemd160_vectors_pure_python(vector: dict[str, object]) -> None:
    assert ripemd160_python(_vector_input(vector)) == bytes.fromhex(str(vector["digest"]))


def test_ripemd160_python_padding_boundaries_match_reference() -> None:
    # Every length across the 55/56/64-byte padding boundaries, against hashlib when present.
    if hashes.RIPEMD160_BACKEND != "hashlib":
        pytest.skip("no OpenSSL RIPEMD-160 to compare against")
    for length in range(130):
        data = bytes((i * 13 + 5) % 256 for i in range(length))
        assert ripemd160_python(data) == hashlib.new("ripemd160", data).digest(), length


def test_ripemd160_backend_is_reported() -> None:
    assert hashes.RIPEMD160_BACKEND in {"hashlib", "python"}


def test_hash160_is_truncated_blake3_not_bitcoin_hash160() -> None:
    data = b"rusty"
    assert hash160(data) == H(data)[:20]
    assert hash160(data) != ripemd160(sha256(data))
