"""State trie journals: revert restores the store exactly, prune deletes exactly the nodes
that no retained root reaches, and reference counts survive equal subtrees."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.storage.trie import EMPTY_ROOT, JournalError, StateTrie

from .trie_ref import DictStore, H, hex_path, node_hashes, reachable, ref_root


class PathTrie(StateTrie):
    """Keys are 32-byte paths themselves, so tests can build equal subtrees on purpose."""

    path_of = staticmethod(lambda key: key.hex())


def path_ref_root(state: dict[bytes, bytes]) -> bytes:
    return ref_root(state, path=lambda key: hex_path(key.hex()))


def block(height: int, fork: int = 0) -> bytes:
    return H(b"block %d/%d" % (height, fork))


@dataclass
class Model:
    """What the trie should hold: the chain of (block hash, root, state) and the prune floor."""

    trie: StateTrie
    store: DictStore
    root_of: Callable[[dict[bytes, bytes]], bytes]
    chain: list[tuple[bytes, bytes, dict[bytes, bytes]]] = field(default_factory=list)
    floor: int = 0
    snapshots: list[dict[bytes, bytes] | None] = field(default_factory=list)

    @property
    def tip_root(self) -> bytes:
        return self.chain[-1][1] if self.chain else EMPTY_ROOT

    @property
    def state(self) -> dict[bytes, bytes]:
        return dict(self.chain[-1][2]) if self.chain else {}

    def connect(self, changes: dict[bytes, bytes | None], fork: int) -> None:
        height = len(self.chain)
        self.snapshots.append(dict(self.store))
        state = self.state
        root = self.trie.update(
            self.tip_root, changes, height=height, block_hash=block(height, fork)
        )
        for key, value in changes.items():
            if value is None:
                del state[key]
            else:
                state[key] = value
        assert root == self.root_of(state)
        self.chain.append((block(height, fork), root, state))

    def disconnect(self) -> None:
        block_hash, _root, _state = self.chain.pop()
        snapshot = self.snapshots.pop()
        self.trie.revert(self.tip_root, height=len(self.chain), block_hash=block_hash)
        if snapshot is not None:  # no prune since: the store is exactly as before the block
            assert self.store == snapshot

    def prune(self, below: int) -> None:
        before = node_hashes(self.store)
        deleted = self.trie.prune(below_height=below)
        assert deleted == len(before - node_hashes(self.store))
        assert before >= node_hashes(self.store)
        self.floor = max(self.floor, below)
        self.snapshots = [None] * len(self.snapshots)

    def check(self, keys: list[bytes]) -> None:
        """Every retained root reads correctly; the store holds exactly their nodes."""
        retained = [root for h, (_, root, _) in enumerate(self.chain) if h >= self.floor - 1]
        expected: set[bytes] = set()
        for root in retained:
            expected.update(reachable(self.store, root))
        assert node_hashes(self.store) == expected
        for h, (_, root, state) in enumerate(self.chain):
            if h >= self.floor - 1:
                for key in keys:
                    assert self.trie.get(root, key) == state.get(key)
        self.check_refcounts()

    def check_refcounts(self) -> None:
        """Refcount = multiplicity in the tip trie + occurrences in unpruned journals."""
        expected = Counter(reachable(self.store, self.tip_root))
        for key, raw in self.store.items():
            if key[:1] == b"j":
                n_added = int.from_bytes(raw[64:68], "big")
                n_obsolete = int.from_bytes(raw[68:72], "big")
                start = 72 + 32 * n_added
                expected.update(
                    raw[start + 32 * i : start + 32 * i + 32] for i in range(n_obsolete)
                )
        actual = {
            k[1:]: int.from_bytes(v[:4], "big") for k, v in self.store.items() if k[:1] == b"n"
        }
        assert actual == dict(expected)


# Keys: hashed keys from a small pool, or 32-byte paths built so that the subtrees under the
# first nibbles 0, 1 and 2 often hold the same suffixes with the same values (equal subtrees).
HASHED_KEYS = [b"key-%d" % i for i in range(24)]
SUFFIXES = [bytes([i & 0x0F]) + bytes([i * 17 % 256]) * 30 + bytes([i]) for i in range(8)]
PATH_KEYS = [bytes([top << 4 | s[0]]) + s[1:] for top in range(3) for s in SUFFIXES]


def value_for(key: bytes, version: int, paths: bool) -> bytes:
    # With path keys the value depends on the suffix only, so equal subtrees do arise.
    return (key[1:4] if paths else key) + b"#%d" % version


#: (kind, key picks, version or prune height, fork) with kind connect, disconnect or prune.
Op = tuple[str, list[int], int, int]


@st.composite
def scenarios(draw: st.DrawFn) -> list[Op]:
    ops: list[Op] = []
    for _ in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(["connect", "connect", "connect", "disconnect", "prune"]))
        if kind == "connect":
            picks = draw(st.lists(st.integers(0, 23), unique=True, min_size=1, max_size=10))
            ops.append((kind, picks, draw(st.integers(0, 3)), draw(st.integers(0, 2))))
        elif kind == "prune":
            ops.append((kind, [], draw(st.integers(0, 16)), 0))
        else:
            ops.append((kind, [], 0, 0))
    return ops


def run_scenario(ops: list[Op], paths: bool) -> None:
    store = DictStore()
    trie: StateTrie = PathTrie(store) if paths else StateTrie(store)
    keys = PATH_KEYS if paths else HASHED_KEYS
    model = Model(trie, store, path_ref_root if paths else ref_root)
    for kind, picks, number, fork in ops:
        if kind == "connect":
            version = number
            state = model.state
            changes: dict[bytes, bytes | None] = {}
            for i in picks:
                key = keys[i]
                if key in state and version == 0:
                    changes[key] = None
                else:
                    changes[key] = value_for(key, version, paths)
            model.connect(changes, fork)
        elif kind == "disconnect":
            if len(model.chain) > max(model.floor, 0):
                model.disconnect()
        else:
            below = min(number, len(model.chain))
            model.prune(below)
        model.check(keys)
    # Unwind to the prune floor, then everything still reads, and pruning all leaves the tip.
    while len(model.chain) > max(model.floor, 0):
        model.disconnect()
        model.check(keys)
    model.prune(len(model.chain) + 1)
    assert node_hashes(store) == set(reachable(store, model.tip_root))


@given(scenarios())
@settings(max_examples=150)
def test_random_connect_disconnect_prune_with_hashed_keys(ops: list[Op]) -> None:
    run_scenario(ops, paths=False)


@given(scenarios())
@settings(max_examples=150)
def test_random_connect_disconnect_prune_with_equal_subtrees(ops: list[Op]) -> None:
    run_scenario(ops, paths=True)


def test_equal_subtrees_share_nodes_and_survive_a_deletion_in_one_of_them() -> None:
    store = DictStore()
    trie = PathTrie(store)
    state = {k: value_for(k, 1, True) for k in PATH_KEYS}
    root = trie.update(EMPTY_ROOT, state, height=0, block_hash=block(0))
    assert root == path_ref_root(state)
    counts = Counter(reachable(store, root))
    shared = [h for h, n in counts.items() if n == 3]
    assert shared, "the three subtrees should be identical"
    assert all(int.from_bytes(store[b"n" + h][:4], "big") == 3 for h in shared)
    # Change one subtree: the other two still use the shared nodes after pruning.
    root2 = trie.update(root, {PATH_KEYS[0]: None}, height=1, block_hash=block(1))
    trie.prune(below_height=2)
    assert node_hashes(store) == set(reachable(store, root2))
    for key in PATH_KEYS[1:]:
        assert trie.get(root2, key) == state[key]
    assert trie.get(root2, PATH_KEYS[0]) is None


def test_a_node_recreated_before_pruning_is_counted_twice() -> None:
    """Spend-then-recreate: block 2 restores the exact state of block 0, so block 1's
    obsoleted nodes come back while still pending; pruning block 1 must keep them."""
    store = DictStore()
    trie = StateTrie(store)
    state = dict.fromkeys(HASHED_KEYS, b"v")
    r0 = trie.update(EMPTY_ROOT, state, height=0, block_hash=block(0))
    r1 = trie.update(r0, {b"new": b"coin"}, height=1, block_hash=block(1))
    r2 = trie.update(r1, {b"new": None}, height=2, block_hash=block(2))
    assert r2 == r0
    trie.prune(below_height=2)  # drops block 0's and 1's journals
    assert node_hashes(store) == set(reachable(store, r1)) | set(reachable(store, r2))
    trie.prune(below_height=3)
    assert node_hashes(store) == set(reachable(store, r2))
    for key in HASHED_KEYS:
        assert trie.get(r2, key) == b"v"


def test_update_then_revert_leaves_the_store_unchanged() -> None:
    store = DictStore()
    trie = StateTrie(store)
    r0 = trie.update(EMPTY_ROOT, {k: k for k in HASHED_KEYS}, height=0, block_hash=block(0))
    before = dict(store)
    changes: dict[bytes, bytes | None] = {HASHED_KEYS[0]: None, HASHED_KEYS[1]: b"x", b"n": b"y"}
    r1 = trie.update(r0, changes, height=1, block_hash=block(1))
    assert store != before
    trie.revert(r0, height=1, block_hash=block(1))
    assert store == before
    # The same block again, and a competing block at the same height.
    assert trie.update(r0, changes, height=1, block_hash=block(1)) == r1
    trie.revert(r0, height=1, block_hash=block(1))
    trie.update(r0, {b"other": b"z"}, height=1, block_hash=block(1, 1))
    trie.revert(r0, height=1, block_hash=block(1, 1))
    assert store == before


def test_revert_and_prune_errors() -> None:
    store = DictStore()
    trie = StateTrie(store)
    r0 = trie.update(EMPTY_ROOT, {b"a": b"1"}, height=0, block_hash=block(0))
    r1 = trie.update(r0, {b"b": b"2"}, height=1, block_hash=block(1))
    with pytest.raises(JournalError, match="no trie journal"):
        trie.revert(r0, height=1, block_hash=block(1, 9))
    with pytest.raises(JournalError, match="applied to root"):
        trie.revert(r1, height=1, block_hash=block(1))
    assert trie.prune(below_height=1) >= 0
    assert trie.prune(below_height=1) == 0  # idempotent
    with pytest.raises(JournalError):
        trie.revert(EMPTY_ROOT, height=0, block_hash=block(0))  # pruned: no longer revertible
    trie.revert(r0, height=1, block_hash=block(1))
    assert trie.get(r0, b"a") == b"1"
