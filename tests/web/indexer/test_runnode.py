"""`manage.py runnode`: the real node process with the indexer inside, on SQLite and Postgres.

The process catches up from its stored chain, follows new blocks and a reorg delivered by
`submitblock`, writes the mempool snapshot, and survives SIGKILL mid catch-up without
indexing anything twice or missing anything; the tables are compared with an independent
recomputation from the node's chain each time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from indexer.models import IndexerState, MempoolTx, MempoolTxAddress
from node import api
from tests.web.indexer.chainbuilder import NodeProcess, copy_datadir
from tests.web.indexer.conftest import Chains, web_env
from tests.web.indexer.expected import compare, recompute

log = logging.getLogger(__name__)


def wait_for(what: str, check: Callable[[], bool], node: NodeProcess, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if node.proc is not None and node.proc.poll() is not None:
            raise AssertionError(f"node exited while waiting for {what}: {node.log_tail()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {node.log_tail()}")
        time.sleep(0.05)


def watermark(alias: str) -> tuple[int, str]:
    row = IndexerState.objects.using(alias).filter(name="main").first()
    return (-1, "") if row is None else (row.height, row.tip_hash)


def indexed_tip(alias: str, node: NodeProcess) -> bool:
    return watermark(alias) == (node.rpc("getblockcount"), node.rpc("getbestblockhash"))


def mempool_matches(alias: str, node: NodeProcess) -> bool:
    stored = set(MempoolTx.objects.using(alias).values_list("txid", flat=True))
    return stored == set(node.rpc("getrawmempool"))


def test_runnode_catches_up_follows_blocks_and_a_reorg(
    idx_db: str, db_url: str, chains: Chains, tmp_path: Path
) -> None:
    datadir = tmp_path / "node"
    copy_datadir(chains.a, datadir)
    node = NodeProcess(datadir, runnode=True, env=web_env(tmp_path, db_url)).start()
    try:
        log.info("catch-up from the stored chain")
        wait_for("catch-up", lambda: indexed_tip(idx_db, node), node)
        assert compare(recompute(datadir, chains.params), idx_db) == []

        log.info("mempool snapshot, then follow two new blocks")
        txids = node.pay(3)
        wait_for("mempool rows", lambda: set(txids) <= mempool_matches_set(idx_db), node)
        assert MempoolTxAddress.objects.using(idx_db).filter(txid__in=txids).exists()
        node.mine(2)
        wait_for("two new blocks", lambda: indexed_tip(idx_db, node), node)
        wait_for("mempool after the blocks", lambda: mempool_matches(idx_db, node), node)
        assert compare(recompute(datadir, chains.params), idx_db) == []

        log.info("reorg: submit chain B's longer branch from the fork")
        reader = api.ChainReader.open_readonly(chains.b, chains.params)
        try:
            branch = reader.read(chains.fork + 1, 100)
        finally:
            reader.close()
        for cb in branch:
            assert node.rpc("submitblock", cb.block.serialize().hex()) in (None, "inconclusive")
        assert node.rpc("getbestblockhash") == branch[-1].hash.hex()
        wait_for("the reorg", lambda: indexed_tip(idx_db, node), node)
        assert compare(recompute(datadir, chains.params), idx_db) == []
        wait_for("mempool after the reorg", lambda: mempool_matches(idx_db, node), node)
    finally:
        node.stop()


def mempool_matches_set(alias: str) -> set[str]:
    return set(MempoolTx.objects.using(alias).values_list("txid", flat=True))


def test_sigkill_mid_catch_up_then_restart(
    idx_db: str, db_url: str, chains: Chains, tmp_path: Path
) -> None:
    """Kill -9 the runnode process twice while it catches up one block per transaction: the
    tables always hold exactly blocks 0..watermark, and the restarts finish the job."""
    datadir = tmp_path / "node"
    copy_datadir(chains.long, datadir)
    reader = api.ChainReader.open_readonly(datadir, chains.params)
    try:
        tip = reader.tip()[0]
    finally:
        reader.close()
    env = web_env(tmp_path, db_url, RUSTY_INDEXER_BATCH_BLOCKS="1")
    for kill_at in (tip // 3, 2 * tip // 3):
        node = NodeProcess(datadir, runnode=True, env=env).start()
        wait_for(f"watermark {kill_at}", lambda h=kill_at: watermark(idx_db)[0] >= h, node)
        node.kill()
        height, _ = watermark(idx_db)
        log.info("killed at watermark %d of %d", height, tip)
        assert height < tip, "catch-up finished before the kill: make the chain longer"
        assert compare(recompute(datadir, chains.params, upto=height), idx_db) == []
    node = NodeProcess(datadir, runnode=True, env=env).start()
    try:
        wait_for("catch-up after restarts", lambda: indexed_tip(idx_db, node), node)
        assert compare(recompute(datadir, chains.params), idx_db) == []
    finally:
        node.stop()
