"""The transaction index for getrawtransaction: txid -> (block hash, position).

It lives in its own LMDB environment, `<datadir>/<network>/indexes/txindex.lmdb` (the chain
database's keys belong to node.storage), and follows the chain as an event subscriber:
BlockConnected adds the block's transactions, BlockDisconnected removes them. The meta key
`best` records the last indexed block; at open the index rewinds off a stale branch and
catches up to the tip, or is rebuilt from genesis if its best block is unknown.
"""

from __future__ import annotations

import logging
import struct
from pathlib import Path
from typing import Any

import lmdb

from node.chain.chainstate import Chainstate
from node.chain.events import BlockConnected, BlockDisconnected, ChainEvent
from node.types.block import Block

log = logging.getLogger(__name__)

_BEST = b"\x00best"
_VALUE = struct.Struct("<32sI")
MAP_SIZE = 1 << 30


class TxIndex:
    """txid -> (block hash, index in block) for every transaction of the main chain."""

    def __init__(self, path: Path, chainstate: Chainstate) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.chainstate = chainstate
        self._env: Any = lmdb.open(str(path), map_size=MAP_SIZE, subdir=True)
        self._main: Any = self._env.open_db()
        self._unsubscribe = chainstate.events.subscribe(self._on_event)
        with chainstate.lock:
            self.sync()

    @classmethod
    def open(cls, netdir: Path, chainstate: Chainstate) -> TxIndex:
        return cls(netdir / "indexes" / "txindex.lmdb", chainstate)

    def close(self) -> None:
        self._unsubscribe()
        self._env.close()

    def best(self) -> bytes | None:
        with self._env.begin() as txn:
            value: bytes | None = txn.get(_BEST)
        return value

    def lookup(self, txid: bytes) -> tuple[bytes, int] | None:
        if len(txid) != 32:
            return None
        with self._env.begin() as txn:
            raw = txn.get(txid)
        if raw is None:
            return None
        block_hash, pos = _VALUE.unpack(raw)
        return block_hash, pos

    def __len__(self) -> int:
        with self._env.begin() as txn:
            entries: int = txn.stat(self._main)["entries"]
            has_best = txn.get(_BEST) is not None
        return entries - int(has_best)

    # ------------------------------------------------------------------ maintenance

    def _grow(self) -> None:
        info = self._env.info()
        self._env.set_mapsize(info["map_size"] * 2)

    def _write(self, fn: Any) -> None:
        while True:
            try:
                with self._env.begin(write=True) as txn:
                    fn(txn)
                return
            except lmdb.MapFullError:
                self._grow()

    def _connect(self, block: Block) -> None:
        def write(txn: Any) -> None:
            for pos, tx in enumerate(block.txs):
                txn.put(tx.txid, _VALUE.pack(block.hash, pos))
            txn.put(_BEST, block.hash)

        self._write(write)

    def _disconnect(self, block: Block) -> None:
        def write(txn: Any) -> None:
            for tx in block.txs:
                raw = txn.get(tx.txid)
                if raw is not None and raw[:32] == block.hash:
                    txn.delete(tx.txid)
            txn.put(_BEST, block.header.prev_hash)

        self._write(write)

    def _on_event(self, event: ChainEvent) -> None:
        if isinstance(event, BlockConnected):
            self._connect(event.block)
        elif isinstance(event, BlockDisconnected):
            self._disconnect(event.block)

    def sync(self) -> None:
        """Bring the index to the chainstate's tip (call with the chainstate lock held)."""
        cs = self.chainstate
        best = self.best()
        entry = cs.entries.get(best) if best is not None else None
        if best is not None and entry is None:
            log.warning("txindex best block %s unknown: rebuilding", best.hex())
            self._write(lambda txn: txn.drop(self._main, delete=False))
        while entry is not None and not cs.on_active_chain(entry):
            self._disconnect(cs.get_block(entry.hash))
            entry = entry.parent
        start = 0 if entry is None else entry.height + 1
        if start <= cs.height:
            log.info("txindex: indexing blocks %d..%d", start, cs.height)
        for height in range(start, cs.height + 1):
            self._connect(cs.get_block(cs.active[height].hash))
