"""BLS12-381 signatures (IETF BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_) and DKG group maths.

The facade of the package: ``get_backend`` picks an implementation of ``BLSBackend``, and the
module-level functions delegate to the default one. Backends:

- ``"arkworks"`` (``py_arkworks_bls12381``, native, the default when importable);
- ``"py_ecc"`` (pure Python reference, ~200x slower).

Both give byte-identical results. Public keys are 48-byte compressed G1 points, signatures
96-byte compressed G2 points, secret keys ints in [1, r). Verification functions return False on
malformed input; everything else raises a ``BLSError`` subclass (``node.crypto.bls.errors``).
"""

import importlib
from collections.abc import Sequence
from typing import Final

from node.crypto.bls.backend import BLSBackend
from node.crypto.bls.constants import (
    CURVE_ORDER,
    DST_POP,
    DST_SIG,
    FIELD_MODULUS,
    G1_GENERATOR,
    G1_IDENTITY,
    G1_SIZE,
    G2_GENERATOR,
    G2_IDENTITY,
    G2_SIZE,
    MIN_IKM_SIZE,
)
from node.crypto.bls.errors import (
    BackendUnavailable,
    BLSError,
    EmptyInput,
    InvalidKeyMaterial,
    InvalidMessage,
    InvalidPoint,
    InvalidPublicKey,
    InvalidScalar,
    InvalidShareSet,
    InvalidSignature,
)
from node.crypto.bls.scalar import (
    lagrange_coefficients,
    poly_eval_scalar,
    recover_scalar,
    scalar_add,
    scalar_inv,
    scalar_mul,
    scalar_neg,
    scalar_sub,
)

#: Backend name -> (module, class), in order of preference for the default.
_REGISTRY: Final = {
    "arkworks": ("node.crypto.bls.arkworks_backend", "ArkworksBackend"),
    "py_ecc": ("node.crypto.bls.py_ecc_backend", "PyEccBackend"),
}
_instances: dict[str, BLSBackend] = {}


def backend_names() -> tuple[str, ...]:
    """Every backend name ``get_backend`` knows, installed or not, in order of preference."""
    return tuple(_REGISTRY)


def available_backends() -> tuple[str, ...]:
    """The backend names whose library is installed, in order of preference."""
    out = []
    for name in _REGISTRY:
        try:
            get_backend(name)
        except BackendUnavailable:
            continue
        out.append(name)
    return tuple(out)


def get_backend(name: str | None = None) -> BLSBackend:
    """The backend called ``name``; None means the fastest installed one (arkworks, else py_ecc).

    Raises BackendUnavailable for an unknown name or a backend whose library is missing.
    """
    if name is None:
        for candidate in _REGISTRY:
            try:
                return get_backend(candidate)
            except BackendUnavailable:
                continue
        raise BackendUnavailable(
            "no BLS backend is installed (need py_arkworks_bls12381 or py_ecc)"
        )
    cached = _instances.get(name)
    if cached is not None:
        return cached
    if name not in _REGISTRY:
        raise BackendUnavailable(f"unknown BLS backend {name!r}; known: {', '.join(_REGISTRY)}")
    module_name, class_name = _REGISTRY[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BackendUnavailable(f"BLS backend {name!r} is not installed: {exc}") from exc
    backend: BLSBackend = getattr(module, class_name)()
    _instances[name] = backend
    return backend


# -- module-level API on the default backend ---------------------------------------------------


def keygen(ikm: bytes, key_info: bytes = b"") -> int:
    """IETF KeyGen: a secret key in [1, r) from at least 32 bytes of keying material."""
    return get_backend().keygen(ikm, key_info)


def sk_to_pk(sk: int) -> bytes:
    """The 48-byte public key of secret key ``sk``."""
    return get_backend().sk_to_pk(sk)


def sign(sk: int, msg: bytes) -> bytes:
    """The 96-byte POP-scheme signature of ``msg``."""
    return get_backend().sign(sk, msg)


def verify(pk: bytes, msg: bytes, sig: bytes) -> bool:
    """True if ``sig`` signs ``msg`` under ``pk``; False on any malformed input."""
    return get_backend().verify(pk, msg, sig)


def aggregate(sigs: Sequence[bytes]) -> bytes:
    """Sum of one or more signatures."""
    return get_backend().aggregate(sigs)


def aggregate_pubkeys(pks: Sequence[bytes]) -> bytes:
    """Sum of one or more valid public keys."""
    return get_backend().aggregate_pubkeys(pks)


def fast_aggregate_verify(pks: Sequence[bytes], msg: bytes, sig: bytes) -> bool:
    """True if ``sig`` aggregates signatures of one ``msg`` by all of ``pks``."""
    return get_backend().fast_aggregate_verify(pks, msg, sig)


def aggregate_verify(pks: Sequence[bytes], msgs: Sequence[bytes], sig: bytes) -> bool:
    """True if ``sig`` aggregates signatures of ``msgs[i]`` by ``pks[i]``."""
    return get_backend().aggregate_verify(pks, msgs, sig)


def pop_prove(sk: int) -> bytes:
    """Proof of possession of ``sk``."""
    return get_backend().pop_prove(sk)


def pop_verify(pk: bytes, proof: bytes) -> bool:
    """True if ``proof`` proves possession of the key behind ``pk``."""
    return get_backend().pop_verify(pk, proof)


def validate_pubkey(pk: bytes) -> bool:
    """KeyValidate: canonical, subgroup-checked, not the identity."""
    return get_backend().validate_pubkey(pk)


def validate_signature(sig: bytes) -> bool:
    """Canonical, subgroup-checked compressed G2 point (identity included)."""
    return get_backend().validate_signature(sig)


def validate_g1(point: bytes) -> bool:
    """Canonical, subgroup-checked compressed G1 point (identity included)."""
    return get_backend().validate_g1(point)


def validate_g2(point: bytes) -> bool:
    """Canonical, subgroup-checked compressed G2 point (identity included)."""
    return get_backend().validate_g2(point)


def hash_to_g2(msg: bytes, dst: bytes = DST_SIG) -> bytes:
    """RFC 9380 hash of ``msg`` to G2 under ``dst``, compressed."""
    return get_backend().hash_to_g2(msg, dst)


def g1_add(a: bytes, b: bytes) -> bytes:
    """a + b in G1."""
    return get_backend().g1_add(a, b)


def g1_mul(p: bytes, k: int) -> bytes:
    """k * p in G1."""
    return get_backend().g1_mul(p, k)


def g1_neg(p: bytes) -> bytes:
    """-p in G1."""
    return get_backend().g1_neg(p)


def g2_add(a: bytes, b: bytes) -> bytes:
    """a + b in G2."""
    return get_backend().g2_add(a, b)


def g2_mul(p: bytes, k: int) -> bytes:
    """k * p in G2."""
    return get_backend().g2_mul(p, k)


def g2_neg(p: bytes) -> bytes:
    """-p in G2."""
    return get_backend().g2_neg(p)


def poly_eval_g1(commitments: Sequence[bytes], x: int) -> bytes:
    """Feldman: sum(x^j * commitments[j]) in G1."""
    return get_backend().poly_eval_g1(commitments, x)


def recover_g1(shares: Sequence[tuple[int, bytes]]) -> bytes:
    """Lagrange interpolation at 0 of (id, G1 point) shares."""
    return get_backend().recover_g1(shares)


def recover_g2(shares: Sequence[tuple[int, bytes]]) -> bytes:
    """Threshold signature from (id, signature share) pairs."""
    return get_backend().recover_g2(shares)


__all__ = [
    "CURVE_ORDER",
    "DST_POP",
    "DST_SIG",
    "FIELD_MODULUS",
    "G1_GENERATOR",
    "G1_IDENTITY",
    "G1_SIZE",
    "G2_GENERATOR",
    "G2_IDENTITY",
    "G2_SIZE",
    "MIN_IKM_SIZE",
    "BLSBackend",
    "BLSError",
    "BackendUnavailable",
    "EmptyInput",
    "InvalidKeyMaterial",
    "InvalidMessage",
    "InvalidPoint",
    "InvalidPublicKey",
    "InvalidScalar",
    "InvalidShareSet",
    "InvalidSignature",
    "aggregate",
    "aggregate_pubkeys",
    "aggregate_verify",
    "available_backends",
    "backend_names",
    "fast_aggregate_verify",
    "g1_add",
    "g1_mul",
    "g1_neg",
    "g2_add",
    "g2_mul",
    "g2_neg",
    "get_backend",
    "hash_to_g2",
    "keygen",
    "lagrange_coefficients",
    "poly_eval_g1",
    "poly_eval_scalar",
    "pop_prove",
    "pop_verify",
    "recover_g1",
    "recover_g2",
    "recover_scalar",
    "scalar_add",
    "scalar_inv",
    "scalar_mul",
    "scalar_neg",
    "scalar_sub",
    "sign",
    "sk_to_pk",
    "validate_g1",
    "validate_g2",
    "validate_pubkey",
    "validate_signature",
    "verify",
]
