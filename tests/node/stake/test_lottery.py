"""The ticket lottery (SPEC §5.2): 5 lowest H(prev_hash || ticket_id), ties by ticket_id."""

from __future__ import annotations

import random

import blake3
import pytest
from hypothesis import given
from hypothesis import strategies as st

import node.stake.lottery as lottery
from node.stake.lottery import lottery_key, select_voters


def naive(prev_hash: bytes, ids: list[bytes], n: int = 5) -> tuple[bytes, ...]:
    """Reference: hash every id, sort everything, take the first n."""
    ranked = sorted(ids, key=lambda t: (blake3.blake3(prev_hash + t).digest(), t))
    return tuple(ranked[:n])


def ids(n: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(n)]


def test_key_is_blake3_of_concatenation() -> None:
    prev, tid = bytes(range(32)), bytes(range(32, 64))
    assert lottery_key(prev, tid) == blake3.blake3(prev + tid).digest()


def test_matches_naive_and_is_order_independent() -> None:
    pool = ids(2000)
    prev = bytes(32)
    want = naive(prev, pool)
    assert select_voters(prev, pool) == want
    assert select_voters(prev, reversed(pool)) == want
    assert select_voters(prev, set(pool)) == want
    assert len(set(want)) == 5


def test_depends_on_prev_hash() -> None:
    pool = ids(500)
    a = select_voters(b"\x01" * 32, pool)
    b = select_voters(b"\x02" * 32, pool)
    assert a != b
    assert a == naive(b"\x01" * 32, pool)


def test_small_pools() -> None:
    pool = ids(3)
    got = select_voters(bytes(32), pool)
    assert sorted(got) == sorted(pool)
    assert got == naive(bytes(32), pool)
    assert select_voters(bytes(32), []) == ()
    assert select_voters(bytes(32), pool, n=0) == ()


def test_ties_go_to_the_lower_ticket_id(monkeypatch: pytest.MonkeyPatch) -> None:
    class Constant:
        def __init__(self, data: bytes) -> None:
            pass

        def digest(self) -> bytes:
            return b"\x00" * 32

    monkeypatch.setattr(lottery, "_blake3", Constant)
    pool = ids(50)
    assert select_voters(bytes(32), pool) == tuple(sorted(pool)[:5])


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="prev_hash"):
        select_voters(bytes(31), ids(3))
    with pytest.raises(ValueError, match="n must"):
        select_voters(bytes(32), ids(3), n=-1)


@given(
    st.binary(min_size=32, max_size=32),
    st.lists(st.binary(min_size=32, max_size=32), unique=True, max_size=40),
    st.integers(0, 8),
)
def test_property_equals_naive(prev: bytes, pool: list[bytes], n: int) -> None:
    assert select_voters(prev, pool, n) == naive(prev, pool, n)
