"""Live updates across processes: `manage.py runnode` broadcasts on a real Redis channel layer
after each commit, and this test process receives them from its groups (shared contract 2).
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from channels_redis.core import RedisChannelLayer

from indexer.models import Block
from tests.web.indexer.chainbuilder import NodeProcess, copy_datadir
from tests.web.indexer.conftest import Chains, web_env
from tests.web.indexer.test_runnode import indexed_tip, wait_for

log = logging.getLogger(__name__)


async def receive_until(
    layer: RedisChannelLayer, channel: str, want: set[str], timeout: float = 60
) -> dict[str, list[dict[str, Any]]]:
    """Messages by type until one of each type in `want` arrived."""
    got: dict[str, list[dict[str, Any]]] = {}
    deadline = time.monotonic() + timeout
    while not want <= got.keys():
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"only got {sorted(got)} of {sorted(want)}"
        message = await asyncio.wait_for(layer.receive(channel), remaining)
        got.setdefault(message["type"], []).append(message)
    return got


def test_runnode_broadcasts_blocks_txs_addresses_mempool_and_stats_over_redis(
    idx_db: str, db_url: str, redis_url: str, chains: Chains, tmp_path: Path
) -> None:
    prefix = f"rustytest{int(time.time() * 1000)}"
    datadir = tmp_path / "node"
    copy_datadir(chains.a, datadir)
    env = web_env(tmp_path, db_url, REDIS_URL=redis_url, RUSTY_CHANNEL_PREFIX=prefix)
    node = NodeProcess(datadir, runnode=True, env=env).start()
    layer = RedisChannelLayer(hosts=[{"address": redis_url, "socket_timeout": 30}], prefix=prefix)

    async def scenario() -> str:
        channel = await layer.new_channel()
        address = node.wallet_rpc("getnewaddress")
        for group in ("blocks", "stats", "mempool", f"addr.{address}"):
            await layer.group_add(group, channel)
        txid = node.wallet_rpc("sendtoaddress", address, "1.5")
        log.info("the payment %s enters the mempool snapshot", txid)
        got = await receive_until(layer, channel, {"rusty.mempool", "rusty.address"})
        assert {"txid": txid, "height": None, "address": address}.items() <= got["rusty.address"][
            0
        ].items()
        mempool = got["rusty.mempool"][-1]["mempool"]
        assert {"count", "vsize", "total_fee", "fee_histogram", "recent"} <= mempool.keys()
        assert txid in {r["txid"] for r in mempool["recent"]}
        await layer.group_add(f"tx.{txid}", channel)
        log.info("a block confirms it")
        node.mine(1)
        height = node.rpc("getblockcount")
        got = await receive_until(layer, channel, {"rusty.block", "rusty.tx", "rusty.stats"})
        block = got["rusty.block"][0]["block"]
        assert block["id"] == node.rpc("getbestblockhash")
        assert block["height"] == height
        assert {"id", "height", "timestamp", "tx_count", "size", "merkle_root"} <= block.keys()
        tx = got["rusty.tx"][0]
        assert tx == {"type": "rusty.tx", "txid": txid, "height": height, "block_hash": block["id"]}
        stats = got["rusty.stats"][-1]["stats"]
        assert set(stats) == {
            "height", "difficulty", "mempool_count", "mempool_vsize", "ticket_price",
            "ticket_pool_size", "supply",
        }  # fmt: skip
        return str(block["id"])

    try:
        wait_for("catch-up", lambda: indexed_tip(idx_db, node), node)
        block_hash = asyncio.run(scenario())
        assert Block.objects.using(idx_db).filter(hash=block_hash).exists()  # sent after commit
    finally:
        node.stop()
