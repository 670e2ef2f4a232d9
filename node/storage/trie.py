"""The state trie (SPEC §10, issue 4): a Merkle Patricia Trie over the chain state.

Owns the trie's use of its key-value store: batch updates per block, per-block journals for
revert (block disconnect) and pruning, lookups and proofs. Node encoding and errors live in
``trie_nodes``; the standalone proof verifier in ``trie_proof``. Format: docs/protocol/trie.md.

Store layout (one namespace, the LMDB sub-database ``state_trie``):

- ``trie_node_key(h)``  = ``b"n" | hash``        -> ``refcount u32 BE | node encoding``
- ``trie_journal_key``  = ``b"j" | height u64 BE | block_hash`` -> journal (below)
- ``trie_height_key``   = ``b"h" | height u64 BE`` -> the block hashes journaled at that height
- ``TRIE_PRUNE_FLOOR_KEY`` = ``b"p"``             -> u64 BE: no journal below this height

Reference counting. A node's refcount = its multiplicity in the tip trie + the number of
times it appears in the "obsoleted" lists of journals not yet pruned. ``update`` adds 1 per
node it creates (a node may already exist: the same leaf re-created, equal subtrees);
``revert`` subtracts 1 per node the block created; ``prune`` subtracts 1 per node the block
obsoleted. A node is deleted when its count reaches 0, so every node of every root that is
still revertible stays readable, and nothing that is still referenced is ever deleted.
The scheme assumes the chain's linear use: ``update`` applies to the current tip root,
``revert`` undoes the most recent update first.

Journal value: ``root_before[32] | root_after[32] | n_added u32 BE | n_obsoleted u32 BE |
added hashes | obsoleted hashes``.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from operator import itemgetter
from typing import Final, Protocol

from blake3 import blake3

from node.storage.schema import (
    TRIE_PRUNE_FLOOR_KEY,
    trie_height_key,
    trie_journal_key,
    trie_node_key,
)
from node.storage.trie_batch import Batch, recent_full_branches
from node.storage.trie_nodes import (
    EMPTY_ROOT,
    MAX_VALUE_SIZE,
    NIBBLE_INDEX,
    Branch,
    Extension,
    InvalidNode,
    InvalidProof,
    JournalError,
    KeyNotFound,
    Leaf,
    MissingNode,
    TrieError,
    decode_node,
    is_path,
)
from node.storage.trie_proof import verify_proof

__all__ = [
    "EMPTY_ROOT",
    "TRIE_PRUNE_FLOOR_KEY",
    "InvalidNode",
    "InvalidProof",
    "JournalError",
    "KVStore",
    "KeyNotFound",
    "MissingNode",
    "StateTrie",
    "TrieError",
    "key_path",
    "trie_height_key",
    "trie_journal_key",
    "trie_node_key",
    "verify_proof",
]

_RC_LEN: Final = 4
_RC_ONE: Final = (1).to_bytes(_RC_LEN, "big")
_HASH_LEN: Final = 32


def key_path(key: bytes) -> str:
    """The 64-nibble path of a state key: the lowercase hex of BLAKE3(key)."""
    return blake3(key).hexdigest()


class KVStore(Protocol):
    """One LMDB sub-database seen through a write transaction, or a dict in tests."""

    def get(self, key: bytes) -> bytes | None: ...
    def put(self, key: bytes, value: bytes) -> object: ...
    def delete(self, key: bytes) -> object: ...


def _check_hash(value: bytes, what: str) -> None:
    if type(value) is not bytes or len(value) != _HASH_LEN:
        raise TrieError(f"{what} must be 32 bytes")


def _check_height(height: int) -> None:
    if type(height) is not int or not 0 <= height < 1 << 64:
        raise TrieError(f"height {height!r} is not a u64")


class StateTrie:
    """The state trie over a KVStore. Cheap to create (it holds no state but the store)."""

    __slots__ = ("_store",)

    def __init__(self, store: KVStore) -> None:
        self._store = store

    # Tests override this (in a subclass) to place keys on chosen paths; consensus never does.
    path_of = staticmethod(key_path)

    # ----------------------------------------------------------------------- reading

    def _load_raw(self, node_hash: bytes) -> bytes:
        raw = self._store.get(b"n" + node_hash)
        if raw is None:
            raise MissingNode(f"trie node {node_hash.hex()} is not in the store")
        return raw

    def _walk(self, root: bytes, key: bytes, proof: list[bytes] | None) -> bytes | None:
        _check_hash(root, "root")
        if root == EMPTY_ROOT:
            return None
        path = self.path_of(key)
        ref = root
        depth = 0
        while True:
            raw = self._load_raw(ref)
            if proof is not None:
                proof.append(raw[_RC_LEN:])
            node = decode_node(raw, _RC_LEN)
            if type(node) is Branch:
                child = node.children[NIBBLE_INDEX[path[depth]]]
                if child is None:
                    return None
                ref = child  # type: ignore[assignment]  # decoded children are hashes
                depth += 1
            elif type(node) is Leaf:
                return node.value if path.endswith(node.suffix) else None
            else:
                assert type(node) is Extension
                if not path.startswith(node.nibbles, depth):
                    return None
                depth += len(node.nibbles)
                ref = node.child  # type: ignore[assignment]

    def get(self, root: bytes, key: bytes) -> bytes | None:
        """The value of ``key`` in the trie with root ``root``, or None if absent."""
        return self._walk(root, key, None)

    def get_proof(self, root: bytes, key: bytes) -> list[bytes]:
        """Encoded nodes from the root down to the leaf of ``key``, or to where the path
        proves its absence (empty list for the empty trie). Check with ``verify_proof``."""
        proof: list[bytes] = []
        self._walk(root, key, proof)
        return proof

    # ----------------------------------------------------------------------- updating

    def update(
        self,
        root: bytes,
        changes: Mapping[bytes, bytes | None],
        *,
        height: int,
        block_hash: bytes,
    ) -> bytes:
        """Apply one block's batch (None = delete; deleting an absent key is an error) and
        return the new root.

        Each dirty node is encoded and hashed once. New nodes are written to the store;
        nodes that became unreachable stay until ``prune``: the journal of
        (height, block_hash) records what was added and what was obsoleted. Nothing is
        written if the batch is rejected.
        """
        _check_hash(root, "root")
        _check_hash(block_hash, "block hash")
        _check_height(height)
        store = self._store
        journal_key = trie_journal_key(height, block_hash)
        if store.get(journal_key) is not None:
            raise JournalError(f"a trie journal for block {block_hash.hex()} exists already")

        path_of = self.path_of
        items: list[tuple[str, bytes | None, bytes]] = []
        for key, value in changes.items():
            if type(key) is not bytes:
                raise TrieError(f"state keys are bytes, got {type(key).__name__}")
            if value is not None and (type(value) is not bytes or len(value) > MAX_VALUE_SIZE):
                raise TrieError(f"value of key {key.hex()} is not bytes of <= {MAX_VALUE_SIZE}")
            items.append((path_of(key), value, key))
        items.sort(key=itemgetter(0))
        paths = [item[0] for item in items]
        if path_of is not key_path and not all(map(is_path, paths)):
            raise TrieError("path_of must return 64 lowercase hex digits")
        for i in range(1, len(paths)):
            if paths[i] == paths[i - 1]:
                first, second = items[i - 1][2].hex(), items[i][2].hex()
                raise TrieError(f"keys {first} and {second} have the same path")

        batch = Batch(store.get, paths, [item[1] for item in items], [item[2] for item in items])
        new_root = root
        if items:
            # The rewrite allocates tens of thousands of acyclic objects: keep the cyclic
            # garbage collector from scanning the whole heap several times meanwhile.
            collecting = gc.isenabled()
            gc.disable()
            try:
                ref = batch.apply(None if root == EMPTY_ROOT else root, 0, 0, len(items))
                new_root = EMPTY_ROOT if ref is None else batch.finalize(ref)
            finally:
                if collecting:
                    gc.enable()

        # Write phase: only reached when the whole batch applied.
        get = store.get
        put = store.put
        for node_hash, enc in batch.added:
            node_key = b"n" + node_hash
            old = get(node_key)
            if old is None:
                put(node_key, _RC_ONE + enc)
            else:  # the same subtree elsewhere, or one re-created before its pruning
                count = int.from_bytes(old[:_RC_LEN], "big") + 1
                put(node_key, count.to_bytes(_RC_LEN, "big") + old[_RC_LEN:])
        if batch.added:
            recent_full_branches.clear()
            recent_full_branches.update(batch.full_branches)
        added = [node_hash for node_hash, _ in batch.added]
        put(
            journal_key,
            b"".join(
                [
                    root,
                    new_root,
                    len(added).to_bytes(4, "big"),
                    len(batch.obsolete).to_bytes(4, "big"),
                    *added,
                    *batch.obsolete,
                ]
            ),
        )
        height_key = trie_height_key(height)
        put(height_key, (get(height_key) or b"") + block_hash)
        return new_root

    def _decref(self, node_hash: bytes) -> bool:
        """Drop one reference to a node; True if that deleted it."""
        node_key = b"n" + node_hash
        raw = self._load_raw(node_hash)
        count = int.from_bytes(raw[:_RC_LEN], "big")
        if count <= 1:
            self._store.delete(node_key)
            return True
        self._store.put(node_key, (count - 1).to_bytes(_RC_LEN, "big") + raw[_RC_LEN:])
        return False

    def _read_journal(
        self, height: int, block_hash: bytes
    ) -> tuple[bytes, bytes, list[bytes], list[bytes]]:
        raw = self._store.get(trie_journal_key(height, block_hash))
        if raw is None:
            raise JournalError(
                f"no trie journal for block {block_hash.hex()} at height {height} "
                "(never applied, already reverted, or pruned)"
            )
        n_added = int.from_bytes(raw[64:68], "big")
        n_obsolete = int.from_bytes(raw[68:72], "big")
        if len(raw) != 72 + _HASH_LEN * (n_added + n_obsolete):
            raise JournalError(f"trie journal of block {block_hash.hex()} is corrupt")
        hashes = [raw[p : p + _HASH_LEN] for p in range(72, len(raw), _HASH_LEN)]
        return raw[:32], raw[32:64], hashes[:n_added], hashes[n_added:]

    def _drop_journal(self, height: int, block_hash: bytes) -> None:
        store = self._store
        store.delete(trie_journal_key(height, block_hash))
        height_key = trie_height_key(height)
        listed = store.get(height_key) or b""
        kept = [
            listed[p : p + _HASH_LEN]
            for p in range(0, len(listed), _HASH_LEN)
            if listed[p : p + _HASH_LEN] != block_hash
        ]
        if kept:
            store.put(height_key, b"".join(kept))
        else:
            store.delete(height_key)

    def revert(self, root_before: bytes, *, height: int, block_hash: bytes) -> None:
        """Undo ``update`` of that block (on block disconnect): drop the nodes it added
        (unless still referenced) and its journal. Afterwards the store is exactly as it
        was before that update, so ``get(root_before, k)`` works as before."""
        _check_hash(root_before, "root")
        _check_hash(block_hash, "block hash")
        _check_height(height)
        before, _after, added, _obsolete = self._read_journal(height, block_hash)
        if before != root_before:
            raise JournalError(
                f"block {block_hash.hex()} was applied to root {before.hex()}, "
                f"not {root_before.hex()}"
            )
        for node_hash in reversed(added):
            self._decref(node_hash)
        self._drop_journal(height, block_hash)

    def prune(self, *, below_height: int) -> int:
        """Delete nodes obsoleted by blocks at heights < ``below_height`` (unless still
        referenced) and those blocks' journals; return the number of nodes deleted.

        Afterwards every root of a block at height >= below_height - 1 is still readable,
        and blocks below ``below_height`` can no longer be reverted."""
        _check_height(below_height)
        store = self._store
        raw_floor = store.get(TRIE_PRUNE_FLOOR_KEY)
        floor = 0 if raw_floor is None else int.from_bytes(raw_floor, "big")
        deleted = 0
        for height in range(floor, below_height):
            listed = store.get(trie_height_key(height))
            if listed is None:
                continue
            for p in range(0, len(listed), _HASH_LEN):
                block_hash = listed[p : p + _HASH_LEN]
                _before, _after, _added, obsolete = self._read_journal(height, block_hash)
                for node_hash in obsolete:
                    deleted += self._decref(node_hash)
                store.delete(trie_journal_key(height, block_hash))
            store.delete(trie_height_key(height))
        if below_height > floor:
            store.put(TRIE_PRUNE_FLOOR_KEY, below_height.to_bytes(8, "big"))
        return deleted
