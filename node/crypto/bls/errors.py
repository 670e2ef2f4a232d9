"""Errors raised by node.crypto.bls: one root (BLSError) and a narrow class per failure kind.

Verification functions never raise these; they return False on malformed input. Constructors,
aggregators and the DKG helpers raise them with a message naming the offending argument.
"""

from node.crypto.errors import CryptoError


class BLSError(CryptoError):
    """Base class of every error raised by node.crypto.bls."""


class BackendUnavailable(BLSError):
    """The requested BLS backend is unknown or its library is not installed."""


class InvalidScalar(BLSError):
    """A secret key or scalar is not an integer in the required range (0 or >= r, negative)."""


class InvalidKeyMaterial(BLSError):
    """KeyGen input keying material is too short or not bytes."""


class InvalidPoint(BLSError):
    """A group element encoding is malformed: wrong length or flags, non-canonical,
    not on the curve, or not in the prime-order subgroup."""


class InvalidPublicKey(InvalidPoint):
    """A public key fails KeyValidate (bad G1 encoding, or the identity)."""


class InvalidSignature(InvalidPoint):
    """A signature is not a valid compressed, subgroup-checked G2 element."""


class InvalidMessage(BLSError):
    """A message or domain separation tag is not bytes, or a DST is empty or over 255 bytes."""


class EmptyInput(BLSError):
    """An aggregate, polynomial or share set was given no elements."""


class InvalidShareSet(BLSError):
    """Lagrange ids or shares are unusable: a zero id, a duplicate id, or an id >= r."""
