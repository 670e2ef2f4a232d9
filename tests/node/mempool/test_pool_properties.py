"""Property test: random sequences of accept / replace / mine / reorg / expire / trim keep the
pool consistent with the chain. After every step, recomputed from the transactions alone:
every input of every entry is available (UTXO set or a pool parent's output), no outpoint is
spent twice, and each entry's ancestor/descendant counters match the graph."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.mempool import MempoolReject
from node.storage.records import Coin
from node.types.tx import OutPoint
from tests.node.chain.helpers import spendable
from tests.node.mempool.pool_helpers import Env, pay

ACCEPT = st.tuples(st.just("accept"), st.integers(0, 10**6), st.integers(150, 20_000),
                   st.integers(1, 3))  # fmt: skip
OPS = st.lists(
    st.one_of(
        ACCEPT,
        ACCEPT,
        ACCEPT,
        ACCEPT,
        st.tuples(st.just("mine"), st.integers(0, 10**6), st.booleans()),
        st.tuples(st.just("reorg"), st.integers(1, 2)),
        st.tuples(st.just("expire"), st.integers(0, 20)),
        st.tuples(st.just("trim"), st.integers(1, 6)),
    ),
    min_size=10,
    max_size=40,
)


def recompute_and_compare(env: Env) -> None:
    entries = dict(env.pool.entries)
    spent: set[OutPoint] = set()
    parents: dict[bytes, set[bytes]] = {}
    with env.cs.db.read() as txn:
        for txid, e in entries.items():
            parents[txid] = set()
            for txin in e.tx.inputs:
                op = txin.prevout
                assert op not in spent, "outpoint spent twice in the pool"
                spent.add(op)
                if op.txid in entries:
                    assert op.vout < len(entries[op.txid].tx.outputs)
                    parents[txid].add(op.txid)
                else:
                    assert txn.has_coin(op), "input neither confirmed nor in the pool"
    children: dict[bytes, set[bytes]] = {t: set() for t in entries}
    for txid, ps in parents.items():
        for p in ps:
            children[p].add(txid)

    def closure(start: bytes, links: dict[bytes, set[bytes]]) -> set[bytes]:
        seen = {start}
        stack = [start]
        while stack:
            for nxt in links[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    for txid, e in entries.items():
        anc = closure(txid, parents)
        desc = closure(txid, children)
        assert e.ancestor_count == len(anc)
        assert e.ancestor_size == sum(entries[a].size for a in anc)
        assert e.ancestor_fees == sum(entries[a].fee for a in anc)
        assert e.descendant_count == len(desc)
        assert e.descendant_size == sum(entries[d].size for d in desc)
        assert e.descendant_fees == sum(entries[d].fee for d in desc)
        assert env.pool.ancestors(txid) == anc - {txid}
        assert env.pool.descendants(txid) == desc - {txid}
    assert env.pool.size_bytes() == sum(e.size for e in entries.values())
    assert env.pool.consistency_problems() == []


def candidates(env: Env) -> list[tuple[OutPoint, Coin]]:
    coins = spendable(env.cs)
    for txid, e in env.pool.entries.items():
        for vout, out in enumerate(e.tx.outputs):
            coins.append((OutPoint(txid, vout), Coin(out.value, out.script_pubkey, 0, False)))
    return coins


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_random_operations_keep_pool_consistent(ops: list[tuple[object, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = Env.open(Path(tmp), n_coins=4)
        try:
            run_ops(env, ops)
        finally:
            env.close()


def run_ops(env: Env, ops: list[tuple[object, ...]]) -> None:
    cs = env.cs
    tags = iter(range(10**6))
    for op in ops:
        kind = op[0]
        if kind == "accept":
            _, pick, fee, n_out = op
            coins = candidates(env)
            chosen = coins[int(pick) % len(coins)]  # type: ignore[call-overload]
            if chosen[1].value - int(fee) < 600 * int(n_out):  # type: ignore[call-overload]
                continue
            with contextlib.suppress(MempoolReject):
                env.pool.accept(pay([chosen], int(fee), n_outputs=int(n_out)))  # type: ignore[call-overload]
        elif kind == "mine":
            _, pick, conflict = op
            entries = list(env.pool.entries.values())
            chosen_ids: set[bytes] = set()
            if entries:
                root = entries[int(pick) % len(entries)]  # type: ignore[call-overload]
                chosen_ids = env.pool.ancestors(root.txid) | {root.txid}
            txs = [e.tx for e in entries if e.txid in chosen_ids]
            if conflict:
                # Double-spend a confirmed input of some pool transaction not being mined.
                for e in entries:
                    if e.txid in chosen_ids:
                        continue
                    confirmed = [i.prevout for i in e.tx.inputs if i.prevout.txid not in env.pool]
                    if confirmed:
                        with cs.db.read() as txn:
                            coin = txn.get_coin(confirmed[0])
                        assert coin is not None
                        txs.append(pay([(confirmed[0], coin)], 30_000))
                        break
            env.mine_txs(txs, tag=b"m%d" % next(tags))
            for tx in txs:
                assert tx.txid not in env.pool
        elif kind == "reorg":
            depth = int(op[1])  # type: ignore[call-overload]
            if cs.height - depth < 1:
                continue
            cs.invalidate_block(cs.active[-depth].hash)
            for _ in range(depth + 1):
                env.mine_txs([], tag=b"r%d" % next(tags))
        elif kind == "expire":
            env.clock.now += int(op[1]) * 86400  # type: ignore[call-overload]
            env.pool.expire()
        elif kind == "trim":
            saved = env.pool.max_size
            env.pool.max_size = env.pool.usage_bytes() * int(op[1]) // 7  # type: ignore[call-overload]
            env.pool.trim_to_size()
            assert env.pool.usage_bytes() <= env.pool.max_size
            env.pool.max_size = saved
        recompute_and_compare(env)
