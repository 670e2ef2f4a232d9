"""Standalone verification of state-trie proofs, for light clients (no store needed).

A proof is the list of node encodings on the key's path, from the root down to either the
key's leaf (presence) or the node where the path leaves the trie (absence): a branch whose
slot for the next nibble is empty, an extension whose nibbles differ from the path, or a
leaf holding another suffix. The empty trie (root = 32 zero bytes) has the empty proof.
Format and rules: docs/protocol/trie.md, section "State trie".
"""

from __future__ import annotations

from collections.abc import Sequence

from blake3 import blake3

from node.storage.trie_nodes import (
    EMPTY_ROOT,
    NIBBLE_INDEX,
    PATH_NIBBLES,
    Branch,
    Extension,
    InvalidNode,
    InvalidProof,
    Leaf,
    decode_node,
)

__all__ = ["verify_proof"]


def verify_proof(root: bytes, key: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The value of ``key`` if ``proof`` shows it present under ``root``, None if the proof
    shows it absent; raises InvalidProof if the proof is malformed, has nodes left over, or
    does not hash up to ``root``."""
    if type(root) is not bytes or len(root) != 32:
        raise InvalidProof("root must be 32 bytes")
    if not isinstance(key, bytes):
        raise InvalidProof("key must be bytes")
    if root == EMPTY_ROOT:
        if proof:
            raise InvalidProof("the empty trie's proof must be empty")
        return None
    if not proof:
        raise InvalidProof("empty proof for a non-empty trie")
    path = blake3(key).hexdigest()
    expected = root
    depth = 0
    need_branch = False
    last = len(proof) - 1
    for index, enc in enumerate(proof):
        if type(enc) is not bytes:
            raise InvalidProof(f"proof node {index} is not bytes")
        if blake3(enc).digest() != expected:
            raise InvalidProof(f"proof node {index} does not hash to the expected reference")
        try:
            node = decode_node(enc)
        except InvalidNode as exc:
            raise InvalidProof(f"proof node {index}: {exc}") from None
        if need_branch and type(node) is not Branch:
            raise InvalidProof(f"proof node {index}: an extension must lead to a branch")
        need_branch = False
        if type(node) is Leaf:
            if len(node.suffix) != PATH_NIBBLES - depth:
                raise InvalidProof(f"proof node {index}: leaf suffix does not end the path")
            if index != last:
                raise InvalidProof("nodes after a leaf")
            return node.value if path.endswith(node.suffix) else None
        if type(node) is Branch:
            if depth >= PATH_NIBBLES:
                raise InvalidProof(f"proof node {index}: branch below the path's end")
            child = node.children[NIBBLE_INDEX[path[depth]]]
            if child is None:
                if index != last:
                    raise InvalidProof("nodes after an absent branch slot")
                return None
            expected = child  # type: ignore[assignment]  # decoded children are hashes
            depth += 1
            continue
        assert type(node) is Extension
        nibbles = node.nibbles
        if depth + len(nibbles) >= PATH_NIBBLES:
            raise InvalidProof(f"proof node {index}: extension reaches the path's end")
        if not path.startswith(nibbles, depth):
            if index != last:
                raise InvalidProof("nodes after a diverging extension")
            return None
        expected = node.child  # type: ignore[assignment]
        depth += len(nibbles)
        need_branch = True
    raise InvalidProof("proof ends before the key's leaf or a proof of absence")
