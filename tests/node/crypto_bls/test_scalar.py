"""Scalar-field arithmetic, polynomials, Lagrange coefficients and KeyGen argument checks."""

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.crypto.bls import (
    CURVE_ORDER,
    EmptyInput,
    InvalidScalar,
    InvalidShareSet,
    lagrange_coefficients,
    poly_eval_scalar,
    recover_scalar,
    scalar_add,
    scalar_inv,
    scalar_mul,
    scalar_neg,
    scalar_sub,
)

R = CURVE_ORDER
scalars = st.integers(min_value=0, max_value=R - 1)
nonzero = st.integers(min_value=1, max_value=R - 1)


def test_curve_order_is_the_bls12_381_r() -> None:
    # r = x^4 - x^2 + 1 with the BLS parameter x = -0xd201000000010000
    x = -0xD201000000010000
    assert x**4 - x**2 + 1 == R
    assert pow(2, R - 1, R) == 1  # Fermat witness for primality


@settings(max_examples=50, deadline=None)
@given(scalars, scalars)
def test_field_operations(a: int, b: int) -> None:
    assert scalar_add(a, b) == (a + b) % R
    assert scalar_sub(a, b) == (a - b) % R
    assert scalar_mul(a, b) == (a * b) % R
    assert scalar_add(a, scalar_neg(a)) == 0
    assert scalar_sub(scalar_add(a, b), b) == a


@settings(max_examples=50, deadline=None)
@given(nonzero)
def test_inverse(a: int) -> None:
    assert scalar_mul(a, scalar_inv(a)) == 1


def test_edge_values() -> None:
    assert scalar_add(R - 1, 1) == 0
    assert scalar_sub(0, 1) == R - 1
    assert scalar_neg(0) == 0
    assert scalar_inv(1) == 1
    assert scalar_inv(R - 1) == R - 1


@pytest.mark.parametrize("bad", [R, R + 1, -1, 2**255 * 4, True, "1", 1.5, None])
def test_out_of_range_scalars_raise(bad: Any) -> None:
    for op in (scalar_add, scalar_sub, scalar_mul):
        with pytest.raises(InvalidScalar):
            op(bad, 1)
        with pytest.raises(InvalidScalar):
            op(1, bad)
    with pytest.raises(InvalidScalar):
        scalar_neg(bad)
    with pytest.raises(InvalidScalar):
        scalar_inv(bad)
    with pytest.raises(InvalidScalar):
        poly_eval_scalar([1, 2], bad)
    with pytest.raises(InvalidScalar):
        poly_eval_scalar([1, bad], 2)
    with pytest.raises(InvalidScalar):
        lagrange_coefficients([1, 2], bad)
    with pytest.raises(InvalidScalar):
        recover_scalar([(1, bad)])


def test_inverse_of_zero_raises() -> None:
    with pytest.raises(InvalidScalar, match="no inverse"):
        scalar_inv(0)


def test_poly_eval() -> None:
    assert poly_eval_scalar([5], 123) == 5
    assert poly_eval_scalar([1, 2, 3], 10) == 321
    assert poly_eval_scalar([1, 2, 3], 0) == 1
    assert poly_eval_scalar([0, 1], R - 1) == R - 1
    assert poly_eval_scalar([0, 0, 1], R - 1) == 1  # (-1)^2
    with pytest.raises(EmptyInput):
        poly_eval_scalar([], 1)


@settings(max_examples=25, deadline=None)
@given(st.lists(scalars, min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_lagrange_reconstructs_any_polynomial(coeffs: list[int], rng: random.Random) -> None:
    t = len(coeffs)
    ids = rng.sample(range(1, 10**6), t + 2)
    shares = [(i, poly_eval_scalar(coeffs, i)) for i in ids]
    assert recover_scalar(shares[:t]) == coeffs[0]
    assert recover_scalar(shares) == coeffs[0]  # extra shares do no harm
    at = rng.randrange(R)
    lam = lagrange_coefficients(ids[:t], at)
    assert sum(c * v for c, (_, v) in zip(lam, shares[:t], strict=True)) % R == poly_eval_scalar(
        coeffs, at
    )


def test_lagrange_known_values() -> None:
    # ids 1, 2: l1(0) = 2, l2(0) = -1
    assert lagrange_coefficients([1, 2]) == [2, R - 1]
    # evaluating at a member id selects that member's share
    assert lagrange_coefficients([3, 5, 9], at=5) == [0, 1, 0]
    assert lagrange_coefficients([7]) == [1]
    big = [R - 1, R - 2, 1]
    assert sum(lagrange_coefficients(big)) % R == 1  # sum of basis values at any point is 1


def test_lagrange_rejects_bad_ids() -> None:
    with pytest.raises(InvalidShareSet, match="more than once"):
        lagrange_coefficients([1, 2, 1])
    with pytest.raises(InvalidShareSet, match="zero"):
        lagrange_coefficients([0, 1])
    with pytest.raises(InvalidShareSet):
        lagrange_coefficients([1, R])  # R == 0 mod r
    with pytest.raises(InvalidShareSet):
        lagrange_coefficients([1, -1])
    with pytest.raises(InvalidShareSet):
        lagrange_coefficients([1, "2"])  # type: ignore[list-item]
    with pytest.raises(EmptyInput):
        lagrange_coefficients([])


def test_recover_scalar_rejects_bad_shares() -> None:
    with pytest.raises(EmptyInput):
        recover_scalar([])
    with pytest.raises(InvalidShareSet):
        recover_scalar([(1, 5), (1, 6)])
    with pytest.raises(InvalidShareSet):
        recover_scalar([(0, 5)])
    with pytest.raises(InvalidShareSet):
        recover_scalar([(1, 5, 6)])  # type: ignore[list-item]
    with pytest.raises(InvalidShareSet):
        recover_scalar([[1, 5]])  # type: ignore[list-item]
