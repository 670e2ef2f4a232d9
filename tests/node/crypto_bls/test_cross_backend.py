"""The arkworks backend returns byte-identical results to the py_ecc reference.

The same seeded random cases go through both backends and the outputs are compared byte for
byte; verification results are compared on valid and on corrupted inputs.
"""

import random

import pytest

from node.crypto.bls import (
    CURVE_ORDER,
    DST_POP,
    G1_GENERATOR,
    G1_IDENTITY,
    G2_GENERATOR,
    G2_IDENTITY,
    BLSBackend,
)

SEEDS = (1, 2, 3)


def _rand_sk(rng: random.Random) -> int:
    return rng.randrange(1, CURVE_ORDER)


@pytest.mark.parametrize("seed", SEEDS)
def test_keys_signatures_and_pops_match(seed: int, ark: BLSBackend, ref: BLSBackend) -> None:
    rng = random.Random(seed)
    ikm = rng.randbytes(32 + seed)
    info = rng.randbytes(seed)
    assert ark.keygen(ikm, info) == ref.keygen(ikm, info)
    sk = ark.keygen(ikm, info)
    msg = rng.randbytes(rng.randrange(0, 100))
    pk = ark.sk_to_pk(sk)
    assert pk == ref.sk_to_pk(sk)
    sig = ark.sign(sk, msg)
    assert sig == ref.sign(sk, msg)
    pop = ark.pop_prove(sk)
    assert pop == ref.pop_prove(sk)
    assert ark.hash_to_g2(msg, DST_POP) == ref.hash_to_g2(msg, DST_POP)
    for b in (ark, ref):
        assert b.verify(pk, msg, sig)
        assert b.pop_verify(pk, pop)
        assert not b.verify(pk, msg + b"x", sig)
        assert not b.pop_verify(pk, sig)


def test_edge_secret_keys_match(ark: BLSBackend, ref: BLSBackend) -> None:
    for sk in (1, 2, CURVE_ORDER - 1):
        assert ark.sk_to_pk(sk) == ref.sk_to_pk(sk)
        assert ark.sign(sk, b"edge") == ref.sign(sk, b"edge")
    assert ark.sk_to_pk(1) == G1_GENERATOR
    assert ark.sk_to_pk(CURVE_ORDER - 1) == ark.g1_neg(G1_GENERATOR)


def test_aggregation_matches(ark: BLSBackend, ref: BLSBackend) -> None:
    rng = random.Random(7)
    sks = [_rand_sk(rng) for _ in range(3)]
    msg = b"aggregate me"
    sigs = [ark.sign(sk, msg) for sk in sks]
    pks = [ark.sk_to_pk(sk) for sk in sks]
    agg_sig = ark.aggregate(sigs)
    assert agg_sig == ref.aggregate(sigs)
    assert ark.aggregate([*sigs, G2_IDENTITY]) == agg_sig == ref.aggregate([*sigs, G2_IDENTITY])
    agg_pk = ark.aggregate_pubkeys(pks)
    assert agg_pk == ref.aggregate_pubkeys(pks)
    assert agg_pk == ark.sk_to_pk(sum(sks) % CURVE_ORDER)
    # A key plus its negation aggregates to the identity: the same bytes, and never verifies.
    cancel = ark.aggregate_pubkeys([pks[0], ark.g1_neg(pks[0])])
    assert cancel == ref.aggregate_pubkeys([pks[0], ref.g1_neg(pks[0])]) == G1_IDENTITY
    for b in (ark, ref):
        assert b.fast_aggregate_verify(pks, msg, agg_sig)
        assert not b.fast_aggregate_verify(pks[:2], msg, agg_sig)
        assert not b.fast_aggregate_verify([pks[0], ark.g1_neg(pks[0])], msg, G2_IDENTITY)


def test_aggregate_verify_matches(ark: BLSBackend, ref: BLSBackend) -> None:
    rng = random.Random(8)
    sks = [_rand_sk(rng) for _ in range(2)]
    msgs = [b"first", b"second"]
    sig = ark.aggregate([ark.sign(sk, m) for sk, m in zip(sks, msgs, strict=True)])
    pks = [ark.sk_to_pk(sk) for sk in sks]
    for b in (ark, ref):
        assert b.aggregate_verify(pks, msgs, sig)
        assert not b.aggregate_verify(pks, msgs[::-1], sig)
        assert not b.aggregate_verify(pks[::-1], msgs, sig)


@pytest.mark.parametrize("seed", SEEDS)
def test_group_operations_match(seed: int, ark: BLSBackend, ref: BLSBackend) -> None:
    rng = random.Random(100 + seed)
    a, b, k = _rand_sk(rng), _rand_sk(rng), rng.randrange(0, CURVE_ORDER)
    p1, p2 = ark.sk_to_pk(a), ark.sk_to_pk(b)
    q1, q2 = ark.g2_mul(G2_GENERATOR, a), ark.g2_mul(G2_GENERATOR, b)
    assert q1 == ref.g2_mul(G2_GENERATOR, a)
    cases = [
        ("g1_add", (p1, p2)),
        ("g1_add", (p1, G1_IDENTITY)),
        ("g1_add", (p1, p1)),
        ("g1_mul", (p1, k)),
        ("g1_mul", (p1, 0)),
        ("g1_neg", (p1,)),
        ("g1_neg", (G1_IDENTITY,)),
        ("g2_add", (q1, q2)),
        ("g2_add", (q1, ark.g2_neg(q1))),
        ("g2_mul", (q1, k)),
        ("g2_neg", (q2,)),
    ]
    for op, args in cases:
        assert getattr(ark, op)(*args) == getattr(ref, op)(*args), op
    # and the algebra holds
    assert ark.g1_add(p1, p2) == ark.sk_to_pk((a + b) % CURVE_ORDER)
    assert ark.g1_mul(p1, k) == ark.g1_mul(G1_GENERATOR, a * k % CURVE_ORDER)
    assert ark.g1_add(p1, ark.g1_neg(p1)) == G1_IDENTITY
    assert ark.g2_add(q1, ark.g2_neg(q1)) == G2_IDENTITY


def test_dkg_interpolation_matches(ark: BLSBackend, ref: BLSBackend) -> None:
    rng = random.Random(42)
    coeffs = [_rand_sk(rng) for _ in range(3)]
    vvec = [ark.g1_mul(G1_GENERATOR, c) for c in coeffs]
    ids = [rng.randrange(1, CURVE_ORDER) for _ in range(3)]
    for x in (ids[0], 0, 1):
        assert ark.poly_eval_g1(vvec, x) == ref.poly_eval_g1(vvec, x)
    msg = b"threshold"
    g1_shares = [(i, ark.sk_to_pk(ark.poly_eval_scalar(coeffs, i))) for i in ids]
    g2_shares = [(i, ark.sign(ark.poly_eval_scalar(coeffs, i), msg)) for i in ids]
    assert ark.recover_g1(g1_shares) == ref.recover_g1(g1_shares) == vvec[0]
    assert ark.recover_g2(g2_shares) == ref.recover_g2(g2_shares) == ark.sign(coeffs[0], msg)
    assert ark.lagrange_coefficients(ids) == ref.lagrange_coefficients(ids)
