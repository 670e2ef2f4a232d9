"""The state trie's batch update engine: one block's sorted changes applied in one pass.

Owns the recursive rewrite used by ``StateTrie.update``: every subtree touched by the changes
is rewritten once, and every new node is encoded and hashed once (``finalize``), bottom-up.
Nothing is written here; the caller stores ``added`` and journals ``obsolete``.

Performance notes (bench/trie.py): paths are hex strings (nibble = one character); stored
branches are not decoded but read in place (a child's offset is a popcount of the bitmap)
and, when only existing slots change, re-encoded by patching 32-byte slots of their old
encoding; the dense top of the trie written by the previous update is kept encoded in
memory (``recent_full_branches``), since the next block reads and rewrites it again.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from typing import Final

from blake3 import blake3

from node.storage.trie_nodes import (
    HEX,
    NIBBLE_INDEX,
    TAG_BRANCH,
    Branch,
    Extension,
    KeyNotFound,
    Leaf,
    MissingNode,
    PatchedBranch,
    Ref,
    decode_node,
    encode_branch,
    encode_extension,
    encode_leaf,
)

__all__ = ["Batch", "recent_full_branches"]

RC_LEN: Final = 4
_HASH_LEN: Final = 32
_BITS: Final = tuple(1 << i for i in range(16))

#: Encodings of the full branches written by the latest successful update (the dense top
#: levels). Content-addressed, so sharing it between stores can never return wrong bytes;
#: it is only consulted by ``Batch.load``, never by lookups or proofs.
recent_full_branches: dict[bytes, bytes] = {}


def _children(enc: bytes) -> list[Ref | None]:
    """The 16 child slots of a branch encoding."""
    bitmap = enc[1] | (enc[2] << 8)
    children: list[Ref | None] = [None] * 16
    pos = 3
    for index in range(16):
        if bitmap >> index & 1:
            children[index] = enc[pos : pos + _HASH_LEN]
            pos += _HASH_LEN
    return children


class Batch:
    """One update. ``apply`` returns the new subtree: the very same object when untouched,
    a new in-memory node otherwise (hashed later, once, by ``finalize``), or None when
    emptied. Each replaced stored node is appended to ``obsolete``; each node hashed by
    ``finalize`` to ``added`` as (hash, encoding)."""

    __slots__ = ("added", "full_branches", "keys", "obsolete", "paths", "store_get", "values")

    def __init__(
        self,
        store_get: Callable[[bytes], bytes | None],
        paths: list[str],
        values: list[bytes | None],
        keys: list[bytes],
    ) -> None:
        self.store_get = store_get
        self.paths = paths
        self.values = values
        self.keys = keys
        self.obsolete: list[bytes] = []
        self.added: list[tuple[bytes, bytes]] = []
        self.full_branches: dict[bytes, bytes] = {}

    def load(self, node_hash: bytes) -> bytes:
        """The encoding of a stored node (without its refcount)."""
        enc = recent_full_branches.get(node_hash)
        if enc is not None:
            return enc
        raw = self.store_get(b"n" + node_hash)
        if raw is None:
            raise MissingNode(f"trie node {node_hash.hex()} is not in the store")
        return raw[RC_LEN:]

    def absent(self, index: int) -> KeyNotFound:
        return KeyNotFound(f"cannot delete key {self.keys[index].hex()}: it is not in the trie")

    # ----------------------------------------------------------------------- rewriting

    def apply(self, ref: Ref | None, depth: int, lo: int, hi: int) -> Ref | None:
        """The subtree ``ref`` at ``depth`` after applying changes ``lo:hi`` (all under it)."""
        if ref is None:
            values = self.values
            for i in range(lo, hi):
                if values[i] is None:
                    raise self.absent(i)
            return _build(self.paths, values, lo, hi, depth)  # type: ignore[arg-type]
        if type(ref) is bytes:
            enc = self.load(ref)
            if enc[0] == TAG_BRANCH:
                new = self.apply_stored_branch(ref, enc, depth, lo, hi)
            else:
                node = decode_node(enc)
                new = self.apply_node(node, depth, lo, hi)
                if new is node:
                    return ref
            if new is not ref:
                self.obsolete.append(ref)
            return new
        return self.apply_node(ref, depth, lo, hi)

    def apply_node(self, node: Ref, depth: int, lo: int, hi: int) -> Ref | None:
        if type(node) is Branch:
            return self.apply_branch(node.children, node, depth, lo, hi)
        if type(node) is Leaf:
            return self.apply_leaf(node, depth, lo, hi)
        assert type(node) is Extension
        nibbles = node.nibbles
        paths = self.paths
        if paths[lo].startswith(nibbles, depth) and paths[hi - 1].startswith(nibbles, depth):
            # Sorted: first and last share the run, so every change in between does.
            child = self.apply(node.child, depth + len(nibbles), lo, hi)
            if child is node.child:
                return node
            return None if child is None else self.join(nibbles, child)
        # Some change leaves the run: split it into a one-child branch and apply to that.
        children: list[Ref | None] = [None] * 16
        children[NIBBLE_INDEX[nibbles[0]]] = (
            Extension(nibbles[1:], node.child) if len(nibbles) > 1 else node.child
        )
        return self.apply_branch(children, None, depth, lo, hi)

    def apply_stored_branch(
        self, ref: bytes, enc: bytes, depth: int, lo: int, hi: int
    ) -> Ref | None:
        """Like ``apply_branch`` on a stored branch, reading child hashes in place."""
        paths = self.paths
        bitmap = enc[1] | (enc[2] << 8)
        changes: dict[int, Ref | None] = {}
        i = lo
        while i < hi:
            nibble = paths[i][depth]
            j = i + 1
            while j < hi and paths[j][depth] == nibble:
                j += 1
            index = NIBBLE_INDEX[nibble]
            if bitmap >> index & 1:
                pos = 3 + _HASH_LEN * (bitmap & ((1 << index) - 1)).bit_count()
                old: bytes | None = enc[pos : pos + _HASH_LEN]
            else:
                old = None
            child = self.apply(old, depth + 1, i, j)
            if child is not old:
                changes[index] = child
            i = j
        if not changes:
            return ref
        if None not in changes.values() and all(bitmap >> index & 1 for index in changes):
            return PatchedBranch(enc, bitmap, changes)  # type: ignore[arg-type]
        children = _children(enc)
        for index, child in changes.items():
            children[index] = child
        return self.reshape(children)

    def apply_branch(
        self,
        children: list[Ref | None],
        node: Branch | None,
        depth: int,
        lo: int,
        hi: int,
    ) -> Ref | None:
        """An in-memory branch (``node``, or a one-child split when None) after changes."""
        paths = self.paths
        new: list[Ref | None] | None = None
        i = lo
        while i < hi:
            nibble = paths[i][depth]
            j = i + 1
            while j < hi and paths[j][depth] == nibble:
                j += 1
            index = NIBBLE_INDEX[nibble]
            old = children[index]
            child = self.apply(old, depth + 1, i, j)
            if child is not old:
                if new is None:
                    new = list(children)
                new[index] = child
            i = j
        if new is None:
            return node if node is not None else self.reshape(children)
        return self.reshape(new)

    def reshape(self, children: list[Ref | None]) -> Ref | None:
        """A branch with these slots, or what it collapses to with fewer than two children."""
        count = 16 - children.count(None)
        if count >= 2:
            return Branch(children)
        if count == 0:
            return None
        for index, child in enumerate(children):
            if child is not None:
                return self.join(HEX[index], child)
        raise AssertionError("unreachable")  # pragma: no cover

    def apply_leaf(self, leaf: Leaf, depth: int, lo: int, hi: int) -> Ref | None:
        paths = self.paths
        values = self.values
        suffix = leaf.suffix
        if hi - lo == 1 and paths[lo].endswith(suffix):
            value = values[lo]
            if value is None:
                return None
            if value == leaf.value:
                return leaf
            return Leaf(suffix, value)
        # Merge the leaf into the changes below it and build the subtree afresh.
        suffixes = [p[depth:] for p in paths[lo:hi]]
        vals = values[lo:hi]
        pos = bisect_left(suffixes, suffix)
        inserted = pos == len(suffixes) or suffixes[pos] != suffix
        if inserted:
            suffixes.insert(pos, suffix)
            vals.insert(pos, leaf.value)
        kept_suffixes: list[str] = []
        kept_values: list[bytes] = []
        for k, value in enumerate(vals):
            if value is None:
                if k != pos or inserted:
                    raise self.absent(lo + (k - 1 if inserted and k > pos else k))
                continue
            kept_suffixes.append(suffixes[k])
            kept_values.append(value)
        if not kept_suffixes:
            return None
        return _build(kept_suffixes, kept_values, 0, len(kept_suffixes), 0)

    def join(self, prefix: str, child: Ref) -> Ref:
        """The subtree ``child`` hung below the nibbles ``prefix`` (merging a leaf or an
        extension into one node; a branch gets an extension above it)."""
        if type(child) is bytes:
            enc = self.load(child)
            if enc[0] == TAG_BRANCH:
                return Extension(prefix, child)
            self.obsolete.append(child)
            child = decode_node(enc)
        if type(child) is Leaf:
            return Leaf(prefix + child.suffix, child.value)
        if type(child) is Extension:
            return Extension(prefix + child.nibbles, child.child)
        return Extension(prefix, child)

    # ----------------------------------------------------------------------- hashing

    def finalize(self, ref: Ref) -> bytes:
        """Encode and hash ``ref`` and every in-memory node below it (each exactly once)."""
        if type(ref) is bytes:
            return ref
        finalize = self.finalize
        if type(ref) is PatchedBranch:
            bitmap = ref.bitmap
            buf = bytearray(ref.enc)
            for index, child in ref.changes.items():
                pos = 3 + _HASH_LEN * (bitmap & ((1 << index) - 1)).bit_count()
                buf[pos : pos + _HASH_LEN] = child if type(child) is bytes else finalize(child)
            enc = bytes(buf)
        elif type(ref) is Branch:
            children = ref.children
            if None in children:
                bitmap = sum(
                    [bit for bit, child in zip(_BITS, children, strict=True) if child is not None]
                )
                hashes = [c if type(c) is bytes else finalize(c) for c in children if c is not None]
            else:
                bitmap = 0xFFFF
                hashes = [c if type(c) is bytes else finalize(c) for c in children]  # type: ignore[arg-type]
            enc = encode_branch(bitmap, hashes)
        elif type(ref) is Leaf:
            enc = encode_leaf(ref.suffix, ref.value)
        else:
            assert type(ref) is Extension
            enc = encode_extension(ref.nibbles, finalize(ref.child))
        node_hash = blake3(enc).digest()
        self.added.append((node_hash, enc))
        if enc[1] == 0xFF and enc[2] == 0xFF and enc[0] == TAG_BRANCH:
            self.full_branches[node_hash] = enc
        return node_hash


def _build(paths: list[str], values: list[bytes], lo: int, hi: int, depth: int) -> Ref:
    """A fresh subtree holding ``paths[lo:hi]`` (sorted, distinct, sharing ``depth`` nibbles)."""
    if hi - lo == 1:
        return Leaf(paths[lo][depth:], values[lo])
    first = paths[lo]
    last = paths[hi - 1]
    fork = depth
    while first[fork] == last[fork]:
        fork += 1
    children: list[Ref | None] = [None] * 16
    i = lo
    while i < hi:
        nibble = paths[i][fork]
        j = i + 1
        while j < hi and paths[j][fork] == nibble:
            j += 1
        children[NIBBLE_INDEX[nibble]] = _build(paths, values, i, j, fork + 1)
        i = j
    branch = Branch(children)
    if fork > depth:
        return Extension(first[depth:fork], branch)
    return branch
