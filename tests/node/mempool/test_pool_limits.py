"""Package limits (25 transactions / 101,000 bytes each way), size eviction of the lowest
descendant-feerate packages with Core's rolling minimum fee, and 14-day expiry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.mempool import ChainLimitReject, MempoolFull, MempoolPolicy, MempoolReject
from node.mempool.entry import estimate_usage
from node.mempool.limits import ROLLING_FEE_HALFLIFE, RollingMinFee
from node.storage.records import Coin
from node.types.tx import OutPoint, Tx
from tests.node.mempool.pool_helpers import SCRIPT, Env, chain_of, coin_of, pay

DUMMY_COIN = (OutPoint(b"\x01" * 32, 0), Coin(10**9, SCRIPT, 0, False))


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    e = Env.open(tmp_path)
    yield e
    e.close()


def limit_message(env: Env, tx: Tx) -> str:
    with pytest.raises(ChainLimitReject) as info:
        env.pool.accept(tx)
    assert info.value.reason == "too-long-mempool-chain"
    return info.value.message


def test_ancestor_count_limit(env: Env) -> None:
    txs = chain_of(env.coins[0], 26)
    for tx in txs[:25]:
        env.pool.accept(tx)
    assert env.pool.get(txs[24].txid).ancestor_count == 25  # type: ignore[union-attr]
    assert "too many unconfirmed ancestors [limit: 25]" in limit_message(env, txs[25])
    env.check()


def test_descendant_count_limit(env: Env) -> None:
    """A parent with 24 children is at the limit; a 25th child is refused."""
    parent = pay([env.coins[0]], 30_000, n_outputs=26)
    env.pool.accept(parent)
    for vout in range(24):
        env.pool.accept(pay([coin_of(parent, vout)], 1000))
    assert env.pool.get(parent.txid).descendant_count == 25  # type: ignore[union-attr]
    message = limit_message(env, pay([coin_of(parent, 24)], 1000))
    assert f"too many descendants for tx {parent.txid.hex()} [limit: 25]" in message
    env.check()


def test_size_limits(tmp_path: Path) -> None:
    env = Env.open(tmp_path, policy=MempoolPolicy(ancestor_size=400, descendant_size=600))
    try:
        a = pay([env.coins[0]], 2000, n_outputs=3)
        env.pool.accept(a)
        assert a.size == 255
        assert "exceeds ancestor size limit" in limit_message(env, pay([coin_of(a, 0)], 1000))
        env2 = Env.open(tmp_path / "b", policy=MempoolPolicy(descendant_size=600))
        try:
            b = pay([env2.coins[0]], 2000, n_outputs=3)
            env2.pool.accept(b)
            env2.pool.accept(pay([coin_of(b, 0)], 1000))
            message = limit_message(env2, pay([coin_of(b, 1)], 1000))
            assert f"exceeds descendant size limit for tx {b.txid.hex()}" in message
        finally:
            env2.close()
    finally:
        env.close()


def test_eviction_by_size_raises_rolling_minimum(tmp_path: Path) -> None:
    per_tx = estimate_usage(pay([DUMMY_COIN], 1000))
    env = Env.open(tmp_path, n_coins=6, max_size=3 * per_tx + per_tx // 2)
    try:
        low = pay([env.coins[0]], 1000)  # ~5,347 units/kvB
        parent = pay([env.coins[1]], 400)  # below the others...
        child = pay([coin_of(parent)], 9000)  # ...but its child pays for it (CPFP)
        high = pay([env.coins[2]], 5000)
        for tx in (low, parent, child):
            env.pool.accept(tx)
        assert env.pool.min_fee_rate() == 0
        env.pool.accept(high)  # 4 entries > 3.5: the lowest descendant score goes
        assert set(env.pool.entries) == {parent.txid, child.txid, high.txid}
        assert env.removed("sizelimit") == [low.txid]
        expected = 1000 * 1000 // low.size + 1000
        assert env.pool.min_fee_rate() == expected
        assert env.pool.info()["mempoolminfee"] == expected
        cheap = pay([env.coins[3]], 1000)
        with pytest.raises(MempoolReject) as info:
            env.pool.accept(cheap)
        assert info.value.reason == "mempool min fee not met"
        # A transaction that passes the floor but is itself the worst package: "mempool full".
        floor = -(-expected * 187 // 1000)
        just_enough = pay([env.coins[3]], floor)
        with pytest.raises(MempoolFull) as full:
            env.pool.accept(just_enough)
        assert full.value.reason == "mempool full"
        assert just_enough.txid not in env.pool
        env.check()

        # The minimum decays only after a block, by half-lives (3 h below a quarter full).
        before = env.pool.min_fee_rate()
        env.clock.now += 3 * 3600
        assert env.pool.min_fee_rate() == before
        env.pool.remove(high.txid)
        env.pool.remove(parent.txid)
        env.mine_txs([])
        env.clock.now += 3 * 3600
        assert env.pool.min_fee_rate() == max(round(before / 2), 1000)
        env.clock.now += 30 * 3600
        assert env.pool.min_fee_rate() == 0
    finally:
        env.close()


def test_trim_to_size_explicit(env: Env) -> None:
    for i in range(3):
        env.pool.accept(pay([env.coins[i]], 1000 * (i + 1)))
    env.pool.max_size = 0
    assert env.pool.trim_to_size() == 3
    assert len(env.pool) == 0
    assert env.pool.usage_bytes() == 0
    assert env.pool.min_fee_rate() == 3000 * 1000 // 187 + 1000


def test_rolling_fee_unit() -> None:
    fee = RollingMinFee(1000, now=0.0)
    assert fee.current(100.0, usage=10, max_size=100) == 0
    fee.bump(8000)
    fee.bump(5000)  # lower: ignored
    assert fee.current(1e6, usage=90, max_size=100) == 8000  # no block yet: no decay
    fee.block_connected(0.0)
    assert fee.current(5.0, usage=90, max_size=100) == 8000  # within 10 s: unchanged
    assert fee.current(ROLLING_FEE_HALFLIFE, usage=90, max_size=100) == 4000
    assert fee.current(ROLLING_FEE_HALFLIFE * 1.5, usage=40, max_size=100) == 2000  # 6 h
    assert fee.current(ROLLING_FEE_HALFLIFE * 1.75, usage=10, max_size=100) == 1000  # 3 h
    # 500 is not below half the incremental feerate: the floor is the incremental feerate.
    assert fee.current(ROLLING_FEE_HALFLIFE * 2, usage=10, max_size=100) == 1000
    assert fee.current(ROLLING_FEE_HALFLIFE * 2.25, usage=10, max_size=100) == 0
    assert fee.rate == 0


def test_expiry_removes_old_entries_and_descendants(env: Env) -> None:
    start = env.clock.now
    old = pay([env.coins[0]], 2000)
    env.pool.accept(old)
    env.clock.now += 13 * 86400
    young_child = pay([coin_of(old)], 2000)
    other = pay([env.coins[1]], 2000)
    env.pool.accept(young_child)
    env.pool.accept(other)
    assert env.pool.expire() == 0
    env.clock.now = start + 14 * 86400 + 1
    assert env.pool.expire() == 2
    assert set(env.pool.entries) == {other.txid}
    assert sorted(env.removed("expiry")) == sorted([old.txid, young_child.txid])
    # Expiry also runs on every acceptance.
    env.clock.now += 14 * 86400
    newcomer = pay([env.coins[2]], 2000)
    env.pool.accept(newcomer)
    assert set(env.pool.entries) == {newcomer.txid}
    env.check()


def test_custom_expiry(tmp_path: Path) -> None:
    env = Env.open(tmp_path, expiry=60.0)
    try:
        env.pool.accept(pay([env.coins[0]], 2000))
        env.clock.now += 61
        assert env.pool.expire() == 1
    finally:
        env.close()
