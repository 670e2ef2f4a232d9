"""node.crypto.merkle: roots against a naive reference and hand-built trees, CVE-2012-2459
mutation detection, inclusion proofs for every index, and rejection of tampered, malformed
and forged (duplicate-last-node) proofs."""

from __future__ import annotations

import time

import pytest
from blake3 import blake3
from hypothesis import given, settings
from hypothesis import strategies as st

from node.crypto.errors import CryptoError
from node.crypto.merkle import (
    EMPTY_ROOT,
    MerkleError,
    MerkleProof,
    compute_merkle_root,
    merkle_proof,
    merkle_root,
    verify_merkle_proof,
)


def h(data: bytes) -> bytes:
    return blake3(data).digest()


def leaf(i: int) -> bytes:
    return h(b"leaf" + i.to_bytes(4, "little"))


def leaves_of(n: int) -> list[bytes]:
    return [leaf(i) for i in range(n)]


def naive_root(leaves: list[bytes]) -> bytes:
    """Recursive definition: the root over a list is H(root(left half) || root(right half)),
    where the tree is the complete binary tree over the list padded level by level."""
    if not leaves:
        return bytes(32)
    if len(leaves) == 1:
        return leaves[0]
    width = 1
    while width < len(leaves):
        width *= 2
    return _naive_subtree(leaves, 0, width)


def _naive_subtree(leaves: list[bytes], start: int, width: int) -> bytes:
    if width == 1:
        return leaves[start]
    half = width // 2
    left = _naive_subtree(leaves, start, half)
    # A right subtree that starts past the end duplicates the left one (odd node paired with
    # itself at that level).
    right = left if start + half >= len(leaves) else _naive_subtree(leaves, start + half, half)
    return h(left + right)


def naive_mutated(leaves: list[bytes]) -> bool:
    level = list(leaves)
    while len(level) > 1:
        if any(level[i] == level[i + 1] for i in range(0, len(level) - 1, 2)):
            return True
        if len(level) % 2:
            level.append(level[-1])
        level = [h(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return False


# --- roots -----------------------------------------------------------------------------------


def test_no_leaves_gives_zero_root() -> None:
    assert merkle_root([]) == EMPTY_ROOT == bytes(32)
    assert compute_merkle_root([]) == (bytes(32), False)


def test_single_leaf_is_its_own_root() -> None:
    assert merkle_root([leaf(7)]) == leaf(7)
    assert compute_merkle_root([leaf(7)]) == (leaf(7), False)


def test_small_trees_by_hand() -> None:
    a, b, c, d, e = leaves_of(5)
    assert merkle_root([a, b]) == h(a + b)
    assert merkle_root([a, b, c]) == h(h(a + b) + h(c + c))
    assert merkle_root([a, b, c, d]) == h(h(a + b) + h(c + d))
    ee = h(e + e)
    assert merkle_root([a, b, c, d, e]) == h(h(h(a + b) + h(c + d)) + h(ee + ee))


@pytest.mark.parametrize("n", range(1, 70))
def test_root_matches_naive_reference(n: int) -> None:
    leaves = leaves_of(n)
    root, mutated = compute_merkle_root(leaves)
    assert root == merkle_root(leaves) == naive_root(leaves)
    assert mutated is False


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40))
def test_root_and_mutation_match_reference_for_any_leaves(leaves: list[bytes]) -> None:
    root, mutated = compute_merkle_root(leaves)
    assert root == merkle_root(leaves) == naive_root(leaves)
    assert mutated == naive_mutated(leaves)


def test_merkle_root_does_not_modify_input() -> None:
    leaves = leaves_of(5)
    copy = list(leaves)
    merkle_root(leaves)
    compute_merkle_root(leaves)
    merkle_proof(leaves, 4)
    assert leaves == copy


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33, b"\x00" * 64])
def test_leaves_must_be_32_bytes(bad: bytes) -> None:
    with pytest.raises(MerkleError, match="leaf 1"):
        merkle_root([leaf(0), bad, leaf(2)])
    with pytest.raises(MerkleError):
        compute_merkle_root([bad])
    with pytest.raises(MerkleError):
        merkle_proof([leaf(0), bad], 0)


def test_merkle_error_is_a_crypto_error() -> None:
    assert issubclass(MerkleError, CryptoError)


def test_ten_thousand_leaves_is_fast() -> None:
    leaves = leaves_of(10_000)
    start = time.perf_counter()
    root = merkle_root(leaves)
    elapsed = time.perf_counter() - start
    assert root == naive_root(leaves)
    assert elapsed < 0.5, f"merkle_root of 10,000 leaves took {elapsed * 1000:.1f} ms"


# --- CVE-2012-2459 ---------------------------------------------------------------------------


def test_duplicated_last_leaf_is_mutated_with_the_same_root() -> None:
    a, b, c = leaves_of(3)
    honest_root, honest_mutated = compute_merkle_root([a, b, c])
    forged_root, forged_mutated = compute_merkle_root([a, b, c, c])
    assert forged_root == honest_root  # the attack: same root, different leaf list
    assert honest_mutated is False
    assert forged_mutated is True


def test_duplicated_subtree_is_mutated_with_the_same_root() -> None:
    # 5 leaves: e pairs with itself, then H(ee) with itself. Duplicating "e" at level 0
    # (6 leaves) or "e, e" as a subtree still gives the same root; both are mutated.
    leaves = leaves_of(5)
    root, mutated = compute_merkle_root(leaves)
    assert mutated is False
    for forged in (leaves + leaves[4:], [*leaves, leaves[4], leaves[4], leaves[4]]):
        forged_root, forged_mutated = compute_merkle_root(forged)
        assert forged_root == root
        assert forged_mutated is True


def test_equal_siblings_at_a_higher_level_are_mutated() -> None:
    a, b = leaves_of(2)
    root, mutated = compute_merkle_root([a, b, a, b])  # level 1 is [H(ab), H(ab)]
    assert mutated is True
    assert root == h(h(a + b) + h(a + b))


def test_two_equal_leaves_are_mutated() -> None:
    assert compute_merkle_root([leaf(1), leaf(1)])[1] is True


def test_odd_last_node_paired_with_itself_is_not_mutation() -> None:
    for n in (3, 5, 7, 9, 11):
        assert compute_merkle_root(leaves_of(n))[1] is False


def test_equal_leaves_that_are_not_siblings_are_not_mutation() -> None:
    a, b, c = leaves_of(3)
    # a repeats at positions 0 and 2: never hashed together, the root is unique.
    assert compute_merkle_root([a, b, a, c])[1] is False


# --- proofs ----------------------------------------------------------------------------------


PROOF_SIZES = [*range(1, 34), 63, 64, 65, 100]


@pytest.mark.parametrize("n", PROOF_SIZES)
def test_proof_for_every_index_verifies_and_round_trips(n: int) -> None:
    leaves = leaves_of(n)
    root = merkle_root(leaves)
    for index in range(n):
        proof = merkle_proof(leaves, index)
        assert proof.index == index
        assert proof.leaf_count == n
        assert proof.is_well_formed()
        assert verify_merkle_proof(leaves[index], proof, root)
        encoded = proof.serialize()
        assert len(encoded) == 9 + 32 * len(proof.siblings)
        assert MerkleProof.deserialize(encoded) == proof


@pytest.mark.parametrize("n", [2, 3, 5, 8, 13])
def test_tampered_proofs_are_rejected(n: int) -> None:
    leaves = leaves_of(n)
    root = merkle_root(leaves)
    for index in range(n):
        proof = merkle_proof(leaves, index)
        flipped_leaf = bytes([leaves[index][0] ^ 1]) + leaves[index][1:]
        assert not verify_merkle_proof(flipped_leaf, proof, root)
        assert not verify_merkle_proof(leaves[index], proof, h(root))
        for k in range(len(proof.siblings)):
            siblings = list(proof.siblings)
            siblings[k] = bytes([siblings[k][0] ^ 0x80]) + siblings[k][1:]
            bad = MerkleProof(index, n, tuple(siblings))
            assert not verify_merkle_proof(leaves[index], bad, root)
        for other in range(n):
            if other != index:
                moved = MerkleProof(other, n, proof.siblings)
                assert not verify_merkle_proof(leaves[index], moved, root)
        # Another leaf with this leaf's proof.
        if n > 1:
            other_leaf = leaves[(index + 1) % n]
            assert not verify_merkle_proof(other_leaf, proof, root)


def test_duplicate_last_node_forgery_is_rejected() -> None:
    # Real tree [a, b, c]; the forger claims c also sits at index 3 of a 4-leaf tree, whose
    # root is identical because c is paired with itself.
    a, b, c = leaves_of(3)
    root = merkle_root([a, b, c])
    assert verify_merkle_proof(c, merkle_proof([a, b, c], 2), root)
    forged = MerkleProof(3, 4, (c, h(a + b)))
    assert not verify_merkle_proof(c, forged, root)
    forged_left = MerkleProof(2, 4, (c, h(a + b)))
    assert not verify_merkle_proof(c, forged_left, root)
    # The same forgery one level up: 5 leaves, claim e at index 6 of 7.
    five = leaves_of(5)
    root5 = merkle_root(five)
    e = five[4]
    ab, cd = h(five[0] + five[1]), h(five[2] + five[3])
    forged_up = MerkleProof(6, 7, (h(e + e), h(ab + cd)))
    assert not verify_merkle_proof(e, forged_up, root5)


def test_proofs_generated_from_a_mutated_list_do_not_verify_the_duplicate() -> None:
    leaves = leaves_of(5)
    mutated = [*leaves, leaves[4]]
    root = merkle_root(leaves)
    assert merkle_root(mutated) == root
    assert not verify_merkle_proof(leaves[4], merkle_proof(mutated, 5), root)
    assert not verify_merkle_proof(leaves[4], merkle_proof(mutated, 4), root)


def test_inconsistent_index_and_leaf_count_are_rejected() -> None:
    leaves = leaves_of(4)
    root = merkle_root(leaves)
    proof = merkle_proof(leaves, 1)
    cases = [
        MerkleProof(4, 4, proof.siblings),  # index == leaf_count
        MerkleProof(9, 4, proof.siblings),
        MerkleProof(-1, 4, proof.siblings),
        MerkleProof(0, 0, ()),
        MerkleProof(1, 2**32, proof.siblings),  # leaf_count above u32
        MerkleProof(1, 4, proof.siblings[:1]),  # too few siblings
        MerkleProof(1, 4, (*proof.siblings, leaves[0])),  # too many
        MerkleProof(1, 8, proof.siblings),  # depth 3 needs 3 siblings
        MerkleProof(1, 4, (proof.siblings[0][:31], proof.siblings[1])),  # short sibling
    ]
    for bad in cases:
        assert not bad.is_well_formed()
        assert not verify_merkle_proof(leaves[1], bad, root)
        with pytest.raises(MerkleError):
            bad.serialize()


def test_verify_never_raises_on_garbage() -> None:
    leaves = leaves_of(3)
    root = merkle_root(leaves)
    proof = merkle_proof(leaves, 0)
    assert not verify_merkle_proof(leaves[0][:31], proof, root)
    assert not verify_merkle_proof(leaves[0], proof, root[:31])
    assert not verify_merkle_proof(leaves[0], proof, b"")
    assert not verify_merkle_proof(None, proof, root)  # type: ignore[arg-type]
    assert not verify_merkle_proof(leaves[0], None, root)  # type: ignore[arg-type]
    assert not verify_merkle_proof(leaves[0], MerkleProof("0", 3, proof.siblings), root)  # type: ignore[arg-type]
    assert not verify_merkle_proof(leaves[0], MerkleProof(0, 3, (None, None)), root)  # type: ignore[arg-type]


def test_single_leaf_proof_is_empty() -> None:
    only = leaf(0)
    proof = merkle_proof([only], 0)
    assert proof == MerkleProof(0, 1, ())
    assert verify_merkle_proof(only, proof, only)
    assert not verify_merkle_proof(only, proof, leaf(1))


def test_odd_last_leaf_proof_omits_self_sibling() -> None:
    a, b, c = leaves_of(3)
    proof = merkle_proof([a, b, c], 2)
    assert proof.siblings == (h(a + b),)
    assert verify_merkle_proof(c, proof, merkle_root([a, b, c]))


@pytest.mark.parametrize("index", [-1, 3, 100])
def test_merkle_proof_rejects_bad_index(index: int) -> None:
    with pytest.raises(MerkleError, match="out of range"):
        merkle_proof(leaves_of(3), index)


def test_merkle_proof_of_no_leaves_is_an_error() -> None:
    with pytest.raises(MerkleError):
        merkle_proof([], 0)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(min_value=1, max_value=300))
def test_random_proofs_verify(data: st.DataObject, n: int) -> None:
    leaves = leaves_of(n)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    proof = merkle_proof(leaves, index)
    assert verify_merkle_proof(leaves[index], proof, merkle_root(leaves))
    assert MerkleProof.deserialize(proof.serialize()) == proof


# --- proof decoding --------------------------------------------------------------------------


def _encoded(index: int, leaf_count: int, count: int, siblings: int | None = None) -> bytes:
    body = b"\x11" * 32 * (count if siblings is None else siblings)
    return index.to_bytes(4, "little") + leaf_count.to_bytes(4, "little") + bytes([count]) + body


def test_deserialize_known_encoding() -> None:
    proof = MerkleProof.deserialize(_encoded(2, 3, 1))
    assert proof == MerkleProof(2, 3, (b"\x11" * 32,))
    assert proof.serialize() == _encoded(2, 3, 1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "truncated"),
        (_encoded(1, 4, 2)[:8], "truncated"),
        (_encoded(1, 4, 2)[:-1], "bytes, expected"),  # truncated sibling
        (_encoded(1, 4, 2) + b"\x00", "bytes, expected"),  # trailing byte
        (_encoded(1, 4, 3), "needs 2"),  # count inconsistent with index/leaf_count
        (_encoded(1, 4, 1), "needs 2"),
        (_encoded(4, 4, 2), "index 4 >= leaf_count 4"),
        (_encoded(0, 0, 0), "leaf_count 0"),
        (_encoded(1, 4, 33), "sibling count 33"),
        (_encoded(1, 4, 0xFD, 0) + b"\x02\x00", "sibling count 253"),  # non-1-byte CompactSize
    ],
)
def test_deserialize_rejects_malformed(data: bytes, message: str) -> None:
    with pytest.raises(MerkleError, match=message):
        MerkleProof.deserialize(data)


def test_max_depth_proof_round_trips() -> None:
    # The largest tree a u32 leaf_count allows: 32 siblings for the first leaf.
    proof = MerkleProof(0, 2**32 - 1, tuple(leaf(i) for i in range(32)))
    assert proof.is_well_formed()
    assert MerkleProof.deserialize(proof.serialize()) == proof
