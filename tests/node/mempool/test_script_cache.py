"""Transactions verified by the mempool are not verified again when their block connects;
transactions the node has not seen are still verified (a forged one is rejected)."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.chain.miner import solve
from node.consensus.errors import ConsensusError
from node.mempool import Mempool
from node.mempool.template import build_template
from tests.node.chain.helpers import (
    OTHER_SCRIPT,
    REGTEST,
    SCRIPT,
    make_block,
    mine,
    open_chain,
    spend,
    spendable,
    with_txs,
)


def test_mempool_verified_txs_skip_script_checks_at_connect(tmp_path: Path) -> None:
    with open_chain(tmp_path) as cs:
        mine(cs, REGTEST.coinbase_maturity + 2)
        pool = Mempool(cs, clock=cs.clock)
        coins = spendable(cs)[:2]
        txs = [spend([c], [(c[1].value - 2000, OTHER_SCRIPT)]) for c in coins]
        for tx in txs:
            pool.accept(tx)
        assert all(tx.wtxid in cs.script_cache for tx in txs)
        hits = cs.script_cache.hits
        template = build_template(cs, pool, SCRIPT)
        block = solve(template.block, REGTEST)
        assert block is not None
        cs.process_block(block)
        assert cs.tip.hash == block.hash
        assert cs.script_cache.hits >= hits + 2 * len(txs)  # template dry run + connect
        assert len(pool) == 0
        pool.close()


def test_unseen_forged_tx_is_still_verified(tmp_path: Path) -> None:
    with open_chain(tmp_path) as cs:
        mine(cs, REGTEST.coinbase_maturity + 2)
        (coin,) = spendable(cs)[:1]
        forged = spend([coin], [(coin[1].value - 1000, OTHER_SCRIPT)],
                       secret=bytes.fromhex("33" * 32))  # fmt: skip
        assert forged.wtxid not in cs.script_cache
        empty = make_block(cs)
        block = with_txs(empty, [empty.txs[0], forged])
        with pytest.raises(ConsensusError) as info:
            cs.process_block(block)
        assert info.value.reason == "block-script-verify-flag-failed"
