"""Byte-level checks of the ZCash compressed encoding of BLS12-381 points, shared by backends.

Owns the rules a compressed G1 (48 bytes) or G2 (96 bytes) encoding must meet before any curve
arithmetic: the compression flag set, an infinity flag only on the exact canonical identity
encoding (no sign flag, no stray bits), and coordinates below the field modulus. On-curve and
subgroup membership are checked by the backend that decodes the point. Also owns the coercion
of loosely typed arguments (bytes-likes, sequences, messages, DSTs) both backends share.
"""

from node.crypto.bls.constants import FIELD_MODULUS, G1_SIZE, G2_SIZE
from node.crypto.bls.errors import EmptyInput, InvalidMessage

_C_FLAG = 0x80  # compressed form
_B_FLAG = 0x40  # point at infinity
_FLAG_MASK = 0xE0  # c, b and a (sign) flags live in the 3 top bits of byte 0
_FP_SIZE = 48
_MAX_DST_SIZE = 255


def as_bytes(data: object) -> bytes | None:
    """``data`` as immutable bytes if it is bytes-like, else None."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    return None


def as_sequence(items: object) -> list[object] | None:
    """``items`` as a list if it is a list or tuple, else None (bytes and str are refused)."""
    if isinstance(items, list | tuple):
        return list(items)
    return None


def require_items(items: object, what: str) -> list[object]:
    """A non-empty list or tuple as a list: TypeError for other types, EmptyInput if empty."""
    seq = as_sequence(items)
    if seq is None:
        raise TypeError(f"{what} must be a list or tuple, got {type(items).__name__}")
    if not seq:
        raise EmptyInput(f"{what} is empty")
    return seq


def _fp_below_modulus(chunk: bytes, strip_flags: bool) -> bool:
    first = chunk[0] & ~_FLAG_MASK if strip_flags else chunk[0]
    return int.from_bytes(bytes([first]) + chunk[1:], "big") < FIELD_MODULUS


def _well_formed(data: bytes, size: int) -> bool:
    if len(data) != size or not data[0] & _C_FLAG:
        return False
    if data[0] & _B_FLAG:
        return data[0] == _C_FLAG | _B_FLAG and not any(data[1:])
    # x (G1) or x_im followed by x_re (G2); every coordinate must be < p.
    if not _fp_below_modulus(data[:_FP_SIZE], strip_flags=True):
        return False
    return size == _FP_SIZE or _fp_below_modulus(data[_FP_SIZE:], strip_flags=False)


def g1_well_formed(data: bytes) -> bool:
    """True if ``data`` has the shape of a canonical compressed G1 encoding."""
    return _well_formed(data, G1_SIZE)


def g2_well_formed(data: bytes) -> bool:
    """True if ``data`` has the shape of a canonical compressed G2 encoding."""
    return _well_formed(data, G2_SIZE)


def is_identity_encoding(data: bytes) -> bool:
    """True if ``data`` is the canonical encoding of the point at infinity (G1 or G2)."""
    return len(data) in (G1_SIZE, G2_SIZE) and data[0] == _C_FLAG | _B_FLAG and not any(data[1:])


def check_message(msg: object, what: str = "message") -> bytes:
    """``msg`` as bytes, or raise InvalidMessage if it is not bytes-like."""
    out = as_bytes(msg)
    if out is None:
        raise InvalidMessage(f"{what} must be bytes, got {type(msg).__name__}")
    return out


def check_dst(dst: object) -> bytes:
    """A domain separation tag: 1..255 bytes (RFC 9380 section 3.1), else InvalidMessage."""
    out = check_message(dst, "dst")
    if not 0 < len(out) <= _MAX_DST_SIZE:
        raise InvalidMessage(f"dst must be 1..{_MAX_DST_SIZE} bytes, got {len(out)}")
    return out
