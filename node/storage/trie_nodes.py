"""State-trie node model: the canonical binary node encoding, its strict decoder and the errors.

Owns everything about a single trie node (docs/protocol/trie.md, section "State trie"):

- a key's *path* is the 64 lowercase hex digits (nibbles) of ``BLAKE3(key)``; paths are
  handled as ``str`` so that slicing and prefix tests run in C;
- three node kinds, each encoded as ``tag u8 | body``:

  * leaf      ``0x00 | n u8 | packed nibbles | CompactSize len | value``
  * extension ``0x01 | n u8 | packed nibbles | child hash[32]``   (the child is a branch)
  * branch    ``0x02 | bitmap u16 LE | child hash[32] per set bit, in nibble order``

  where ``packed nibbles`` is ``ceil(n/2)`` bytes, high nibble first, the unused low nibble
  of an odd count zero;
- a node's hash is ``BLAKE3(encoding)``; the empty trie's root is 32 zero bytes.

The in-memory node classes (plus ``PatchedBranch``, a stored branch being rewritten in
place during an update) are small slotted objects, not frozen dataclasses: tens of
thousands are created per block and the frozen ``__init__`` costs twice as much. They are
never mutated after construction (a branch's ``children`` list included).
"""

from __future__ import annotations

from typing import Final, TypeAlias

from node.storage.errors import StorageError

__all__ = [
    "EMPTY_ROOT",
    "HEX",
    "MAX_VALUE_SIZE",
    "NIBBLE_INDEX",
    "PATH_NIBBLES",
    "TAG_BRANCH",
    "TAG_EXTENSION",
    "TAG_LEAF",
    "Branch",
    "Extension",
    "InvalidNode",
    "InvalidProof",
    "JournalError",
    "KeyNotFound",
    "Leaf",
    "MissingNode",
    "Node",
    "PatchedBranch",
    "Ref",
    "TrieError",
    "decode_node",
    "encode_branch",
    "encode_extension",
    "encode_leaf",
    "is_path",
    "pack_nibbles",
]

EMPTY_ROOT: Final = bytes(32)
PATH_NIBBLES: Final = 64
HASH_LEN: Final = 32
#: Largest value a leaf may hold (the largest transaction; state values are far smaller).
MAX_VALUE_SIZE: Final = 1_000_000

TAG_LEAF: Final = 0
TAG_EXTENSION: Final = 1
TAG_BRANCH: Final = 2

HEX: Final = "0123456789abcdef"
NIBBLE_INDEX: Final[dict[str, int]] = {c: i for i, c in enumerate(HEX)}
_HEX_SET: Final = frozenset(HEX)


# --------------------------------------------------------------------------- errors


class TrieError(StorageError):
    """Base class of the state trie's errors."""


class InvalidNode(TrieError):
    """A byte string that is not the canonical encoding of a trie node."""


class InvalidProof(TrieError):
    """A proof that is malformed or does not lead from the given root to the key's path."""


class MissingNode(TrieError):
    """A node that the trie refers to is not in the store (wrong root, or pruned)."""


class KeyNotFound(TrieError):
    """A batch deletes a key that is not in the trie."""


class JournalError(TrieError):
    """A per-block journal is missing, duplicated or does not match the given roots."""


# --------------------------------------------------------------------------- node objects


class Leaf:
    """The end of a key's path: the remaining nibbles and the stored value."""

    __slots__ = ("suffix", "value")

    def __init__(self, suffix: str, value: bytes) -> None:
        self.suffix = suffix
        self.value = value


class Extension:
    """A run of nibbles shared by every key below; its child is always a branch."""

    __slots__ = ("child", "nibbles")

    def __init__(self, nibbles: str, child: Ref) -> None:
        self.nibbles = nibbles
        self.child = child


class Branch:
    """A fork on one nibble: 16 slots, at least two of them occupied."""

    __slots__ = ("children",)

    def __init__(self, children: list[Ref | None]) -> None:
        self.children = children


class PatchedBranch:
    """A stored branch (``enc``, ``bitmap``) whose existing children were replaced (none
    added or removed) during an update: re-encoded by overwriting their 32-byte slots."""

    __slots__ = ("bitmap", "changes", "enc")

    def __init__(self, enc: bytes, bitmap: int, changes: dict[int, Ref]) -> None:
        self.enc = enc
        self.bitmap = bitmap
        self.changes = changes


Node: TypeAlias = Leaf | Extension | Branch
#: A child reference: the hash of a stored node, or a node built in memory and not hashed yet.
Ref: TypeAlias = bytes | Leaf | Extension | Branch | PatchedBranch


# --------------------------------------------------------------------------- encoding

_LEN_BYTES: Final = tuple(bytes((i,)) for i in range(256))
_TAG_LEAF_B: Final = b"\x00"
_TAG_EXT_B: Final = b"\x01"


def pack_nibbles(nibbles: str) -> bytes:
    """``n u8 | ceil(n/2) bytes`` for a hex string of n nibbles (odd: last low nibble 0)."""
    n = len(nibbles)
    if n & 1:
        return _LEN_BYTES[n] + bytes.fromhex(nibbles + "0")
    return _LEN_BYTES[n] + bytes.fromhex(nibbles)


def encode_leaf(suffix: str, value: bytes) -> bytes:
    """Canonical encoding of a leaf."""
    n = len(value)
    if n < 0xFD:
        size = _LEN_BYTES[n]
    elif n <= 0xFFFF:
        size = b"\xfd" + n.to_bytes(2, "little")
    else:
        size = b"\xfe" + n.to_bytes(4, "little")
    return _TAG_LEAF_B + pack_nibbles(suffix) + size + value


def encode_extension(nibbles: str, child_hash: bytes) -> bytes:
    """Canonical encoding of an extension node."""
    return _TAG_EXT_B + pack_nibbles(nibbles) + child_hash


def encode_branch(bitmap: int, child_hashes: list[bytes]) -> bytes:
    """Canonical encoding of a branch: bit i of ``bitmap`` set iff nibble i has a child."""
    return b"\x02" + bitmap.to_bytes(2, "little") + b"".join(child_hashes)


# --------------------------------------------------------------------------- decoding


def _nibbles(enc: bytes, pos: int, end: int, limit: int) -> tuple[str, int]:
    """Read ``n u8 | packed`` at ``pos``; return (hex string, position after it)."""
    if pos >= end:
        raise InvalidNode("truncated nibble count")
    n = enc[pos]
    if n > limit:
        raise InvalidNode(f"nibble count {n} exceeds {limit}")
    size = (n + 1) >> 1
    stop = pos + 1 + size
    if stop > end:
        raise InvalidNode("truncated nibbles")
    text = enc[pos + 1 : stop].hex()
    if n & 1:
        if text[-1] != "0":
            raise InvalidNode("non-zero padding nibble")
        text = text[:-1]
    return text, stop


def decode_node(enc: bytes, start: int = 0) -> Node:
    """Decode and validate the node encoded in ``enc[start:]`` (the whole rest, no trailing bytes).

    Checks everything that does not depend on the node's depth: the tag, lengths, minimal
    CompactSize, zero padding, a leaf's 1..64 nibbles, an extension's 1..63 nibbles, a branch
    with at least two children and exactly one hash per set bit.
    """
    end = len(enc)
    if start >= end:
        raise InvalidNode("empty node encoding")
    tag = enc[start]
    if tag == TAG_BRANCH:
        if end - start < 3:
            raise InvalidNode("truncated branch bitmap")
        bitmap = enc[start + 1] | (enc[start + 2] << 8)
        count = bitmap.bit_count()
        if count < 2:
            raise InvalidNode(f"branch with {count} children")
        pos = start + 3
        if end - pos != HASH_LEN * count:
            raise InvalidNode(f"branch holds {end - pos} bytes for {count} child hashes")
        if bitmap == 0xFFFF:
            return Branch([enc[p : p + HASH_LEN] for p in range(pos, end, HASH_LEN)])
        children: list[Ref | None] = [None] * 16
        rest = bitmap
        while rest:
            low = rest & -rest
            children[low.bit_length() - 1] = enc[pos : pos + HASH_LEN]
            pos += HASH_LEN
            rest ^= low
        return Branch(children)
    if tag == TAG_LEAF:
        suffix, pos = _nibbles(enc, start + 1, end, PATH_NIBBLES)
        if not suffix:
            raise InvalidNode("leaf without nibbles")
        if pos >= end:
            raise InvalidNode("truncated leaf value length")
        first = enc[pos]
        if first < 0xFD:
            size = first
            pos += 1
        elif first == 0xFD:
            size = int.from_bytes(enc[pos + 1 : pos + 3], "little")
            if pos + 3 > end or size < 0xFD:
                raise InvalidNode("truncated or non-minimal leaf value length")
            pos += 3
        elif first == 0xFE:
            size = int.from_bytes(enc[pos + 1 : pos + 5], "little")
            if pos + 5 > end or size <= 0xFFFF:
                raise InvalidNode("truncated or non-minimal leaf value length")
            pos += 5
        else:
            raise InvalidNode("leaf value length above 2^32")
        if size > MAX_VALUE_SIZE:
            raise InvalidNode(f"leaf value of {size} bytes exceeds {MAX_VALUE_SIZE}")
        if end - pos != size:
            raise InvalidNode(f"leaf value length {size} but {end - pos} bytes follow")
        return Leaf(suffix, enc[pos:end])
    if tag == TAG_EXTENSION:
        nibbles, pos = _nibbles(enc, start + 1, end, PATH_NIBBLES - 1)
        if not nibbles:
            raise InvalidNode("extension without nibbles")
        if end - pos != HASH_LEN:
            raise InvalidNode(f"extension child hash of {end - pos} bytes")
        return Extension(nibbles, enc[pos:end])
    raise InvalidNode(f"unknown node tag {tag}")


def is_path(path: str) -> bool:
    """True if ``path`` is 64 lowercase hex digits (used to check overridden path functions)."""
    return len(path) == PATH_NIBBLES and _HEX_SET.issuperset(path)
