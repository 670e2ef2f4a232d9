"""Replace-by-fee (full RBF, Bitcoin Core 28 rules): what a conflicting transaction must pay
and what it may not do, and what it evicts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.mempool import MempoolReject, ReplacementReject
from node.types.tx import Tx
from tests.node.mempool.pool_helpers import Env, chain_of, coin_of, pay


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    e = Env.open(tmp_path, n_coins=6)
    yield e
    e.close()


def rejected(env: Env, tx: Tx, reason: str, **options: object) -> str:
    before = dict(env.pool.entries)
    with pytest.raises(ReplacementReject) as info:
        env.pool.accept(tx, **options)  # type: ignore[arg-type]
    assert info.value.reason == reason, str(info.value)
    assert dict(env.pool.entries) == before
    return info.value.message


def test_replacement_evicts_conflict_and_descendants(env: Env) -> None:
    original = pay([env.coins[0]], 2000, n_outputs=2)
    child = pay([coin_of(original, 0)], 2000)
    grandchild = pay([coin_of(child)], 2000)
    for tx in (original, child, grandchild):
        env.pool.accept(tx)
    replacement = pay([env.coins[0]], 6000 + 187 + 10)
    preview = env.pool.accept(replacement, test_only=True)
    assert preview.replaced == (original.txid, child.txid, grandchild.txid)
    assert len(env.pool) == 3
    result = env.pool.accept(replacement)
    assert result.replaced == (original.txid, child.txid, grandchild.txid)
    assert list(env.pool.entries) == [replacement.txid]
    assert env.removed("replaced") == [original.txid, child.txid, grandchild.txid]
    env.check()


def test_equal_or_lower_feerate_is_refused(env: Env) -> None:
    original = pay([env.coins[0]], 5000)
    env.pool.accept(original)
    same = pay([env.coins[0]], 5000, lock_time=1)  # same size and fee, different txid
    message = rejected(env, same, "insufficient fee")
    assert "new feerate" in message
    rejected(env, pay([env.coins[0]], 4000), "insufficient fee")


def test_must_pay_for_everything_it_evicts(env: Env) -> None:
    """Higher feerate than the direct conflict is not enough: the child's fee counts too."""
    original = pay([env.coins[0]], 1000)
    child = pay([coin_of(original)], 50_000)
    env.pool.accept(original)
    env.pool.accept(child)
    replacement = pay([env.coins[0]], 20_000)
    assert "less fees than conflicting txs" in rejected(env, replacement, "insufficient fee")
    enough = pay([env.coins[0]], 51_000 + 187)
    assert env.pool.accept(enough).replaced == (original.txid, child.txid)


def test_must_pay_for_its_own_bandwidth(env: Env) -> None:
    original = pay([env.coins[0]], 5000)
    env.pool.accept(original)
    assert original.size == 187
    short = pay([env.coins[0]], 5000 + 186)
    assert "not enough additional fees" in rejected(env, short, "insufficient fee")
    env.pool.accept(pay([env.coins[0]], 5000 + 187))


def test_too_many_potential_replacements(env: Env) -> None:
    """Five direct conflicts with 21 transactions each: 105 > 100 evictions."""
    roots = []
    for i in range(5):
        txs = chain_of(env.coins[i], 21)
        for tx in txs:
            env.pool.accept(tx)
        roots.append(txs[0])
    assert len(env.pool) == 105
    replacement = pay([env.coins[i] for i in range(5)], 10**7)
    message = rejected(env, replacement, "too many potential replacements")
    assert "105 > 100" in message
    # Four chains (84 evictions) are fine.
    ok = pay([env.coins[i] for i in range(4)], 10**7)
    assert len(env.pool.accept(ok).replaced) == 84
    env.check()


def test_may_not_spend_what_it_replaces(env: Env) -> None:
    original = pay([env.coins[0]], 2000, n_outputs=2)
    env.pool.accept(original)
    sneaky = pay([env.coins[0], coin_of(original, 1)], 50_000)
    assert "spends conflicting transaction" in rejected(
        env, sneaky, "bad-txns-spends-conflicting-tx"
    )


def test_may_not_add_unconfirmed_inputs(env: Env) -> None:
    original = pay([env.coins[0]], 2000)
    other = pay([env.coins[1]], 2000)
    env.pool.accept(original)
    env.pool.accept(other)
    replacement = pay([env.coins[0], coin_of(other)], 50_000)
    rejected(env, replacement, "replacement-adds-unconfirmed")
    # A confirmed extra input is fine.
    result = env.pool.accept(pay([env.coins[0], env.coins[2]], 50_000))
    assert result.replaced == (original.txid,)


def test_replacement_frees_room_in_descendant_limit(env: Env) -> None:
    """A chain at the 25-descendant limit: replacing its last transaction is allowed
    because the evicted one no longer counts (Core only allows this for one conflict)."""
    txs = chain_of(env.coins[0], 25)
    for tx in txs:
        env.pool.accept(tx)
    extra = pay([coin_of(txs[-1])], 1000)
    with pytest.raises(MempoolReject) as info:
        env.pool.accept(extra)
    assert info.value.reason == "too-long-mempool-chain"
    last_replacement = pay([coin_of(txs[-2])], 5000)
    assert env.pool.accept(last_replacement).replaced == (txs[-1].txid,)
    assert env.pool.get(txs[0].txid).descendant_count == 25  # type: ignore[union-attr]
    env.check()


def test_any_transaction_is_replaceable_without_signalling(env: Env) -> None:
    """Full RBF: sequence 0xFFFFFFFF (no BIP125 signal) does not protect a transaction."""
    original = pay([env.coins[0]], 2000, sequence=0xFFFFFFFF)
    env.pool.accept(original)
    assert env.pool.accept(pay([env.coins[0]], 5000)).replaced == (original.txid,)
