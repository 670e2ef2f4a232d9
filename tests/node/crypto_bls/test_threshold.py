"""Threshold signatures and Feldman VSS as the DKG uses them (SPEC section 6.3).

A dealer polynomial of degree t-1 gives each of n members a share at its id (pro_tx_hash as a
big-endian integer mod r). Any t signature shares recover the master key's signature; t-1 do
not. Feldman: the public verification vector evaluated at a member's id is that member's
public key share, and a corrupted share fails that check.
"""

import hashlib
import random

import pytest

from node.crypto.bls import CURVE_ORDER, G1_GENERATOR, BLSBackend


def _member_id(n: int) -> int:
    pro_tx_hash = hashlib.sha256(b"member %d" % n).digest()
    return int.from_bytes(pro_tx_hash, "big") % CURVE_ORDER


def _deal(
    backend: BLSBackend, rng: random.Random, t: int, n: int
) -> tuple[list[int], dict[int, int]]:
    coeffs = [rng.randrange(1, CURVE_ORDER) for _ in range(t)]
    shares = {_member_id(i): backend.poly_eval_scalar(coeffs, _member_id(i)) for i in range(n)}
    return coeffs, shares


@pytest.mark.parametrize(("t", "n"), [(3, 5), (1, 2)])
def test_t_of_n_recovers_master_signature(backend: BLSBackend, t: int, n: int) -> None:
    rng = random.Random(t * 1000 + n)
    coeffs, shares = _deal(backend, rng, t, n)
    master_sk = coeffs[0]
    master_pk = backend.sk_to_pk(master_sk)
    msg = hashlib.sha256(b"quorum request").digest()
    expected = backend.sign(master_sk, msg)

    signers = rng.sample(sorted(shares), t)
    sig_shares = [(i, backend.sign(shares[i], msg)) for i in signers]
    for i, s in sig_shares:  # each share verifies under that member's public key share
        assert backend.verify(backend.sk_to_pk(shares[i]), msg, s)
    recovered = backend.recover_g2(sig_shares)
    assert recovered == expected
    assert backend.verify(master_pk, msg, recovered)
    # order of the shares does not matter
    assert backend.recover_g2(sig_shares[::-1]) == expected
    # the scalar shares and public key shares interpolate to the master values too
    assert backend.recover_scalar([(i, shares[i]) for i in signers]) == master_sk
    pk_shares = [(i, backend.sk_to_pk(shares[i])) for i in signers]
    assert backend.recover_g1(pk_shares) == master_pk

    if t > 1:
        too_few = backend.recover_g2(sig_shares[:-1])
        assert too_few != expected
        assert not backend.verify(master_pk, msg, too_few)
        assert backend.recover_scalar([(i, shares[i]) for i in signers[:-1]]) != master_sk


def test_any_t_subset_gives_the_same_signature(ark: BLSBackend) -> None:
    rng = random.Random(99)
    t, n = 4, 7
    coeffs, shares = _deal(ark, rng, t, n)
    msg = b"chainlock"
    sig_shares = {i: ark.sign(s, msg) for i, s in shares.items()}
    expected = ark.sign(coeffs[0], msg)
    ids = sorted(shares)
    for _ in range(5):
        subset = rng.sample(ids, t)
        assert ark.recover_g2([(i, sig_shares[i]) for i in subset]) == expected
    # more than t shares still interpolate the same degree t-1 polynomial
    assert ark.recover_g2(list(sig_shares.items())) == expected
    # a single corrupted share (someone else's) spoils the result
    bad = [(ids[0], sig_shares[ids[1]]), *[(i, sig_shares[i]) for i in ids[1:t]]]
    assert ark.recover_g2(bad) != expected


def test_feldman_verification_vector(backend: BLSBackend) -> None:
    rng = random.Random(5)
    t, n = 3, 4
    coeffs, shares = _deal(backend, rng, t, n)
    vvec = [backend.g1_mul(G1_GENERATOR, c) for c in coeffs]
    assert vvec[0] == backend.sk_to_pk(coeffs[0])  # the quorum public key
    for member, share in shares.items():
        assert backend.poly_eval_g1(vvec, member) == backend.sk_to_pk(share)
    member, share = next(iter(shares.items()))
    tampered = (share + 1) % CURVE_ORDER
    assert backend.poly_eval_g1(vvec, member) != backend.sk_to_pk(tampered)
    # a verification vector with one wrong commitment fails for every member
    forged = [vvec[0], vvec[1], backend.g1_add(vvec[2], G1_GENERATOR)]
    assert all(backend.poly_eval_g1(forged, m) != backend.sk_to_pk(s) for m, s in shares.items())
    # x = 0 gives the free coefficient, x = 1 the sum of all commitments
    assert backend.poly_eval_g1(vvec, 0) == vvec[0]
    total = backend.g1_add(backend.g1_add(vvec[0], vvec[1]), vvec[2])
    assert backend.poly_eval_g1(vvec, 1) == total


def test_large_quorum_recovery_is_fast_on_arkworks(ark: BLSBackend) -> None:
    """Platform quorum size (67 of 100): recovery stays cheap with the native backend."""
    rng = random.Random(67)
    t = 67
    coeffs = [rng.randrange(1, CURVE_ORDER) for _ in range(t)]
    ids = [_member_id(i) for i in range(t)]
    msg = b"peg-out"
    sig_shares = [(i, ark.sign(ark.poly_eval_scalar(coeffs, i), msg)) for i in ids]
    assert ark.recover_g2(sig_shares) == ark.sign(coeffs[0], msg)
