"""The orphan pool: transactions with unknown inputs wait (bounded by count, bytes, size and
age) and are accepted when their parents arrive; blocks clear what they make impossible."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.mempool import MempoolReject, OrphanPool
from node.storage.records import Coin
from node.types.tx import OutPoint, Tx
from tests.node.mempool.pool_helpers import SCRIPT, Env, chain_of, coin_of, pay


def _coin(value: int) -> Coin:
    return Coin(value, SCRIPT, 0, False)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    e = Env.open(tmp_path, max_orphans=5)
    yield e
    e.close()


def orphan(env: Env, tx: Tx) -> None:
    with pytest.raises(MempoolReject) as info:
        env.pool.accept(tx)
    assert info.value.reason == "missing-inputs"


def test_orphans_resolve_when_parents_arrive(env: Env) -> None:
    """A chain submitted child-first is accepted in full once the root arrives."""
    txs = chain_of(env.coins[0], 4)
    for tx in reversed(txs[1:]):
        orphan(env, tx)
    assert len(env.pool.orphans) == 3
    assert len(env.pool) == 0
    env.pool.accept(txs[0])
    assert list(env.pool.entries) == [tx.txid for tx in txs]
    assert len(env.pool.orphans) == 0
    env.check()


def test_orphan_rejected_for_another_reason_is_dropped(env: Env) -> None:
    parent = pay([env.coins[0]], 2000, n_outputs=2)
    cheap = pay([coin_of(parent, 0)], 10)  # below the min relay fee
    good = pay([coin_of(parent, 1)], 2000)
    orphan(env, cheap)
    orphan(env, good)
    env.pool.accept(parent)
    assert set(env.pool.entries) == {parent.txid, good.txid}
    assert len(env.pool.orphans) == 0


def test_orphan_still_missing_another_parent_stays(env: Env) -> None:
    a = pay([env.coins[0]], 2000)
    b = pay([env.coins[1]], 2000)
    both = pay([coin_of(a), coin_of(b)], 2000)
    orphan(env, both)
    env.pool.accept(a)
    assert both.txid in env.pool.orphans
    env.pool.accept(b)
    assert both.txid in env.pool
    assert both.txid not in env.pool.orphans


def test_orphan_count_bound(env: Env) -> None:
    parent = pay([env.coins[0]], 10_000, n_outputs=8)
    children = [pay([coin_of(parent, i)], 1000) for i in range(8)]
    for child in children:
        orphan(env, child)
    assert len(env.pool.orphans) == 5
    env.pool.accept(parent)
    assert len(env.pool) == 6  # the parent and the five orphans that survived


def test_orphan_pool_bounds_unit() -> None:
    now = [1000.0]
    pool = OrphanPool(max_count=10, max_bytes=600, max_tx_size=300, clock=lambda: now[0],
                      rng=random.Random(1))  # fmt: skip
    fake_parent = (OutPoint(b"\x05" * 32, 0), _coin(10**8))
    txs = [pay([(OutPoint(bytes([i]) * 32, 0), _coin(10**8))], 1000) for i in range(1, 6)]
    for tx in txs:
        assert tx.size == 187
        pool.add(tx)
        assert pool.total_bytes <= 600
    assert len(pool) == 3
    assert pool.total_bytes == 3 * 187
    big = pay([fake_parent], 1000, n_outputs=6)
    assert big.size > 300
    assert not pool.add(big)
    survivor = pool.txids()[0]
    assert pool.get(survivor) is not None
    assert not pool.add(pool.get(survivor))
    # Expiry after 20 minutes (swept at most every 5 minutes, or explicitly).
    now[0] += 20 * 60 - 1
    assert pool.expire() == 0
    now[0] += 1
    assert pool.expire() == 3
    assert len(pool) == 0
    assert pool.total_bytes == 0
    assert pool.children_of(txs[0]) == []


def test_block_clears_orphans_it_confirms_or_conflicts(env: Env) -> None:
    parent = pay([env.coins[0]], 2000, n_outputs=2)
    orphan_a = pay([coin_of(parent, 0)], 2000)
    orphan_b = pay([coin_of(parent, 1)], 2000)
    orphan(env, orphan_a)
    orphan(env, orphan_b)
    double_spend = pay([coin_of(parent, 1)], 5000)
    env.mine_txs([parent, orphan_a, double_spend])
    assert len(env.pool.orphans) == 0
    assert len(env.pool) == 0


def test_orphans_expire(env: Env) -> None:
    ghost = (OutPoint(b"\x09" * 32, 0), _coin(10**8))
    orphan(env, pay([ghost], 2000))
    env.clock.now += 21 * 60
    orphan(env, pay([ghost], 3000))  # adding sweeps the expired one
    assert len(env.pool.orphans) == 1
