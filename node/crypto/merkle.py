"""Merkle trees of 32-byte hashes (SPEC §4): roots, CVE-2012-2459 mutation detection and
compact inclusion proofs.

Tree shape (Bitcoin's): parent = H(left || right); at every level an odd last node is paired
with itself; a single leaf is its own root; no leaves gives 32 zero bytes. A tree that hashes
two identical siblings from distinct positions is "mutated" (CVE-2012-2459): the same root
can then be produced by a different leaf list, so consensus treats such a block as invalid.

Proof format (`MerkleProof.serialize`): index u32 LE | leaf_count u32 LE | CompactSize n |
n x 32-byte siblings, bottom-up. A level where the node is the odd last one (hashed with
itself) contributes no sibling, so the sibling count is a function of (index, leaf_count)
and a proof has exactly one valid encoding.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from operator import eq
from typing import Final

from blake3 import blake3 as _blake3

from node.crypto.errors import CryptoError

__all__ = [
    "EMPTY_ROOT",
    "MAX_LEAF_COUNT",
    "MerkleError",
    "MerkleProof",
    "compute_merkle_root",
    "merkle_proof",
    "merkle_root",
    "verify_merkle_proof",
]

NODE_SIZE: Final = 32
EMPTY_ROOT: Final = bytes(NODE_SIZE)
# leaf_count and index are serialized as u32.
MAX_LEAF_COUNT: Final = 0xFFFFFFFF
# Enough levels for MAX_LEAF_COUNT leaves.
MAX_PROOF_DEPTH: Final = 32
_HEADER: Final = struct.Struct("<II")


class MerkleError(CryptoError):
    """Invalid input to a Merkle function, or a malformed serialized proof."""


def _check_leaves(leaves: Sequence[bytes]) -> None:
    if len(leaves) > MAX_LEAF_COUNT:
        raise MerkleError(f"too many leaves: {len(leaves)} > {MAX_LEAF_COUNT}")
    if leaves and set(map(len, leaves)) != {NODE_SIZE}:
        bad = next(i for i, leaf in enumerate(leaves) if len(leaf) != NODE_SIZE)
        raise MerkleError(f"leaf {bad} is {len(leaves[bad])} bytes, expected {NODE_SIZE}")


def _next_level(level: list[bytes]) -> list[bytes]:
    """Hash one level into its parents; pads an odd level by repeating its last node."""
    if len(level) & 1:
        level.append(level[-1])
    b3 = _blake3
    pairs = iter(level)
    return [b3(left + right).digest() for left, right in zip(pairs, pairs, strict=True)]


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle root of 32-byte `leaves` (32 zero bytes when there are none)."""
    _check_leaves(leaves)
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        level = _next_level(level)
    return level[0]


def compute_merkle_root(leaves: Sequence[bytes]) -> tuple[bytes, bool]:
    """The Merkle root and whether the tree is mutated (CVE-2012-2459).

    Mutated means that at some level two sibling nodes at distinct positions are equal; the
    odd last node paired with itself does not count (as Bitcoin Core's ComputeMerkleRoot).
    """
    _check_leaves(leaves)
    if not leaves:
        return EMPTY_ROOT, False
    level = list(leaves)
    mutated = False
    while len(level) > 1:
        if not mutated:
            # map stops at the shorter slice, so an unpaired last node is not compared.
            mutated = any(map(eq, level[0::2], level[1::2]))
        level = _next_level(level)
    return level[0], mutated


def _path_shape(index: int, leaf_count: int) -> list[bool]:
    """For each level bottom-up, whether the node on the path has a real sibling there."""
    shape: list[bool] = []
    size = leaf_count
    while size > 1:
        shape.append((index ^ 1) < size)
        index >>= 1
        size = (size + 1) >> 1
    return shape


def _sibling_count(index: int, leaf_count: int) -> int:
    return sum(_path_shape(index, leaf_count))


@dataclass(frozen=True, slots=True)
class MerkleProof:
    """Inclusion proof of the leaf at `index` in a tree of `leaf_count` leaves.

    `siblings` are bottom-up and omit the levels where the path node is paired with itself.
    Construction does not validate; `verify_merkle_proof` rejects inconsistent proofs and
    `deserialize` refuses to build them.
    """

    index: int
    leaf_count: int
    siblings: tuple[bytes, ...]

    def is_well_formed(self) -> bool:
        """Whether index, leaf_count and the number/size of siblings are consistent."""
        if not (0 < self.leaf_count <= MAX_LEAF_COUNT and 0 <= self.index < self.leaf_count):
            return False
        if len(self.siblings) != _sibling_count(self.index, self.leaf_count):
            return False
        return all(len(sibling) == NODE_SIZE for sibling in self.siblings)

    def serialize(self) -> bytes:
        """index u32 | leaf_count u32 | CompactSize count | siblings (32 bytes each)."""
        if not self.is_well_formed():
            raise MerkleError("cannot serialize a malformed Merkle proof")
        # At most MAX_PROOF_DEPTH siblings, so the CompactSize is always its 1-byte form.
        return (
            _HEADER.pack(self.index, self.leaf_count)
            + bytes((len(self.siblings),))
            + b"".join(self.siblings)
        )

    @classmethod
    def deserialize(cls, data: bytes) -> MerkleProof:
        """Parse a proof; rejects truncation, trailing bytes and inconsistent fields."""
        if len(data) < _HEADER.size + 1:
            raise MerkleError(f"Merkle proof truncated: {len(data)} bytes")
        index, leaf_count = _HEADER.unpack_from(data, 0)
        count = data[_HEADER.size]
        if count > MAX_PROOF_DEPTH:
            # Covers the 0xfd..0xff CompactSize prefixes too: no count that large is valid.
            raise MerkleError(f"Merkle proof sibling count {count} > {MAX_PROOF_DEPTH}")
        if leaf_count == 0:
            raise MerkleError("Merkle proof with leaf_count 0")
        if index >= leaf_count:
            raise MerkleError(f"Merkle proof index {index} >= leaf_count {leaf_count}")
        expected = _sibling_count(index, leaf_count)
        if count != expected:
            raise MerkleError(
                f"Merkle proof has {count} siblings, index {index} of {leaf_count} needs {expected}"
            )
        body = _HEADER.size + 1
        if len(data) != body + NODE_SIZE * count:
            raise MerkleError(
                f"Merkle proof is {len(data)} bytes, expected {body + NODE_SIZE * count}"
            )
        siblings = tuple(
            data[offset : offset + NODE_SIZE]
            for offset in range(body, body + NODE_SIZE * count, NODE_SIZE)
        )
        return cls(index, leaf_count, siblings)


def merkle_proof(leaves: Sequence[bytes], index: int) -> MerkleProof:
    """The inclusion proof of `leaves[index]`."""
    _check_leaves(leaves)
    if not 0 <= index < len(leaves):
        raise MerkleError(f"leaf index {index} out of range for {len(leaves)} leaves")
    siblings: list[bytes] = []
    level = list(leaves)
    position = index
    while len(level) > 1:
        if (position ^ 1) < len(level):
            siblings.append(level[position ^ 1])
        level = _next_level(level)
        position >>= 1
    return MerkleProof(index, len(leaves), tuple(siblings))


def verify_merkle_proof(leaf: bytes, proof: MerkleProof, root: bytes) -> bool:
    """Whether `proof` shows `leaf` at `proof.index` in the tree with `root`. Never raises.

    Rejects malformed proofs (index >= leaf_count, wrong sibling count or sizes) and any
    path that hashes two equal siblings from distinct positions: that is the
    duplicate-last-node forgery (claiming a leaf_count whose tree repeats a subtree), and such
    a tree is invalid under the CVE-2012-2459 rule anyway. `leaf_count` is bound only as far
    as it shapes the path (which levels pair the node with itself).
    """
    try:
        if len(leaf) != NODE_SIZE or len(root) != NODE_SIZE or not proof.is_well_formed():
            return False
        node = bytes(leaf)
        siblings = iter(proof.siblings)
        index = proof.index
        for has_sibling in _path_shape(index, proof.leaf_count):
            if not has_sibling:
                node = _blake3(node + node).digest()
            else:
                sibling = next(siblings)
                if sibling == node:
                    return False
                if index & 1:
                    node = _blake3(sibling + node).digest()
                else:
                    node = _blake3(node + sibling).digest()
            index >>= 1
        return node == root
    except (TypeError, ValueError, AttributeError):
        return False
