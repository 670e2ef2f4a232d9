"""The BLSBackend Protocol: every BLS12-381 operation a backend provides, with its contract.

Owns the interface only. Implementations: ``py_ecc_backend.PyEccBackend`` (reference) and
``arkworks_backend.ArkworksBackend`` (fast); both must return byte-identical results.

Conventions shared by all implementations:
- Public keys are 48-byte compressed G1 points, signatures 96-byte compressed G2 points
  (ZCash serialisation). Only canonical, on-curve, subgroup-checked encodings are accepted.
- Secret keys are ints in [1, r); scalars are ints in [0, r) (r = ``CURVE_ORDER``).
- ``verify``-style functions and ``validate_*`` return False on any malformed input, never
  raise. Everything else raises a narrow ``BLSError`` subclass (see ``errors``).
- The identity G1 point is never a valid public key (KeyValidate), but it is a valid group
  element for the g1_* operations; the identity G2 point is a valid (never verifying)
  signature encoding, so it may be aggregated.
"""

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from node.crypto.bls.constants import DST_SIG


@runtime_checkable
class BLSBackend(Protocol):
    """A complete implementation of BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_ + DKG helpers."""

    #: Short backend name, as accepted by ``node.crypto.bls.get_backend``.
    name: str

    # -- keys and signatures (IETF draft-irtf-cfrg-bls-signature-05, POP scheme) -------------
    def keygen(self, ikm: bytes, key_info: bytes = b"") -> int:
        """IETF KeyGen; ``ikm`` must be at least 32 bytes. Returns a secret key in [1, r)."""
        ...

    def sk_to_pk(self, sk: int) -> bytes:
        """The 48-byte public key sk * G1."""
        ...

    def sign(self, sk: int, msg: bytes) -> bytes:
        """The 96-byte signature sk * H(msg) with the POP scheme's signing DST."""
        ...

    def verify(self, pk: bytes, msg: bytes, sig: bytes) -> bool:
        """True if ``sig`` is a valid signature of ``msg`` under ``pk``."""
        ...

    def aggregate(self, sigs: Sequence[bytes]) -> bytes:
        """Sum of one or more signatures (each subgroup-checked)."""
        ...

    def aggregate_pubkeys(self, pks: Sequence[bytes]) -> bytes:
        """Sum of one or more public keys (each must pass KeyValidate)."""
        ...

    def fast_aggregate_verify(self, pks: Sequence[bytes], msg: bytes, sig: bytes) -> bool:
        """True if ``sig`` aggregates signatures of the same ``msg`` by every key in ``pks``."""
        ...

    def aggregate_verify(self, pks: Sequence[bytes], msgs: Sequence[bytes], sig: bytes) -> bool:
        """True if ``sig`` aggregates signatures of ``msgs[i]`` under ``pks[i]`` for all i."""
        ...

    def pop_prove(self, sk: int) -> bytes:
        """Proof of possession: a signature of sk_to_pk(sk) under the POP DST."""
        ...

    def pop_verify(self, pk: bytes, proof: bytes) -> bool:
        """True if ``proof`` is a valid proof of possession for ``pk``."""
        ...

    def validate_pubkey(self, pk: bytes) -> bool:
        """KeyValidate: a canonical compressed G1 point in the subgroup, not the identity."""
        ...

    def validate_signature(self, sig: bytes) -> bool:
        """A canonical compressed G2 point in the subgroup (the identity included)."""
        ...

    def validate_g1(self, point: bytes) -> bool:
        """A canonical compressed G1 point in the subgroup (the identity included)."""
        ...

    def validate_g2(self, point: bytes) -> bool:
        """A canonical compressed G2 point in the subgroup (the identity included)."""
        ...

    def hash_to_g2(self, msg: bytes, dst: bytes = DST_SIG) -> bytes:
        """RFC 9380 hash_to_curve (BLS12381G2_XMD:SHA-256_SSWU_RO_) of ``msg`` with ``dst``."""
        ...

    # -- scalar field (pure integers, shared implementation) ----------------------------------
    def scalar_add(self, a: int, b: int) -> int:
        """(a + b) mod r."""
        ...

    def scalar_sub(self, a: int, b: int) -> int:
        """(a - b) mod r."""
        ...

    def scalar_mul(self, a: int, b: int) -> int:
        """(a * b) mod r."""
        ...

    def scalar_inv(self, a: int) -> int:
        """a^-1 mod r (a != 0)."""
        ...

    def scalar_neg(self, a: int) -> int:
        """(-a) mod r."""
        ...

    def poly_eval_scalar(self, coeffs: Sequence[int], x: int) -> int:
        """sum(coeffs[j] * x^j) mod r."""
        ...

    def lagrange_coefficients(self, ids: Sequence[int], at: int = 0) -> list[int]:
        """Lagrange basis values at ``at`` for distinct non-zero ``ids``."""
        ...

    def recover_scalar(self, shares: Sequence[tuple[int, int]]) -> int:
        """f(0) from (id, f(id)) shares."""
        ...

    # -- group operations for the DKG ---------------------------------------------------------
    def g1_add(self, a: bytes, b: bytes) -> bytes:
        """a + b in G1."""
        ...

    def g1_mul(self, p: bytes, k: int) -> bytes:
        """k * p in G1, k in [0, r)."""
        ...

    def g1_neg(self, p: bytes) -> bytes:
        """-p in G1."""
        ...

    def g2_add(self, a: bytes, b: bytes) -> bytes:
        """a + b in G2."""
        ...

    def g2_mul(self, p: bytes, k: int) -> bytes:
        """k * p in G2, k in [0, r)."""
        ...

    def g2_neg(self, p: bytes) -> bytes:
        """-p in G2."""
        ...

    def poly_eval_g1(self, commitments: Sequence[bytes], x: int) -> bytes:
        """sum(x^j * commitments[j]) in G1: the Feldman verification-vector evaluation."""
        ...

    def recover_g1(self, shares: Sequence[tuple[int, bytes]]) -> bytes:
        """Lagrange interpolation at 0 of G1 shares (e.g. the quorum public key)."""
        ...

    def recover_g2(self, shares: Sequence[tuple[int, bytes]]) -> bytes:
        """Lagrange interpolation at 0 of G2 shares: the threshold signature."""
        ...
