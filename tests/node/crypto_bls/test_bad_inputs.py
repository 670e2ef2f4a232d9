"""Malformed inputs on both backends: verifiers return False, everything else raises narrowly.

Covers non-canonical encodings, points off the curve or outside the subgroup, wrong lengths and
types, the identity public key, out-of-range secret keys and scalars, and empty aggregates.
"""

from typing import Any

import pytest

from node.crypto.bls import (
    CURVE_ORDER,
    DST_POP,
    FIELD_MODULUS,
    G1_GENERATOR,
    G1_IDENTITY,
    G2_GENERATOR,
    G2_IDENTITY,
    BLSBackend,
    EmptyInput,
    InvalidKeyMaterial,
    InvalidMessage,
    InvalidPoint,
    InvalidPublicKey,
    InvalidScalar,
    InvalidSignature,
)

SK = 0x263DBD792F5B1BE47ED85F8938C0F29586AF0D3AC7B977F21C278FE1462040E3
MSG = b"\x12" * 32

# On the curve but outside the prime-order subgroup (Ethereum deserialization vectors).
G1_NOT_IN_SUBGROUP = bytes.fromhex("8123456789abcdef" + "0123456789abcdef" * 5)
G2_NOT_IN_SUBGROUP = bytes.fromhex("8123456789abcdef" + "0123456789abcdef" * 11)
_P_BYTES = FIELD_MODULUS.to_bytes(48, "big")


def _with_flags(x: bytes, flags: int) -> bytes:
    return bytes([x[0] | flags]) + x[1:]


def bad_g1_encodings() -> dict[str, Any]:
    g = G1_GENERATOR
    return {
        "empty": b"",
        "too_short": g[:-1],
        "too_long": g + b"\x00",
        "uncompressed_flag_clear": bytes([g[0] & 0x7F]) + g[1:],
        "infinity_with_sign_flag": bytes([0xE0]) + bytes(47),
        "infinity_with_nonzero_x": bytes([0xC0]) + bytes(46) + b"\x01",
        "infinity_without_c_flag": bytes([0x40]) + bytes(47),
        "x_equals_p": _with_flags(_P_BYTES, 0x80),
        "x_above_p": _with_flags((FIELD_MODULUS + 1).to_bytes(48, "big"), 0x80),
        "not_on_curve": bytes.fromhex(
            "8123456789abcdef" + "0123456789abcdef" * 4 + "0123456789abcde0"
        ),
        "not_in_subgroup": G1_NOT_IN_SUBGROUP,
        "str": G1_GENERATOR.hex(),
        "int": 5,
        "none": None,
    }


def bad_g2_encodings() -> dict[str, Any]:
    g = G2_GENERATOR
    return {
        "empty": b"",
        "too_short": g[:-1],
        "too_long": g + b"\x00",
        "g1_sized": G1_GENERATOR,
        "uncompressed_flag_clear": bytes([g[0] & 0x7F]) + g[1:],
        "infinity_with_sign_flag": bytes([0xE0]) + bytes(95),
        "infinity_with_nonzero_x_re": bytes([0xC0]) + bytes(94) + b"\x01",
        "x_im_equals_p": _with_flags(_P_BYTES, 0x80) + bytes(48),
        "x_re_equals_p": bytes([0x80]) + bytes(47) + _P_BYTES,
        "x_re_with_flag_bits": g[:48] + _with_flags(g[48:], 0x80),
        "not_on_curve": bytes.fromhex(
            "8123456789abcdef" + "0123456789abcdef" * 10 + "0123456789abcde0"
        ),
        "not_in_subgroup": G2_NOT_IN_SUBGROUP,
        "str": G2_GENERATOR.hex(),
        "none": None,
    }


BAD_G1 = bad_g1_encodings()
BAD_G2 = bad_g2_encodings()


@pytest.mark.parametrize("label", sorted(BAD_G1))
def test_bad_g1_encoding_is_rejected_everywhere(backend: BLSBackend, label: str) -> None:
    data = BAD_G1[label]
    assert not backend.validate_g1(data)
    assert not backend.validate_pubkey(data)
    assert not backend.verify(data, MSG, G2_GENERATOR)
    assert not backend.pop_verify(data, G2_GENERATOR)
    assert not backend.fast_aggregate_verify([G1_GENERATOR, data], MSG, G2_GENERATOR)
    assert not backend.aggregate_verify([data], [MSG], G2_GENERATOR)
    with pytest.raises(InvalidPublicKey):
        backend.aggregate_pubkeys([G1_GENERATOR, data])
    with pytest.raises(InvalidPoint):
        backend.g1_add(G1_GENERATOR, data)
    with pytest.raises(InvalidPoint):
        backend.g1_mul(data, 2)
    with pytest.raises(InvalidPoint):
        backend.g1_neg(data)
    with pytest.raises(InvalidPoint):
        backend.poly_eval_g1([G1_GENERATOR, data], 3)
    with pytest.raises(InvalidPoint):
        backend.recover_g1([(1, G1_GENERATOR), (2, data)])


@pytest.mark.parametrize("label", sorted(BAD_G2))
def test_bad_g2_encoding_is_rejected_everywhere(backend: BLSBackend, label: str) -> None:
    data = BAD_G2[label]
    pk = G1_GENERATOR
    assert not backend.validate_g2(data)
    assert not backend.validate_signature(data)
    assert not backend.verify(pk, MSG, data)
    assert not backend.pop_verify(pk, data)
    assert not backend.fast_aggregate_verify([pk], MSG, data)
    assert not backend.aggregate_verify([pk], [MSG], data)
    with pytest.raises(InvalidSignature):
        backend.aggregate([G2_GENERATOR, data])
    with pytest.raises(InvalidPoint):
        backend.g2_add(data, G2_GENERATOR)
    with pytest.raises(InvalidPoint):
        backend.g2_mul(data, 2)
    with pytest.raises(InvalidPoint):
        backend.g2_neg(data)
    with pytest.raises(InvalidPoint):
        backend.recover_g2([(1, G2_GENERATOR), (2, data)])


def test_identity_public_key(backend: BLSBackend) -> None:
    """The identity is a G1 element but never a public key (KeyValidate)."""
    assert backend.validate_g1(G1_IDENTITY)
    assert not backend.validate_pubkey(G1_IDENTITY)
    # e(O, H(m)) == e(G1, O): the trivial forgery must be refused
    assert not backend.verify(G1_IDENTITY, MSG, G2_IDENTITY)
    assert not backend.pop_verify(G1_IDENTITY, G2_IDENTITY)
    assert not backend.fast_aggregate_verify([G1_IDENTITY], MSG, G2_IDENTITY)
    assert not backend.aggregate_verify([G1_IDENTITY], [MSG], G2_IDENTITY)
    with pytest.raises(InvalidPublicKey):
        backend.aggregate_pubkeys([G1_IDENTITY])
    # but the DKG group operations accept it
    assert backend.g1_add(G1_IDENTITY, G1_GENERATOR) == G1_GENERATOR
    assert backend.g1_mul(G1_GENERATOR, 0) == G1_IDENTITY


def test_identity_signature_is_valid_but_never_verifies(backend: BLSBackend) -> None:
    pk = backend.sk_to_pk(SK)
    assert backend.validate_signature(G2_IDENTITY)
    assert not backend.verify(pk, MSG, G2_IDENTITY)
    assert backend.aggregate([G2_IDENTITY]) == G2_IDENTITY


@pytest.mark.parametrize("sk", [0, CURVE_ORDER, CURVE_ORDER + 1, -1, 2**256, True, "1", 1.0, None])
def test_bad_secret_keys(backend: BLSBackend, sk: Any) -> None:
    with pytest.raises(InvalidScalar):
        backend.sk_to_pk(sk)
    with pytest.raises(InvalidScalar):
        backend.sign(sk, MSG)
    with pytest.raises(InvalidScalar):
        backend.pop_prove(sk)


@pytest.mark.parametrize("k", [CURVE_ORDER, CURVE_ORDER + 5, -1, False, "2", 2.0])
def test_bad_group_scalars(backend: BLSBackend, k: Any) -> None:
    with pytest.raises(InvalidScalar):
        backend.g1_mul(G1_GENERATOR, k)
    with pytest.raises(InvalidScalar):
        backend.g2_mul(G2_GENERATOR, k)
    with pytest.raises(InvalidScalar):
        backend.poly_eval_g1([G1_GENERATOR], k)


def test_bad_messages(backend: BLSBackend) -> None:
    with pytest.raises(InvalidMessage):
        backend.sign(SK, "text")  # type: ignore[arg-type]
    with pytest.raises(InvalidMessage):
        backend.hash_to_g2("text")  # type: ignore[arg-type]
    with pytest.raises(InvalidMessage):
        backend.hash_to_g2(MSG, b"")
    with pytest.raises(InvalidMessage):
        backend.hash_to_g2(MSG, b"x" * 256)
    assert backend.hash_to_g2(MSG, b"x" * 255) != backend.hash_to_g2(MSG, b"x" * 254)
    pk, sig = backend.sk_to_pk(SK), backend.sign(SK, MSG)
    assert backend.verify(pk, bytearray(MSG), sig)  # type: ignore[arg-type]  # bytes-likes work
    assert not backend.verify(pk, MSG.hex(), sig)  # type: ignore[arg-type]
    assert not backend.verify(pk, None, sig)  # type: ignore[arg-type]
    assert not backend.aggregate_verify([pk], [MSG.hex()], sig)  # type: ignore[list-item]


def test_domain_separation(ark: BLSBackend) -> None:
    """A signature over the key bytes is not a proof of possession, nor the reverse."""
    pk = ark.sk_to_pk(SK)
    assert not ark.pop_verify(pk, ark.sign(SK, pk))
    assert not ark.verify(pk, pk, ark.pop_prove(SK))
    assert ark.hash_to_g2(MSG) != ark.hash_to_g2(MSG, DST_POP)


def test_empty_and_mismatched_lists(backend: BLSBackend) -> None:
    pk, sig = backend.sk_to_pk(SK), backend.sign(SK, MSG)
    with pytest.raises(EmptyInput):
        backend.aggregate([])
    with pytest.raises(EmptyInput):
        backend.aggregate_pubkeys([])
    with pytest.raises(EmptyInput):
        backend.poly_eval_g1([], 1)
    with pytest.raises(EmptyInput):
        backend.recover_g2([])
    with pytest.raises(TypeError):
        backend.aggregate(sig)  # type: ignore[arg-type]  # a bare signature, not a list
    assert not backend.fast_aggregate_verify([], MSG, sig)
    assert not backend.fast_aggregate_verify(pk, MSG, sig)  # type: ignore[arg-type]
    assert not backend.aggregate_verify([], [], sig)
    assert not backend.aggregate_verify([pk], [MSG, MSG], sig)
    assert not backend.aggregate_verify([pk, pk], [MSG], sig)
    assert backend.aggregate_verify([pk], [MSG], sig)


def test_bad_key_material(backend: BLSBackend) -> None:
    with pytest.raises(InvalidKeyMaterial):
        backend.keygen(b"\x01" * 31)
    with pytest.raises(InvalidKeyMaterial):
        backend.keygen("x" * 32)  # type: ignore[arg-type]
    with pytest.raises(InvalidKeyMaterial):
        backend.keygen(b"\x01" * 32, "info")  # type: ignore[arg-type]
    assert backend.keygen(b"\x01" * 32) != backend.keygen(b"\x01" * 32, b"info")
    assert backend.keygen(b"\x01" * 32) != backend.keygen(b"\x01" * 33)
