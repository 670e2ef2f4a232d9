"""BIP340 Schnorr signatures over secp256k1 (SPEC §2): secret keys, 32-byte x-only public
keys, 64-byte signatures, via coincurve 21 (libsecp256k1).

`verify` is on the node's hottest path (script CHECKSIG): it never raises, returns False for
any malformed input, and keeps parsed public keys in a small LRU cache (parsing costs ~3.5 µs
of the ~26 µs of a verification). Messages may be of any length (BIP340 allows it; the
node itself always signs 32-byte tagged hashes); signing uses libsecp256k1's
`schnorrsig_sign_custom` because coincurve's `sign_schnorr` only takes 32-byte messages.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Final

from coincurve._libsecp256k1 import ffi, lib
from coincurve.context import GLOBAL_CONTEXT

from node.crypto.errors import CryptoError

__all__ = [
    "AUX_RAND_SIZE",
    "PUBKEY_SIZE",
    "SECRET_SIZE",
    "SIGNATURE_SIZE",
    "InvalidAuxRand",
    "InvalidSecret",
    "SchnorrError",
    "SigningFailed",
    "generate_secret",
    "is_valid_pubkey",
    "is_valid_secret",
    "pubkey_from_secret",
    "sign",
    "verify",
]

SECRET_SIZE: Final = 32
PUBKEY_SIZE: Final = 32
SIGNATURE_SIZE: Final = 64
AUX_RAND_SIZE: Final = 32
# Order of the secp256k1 group.
CURVE_ORDER: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
PUBKEY_CACHE_SIZE: Final = 8192

# SECP256K1_SCHNORRSIG_EXTRAPARAMS_MAGIC from secp256k1_schnorrsig.h
_EXTRAPARAMS_MAGIC: Final = b"\xda\x6f\xb3\x8c"
_CTX: Final[Any] = GLOBAL_CONTEXT.ctx
_lib_verify: Final[Any] = lib.secp256k1_schnorrsig_verify


class SchnorrError(CryptoError):
    """Base class of Schnorr key and signing errors."""


class InvalidSecret(SchnorrError):
    """A secret key that is not 32 bytes encoding an integer in [1, n-1]."""


class InvalidAuxRand(SchnorrError):
    """Auxiliary signing randomness that is not 32 bytes."""


class SigningFailed(SchnorrError):
    """libsecp256k1 failed to sign, or produced a signature that does not verify."""


def _as_bytes(value: object) -> bytes | None:
    """`value` as bytes if it is a bytes-like buffer, else None (ints are not buffers here)."""
    if type(value) is bytes:
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return None


def is_valid_secret(secret: bytes) -> bool:
    """Whether `secret` is 32 bytes encoding an integer in [1, n-1] (big-endian)."""
    if not isinstance(secret, bytes | bytearray) or len(secret) != SECRET_SIZE:
        return False
    return 0 < int.from_bytes(secret, "big") < CURVE_ORDER


def generate_secret() -> bytes:
    """A fresh random valid secret key from the OS CSPRNG."""
    while True:
        secret = os.urandom(SECRET_SIZE)
        if is_valid_secret(secret):
            return secret


def _keypair(secret: bytes) -> Any:
    if not is_valid_secret(secret):
        raise InvalidSecret("secret key must be 32 bytes encoding an integer in [1, n-1]")
    keypair = ffi.new("secp256k1_keypair *")
    if not lib.secp256k1_keypair_create(_CTX, keypair, bytes(secret)):
        raise InvalidSecret("libsecp256k1 rejected the secret key")
    return keypair


def _xonly_of(keypair: Any) -> Any:
    xonly = ffi.new("secp256k1_xonly_pubkey *")
    if not lib.secp256k1_keypair_xonly_pub(_CTX, xonly, ffi.NULL, keypair):
        raise InvalidSecret("could not derive the public key")
    return xonly


def pubkey_from_secret(secret: bytes) -> bytes:
    """The 32-byte x-only public key of `secret`; raises InvalidSecret."""
    xonly = _xonly_of(_keypair(secret))
    out = ffi.new("unsigned char[32]")
    lib.secp256k1_xonly_pubkey_serialize(_CTX, out, xonly)
    return bytes(ffi.buffer(out, PUBKEY_SIZE))


def sign(secret: bytes, msg: bytes, aux_rand: bytes | None = None) -> bytes:
    """BIP340 signature (64 bytes) of `msg` (any length) under `secret`.

    `aux_rand` is BIP340's 32 bytes of auxiliary randomness; None draws fresh randomness
    from the OS (BIP340's recommendation). Pass explicit bytes for deterministic signatures.
    The signature is verified before it is returned.
    """
    msg_b = _as_bytes(msg)
    aux_b = os.urandom(AUX_RAND_SIZE) if aux_rand is None else _as_bytes(aux_rand)
    if msg_b is None or aux_b is None:
        raise TypeError("msg and aux_rand must be bytes-like")
    if len(aux_b) != AUX_RAND_SIZE:
        raise InvalidAuxRand(f"aux_rand must be {AUX_RAND_SIZE} bytes, got {len(aux_b)}")
    keypair = _keypair(secret)
    aux_buf = ffi.new("unsigned char[32]", aux_b)
    params = ffi.new("secp256k1_schnorrsig_extraparams *")
    params.magic = _EXTRAPARAMS_MAGIC
    params.noncefp = ffi.NULL
    params.ndata = aux_buf
    sig_buf = ffi.new("unsigned char[64]")
    if not lib.secp256k1_schnorrsig_sign_custom(_CTX, sig_buf, msg_b, len(msg_b), keypair, params):
        raise SigningFailed("libsecp256k1 failed to produce a signature")
    sig = bytes(ffi.buffer(sig_buf, SIGNATURE_SIZE))
    if not _lib_verify(_CTX, sig, msg_b, len(msg_b), _xonly_of(keypair)):
        raise SigningFailed("produced signature does not verify")
    return sig


@lru_cache(maxsize=PUBKEY_CACHE_SIZE)
def _parse_pubkey(pubkey: bytes) -> Any:
    """The parsed libsecp256k1 x-only key, or None if `pubkey` is not a valid one."""
    if len(pubkey) != PUBKEY_SIZE:
        return None
    parsed = ffi.new("secp256k1_xonly_pubkey *")
    if not lib.secp256k1_xonly_pubkey_parse(_CTX, parsed, pubkey):
        return None
    return parsed


def is_valid_pubkey(pubkey: bytes) -> bool:
    """Whether `pubkey` is a 32-byte x coordinate (< p) of a point on secp256k1."""
    data = _as_bytes(pubkey)
    return data is not None and _parse_pubkey(data) is not None


def verify(pubkey: bytes, msg: bytes, sig: bytes) -> bool:
    """Whether `sig` is a valid BIP340 signature of `msg` by the x-only `pubkey`.

    Never raises: wrong lengths or types, a pubkey not on the curve, r >= p, s >= n and the
    like all return False.
    """
    if type(pubkey) is not bytes or type(msg) is not bytes or type(sig) is not bytes:
        # Slow path for other buffer types; anything else is not a key/message/signature.
        pubkey_b, msg_b, sig_b = _as_bytes(pubkey), _as_bytes(msg), _as_bytes(sig)
        if pubkey_b is None or msg_b is None or sig_b is None:
            return False
        pubkey, msg, sig = pubkey_b, msg_b, sig_b
    if len(sig) != SIGNATURE_SIZE:
        return False
    parsed = _parse_pubkey(pubkey)
    if parsed is None:
        return False
    return bool(_lib_verify(_CTX, sig, msg, len(msg), parsed) == 1)
