"""Block templates: package selection by ancestor score (CPFP), modified packages, size and
sigop budgets, the minimum feerate, the coinbase value, getblocktemplate JSON, and -- the
point of it all -- every template solves into a block the chainstate accepts.

Selection is tested against a small in-memory pool (`FakePool`, satisfying
node.mempool.template.PoolView) built over a real regtest chain, so the chosen transactions
are real signed spends; `test_with_the_real_mempool` runs the same path through
node.mempool.pool.Mempool when it is available.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from node.chain.chainstate import Chainstate
from node.chain.miner import solve
from node.consensus.pow import target_from_bits
from node.consensus.subsidy import reward_split
from node.mempool.entry import MempoolEntry
from node.mempool.template import (
    BLOCK_MIN_TX_FEERATE,
    BlockTemplate,
    PoolView,
    block_limits,
    build_template,
    time_template,
)
from node.script import tx_sigops
from node.storage.records import Coin
from node.types.tx import OutPoint, Tx, TxOut
from tests.node.chain.helpers import (
    OTHER_SCRIPT,
    SCRIPT,
    make_block,
    mine,
    open_chain,
    spend,
    spendable,
)


class FakePool:
    """Entries with Core's ancestor/descendant statistics, computed from the tx graph."""

    def __init__(self, cs: Chainstate) -> None:
        self.cs = cs
        self._entries: dict[bytes, MempoolEntry] = {}
        self.values: dict[OutPoint, TxOut] = {}

    @property
    def entries(self) -> Mapping[bytes, MempoolEntry]:
        return self._entries

    def _prevout(self, op: OutPoint) -> TxOut:
        out = self.values.get(op)
        if out is not None:
            return out
        with self.cs.db.read() as txn:
            coin = txn.get_coin(op)
        assert coin is not None, op
        return TxOut(coin.value, coin.script_pubkey)

    def add(self, tx: Tx, *, refresh: bool = True) -> MempoolEntry:
        spent = [self._prevout(i.prevout) for i in tx.inputs]
        fee = sum(o.value for o in spent) - sum(o.value for o in tx.outputs)
        assert fee >= 0
        entry = MempoolEntry(tx, fee, tx.size, tx_sigops(tx, spent), 0.0, self.cs.height)
        entry.parents = {i.prevout.txid for i in tx.inputs if i.prevout.txid in self._entries}
        for parent in entry.parents:
            self._entries[parent].children.add(tx.txid)
        self._entries[tx.txid] = entry
        for vout, out in enumerate(tx.outputs):
            self.values[OutPoint(tx.txid, vout)] = out
        if refresh:
            self.refresh()
        return entry

    def _walk(self, txid: bytes, attr: str) -> set[bytes]:
        seen: set[bytes] = set()
        todo = list(getattr(self._entries[txid], attr))
        while todo:
            t = todo.pop()
            if t not in seen:
                seen.add(t)
                todo.extend(getattr(self._entries[t], attr))
        return seen

    def ancestors(self, txid: bytes) -> set[bytes]:
        return self._walk(txid, "parents")

    def descendants(self, txid: bytes) -> set[bytes]:
        return self._walk(txid, "children")

    def refresh(self) -> None:
        for txid, e in self._entries.items():
            if not e.parents and not e.children:
                continue
            anc = [self._entries[t] for t in self.ancestors(txid)] + [e]
            desc = [self._entries[t] for t in self.descendants(txid)] + [e]
            e.ancestor_count, e.ancestor_size = len(anc), sum(x.size for x in anc)
            e.ancestor_fees = sum(x.fee for x in anc)
            e.descendant_count, e.descendant_size = len(desc), sum(x.size for x in desc)
            e.descendant_fees = sum(x.fee for x in desc)


def pay(inputs: Sequence[tuple[OutPoint, TxOut]], fee: int, outputs: int = 1) -> Tx:
    """A signed P2PKH spend of `inputs` into `outputs` equal outputs, paying `fee`."""
    total = sum(out.value for _, out in inputs) - fee
    values = [total // outputs] * outputs
    values[0] += total - sum(values)
    coins = [(op, Coin(out.value, out.script_pubkey, 0, False)) for op, out in inputs]
    return spend(coins, [(v, SCRIPT) for v in values])


def outs(tx: Tx) -> list[tuple[OutPoint, TxOut]]:
    return [(OutPoint(tx.txid, i), o) for i, o in enumerate(tx.outputs)]


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chainstate]:
    cs = open_chain(tmp_path)
    mine(cs, 12)
    yield cs
    cs.close()


def funding(cs: Chainstate, count: int, value: int = 10_000_000) -> list[tuple[OutPoint, TxOut]]:
    """`count` confirmed outputs of `value` paying SCRIPT (fanned out from coinbases)."""
    coins = spendable(cs)
    made: list[tuple[OutPoint, TxOut]] = []
    txs: list[Tx] = []
    per_tx = 2_000
    while len(made) < count:
        op, coin = coins.pop(0)
        n = min(per_tx, count - len(made), coin.value // value - 1)
        change = coin.value - n * value - 100_000
        tx = spend([(op, coin)], [(value, SCRIPT)] * n + [(change, OTHER_SCRIPT)])
        made.extend(outs(tx)[:n])
        txs.append(tx)
        if len(txs) == 15 or len(made) == count:  # 30,000 outputs: under the sigop limit
            cs.process_block(make_block(cs, txs))
            assert cs.tip.tx_count == len(txs) + 1
            txs = []
    return made


def accept_solved(cs: Chainstate, template: BlockTemplate) -> None:
    solved = solve(template.block, cs.params)
    assert solved is not None
    cs.process_block(solved)
    assert cs.tip.hash == solved.hash
    assert cs.get_block(solved.hash).txs[1:] == tuple(e.tx for e in template.txs)


def fee_for(rate: int, size: int = 190) -> int:
    """Fee for about `rate` units per byte on a ~190-byte 1-in-1-out spend."""
    return rate * size


# ---------------------------------------------------------------------------- selection


def test_empty_pool_gives_a_valid_coinbase_only_block(chain: Chainstate) -> None:
    pool = FakePool(chain)
    template = build_template(chain, pool, OTHER_SCRIPT)
    assert template.txs == ()
    assert template.fees == 0
    assert template.height == chain.height + 1
    assert template.coinbase_value == reward_split(template.height, 0, False, chain.params).miner
    assert template.block.header.prev_hash == chain.tip.hash
    assert template.block.header.nonce == 0
    accept_solved(chain, template)


def test_highest_feerates_first_and_all_valid(chain: Chainstate) -> None:
    coins = funding(chain, 6)
    pool = FakePool(chain)
    rates = [5, 50, 20, 1, 80, 10]
    txs = [pool.add(pay([c], fee_for(r))) for c, r in zip(coins, rates, strict=True)]
    template = build_template(chain, pool, OTHER_SCRIPT)
    chosen = [e.tx.txid for e in template.txs]
    expected = [e.tx.txid for e in sorted(txs, key=lambda e: -e.feerate)]
    assert chosen == expected
    assert template.fees == sum(e.fee for e in txs)
    split = reward_split(template.height, 0, False, chain.params)
    assert template.coinbase_value == split.miner + template.fees
    assert template.sigops == 1 + sum(e.sigops for e in txs)
    accept_solved(chain, template)


def test_child_pays_for_parent(chain: Chainstate) -> None:
    a, b = funding(chain, 2)
    pool = FakePool(chain)
    parent = pool.add(pay([a], fee_for(1) + 10))  # barely above the minimum
    child = pool.add(pay(outs(parent.tx), fee_for(60)))
    other = pool.add(pay([b], fee_for(20)))
    template = build_template(chain, pool, OTHER_SCRIPT)
    assert [e.txid for e in template.txs] == [parent.txid, child.txid, other.txid]
    # With room for one package only, the CPFP package wins over the lone 20/byte tx.
    small = build_template(
        chain, pool, OTHER_SCRIPT, max_size=_base_size(chain) + parent.size + child.size + 5
    )
    assert [e.txid for e in small.txs] == [parent.txid, child.txid]
    gbt = template.to_gbt()
    assert [t["depends"] for t in gbt["transactions"]] == [[], [1], []]
    accept_solved(chain, template)


def test_low_fee_child_waits_behind_better_packages(chain: Chainstate) -> None:
    """A cheap child of a rich parent is not carried by its parent's fees: once the parent is
    in the block the child competes on its own feerate (as a modified entry)."""
    a, b, c = funding(chain, 3)
    pool = FakePool(chain)
    parent = pool.add(pay([a], fee_for(100)))
    child = pool.add(pay(outs(parent.tx), fee_for(5)))
    middle = pool.add(pay([b], fee_for(20)))
    low = pool.add(pay([c], fee_for(2)))
    assert child.ancestor_feerate > middle.feerate  # its unmodified package would win
    template = build_template(chain, pool, OTHER_SCRIPT)
    assert [e.txid for e in template.txs] == [parent.txid, middle.txid, child.txid, low.txid]
    accept_solved(chain, template)


@pytest.mark.parametrize(("grandchild_rate", "before_other"), [(25, False), (45, True)])
def test_modified_packages_count_only_what_is_left(
    chain: Chainstate, grandchild_rate: int, before_other: bool
) -> None:
    """rich -> cheap -> grandchild: after `rich` is mined, the grandchild's package is just
    cheap + grandchild (the included fees and sizes are subtracted), which must be compared
    with an unrelated 20/byte tx: 25/byte makes a (1 + 25) / 2 package that loses, 45/byte
    a (1 + 45) / 2 package that wins."""
    a, b = funding(chain, 2)
    pool = FakePool(chain)
    rich = pool.add(pay([a], fee_for(100)))
    cheap = pool.add(pay(outs(rich.tx), fee_for(1)))
    grandchild = pool.add(pay(outs(cheap.tx), fee_for(grandchild_rate)))
    other = pool.add(pay([b], fee_for(20)))
    template = build_template(chain, pool, OTHER_SCRIPT)
    order = [e.txid for e in template.txs]
    if before_other:
        assert order == [rich.txid, cheap.txid, grandchild.txid, other.txid]
    else:
        assert order == [rich.txid, other.txid, cheap.txid, grandchild.txid]
    accept_solved(chain, template)


def test_chains_are_ordered_parents_first(chain: Chainstate) -> None:
    (a,) = funding(chain, 1)
    pool = FakePool(chain)
    prev = [a]
    chain_txs = []
    for i in range(8):
        entry = pool.add(pay(prev, fee_for(2 + 7 * i)))
        chain_txs.append(entry.txid)
        prev = outs(entry.tx)
    template = build_template(chain, pool, OTHER_SCRIPT)
    assert [e.txid for e in template.txs] == chain_txs
    accept_solved(chain, template)


def _base_size(cs: Chainstate) -> int:
    """Size of a coinbase-only block with the template's reserved tx-count bytes."""
    empty = build_template(cs, FakePool(cs), OTHER_SCRIPT)
    return empty.block.size + 4


def test_size_budget_skips_what_no_longer_fits(chain: Chainstate) -> None:
    coins = funding(chain, 5)
    pool = FakePool(chain)
    big = pool.add(pay(coins[0:1], fee_for(90, 1500), outputs=40))  # ~1.5 kB, best feerate
    small = [pool.add(pay([c], fee_for(10 + i))) for i, c in enumerate(coins[1:])]
    budget = _base_size(chain) + 3 * small[0].size + 10
    template = build_template(chain, pool, OTHER_SCRIPT, max_size=budget)
    chosen = {e.txid for e in template.txs}
    assert big.txid not in chosen
    assert len(chosen) == 3
    assert chosen < {e.txid for e in small}
    assert small[0].txid not in chosen  # the lowest feerate one is left out
    assert template.block.size <= budget
    assert template.size_limit == budget
    accept_solved(chain, template)


def test_sigop_budget(chain: Chainstate) -> None:
    coins = funding(chain, 4)
    pool = FakePool(chain)
    entries = [pool.add(pay([c], fee_for(10 + i))) for i, c in enumerate(coins)]
    per_tx = entries[0].sigops
    assert per_tx > 0
    template = build_template(chain, pool, OTHER_SCRIPT, max_sigops=1 + 2 * per_tx)
    assert [e.txid for e in template.txs] == [entries[3].txid, entries[2].txid]
    assert template.sigops <= template.sigop_limit == 1 + 2 * per_tx
    # Not even the coinbase's own sigops fit: only the coinbase is left.
    assert build_template(chain, pool, OTHER_SCRIPT, max_sigops=0).txs == ()


def test_min_feerate_ends_the_search(chain: Chainstate) -> None:
    a, b = funding(chain, 2)
    pool = FakePool(chain)
    good = pool.add(pay([a], fee_for(5)))
    pool.add(pay([b], 20))  # ~0.1 unit/byte, under the block minimum
    assert build_template(chain, pool, OTHER_SCRIPT).txs == (good,)
    everything = build_template(chain, pool, OTHER_SCRIPT, min_feerate=0)
    assert len(everything.txs) == 2
    assert BLOCK_MIN_TX_FEERATE == 1000


def test_limits_follow_the_chain(chain: Chainstate) -> None:
    size, sigops = block_limits(chain, chain.height + 1)
    assert size == chain.params.initial_max_block_size
    assert sigops == size // chain.params.sigops_divisor
    template = build_template(chain, FakePool(chain), OTHER_SCRIPT, max_size=10**9)
    assert template.size_limit == size  # max_size can only lower the limit


def test_timestamp_and_bits(chain: Chainstate) -> None:
    pool = FakePool(chain)
    mtp = chain.median_time_past(chain.tip)
    early = build_template(chain, pool, OTHER_SCRIPT, timestamp=0)
    assert early.block.header.timestamp == mtp + 1 == early.mintime
    later = build_template(chain, pool, OTHER_SCRIPT, timestamp=chain.tip.timestamp + 99)
    assert later.block.header.timestamp == chain.tip.timestamp + 99
    assert later.block.header.bits == chain.expected_bits(chain.tip)
    assert later.target == target_from_bits(later.block.header.bits)
    accept_solved(chain, later)


def test_getblocktemplate_json(chain: Chainstate) -> None:
    a, b = funding(chain, 2)
    pool = FakePool(chain)
    parent = pool.add(pay([a], fee_for(3)))
    child = pool.add(pay(outs(parent.tx), fee_for(40)))
    lone = pool.add(pay([b], fee_for(8)))
    template = build_template(chain, pool, OTHER_SCRIPT)
    gbt = template.to_gbt()
    header = template.block.header
    assert gbt["previousblockhash"] == chain.tip.hash.hex()
    assert gbt["height"] == chain.height + 1
    assert gbt["coinbasevalue"] == template.coinbase_value
    assert gbt["target"] == f"{template.target:064x}"
    assert len(gbt["target"]) == 64
    assert int(gbt["bits"], 16) == header.bits
    assert gbt["curtime"] == header.timestamp
    assert gbt["mintime"] == template.mintime
    assert gbt["stateroot"] == header.state_root.hex()
    assert gbt["votesroot"] == bytes(32).hex()
    assert gbt["sizelimit"] == template.size_limit
    assert gbt["sigoplimit"] == template.sigop_limit
    txs = gbt["transactions"]
    assert [t["txid"] for t in txs] == [e.txid.hex() for e in (parent, child, lone)]
    for t, e in zip(txs, (parent, child, lone), strict=True):
        assert bytes.fromhex(t["data"]) == e.tx.serialize()
        assert t["hash"] == e.tx.wtxid.hex()
        assert t["fee"] == e.fee
        assert t["sigops"] == e.sigops
    assert [t["depends"] for t in txs] == [[], [1], []]
    assert set(gbt) >= {"version", "curtime", "transactions", "coinbasevalue", "bits"}


def test_a_pool_that_fails_validation_falls_back_to_an_empty_block(
    chain: Chainstate, caplog: pytest.LogCaptureFixture
) -> None:
    (a,) = funding(chain, 1)
    pool = FakePool(chain)
    pool.add(pay([a], fee_for(10)))
    pool.add(pay([a], fee_for(20)))  # a double spend a real pool would refuse
    with caplog.at_level(logging.ERROR, logger="node.mempool.template"):
        template = build_template(chain, pool, OTHER_SCRIPT)
    assert template.txs == ()
    assert template.fees == 0
    assert "dry run" in caplog.text
    accept_solved(chain, template)


def test_template_on_a_stale_tip_is_refused_by_the_chain(chain: Chainstate) -> None:
    template = build_template(chain, FakePool(chain), OTHER_SCRIPT)
    mine(chain, 1)
    solved = solve(template.block, chain.params)
    assert solved is not None
    chain.process_block(solved)  # a valid competing block, but not the tip
    assert chain.tip.hash != solved.hash


def test_tampered_template_is_rejected(chain: Chainstate) -> None:
    from node.consensus.errors import ConsensusError

    (a,) = funding(chain, 1)
    pool = FakePool(chain)
    pool.add(pay([a], fee_for(10)))
    template = build_template(chain, pool, OTHER_SCRIPT)
    header = dataclasses.replace(template.block.header, state_root=bytes(32))
    bad = solve(dataclasses.replace(template.block, header=header), chain.params)
    assert bad is not None
    tip = chain.tip.hash
    with pytest.raises(ConsensusError):
        chain.process_block(bad)
    assert chain.tip.hash == tip


# ---------------------------------------------------------------------------- scale


def test_time_template_on_a_large_pool(tmp_path: Path) -> None:
    """A pool bigger than a block: the template fills the block, stays within the limits,
    validates, and `time_template` reports the time (figure printed; see docs)."""
    cs = open_chain(tmp_path, script_threads=0)
    try:
        mine(cs, 16)
        count = 12_000
        coins = funding(cs, count, value=1_000_000)
        pool = FakePool(cs)
        for i, coin in enumerate(coins):
            tx = pay([coin], fee_for(1 + (i * 7919) % 97))
            pool.add(tx, refresh=False)
            if i % 50 == 0:  # some CPFP pairs
                pool.add(pay(outs(tx), fee_for(150)), refresh=False)
        pool.refresh()
        seconds = time_template(cs, pool)
        template = build_template(cs, pool, OTHER_SCRIPT)
        chosen = len(template.txs)
        print(f"\ntemplate over {len(pool.entries)} txs: {chosen} chosen in {seconds:.2f} s")
        assert 0 < seconds < 60
        assert template.block.size <= template.size_limit
        assert template.block.size > template.size_limit - 4_000
        lone = [e for e in pool.entries.values() if e.ancestor_count == e.descendant_count == 1]
        taken = {e.txid for e in template.txs}
        left_out = [e.feerate for e in lone if e.txid not in taken]
        assert left_out
        assert max(left_out) <= min(e.feerate for e in lone if e.txid in taken)
        assert all(e.txid in taken for e in pool.entries.values() if e.ancestor_count == 2)
        accept_solved(cs, template)
    finally:
        cs.close()


# ---------------------------------------------------------------------------- real pool


def test_with_the_real_mempool(chain: Chainstate) -> None:
    pool_mod = pytest.importorskip("node.mempool.pool")
    coins = funding(chain, 3)
    mempool = pool_mod.Mempool(chain, clock=chain.clock)
    view: PoolView = mempool
    parent = pay([coins[0]], fee_for(2))
    child = pay(outs(parent), fee_for(90))
    lone = pay([coins[1]], fee_for(30))
    for tx in (parent, child, lone):
        mempool.accept(tx)
    template = build_template(chain, view, OTHER_SCRIPT)
    assert [e.tx for e in template.txs] == [parent, child, lone]
    accept_solved(chain, template)
    assert len(mempool) == 0  # the block's txs left the pool


def test_mined_template_feeds_the_estimator(chain: Chainstate) -> None:
    """Mempool -> FeeEstimator -> template -> block: the confirmations reach the estimator."""
    pool_mod = pytest.importorskip("node.mempool.pool")
    from node.mempool.fees import FeeEstimator

    estimator = FeeEstimator()
    mempool = pool_mod.Mempool(chain, clock=chain.clock, estimator=estimator)
    for i, coin in enumerate(funding(chain, 3)):
        mempool.accept(pay([coin], fee_for(5 + i)))
    assert estimator.tracked_count() == 3
    template = build_template(chain, mempool, OTHER_SCRIPT)
    assert len(template.txs) == 3
    accept_solved(chain, template)
    assert estimator.tracked_count() == 0
    assert estimator.first_recorded == template.height
    assert estimator.short.tx_ct[estimator.short.tx_ct.index(max(estimator.short.tx_ct))] > 0
