"""Live-update messages (shared contract 2), sent to channel-layer groups after each commit.

The writer calls these from `transaction.on_commit`, so a client never hears of a row it
cannot read yet. Messages are built in the writer's thread (one short query each) and handed
to a `Broadcaster`, which runs `group_send` on an event loop — the ASGI server's own loop in
the embedded `manage.py run` (the in-memory channel layer only works on the loop its
consumers run on), or a private loop thread otherwise (Redis layer in `manage.py runnode`) —
so a slow or absent channel layer never holds up indexing. Groups: `blocks`, `stats`,
`mempool`, `addr.<address>`, `tx.<txid>`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Iterable
from typing import Any

from channels.layers import BaseChannelLayer, get_channel_layer
from django.db.models import Count, Sum

from indexer.models import Block, MempoolTx
from indexer.rows import BlockSummary

log = logging.getLogger(__name__)

DETAIL_BLOCKS = 6
"""Batches of at most this many blocks (following the tip) get per-tx and per-address
messages; larger catch-up batches announce only their last block and the stats."""
MAX_DETAIL_MESSAGES = 20_000
"""Per-tx plus per-address messages at most per block (a huge block still announces itself)."""


class Broadcaster:
    """Sends group messages from any thread without blocking it (see the module docstring)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop | None = None,
        layer: BaseChannelLayer | None = None,
    ) -> None:
        self.layer = layer if layer is not None else get_channel_layer()
        self._own_thread: threading.Thread | None = None
        if loop is None:
            loop = asyncio.new_event_loop()
            self._own_thread = threading.Thread(
                target=loop.run_forever, name="indexer-broadcast", daemon=True
            )
            self._own_thread.start()
        self.loop = loop
        self._pending: set[concurrent.futures.Future[None]] = set()
        self._lock = threading.Lock()

    def send(self, group: str, message: dict[str, Any]) -> None:
        """Queue `message` for `group` (dropped when there is no channel layer)."""
        if self.layer is None or self.loop.is_closed():
            return
        future = asyncio.run_coroutine_threadsafe(self._send(group, message), self.loop)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: concurrent.futures.Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    async def _send(self, group: str, message: dict[str, Any]) -> None:
        assert self.layer is not None
        try:
            await self.layer.group_send(group, message)
        except Exception:
            log.exception("broadcast to %s failed", group)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued message was handed to the channel layer."""
        with self._lock:
            pending = list(self._pending)
        concurrent.futures.wait(pending, timeout=timeout)

    def close(self) -> None:
        """Deliver what is queued, then stop the private loop (if this broadcaster owns one)."""
        self.flush()
        if self._own_thread is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._own_thread.join(timeout=5)
            self.loop.close()


def stats_message(using: str = "default") -> dict[str, Any]:
    """The `rusty.stats` message from the tip block and the mempool snapshot."""
    tip = Block.objects.using(using).order_by("-height").first()
    pool = MempoolTx.objects.using(using).aggregate(n=Count("id"), size=Sum("size"))
    return {
        "type": "rusty.stats",
        "stats": {
            "height": -1 if tip is None else tip.height,
            "difficulty": 0.0 if tip is None else tip.difficulty,
            "mempool_count": pool["n"] or 0,
            "mempool_vsize": pool["size"] or 0,
            "ticket_price": 0 if tip is None else tip.current_ticket_price,
            "ticket_pool_size": 0 if tip is None else tip.ticket_pool_size,
            "supply": 0 if tip is None else tip.supply,
        },
    }


def block_message(block_hash: str, using: str = "default") -> dict[str, Any] | None:
    """The `rusty.block` message of an indexed block (None if it is gone again)."""
    from indexer.read.chain import block_json

    row = Block.objects.using(using).filter(hash=block_hash).first()
    return None if row is None else {"type": "rusty.block", "block": block_json(row)}


def mempool_message(using: str = "default") -> dict[str, Any]:
    """The `rusty.mempool` message: Esplora's /mempool stats plus the recent transactions."""
    from indexer.read.mempool import fee_histogram

    rows = MempoolTx.objects.using(using)
    agg = rows.aggregate(n=Count("id"), size=Sum("size"), fee=Sum("fee"))
    pairs = [(round(f / s, 3) if s else 0.0, s) for f, s in rows.values_list("fee", "size")]
    recent = rows.order_by("-first_seen", "txid").values_list("txid", "fee", "size", "value")
    return {
        "type": "rusty.mempool",
        "mempool": {
            "count": agg["n"] or 0,
            "vsize": agg["size"] or 0,
            "total_fee": agg["fee"] or 0,
            "fee_histogram": fee_histogram(pairs),
            "recent": [{"txid": t, "fee": f, "size": s, "value": v} for t, f, s, v in recent[:10]],
        },
    }


def announce_blocks(
    out: Broadcaster, blocks: Iterable[BlockSummary], *, detail: bool, using: str = "default"
) -> None:
    """After a commit of connected blocks: the block(s), their txs and addresses, stats."""
    blocks = list(blocks)
    for summary in blocks if detail else blocks[-1:]:
        message = block_message(summary.hash, using)
        if message is not None:
            out.send("blocks", message)
        if not detail:
            continue
        budget = MAX_DETAIL_MESSAGES
        for txid in summary.txids[:budget]:
            out.send(
                f"tx.{txid}",
                {"type": "rusty.tx", "txid": txid, "height": summary.height,
                 "block_hash": summary.hash},
            )  # fmt: skip
        budget -= min(len(summary.txids), budget)
        for address, txid in summary.addresses[:budget]:
            out.send(
                f"addr.{address}",
                {"type": "rusty.address", "address": address, "txid": txid,
                 "height": summary.height},
            )  # fmt: skip
    out.send("stats", stats_message(using))


def announce_reorg(
    out: Broadcaster,
    height: int,
    block_hash: str,
    txids: Iterable[str],
    addresses: Iterable[tuple[str, str]],
    *,
    using: str = "default",
) -> None:
    """After a commit that removed a block: the reorg, its txs and addresses unconfirmed."""
    out.send("blocks", {"type": "rusty.reorg", "height": height, "hash": block_hash})
    for txid in list(txids)[:MAX_DETAIL_MESSAGES]:
        out.send(f"tx.{txid}", {"type": "rusty.tx", "txid": txid, "height": None,
                                "block_hash": None})  # fmt: skip
    for address, txid in list(addresses)[:MAX_DETAIL_MESSAGES]:
        out.send(f"addr.{address}", {"type": "rusty.address", "address": address, "txid": txid,
                                     "height": None})  # fmt: skip
    out.send("stats", stats_message(using))


def announce_mempool(
    out: Broadcaster,
    new_txids: Iterable[str],
    addresses: Iterable[tuple[str, str]],
    *,
    using: str = "default",
) -> None:
    """After a mempool snapshot commit: new txs and addresses (unconfirmed), mempool, stats."""
    for txid in list(new_txids)[:MAX_DETAIL_MESSAGES]:
        out.send(f"tx.{txid}", {"type": "rusty.tx", "txid": txid, "height": None,
                                "block_hash": None})  # fmt: skip
    for address, txid in list(addresses)[:MAX_DETAIL_MESSAGES]:
        out.send(f"addr.{address}", {"type": "rusty.address", "address": address, "txid": txid,
                                     "height": None})  # fmt: skip
    out.send("mempool", mempool_message(using))
    out.send("stats", stats_message(using))
