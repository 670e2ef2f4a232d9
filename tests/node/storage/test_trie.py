"""State trie updates and lookups against the naive reference (tests/node/storage/trie_ref.py)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.consensus.genesis import EMPTY_STATE_ROOT
from node.errors import RustyError
from node.storage.errors import StorageError
from node.storage.trie import (
    EMPTY_ROOT,
    JournalError,
    KeyNotFound,
    MissingNode,
    StateTrie,
    TrieError,
    key_path,
    trie_height_key,
    trie_journal_key,
    trie_node_key,
    verify_proof,
)
from node.storage.trie_nodes import MAX_VALUE_SIZE, InvalidNode, decode_node

from .trie_ref import DictStore, H, ref_root

DATA = Path(__file__).parent / "data"
KEYS = [b"k%d" % i for i in range(40)]


def block(height: int) -> bytes:
    return H(b"block %d" % height)


def apply(state: dict[bytes, bytes], changes: dict[bytes, bytes | None]) -> None:
    for key, value in changes.items():
        if value is None:
            del state[key]
        else:
            state[key] = value


# Batches over a small key pool, so that updates and deletes hit existing keys.
values = st.binary(min_size=0, max_size=300)


@st.composite
def batch_sequences(draw: st.DrawFn) -> list[dict[bytes, bytes | None]]:
    state: set[bytes] = set()
    batches: list[dict[bytes, bytes | None]] = []
    for _ in range(draw(st.integers(1, 6))):
        keys = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=25))
        batch: dict[bytes, bytes | None] = {}
        for key in keys:
            if key in state and draw(st.booleans()):
                batch[key] = None
                state.discard(key)
            else:
                batch[key] = draw(values)
                state.add(key)
        batches.append(batch)
    return batches


def test_empty_root_is_32_zero_bytes_and_the_genesis_constant() -> None:
    assert EMPTY_ROOT == bytes(32) == EMPTY_STATE_ROOT
    trie = StateTrie(DictStore())
    assert trie.update(EMPTY_ROOT, {}, height=0, block_hash=block(0)) == EMPTY_ROOT
    assert trie.get(EMPTY_ROOT, b"anything") is None
    assert trie.get_proof(EMPTY_ROOT, b"anything") == []


def test_trie_errors_are_storage_errors() -> None:
    for cls in (TrieError, KeyNotFound, MissingNode, JournalError):
        assert issubclass(cls, StorageError)
        assert issubclass(cls, RustyError)


def test_key_builders() -> None:
    h = bytes(range(32))
    assert trie_node_key(h) == b"n" + h
    assert trie_journal_key(258, h) == b"j" + bytes(6) + b"\x01\x02" + h
    assert trie_height_key(258) == b"h" + bytes(6) + b"\x01\x02"
    assert key_path(b"abc") == H(b"abc").hex()


def test_single_key_root_follows_the_documented_encoding() -> None:
    trie = StateTrie(DictStore())
    root = trie.update(EMPTY_ROOT, {b"k": b"v"}, height=1, block_hash=block(1))
    packed = bytes([64]) + H(b"k")  # 64 nibbles = the 32 hash bytes
    assert root == H(b"\x00" + packed + b"\x01v")
    assert trie.get(root, b"k") == b"v"
    assert trie.get(root, b"other") is None


@given(batch_sequences())
@settings(max_examples=200)
def test_batches_match_the_reference(batches: list[dict[bytes, bytes | None]]) -> None:
    store = DictStore()
    trie = StateTrie(store)
    state: dict[bytes, bytes] = {}
    root = EMPTY_ROOT
    for height, batch in enumerate(batches):
        root = trie.update(root, batch, height=height, block_hash=block(height))
        apply(state, batch)
        assert root == ref_root(state)
        for key in KEYS:
            assert trie.get(root, key) == state.get(key)


@given(
    st.dictionaries(st.binary(min_size=1, max_size=8), values, min_size=1, max_size=40),
    st.randoms(use_true_random=False),
)
@settings(max_examples=100)
def test_root_is_independent_of_order_and_batch_split(
    state: dict[bytes, bytes], rnd: random.Random
) -> None:
    expected = ref_root(state)
    items = list(state.items())
    rnd.shuffle(items)
    cuts = sorted(rnd.sample(range(1, len(items)), min(3, len(items) - 1)))
    trie = StateTrie(DictStore())
    root = EMPTY_ROOT
    for height, (lo, hi) in enumerate(zip([0, *cuts], [*cuts, len(items)], strict=True)):
        root = trie.update(root, dict(items[lo:hi]), height=height, block_hash=block(height))
    assert root == expected
    # Insert extra keys and delete them again: back to the same root.
    extra = {b"extra-%d" % i: b"x" for i in range(rnd.randrange(1, 20))}
    with_extra = trie.update(root, extra, height=10, block_hash=block(10))
    assert with_extra != root
    back = trie.update(with_extra, dict.fromkeys(extra), height=11, block_hash=block(11))
    assert back == expected


def test_large_batches_on_a_thousand_keys() -> None:
    rnd = random.Random(5)
    state = {rnd.randbytes(36): rnd.randbytes(rnd.choice((0, 50, 300))) for _ in range(1000)}
    trie = StateTrie(DictStore())
    root = trie.update(EMPTY_ROOT, state, height=0, block_hash=block(0))
    assert root == ref_root(state)
    for height in range(1, 4):
        keys = list(state)
        changes: dict[bytes, bytes | None] = dict.fromkeys(rnd.sample(keys, 150))
        changes.update({k: b"updated" for k in rnd.sample(keys, 50) if k not in changes})
        changes.update({rnd.randbytes(36): rnd.randbytes(40) for _ in range(300)})
        root = trie.update(root, changes, height=height, block_hash=block(height))
        apply(state, changes)
        assert root == ref_root(state)
    # Deleting everything empties the trie.
    assert trie.update(root, dict.fromkeys(state), height=9, block_hash=block(9)) == EMPTY_ROOT


def test_value_sizes_use_minimal_compact_size() -> None:
    state = {b"a": b"", b"b": b"x" * 252, b"c": b"y" * 253, b"d": b"z" * 70_000}
    trie = StateTrie(DictStore())
    root = trie.update(EMPTY_ROOT, state, height=0, block_hash=block(0))
    assert root == ref_root(state)
    for key, value in state.items():
        assert trie.get(root, key) == value
        assert verify_proof(root, key, trie.get_proof(root, key)) == value


def test_deleting_an_absent_key_is_an_error_and_writes_nothing() -> None:
    store = DictStore()
    trie = StateTrie(store)
    root = trie.update(EMPTY_ROOT, dict.fromkeys(KEYS[:20], b"v"), height=0, block_hash=block(0))
    before = dict(store)
    for changes in (
        {b"absent": None},
        {KEYS[0]: None, b"absent": None, b"new": b"n"},
        {KEYS[1]: b"changed", b"absent": None},
    ):
        with pytest.raises(KeyNotFound, match=b"absent".hex()):
            trie.update(root, changes, height=1, block_hash=block(1))
        assert store == before
    with pytest.raises(KeyNotFound):
        StateTrie(DictStore()).update(EMPTY_ROOT, {b"x": None}, height=0, block_hash=block(0))
    # The same key deleted twice in successive blocks.
    r1 = trie.update(root, {KEYS[0]: None}, height=1, block_hash=block(1))
    with pytest.raises(KeyNotFound):
        trie.update(r1, {KEYS[0]: None}, height=2, block_hash=block(2))


def test_bad_arguments_are_rejected() -> None:
    store = DictStore()
    trie = StateTrie(store)
    with pytest.raises(TrieError, match="value"):
        trie.update(EMPTY_ROOT, {b"k": "text"}, height=0, block_hash=block(0))  # type: ignore[dict-item]
    with pytest.raises(TrieError, match="value"):
        trie.update(EMPTY_ROOT, {b"k": bytes(MAX_VALUE_SIZE + 1)}, height=0, block_hash=block(0))
    with pytest.raises(TrieError, match="root"):
        trie.update(b"short", {b"k": b"v"}, height=0, block_hash=block(0))
    with pytest.raises(TrieError, match="block hash"):
        trie.update(EMPTY_ROOT, {b"k": b"v"}, height=0, block_hash=b"x")
    with pytest.raises(TrieError, match="height"):
        trie.update(EMPTY_ROOT, {b"k": b"v"}, height=-1, block_hash=block(0))
    with pytest.raises(TrieError, match="root"):
        trie.get(b"\x01" * 31, b"k")
    assert store == {}


def test_a_block_cannot_be_applied_twice() -> None:
    trie = StateTrie(DictStore())
    root = trie.update(EMPTY_ROOT, {b"k": b"v"}, height=1, block_hash=block(1))
    with pytest.raises(JournalError, match="exists"):
        trie.update(root, {b"k2": b"v"}, height=1, block_hash=block(1))


def test_unknown_root_raises_missing_node() -> None:
    trie = StateTrie(DictStore())
    with pytest.raises(MissingNode):
        trie.get(H(b"nowhere"), b"k")
    with pytest.raises(MissingNode):
        trie.get_proof(H(b"nowhere"), b"k")
    with pytest.raises(MissingNode):
        trie.update(H(b"nowhere"), {b"k": b"v"}, height=0, block_hash=block(0))


def test_decoder_rejects_non_canonical_nodes() -> None:
    good_leaf = b"\x00\x01\x50\x01v"
    decode_node(good_leaf)
    bad = [
        b"",
        b"\x03",  # unknown tag
        b"\x00\x01\x51\x01v",  # odd count with a non-zero padding nibble
        b"\x00\x00\x01v",  # leaf without nibbles
        b"\x00\x41" + bytes(33) + b"\x00",  # 65 nibbles
        b"\x00\x01\x50\x02v",  # value shorter than its length
        b"\x00\x01\x50\x01vv",  # trailing byte
        b"\x00\x01\x50\xfd\x01\x00v",  # non-minimal CompactSize
        b"\x01\x00" + bytes(32),  # extension without nibbles
        b"\x01\x40" + bytes(32) + bytes(32),  # extension of 64 nibbles
        b"\x01\x01\x50" + bytes(31),  # short child hash
        b"\x02\x01\x00" + bytes(32),  # branch with one child
        b"\x02\x03\x00" + bytes(32),  # two bits, one hash
        b"\x02\x03\x00" + bytes(65),  # two bits, trailing byte
    ]
    for enc in bad:
        with pytest.raises(InvalidNode):
            decode_node(enc)


def test_frozen_vectors() -> None:
    """The consensus format must never change silently: roots of fixed states (the file was
    produced by the test reference, tests/node/storage/trie_ref.py)."""
    vectors = json.loads((DATA / "trie_vectors.json").read_text())
    assert vectors
    for case in vectors:
        state = {bytes.fromhex(k): bytes.fromhex(v) for k, v in case["state"].items()}
        root = bytes.fromhex(case["root"])
        assert ref_root(state) == root
        trie = StateTrie(DictStore())
        assert trie.update(EMPTY_ROOT, state, height=0, block_hash=block(0)) == root
        for proof_case in case["proofs"]:
            key = bytes.fromhex(proof_case["key"])
            proof = [bytes.fromhex(n) for n in proof_case["proof"]]
            assert trie.get_proof(root, key) == proof
            expected = proof_case["value"]
            assert verify_proof(root, key, proof) == (
                None if expected is None else bytes.fromhex(expected)
            )
