"""Integer arithmetic modulo the BLS12-381 group order r, shared by every backend.

Owns: range checks for scalars and secret keys, the field operations (add, sub, mul, inv, neg),
polynomial evaluation, Lagrange coefficients and scalar secret recovery for the DKG, and the
IETF KeyGen (draft-irtf-cfrg-bls-signature-05 section 2.3, HKDF-SHA-256). Pure Python integers
only, deterministic, no curve library needed.
"""

import hashlib
import hmac
from collections.abc import Sequence
from typing import TypeVar

from node.crypto.bls.constants import CURVE_ORDER, MIN_IKM_SIZE
from node.crypto.bls.errors import EmptyInput, InvalidKeyMaterial, InvalidScalar, InvalidShareSet

T = TypeVar("T")

_KEYGEN_SALT = b"BLS-SIG-KEYGEN-SALT-"
#: L = ceil((3 * ceil(log2(r))) / 16) = 48 bytes of HKDF output per KeyGen attempt.
_KEYGEN_OKM_SIZE = 48


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_scalar(value: object, what: str = "scalar") -> int:
    """Return ``value`` if it is an int in [0, r), else raise InvalidScalar."""
    if not _is_int(value):
        raise InvalidScalar(f"{what} must be an int, got {type(value).__name__}")
    assert isinstance(value, int)
    if not 0 <= value < CURVE_ORDER:
        raise InvalidScalar(f"{what} must be in [0, r), got {value}")
    return value


def check_secret_key(sk: object) -> int:
    """Return ``sk`` if it is a valid secret key (an int in [1, r)), else raise InvalidScalar."""
    value = check_scalar(sk, "secret key")
    if value == 0:
        raise InvalidScalar("secret key must not be 0")
    return value


def scalar_add(a: int, b: int) -> int:
    """(a + b) mod r."""
    return (check_scalar(a, "a") + check_scalar(b, "b")) % CURVE_ORDER


def scalar_sub(a: int, b: int) -> int:
    """(a - b) mod r."""
    return (check_scalar(a, "a") - check_scalar(b, "b")) % CURVE_ORDER


def scalar_mul(a: int, b: int) -> int:
    """(a * b) mod r."""
    return (check_scalar(a, "a") * check_scalar(b, "b")) % CURVE_ORDER


def scalar_neg(a: int) -> int:
    """(-a) mod r."""
    return -check_scalar(a, "a") % CURVE_ORDER


def scalar_inv(a: int) -> int:
    """a^-1 mod r; raises InvalidScalar for 0, which has no inverse."""
    if check_scalar(a, "a") == 0:
        raise InvalidScalar("0 has no inverse modulo r")
    return pow(a, -1, CURVE_ORDER)


def poly_eval_scalar(coeffs: Sequence[int], x: int) -> int:
    """Evaluate sum(coeffs[j] * x^j) mod r (coeffs[0] is the constant term), by Horner's rule."""
    if len(coeffs) == 0:
        raise EmptyInput("polynomial has no coefficients")
    check_scalar(x, "x")
    acc = 0
    for j, c in enumerate(reversed(coeffs)):
        check_scalar(c, f"coefficient {len(coeffs) - 1 - j}")
        acc = (acc * x + c) % CURVE_ORDER
    return acc


def powers(x: int, count: int) -> list[int]:
    """[x^0, x^1, ..., x^(count-1)] mod r."""
    check_scalar(x, "x")
    out: list[int] = []
    acc = 1
    for _ in range(count):
        out.append(acc)
        acc = acc * x % CURVE_ORDER
    return out


def check_ids(ids: Sequence[int]) -> list[int]:
    """Validate a set of member ids for interpolation: non-empty, each in [1, r), all distinct."""
    if len(ids) == 0:
        raise EmptyInput("no ids given")
    seen: set[int] = set()
    out: list[int] = []
    for i, ident in enumerate(ids):
        if not _is_int(ident):
            raise InvalidShareSet(f"id {i} must be an int, got {type(ident).__name__}")
        if ident == 0:
            raise InvalidShareSet(f"id {i} is zero (the secret sits at x = 0)")
        if not 0 < ident < CURVE_ORDER:
            raise InvalidShareSet(f"id {i} must be in [1, r), got {ident}")
        if ident in seen:
            raise InvalidShareSet(f"id {ident} appears more than once")
        seen.add(ident)
        out.append(ident)
    return out


def lagrange_coefficients(ids: Sequence[int], at: int = 0) -> list[int]:
    """Lagrange basis values l_i(at) mod r for the distinct non-zero ``ids``.

    sum(l_i(at) * f(ids[i])) == f(at) for every polynomial f of degree < len(ids).
    Uses one modular inversion (Montgomery's batch trick) for the whole set.
    """
    xs = check_ids(ids)
    check_scalar(at, "at")
    nums: list[int] = []
    dens: list[int] = []
    for i, xi in enumerate(xs):
        num = 1
        den = 1
        for j, xj in enumerate(xs):
            if i != j:
                num = num * (at - xj) % CURVE_ORDER
                den = den * (xi - xj) % CURVE_ORDER
        nums.append(num)
        dens.append(den)
    inv = _batch_inverse(dens)
    return [n * d % CURVE_ORDER for n, d in zip(nums, inv, strict=True)]


def _batch_inverse(values: Sequence[int]) -> list[int]:
    """Inverses of non-zero values mod r with a single modular exponentiation."""
    prefix: list[int] = []
    acc = 1
    for v in values:
        prefix.append(acc)
        acc = acc * v % CURVE_ORDER
    inv_acc = pow(acc, -1, CURVE_ORDER)
    out = [0] * len(values)
    for i in range(len(values) - 1, -1, -1):
        out[i] = prefix[i] * inv_acc % CURVE_ORDER
        inv_acc = inv_acc * values[i] % CURVE_ORDER
    return out


def split_shares(shares: Sequence[tuple[int, T]]) -> tuple[list[int], list[T]]:
    """Split (id, value) pairs into ids and values, rejecting malformed pairs."""
    if len(shares) == 0:
        raise EmptyInput("no shares given")
    ids: list[int] = []
    values: list[T] = []
    for i, share in enumerate(shares):
        if not isinstance(share, tuple) or len(share) != 2:
            raise InvalidShareSet(f"share {i} must be an (id, value) pair")
        ids.append(share[0])
        values.append(share[1])
    return ids, values


def recover_scalar(shares: Sequence[tuple[int, int]]) -> int:
    """Interpolate f(0) mod r from (id, f(id)) shares (Shamir secret recovery)."""
    ids, values = split_shares(shares)
    for i, v in enumerate(values):
        check_scalar(v, f"share {i} value")
    coeffs = lagrange_coefficients(ids, 0)
    return sum(c * v for c, v in zip(coeffs, values, strict=True)) % CURVE_ORDER


def _hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def _hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out = b""
    block = b""
    counter = 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def check_key_material(ikm: object, key_info: object) -> tuple[bytes, bytes]:
    """KeyGen arguments as bytes: ``ikm`` of at least 32 bytes, any ``key_info``."""
    if not isinstance(ikm, bytes | bytearray | memoryview):
        raise InvalidKeyMaterial(f"ikm must be bytes, got {type(ikm).__name__}")
    if not isinstance(key_info, bytes | bytearray | memoryview):
        raise InvalidKeyMaterial(f"key_info must be bytes, got {type(key_info).__name__}")
    if len(ikm) < MIN_IKM_SIZE:
        raise InvalidKeyMaterial(f"ikm must be at least {MIN_IKM_SIZE} bytes, got {len(ikm)}")
    return bytes(ikm), bytes(key_info)


def keygen(ikm: bytes, key_info: bytes = b"") -> int:
    """IETF BLS KeyGen: derive a secret key in [1, r) from >= 32 bytes of keying material.

    salt = "BLS-SIG-KEYGEN-SALT-"; repeat { salt = SHA-256(salt);
    PRK = HKDF-Extract(salt, IKM || I2OSP(0, 1));
    OKM = HKDF-Expand(PRK, key_info || I2OSP(L, 2), L); SK = OS2IP(OKM) mod r } until SK != 0.
    Same as EIP-2333's derive_master_SK when key_info is empty.
    """
    ikm, key_info = check_key_material(ikm, key_info)
    info = bytes(key_info) + _KEYGEN_OKM_SIZE.to_bytes(2, "big")
    salt = _KEYGEN_SALT
    sk = 0
    while sk == 0:
        salt = hashlib.sha256(salt).digest()
        prk = _hkdf_extract(salt, ikm + b"\x00")
        sk = int.from_bytes(_hkdf_expand(prk, info, _KEYGEN_OKM_SIZE), "big") % CURVE_ORDER
    return sk


class ScalarOps:
    """Mixin giving a backend the shared scalar-field, Lagrange and KeyGen operations."""

    keygen = staticmethod(keygen)
    scalar_add = staticmethod(scalar_add)
    scalar_sub = staticmethod(scalar_sub)
    scalar_mul = staticmethod(scalar_mul)
    scalar_inv = staticmethod(scalar_inv)
    scalar_neg = staticmethod(scalar_neg)
    poly_eval_scalar = staticmethod(poly_eval_scalar)
    lagrange_coefficients = staticmethod(lagrange_coefficients)
    recover_scalar = staticmethod(recover_scalar)
