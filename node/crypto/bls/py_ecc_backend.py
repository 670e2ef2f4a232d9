"""Reference BLS backend on py_ecc 8 (pure Python; slow: a verification takes ~0.25 s).

Owns ``PyEccBackend``. The signature scheme itself is py_ecc's ``G2ProofOfPossession`` (the
implementation the Ethereum test vectors were generated with); group arithmetic for the DKG
uses ``py_ecc.optimized_bls12_381``. This module adds what py_ecc leaves to the caller: strict
argument types, canonical-encoding checks (``encoding``), subgroup checks on every decoded
point (py_ecc's ``Aggregate`` and point decompression do not check the subgroup), and narrow
``BLSError`` exceptions instead of py_ecc's ``ValidationError``.
"""

from collections.abc import Callable, Sequence
from hashlib import sha256
from typing import Any, TypeVar, cast

from eth_typing import BLSPubkey, BLSSignature
from eth_utils.exceptions import ValidationError
from py_ecc.bls.ciphersuites import G2ProofOfPossession
from py_ecc.bls.g2_primitives import (
    G1_to_pubkey,
    G2_to_signature,
    pubkey_to_G1,
    signature_to_G2,
    subgroup_check,
)
from py_ecc.bls.hash_to_curve import hash_to_G2
from py_ecc.bls.typing import G1Uncompressed, G2Uncompressed
from py_ecc.optimized_bls12_381.optimized_curve import Z1, Z2, add, is_inf, multiply, neg

from node.crypto.bls.constants import DST_SIG
from node.crypto.bls.encoding import (
    as_bytes,
    as_sequence,
    check_dst,
    check_message,
    g1_well_formed,
    g2_well_formed,
    require_items,
)
from node.crypto.bls.errors import InvalidPoint, InvalidPublicKey, InvalidSignature
from node.crypto.bls.scalar import (
    ScalarOps,
    check_key_material,
    check_scalar,
    check_secret_key,
    lagrange_coefficients,
    split_shares,
)

_POP = G2ProofOfPossession
# What py_ecc raises on malformed input; anything else is a bug and propagates.
_PY_ECC_ERRORS = (ValidationError, ValueError, AssertionError, TypeError)

P = TypeVar("P", G1Uncompressed, G2Uncompressed)


def _decode_g1(data: object) -> G1Uncompressed | None:
    raw = as_bytes(data)
    if raw is None or not g1_well_formed(raw):
        return None
    try:
        point = pubkey_to_G1(BLSPubkey(raw))
    except _PY_ECC_ERRORS:
        return None
    return point if subgroup_check(point) else None


def _decode_g2(data: object) -> G2Uncompressed | None:
    raw = as_bytes(data)
    if raw is None or not g2_well_formed(raw):
        return None
    try:
        point = signature_to_G2(BLSSignature(raw))
    except _PY_ECC_ERRORS:
        return None
    return point if subgroup_check(point) else None


def _g1(data: object, what: str) -> G1Uncompressed:
    point = _decode_g1(data)
    if point is None:
        raise InvalidPoint(f"{what} is not a valid compressed G1 point")
    return point


def _g2(data: object, what: str) -> G2Uncompressed:
    point = _decode_g2(data)
    if point is None:
        raise InvalidPoint(f"{what} is not a valid compressed G2 point")
    return point


def _bytes_list(items: object) -> list[bytes] | None:
    seq = as_sequence(items)
    if seq is None:
        return None
    out = [as_bytes(x) for x in seq]
    return None if any(x is None for x in out) else [x for x in out if x is not None]


def _checked_verify(
    pk: object,
    msg: object,
    sig: object,
    check: Callable[[BLSPubkey, bytes, BLSSignature], bool],
) -> bool:
    raw_pk, raw_msg, raw_sig = as_bytes(pk), as_bytes(msg), as_bytes(sig)
    if raw_pk is None or raw_msg is None or raw_sig is None:
        return False
    if not g1_well_formed(raw_pk) or not g2_well_formed(raw_sig):
        return False
    try:
        return bool(check(BLSPubkey(raw_pk), raw_msg, BLSSignature(raw_sig)))
    except _PY_ECC_ERRORS:
        return False


def _lincomb(points: Sequence[P], scalars: Sequence[int], zero: P) -> P:
    acc = zero
    for point, k in zip(points, scalars, strict=True):
        acc = add(acc, multiply(point, k))
    return acc


class PyEccBackend(ScalarOps):
    """BLS12-381 POP ciphersuite and DKG group operations on py_ecc (the reference)."""

    name = "py_ecc"

    # -- keys and signatures ------------------------------------------------------------------
    def keygen(self, ikm: bytes, key_info: bytes = b"") -> int:
        raw_ikm, raw_info = check_key_material(ikm, key_info)
        return int(_POP.KeyGen(raw_ikm, raw_info))

    def sk_to_pk(self, sk: int) -> bytes:
        return bytes(_POP.SkToPk(check_secret_key(sk)))

    def sign(self, sk: int, msg: bytes) -> bytes:
        return bytes(_POP.Sign(check_secret_key(sk), check_message(msg)))

    def verify(self, pk: bytes, msg: bytes, sig: bytes) -> bool:
        return _checked_verify(pk, msg, sig, _POP.Verify)

    def pop_prove(self, sk: int) -> bytes:
        return bytes(_POP.PopProve(check_secret_key(sk)))

    def pop_verify(self, pk: bytes, proof: bytes) -> bool:
        raw = as_bytes(pk)
        if raw is None:
            return False
        return _checked_verify(raw, raw, proof, lambda p, _m, s: _POP.PopVerify(p, s))

    def aggregate(self, sigs: Sequence[bytes]) -> bytes:
        items = require_items(sigs, "signature list")
        points: list[G2Uncompressed] = []
        for i, sig in enumerate(items):
            point = _decode_g2(sig)
            if point is None:
                raise InvalidSignature(f"signature {i} is not a valid compressed G2 point")
            points.append(point)
        acc = Z2
        for point in points:
            acc = add(acc, point)
        return bytes(G2_to_signature(acc))

    def aggregate_pubkeys(self, pks: Sequence[bytes]) -> bytes:
        items = require_items(pks, "public key list")
        acc = Z1
        for i, pk in enumerate(items):
            point = _decode_g1(pk)
            if point is None or is_inf(point):
                raise InvalidPublicKey(f"public key {i} fails KeyValidate")
            acc = add(acc, point)
        return bytes(G1_to_pubkey(acc))

    def fast_aggregate_verify(self, pks: Sequence[bytes], msg: bytes, sig: bytes) -> bool:
        raw_pks = _bytes_list(pks)
        raw_msg, raw_sig = as_bytes(msg), as_bytes(sig)
        if not raw_pks or raw_msg is None or raw_sig is None:
            return False
        if not all(g1_well_formed(pk) for pk in raw_pks) or not g2_well_formed(raw_sig):
            return False
        try:
            pk_list = [BLSPubkey(pk) for pk in raw_pks]
            return bool(_POP.FastAggregateVerify(pk_list, raw_msg, BLSSignature(raw_sig)))
        except _PY_ECC_ERRORS:
            return False

    def aggregate_verify(self, pks: Sequence[bytes], msgs: Sequence[bytes], sig: bytes) -> bool:
        raw_pks, raw_msgs, raw_sig = _bytes_list(pks), _bytes_list(msgs), as_bytes(sig)
        if not raw_pks or raw_msgs is None or raw_sig is None or len(raw_pks) != len(raw_msgs):
            return False
        if not all(g1_well_formed(pk) for pk in raw_pks) or not g2_well_formed(raw_sig):
            return False
        try:
            pk_list = [BLSPubkey(pk) for pk in raw_pks]
            return bool(_POP.AggregateVerify(pk_list, raw_msgs, BLSSignature(raw_sig)))
        except _PY_ECC_ERRORS:
            return False

    # -- validation ---------------------------------------------------------------------------
    def validate_pubkey(self, pk: bytes) -> bool:
        raw = as_bytes(pk)
        if raw is None or not g1_well_formed(raw):
            return False
        return bool(_POP.KeyValidate(BLSPubkey(raw)))

    def validate_signature(self, sig: bytes) -> bool:
        return _decode_g2(sig) is not None

    def validate_g1(self, point: bytes) -> bool:
        return _decode_g1(point) is not None

    def validate_g2(self, point: bytes) -> bool:
        return _decode_g2(point) is not None

    def hash_to_g2(self, msg: bytes, dst: bytes = DST_SIG) -> bytes:
        # py_ecc annotates the hash argument as a hash object but calls it as a constructor.
        point = hash_to_G2(check_message(msg), check_dst(dst), cast(Any, sha256))
        return bytes(G2_to_signature(point))

    # -- group operations ---------------------------------------------------------------------
    def g1_add(self, a: bytes, b: bytes) -> bytes:
        return bytes(G1_to_pubkey(add(_g1(a, "a"), _g1(b, "b"))))

    def g1_mul(self, p: bytes, k: int) -> bytes:
        point = _g1(p, "p")
        return bytes(G1_to_pubkey(multiply(point, check_scalar(k, "k"))))

    def g1_neg(self, p: bytes) -> bytes:
        return bytes(G1_to_pubkey(neg(_g1(p, "p"))))

    def g2_add(self, a: bytes, b: bytes) -> bytes:
        return bytes(G2_to_signature(add(_g2(a, "a"), _g2(b, "b"))))

    def g2_mul(self, p: bytes, k: int) -> bytes:
        point = _g2(p, "p")
        return bytes(G2_to_signature(multiply(point, check_scalar(k, "k"))))

    def g2_neg(self, p: bytes) -> bytes:
        return bytes(G2_to_signature(neg(_g2(p, "p"))))

    def poly_eval_g1(self, commitments: Sequence[bytes], x: int) -> bytes:
        items = require_items(commitments, "commitment list")
        points = [_g1(c, f"commitment {j}") for j, c in enumerate(items)]
        check_scalar(x, "x")
        acc = Z1
        for point in reversed(points):  # Horner: acc = acc * x + C_j
            acc = add(multiply(acc, x), point)
        return bytes(G1_to_pubkey(acc))

    def recover_g1(self, shares: Sequence[tuple[int, bytes]]) -> bytes:
        ids, values = split_shares(shares)
        coeffs = lagrange_coefficients(ids, 0)
        points = [_g1(v, f"share {i}") for i, v in enumerate(values)]
        return bytes(G1_to_pubkey(_lincomb(points, coeffs, Z1)))

    def recover_g2(self, shares: Sequence[tuple[int, bytes]]) -> bytes:
        ids, values = split_shares(shares)
        coeffs = lagrange_coefficients(ids, 0)
        points = [_g2(v, f"share {i}") for i, v in enumerate(values)]
        return bytes(G2_to_signature(_lincomb(points, coeffs, Z2)))
