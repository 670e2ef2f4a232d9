"""The pool follows the chain: connected blocks remove what they confirm and what conflicts
with them; after a reorganisation the transactions of disconnected blocks come back and
whatever the new chain made invalid is dropped. The fee estimator hears about all of it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from node.types.tx import OutPoint
from tests.node.chain.helpers import OTHER_SCRIPT
from tests.node.mempool.pool_helpers import Env, coin_of, pay


class RecordingEstimator:
    def __init__(self) -> None:
        self.added: list[tuple[bytes, int, int]] = []
        self.removed: list[bytes] = []
        self.blocks: list[tuple[int, list[bytes]]] = []

    def process_tx(self, txid: bytes, height: int, feerate: int) -> None:
        self.added.append((txid, height, feerate))

    def remove_tx(self, txid: bytes) -> None:
        self.removed.append(txid)

    def process_block(self, height: int, txids: Sequence[bytes]) -> None:
        self.blocks.append((height, list(txids)))


@pytest.fixture
def est() -> RecordingEstimator:
    return RecordingEstimator()


@pytest.fixture
def env(tmp_path: Path, est: RecordingEstimator) -> Iterator[Env]:
    e = Env.open(tmp_path, estimator=est)
    yield e
    e.close()


def test_block_removes_mined_and_keeps_children(env: Env, est: RecordingEstimator) -> None:
    parent = pay([env.coins[0]], 2000)
    child = pay([coin_of(parent)], 3000)
    env.pool.accept(parent)
    env.pool.accept(child)
    # Only transactions without pool parents feed the estimator (Core's rule).
    assert est.added == [(parent.txid, env.cs.height, 2000 * 1000 // parent.size)]
    env.mine_txs([parent])
    assert list(env.pool.entries) == [child.txid]
    entry = env.pool.get(child.txid)
    assert entry is not None
    assert entry.ancestor_count == 1
    assert entry.ancestor_fees == 3000
    assert env.removed("block") == [parent.txid]
    assert est.blocks == [(env.cs.height, [parent.txid])]
    assert est.removed == []
    env.check()


def test_block_removes_conflicts_and_their_descendants(env: Env, est: RecordingEstimator) -> None:
    spent = pay([env.coins[0]], 2000)
    child = pay([coin_of(spent)], 2000)
    bystander = pay([env.coins[1]], 2000)
    for tx in (spent, child, bystander):
        env.pool.accept(tx)
    double_spend = pay([env.coins[0]], 9000)
    env.mine_txs([double_spend])
    assert list(env.pool.entries) == [bystander.txid]
    assert env.removed("conflict") == [spent.txid, child.txid]
    assert est.removed == [spent.txid, child.txid]
    env.check()


def test_reorg_readds_disconnected_transactions(env: Env) -> None:
    """Chain A confirms T1, T2 and X; chain B (more work) confirms X' (conflicting with X)
    instead. After the reorg T1 and T2 are back, X is gone, and D, which spent T2 while it
    was confirmed, is linked under them again."""
    cs = env.cs
    fork = cs.tip.hash
    x = pay([env.coins[2]], 2000)
    x_prime = pay([env.coins[2]], 4000)
    b1 = env.mine_txs([x_prime], tag=b"chain-b")
    env.mine_txs([], tag=b"chain-b")
    cs.invalidate_block(b1)
    assert cs.tip.hash == fork
    assert list(env.pool.entries) == [x_prime.txid]  # B's transaction came back

    t1 = pay([env.coins[0]], 2000, n_outputs=2)
    t2 = pay([coin_of(t1, 0)], 2000)
    env.pool.accept(t1)
    env.pool.accept(t2)
    env.mine_txs([t1, t2, x], tag=b"chain-a")
    assert len(env.pool) == 0
    d = pay([coin_of(t2)], 2000)
    e = pay([env.coins[3]], 2000)
    env.pool.accept(d)
    env.pool.accept(e)
    env.events.clear()

    cs.reconsider_block(b1)  # B has more work: disconnect A1, connect B1 and B2
    assert cs.tip.hash != fork
    assert cs.get_block(cs.active[-2].hash).txs[1:] == (x_prime,)
    assert set(env.pool.entries) == {t1.txid, t2.txid, d.txid, e.txid}
    assert x.txid not in env.pool
    assert env.added() == [t1.txid, t2.txid]
    assert env.removed() == []
    entry = env.pool.get(d.txid)
    assert entry is not None
    assert entry.ancestor_count == 3
    assert env.pool.get(t1.txid).descendant_count == 3  # type: ignore[union-attr]
    env.check()


def test_reorg_drops_spends_of_vanished_coinbase(env: Env) -> None:
    """Chain A's coinbase is spent in the pool; chain B replaces A: the coin is gone.

    B pays another script: a coinbase's txid excludes its witness (the tag), so the same
    payout at the same height would recreate the very same coin."""
    cs = env.cs
    fork = cs.tip.hash
    maturity = cs.params.coinbase_maturity
    b_chain = [env.mine_txs([], tag=b"chain-b", script=OTHER_SCRIPT) for _ in range(maturity + 1)]
    cs.invalidate_block(b_chain[0])
    assert cs.tip.hash == fork
    a_chain = [env.mine_txs([], tag=b"chain-a") for _ in range(maturity)]
    coinbase = cs.get_block(a_chain[0]).txs[0]
    with cs.db.read() as txn:
        coin = txn.get_coin(OutPoint(coinbase.txid, 0))
    assert coin is not None
    spend_cb = pay([(OutPoint(coinbase.txid, 0), coin)], 2000)
    child = pay([coin_of(spend_cb)], 2000)
    keep = pay([env.coins[0]], 2000)
    for tx in (spend_cb, child, keep):
        env.pool.accept(tx)
    cs.reconsider_block(b_chain[0])
    assert cs.tip.hash == b_chain[-1]
    assert list(env.pool.entries) == [keep.txid]
    assert env.removed("reorg") == [spend_cb.txid, child.txid]
    env.check()


def test_disconnect_without_better_chain_updates_lazily(env: Env) -> None:
    """invalidate_block with no competing chain publishes no TipChanged: the pool catches
    up at its next use. A coinbase spend turns immature and a lock time turns non-final."""
    cs = env.cs
    newest = env.coins[-1]
    assert cs.height + 1 - newest[1].height == cs.params.coinbase_maturity
    immature_after = pay([newest], 2000)
    locked = pay([env.coins[0]], 2000, lock_time=cs.height)
    fine = pay([env.coins[1]], 2000)
    mined = pay([env.coins[2]], 2000)
    for tx in (immature_after, locked, fine, mined):
        env.pool.accept(tx)
    env.mine_txs([mined])
    tip = cs.tip.hash
    cs.invalidate_block(cs.active[-2].hash)  # two blocks back
    assert cs.tip.hash != tip
    assert set(env.pool.entries) == {fine.txid, mined.txid}
    assert sorted(env.removed("reorg")) == sorted([immature_after.txid, locked.txid])
    env.check()
