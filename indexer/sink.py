"""The indexer inside the node process: catch up from the node's storage, then follow it.

`Indexer(node)` subscribes to the node's chain events (node.api.subscribe_chain). The
callback runs in the chainstate's thread with its lock held, so it only wakes the
indexer's own thread; that thread does all SQL work (one writer, so SQLite never sees two):

* `sync()` makes SQL equal the node's main chain: while the watermark block is no longer on
  the main chain (a reorg, or an admin reindex request) it undoes it (indexer.writer
  `undo_tip`), then it applies the missing blocks from the node's LMDB storage in batches
  (`batch_blocks` / `batch_txs`; COPY on Postgres), each batch one SQL transaction moving the
  watermark. Level-triggered: whatever events were missed, one `sync()` repairs it, and a
  restart after a crash or SIGKILL continues from the watermark.
* every `mempool_interval` seconds it writes the mempool snapshot (indexer.mempool).
* broadcasts (indexer.broadcast) are queued from `transaction.on_commit`.

An admin "reindex from height h" sets `IndexerState.reindex_from`; the thread polls it
(each wake-up and at least every `poll_interval` s), undoes the blocks >= h and clears it,
and the normal catch-up indexes them again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from indexer import broadcast
from indexer.broadcast import Broadcaster
from indexer.mempool import stored_txids, write_snapshot
from indexer.writer import Applied, IndexWriter, Undone, WatermarkMoved
from node import api

if TYPE_CHECKING:
    from node.api import Node

log = logging.getLogger(__name__)


class Indexer:
    """Keeps the SQL read-models equal to one node's main chain (module docstring)."""

    def __init__(
        self,
        reader: api.ChainReader,
        *,
        node: Node | None = None,
        using: str = DEFAULT_DB_ALIAS,
        broadcaster: Broadcaster | None = None,
        batch_blocks: int = 500,
        batch_txs: int = 20_000,
        mempool_interval: float = 3.0,
        poll_interval: float = 2.0,
    ) -> None:
        if batch_blocks < 1 or batch_txs < 1:
            raise ValueError("indexer batches need at least 1 block and 1 transaction")
        if mempool_interval <= 0 or poll_interval <= 0:
            raise ValueError("indexer intervals must be positive")
        self.reader = reader
        self.node = node
        self.using = using
        self.writer = IndexWriter(reader.params, using)
        self.broadcaster = broadcaster
        self.batch_blocks = batch_blocks
        self.batch_txs = batch_txs
        self.mempool_interval = mempool_interval
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._mempool_known: set[str] | None = None
        self._next_mempool = 0.0
        self.synced = threading.Event()
        """Set after each sync that reached the node's tip (tests and `run` wait on it)."""
        self.blocks_indexed = 0
        self.txs_indexed = 0

    @classmethod
    def for_node(cls, node: Node, **options: Any) -> Indexer:
        """An indexer on a running node; options default to the RUSTY_INDEXER_* settings."""
        options.setdefault("batch_blocks", settings.RUSTY_INDEXER_BATCH_BLOCKS)
        options.setdefault("batch_txs", settings.RUSTY_INDEXER_BATCH_TXS)
        options.setdefault("mempool_interval", float(settings.RUSTY_MEMPOOL_SNAPSHOT_SECONDS))
        return cls(api.ChainReader.of_node(node), node=node, **options)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Subscribe to the node's chain events and start the indexer thread."""
        if self.node is not None:
            self._unsubscribe = api.subscribe_chain(self.node, self._on_event)
        self._thread = threading.Thread(target=self._run, name="indexer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Finish the current transaction, then stop (the watermark keeps the progress)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.broadcaster is not None:
            self.broadcaster.flush()

    def wake(self) -> None:
        self._wake.set()

    def _on_event(self, event: api.ChainEvent) -> None:
        # chainstate thread, chainstate lock held: never block here
        if isinstance(event, api.BlockConnected | api.BlockDisconnected | api.TipChanged):
            self._wake.set()

    def _run(self) -> None:
        backoff = 1.0
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    self.sync()
                    self._maybe_snapshot_mempool()
                    backoff = 1.0
                except Exception:
                    log.exception("indexer: sync failed; retrying in %.0f s", backoff)
                    connections[self.using].close()
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
                wait = self.poll_interval
                if self.node is not None and self.node.mempool is not None:
                    wait = min(wait, max(0.05, self._next_mempool - time.monotonic()))
                self._wake.wait(wait)
        finally:
            connections[self.using].close()

    # ------------------------------------------------------------------ chain

    def sync(self) -> int:
        """Bring SQL to the node's main chain now; the number of blocks applied."""
        self._handle_reindex_request()
        applied = 0
        while not self._stop.is_set():
            height, tip = self.writer.state()
            if height >= 0:
                node_hash = self.reader.hash_at(height)
                if node_hash is None or node_hash.hex() != tip:
                    self._undo(tip)
                    continue
            blocks = self.reader.read(height + 1, self.batch_blocks, self.batch_txs)
            if not blocks:
                self.synced.set()
                return applied
            if height >= 0 and blocks[0].block.header.prev_hash.hex() != tip:
                continue  # the chain moved between the two reads: look again
            try:
                done = self.writer.apply(blocks, on_commit=self._announce_applied(len(blocks)))
            except WatermarkMoved:
                continue
            applied += len(blocks)
            self.blocks_indexed += len(blocks)
            self.txs_indexed += done.tx_count
            if len(blocks) > 1:
                log.info("indexer: indexed to %d (%d txs in batch)", done.height, done.tx_count)
        return applied

    def _undo(self, tip: str) -> None:
        try:
            done = self.writer.undo_tip(tip, on_commit=self._announce_undone)
        except WatermarkMoved:
            return
        log.info("indexer: block %d %s left the main chain; rows removed", done.height, tip)

    def _handle_reindex_request(self) -> None:
        start = self.writer.reindex_request()
        if start is None:
            return
        start = max(start, 0)
        log.info("indexer: reindex from height %d requested", start)
        while not self._stop.is_set():
            height, tip = self.writer.state()
            if height < start:
                break
            self._undo(tip)
        self.writer.clear_reindex_request()

    def _announce_applied(self, count: int) -> Callable[[Applied], None] | None:
        out = self.broadcaster
        if out is None:
            return None
        detail = count <= broadcast.DETAIL_BLOCKS

        def announce(done: Applied) -> None:
            broadcast.announce_blocks(out, done.blocks, detail=detail, using=self.using)

        return announce

    def _announce_undone(self, done: Undone) -> None:
        if self.broadcaster is not None:
            broadcast.announce_reorg(
                self.broadcaster, done.height, done.hash, done.txids, done.addresses,
                using=self.using,
            )  # fmt: skip

    # ------------------------------------------------------------------ mempool

    def _maybe_snapshot_mempool(self) -> None:
        if self.node is None or self.node.mempool is None:
            return
        now = time.monotonic()
        if now < self._next_mempool:
            return
        self._next_mempool = now + self.mempool_interval
        self.snapshot_mempool()

    def snapshot_mempool(self) -> None:
        """Write the node's mempool into MempoolTx now (and announce what changed)."""
        if self.node is None:
            return
        if self._mempool_known is None:
            self._mempool_known = stored_txids(self.using)
        known = self._mempool_known
        items = api.mempool_snapshot(self.node, {bytes.fromhex(t) for t in known})
        diff = write_snapshot(items, self.writer.scripts, known=known, using=self.using)
        if not diff.changed:
            return
        self._mempool_known = (known - set(diff.removed)) | set(diff.added)
        if self.broadcaster is not None:
            broadcast.announce_mempool(
                self.broadcaster, diff.added, diff.addresses, using=self.using
            )
