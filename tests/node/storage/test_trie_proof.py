"""State trie proofs: get_proof, and the standalone verify_proof on honest and forged proofs."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.storage.trie import EMPTY_ROOT, InvalidProof, StateTrie, verify_proof

from .trie_ref import DictStore, H, branch, extension, leaf, ref_path, ref_proof


def build(state: dict[bytes, bytes]) -> tuple[StateTrie, bytes]:
    trie = StateTrie(DictStore())
    return trie, trie.update(EMPTY_ROOT, state, height=0, block_hash=bytes(32))


def find_key(predicate: object, start: int = 0) -> bytes:
    """The first key b"probe-<i>" whose path satisfies ``predicate`` (a brute-force search)."""
    for i in range(start, start + 2_000_000):
        key = b"probe-%d" % i
        if predicate(ref_path(key)):  # type: ignore[operator]
            return key
    raise AssertionError("no key found")


@pytest.fixture(scope="module")
def sample() -> tuple[StateTrie, bytes, dict[bytes, bytes]]:
    rnd = random.Random(11)
    state = {rnd.randbytes(36): rnd.randbytes(rnd.randrange(0, 120)) for _ in range(300)}
    trie, root = build(state)
    return trie, root, state


def test_present_and_absent_keys_verify(
    sample: tuple[StateTrie, bytes, dict[bytes, bytes]],
) -> None:
    trie, root, state = sample
    for key, value in list(state.items())[:100]:
        proof = trie.get_proof(root, key)
        assert proof == ref_proof(state, key)
        assert verify_proof(root, key, proof) == value
    for i in range(100):
        key = b"absent-%d" % i
        proof = trie.get_proof(root, key)
        assert proof == ref_proof(state, key)
        assert verify_proof(root, key, proof) is None


@given(
    st.dictionaries(st.binary(max_size=6), st.binary(max_size=40), max_size=30),
    st.binary(max_size=6),
)
@settings(max_examples=80)
def test_proofs_match_the_reference(state: dict[bytes, bytes], probe: bytes) -> None:
    trie, root = build(state)
    for key in [*list(state)[:5], probe]:
        proof = trie.get_proof(root, key)
        assert proof == ref_proof(state, key)
        assert verify_proof(root, key, proof) == state.get(key)


def test_every_kind_of_absence_proof() -> None:
    # Three keys sharing their first two nibbles: root = extension -> branch -> leaves.
    first = ref_path(b"probe-0")[:2]
    keys = [b"probe-0"]
    while len(keys) < 3:
        taken = {tuple(ref_path(k)[:3]) for k in keys}
        keys.append(
            find_key(
                lambda p, taken=taken: p[:2] == first and tuple(p[:3]) not in taken,
                start=len(keys) * 10**6,
            )
        )
    state = {k: b"v-" + k for k in keys}
    trie, root = build(state)
    assert trie.get_proof(root, keys[0])[0][0] == 1  # the root is an extension
    used = {tuple(ref_path(k)[:3]) for k in keys}
    cases = {
        "diverging extension": (find_key(lambda p: p[:2] != first), 1, 1),
        "empty branch slot": (
            find_key(lambda p: p[:2] == first and tuple(p[:3]) not in used, start=5 * 10**6),
            2,
            2,
        ),
        "another key's leaf": (
            find_key(lambda p: tuple(p[:3]) in used and p[:2] == first, start=7 * 10**6),
            3,
            0,
        ),
    }
    for name, (key, length, last_tag) in cases.items():
        assert key not in state, name
        proof = trie.get_proof(root, key)
        assert len(proof) == length, name
        assert proof[-1][0] == last_tag, name
        assert verify_proof(root, key, proof) is None, name
        with pytest.raises(InvalidProof):  # a node dropped from the end
            verify_proof(root, key, proof[:-1]) if length > 1 else verify_proof(root, key, [])
        with pytest.raises(InvalidProof):  # a node appended
            verify_proof(root, key, [*proof, proof[-1]])


def test_empty_trie_proofs() -> None:
    assert verify_proof(EMPTY_ROOT, b"k", []) is None
    with pytest.raises(InvalidProof):
        verify_proof(EMPTY_ROOT, b"k", [leaf(ref_path(b"k"), b"v")])
    _, root = build({b"k": b"v"})
    with pytest.raises(InvalidProof):
        verify_proof(root, b"k", [])


def test_flipped_bytes_dropped_nodes_and_wrong_roots(
    sample: tuple[StateTrie, bytes, dict[bytes, bytes]],
) -> None:
    trie, root, state = sample
    keys = [*list(state)[:3], b"absent-1"]
    rnd = random.Random(3)
    for key in keys:
        proof = trie.get_proof(root, key)
        for index, node in enumerate(proof):
            for pos in {0, 1, 2, len(node) - 1, *rnd.sample(range(len(node)), min(8, len(node)))}:
                forged = bytearray(node)
                forged[pos] ^= 0x01 << rnd.randrange(8)
                with pytest.raises(InvalidProof):
                    verify_proof(root, key, [*proof[:index], bytes(forged), *proof[index + 1 :]])
            with pytest.raises(InvalidProof):
                verify_proof(root, key, proof[:index] + proof[index + 1 :])
        with pytest.raises(InvalidProof):
            verify_proof(H(b"another root"), key, proof)
        with pytest.raises(InvalidProof):
            verify_proof(root[:31], key, proof)


def test_a_proof_for_another_key_is_rejected(
    sample: tuple[StateTrie, bytes, dict[bytes, bytes]],
) -> None:
    trie, root, state = sample
    keys = list(state)
    for a, b in itertools.pairwise(keys[:21]):
        with pytest.raises(InvalidProof):
            verify_proof(root, b, trie.get_proof(root, a))


def test_malformed_nodes_that_hash_correctly_are_rejected() -> None:
    """A forger controls the root here, so only the node rules stop these proofs."""
    path = ref_path(b"k")
    good = leaf(path, b"v")
    assert verify_proof(H(good), b"k", [good]) == b"v"
    other = H(b"x")
    forged_proofs = {
        "leaf too short for its depth": [leaf(path[1:], b"v")],
        "leaf with non-minimal size": [b"\x00" + bytes([64]) + H(b"k") + b"\xfd\x01\x00v"],
        "branch with one child": [branch({path[0]: H(good)}), good],
        "extension leading to a leaf": [
            extension(path[:1], H(leaf(path[1:], b"v"))),
            leaf(path[1:], b"v"),
        ],
        "extension to the path's end": [extension(path[:63], other)],
        "unknown tag": [b"\x07" + bytes(10)],
    }
    for name, proof in forged_proofs.items():
        with pytest.raises(InvalidProof):
            verify_proof(H(proof[0]), b"k", proof)
        assert name
    with pytest.raises(InvalidProof):
        verify_proof(H(good), b"k", [good.hex()])  # type: ignore[list-item]
    # Two leaves under a branch: the correct shape verifies, a shorter leaf suffix does not.
    sibling = [(path[0] + 1) % 16, *path[1:]]
    twig = branch({path[0]: H(leaf(path[1:], b"v")), sibling[0]: H(leaf(sibling[1:], b"w"))})
    assert verify_proof(H(twig), b"k", [twig, leaf(path[1:], b"v")]) == b"v"
    bad_twig = branch({path[0]: H(leaf(path[2:], b"v")), sibling[0]: H(leaf(sibling[1:], b"w"))})
    with pytest.raises(InvalidProof):
        verify_proof(H(bad_twig), b"k", [bad_twig, leaf(path[2:], b"v")])
