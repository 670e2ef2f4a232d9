"""Block relay: announcing new tips (headers, or `cmpctblock` to peers that asked for them
with `sendcmpct` announce=1), serving `getdata` for blocks and compact blocks, and
receiving compact blocks (rebuilt from the mempool; missing transactions fetched with
`getblocktxn`; the full block requested when the rebuilt block does not match).

Announcement (Bitcoin Core's BIP130/BIP152 logic): to each peer whose best known header has
less work than our tip, send the headers it lacks when there are at most 8 of them (a single
new block goes as `cmpctblock` to a high-bandwidth peer), otherwise an `inv` of the tip, to
which the peer answers with `getheaders`.
"""

from __future__ import annotations

import logging
import random
from collections import OrderedDict
from typing import TYPE_CHECKING

from node.chain.events import BlockConnected, ChainEvent, TipChanged
from node.chain.index import IndexEntry
from node.p2p.compact import PartialBlock, build_compact
from node.p2p.errors import Misbehaving
from node.p2p.messages import (
    BlockMessage,
    BlockTxn,
    CmpctBlock,
    GetBlockTxn,
    GetData,
    Headers,
    Inv,
    InvItem,
    NotFound,
)
from node.p2p.peer import MAX_PARTIAL_BLOCKS
from node.p2p.protocol import InvType
from node.types.block import Block
from node.types.tx import Tx

if TYPE_CHECKING:
    from node.p2p.peer import Peer
    from node.p2p.service import P2PService

log = logging.getLogger(__name__)

RECENT_BLOCKS = 32
MAX_HEADERS_ANNOUNCE = 8
MAX_CMPCT_DEPTH = 10
"""Compact blocks and blocktxn are served only this close to the tip (Core)."""
MAX_PARTIAL_PER_PEER = MAX_PARTIAL_BLOCKS


class BlockRelay:
    """Tip announcements, block serving and compact-block reception (module docstring)."""

    def __init__(self, svc: P2PService) -> None:
        self.svc = svc
        self.cs = svc.cs
        self.recent: OrderedDict[bytes, Block] = OrderedDict()
        self.rng = random.Random()
        self.stats = {
            "cmpctblock_received": 0,
            "cmpctblock_reconstructed": 0,
            "cmpctblock_blocktxn": 0,
            "cmpctblock_full_fallback": 0,
            "cmpctblock_sent": 0,
            "blocks_served": 0,
        }

    def subscribe(self) -> None:
        self.svc.on_stop(self.cs.events.subscribe(self._on_chain_event))

    def _on_chain_event(self, event: ChainEvent) -> None:
        if isinstance(event, BlockConnected):
            self.svc.on_loop(self._remember, event.block)
        elif isinstance(event, TipChanged):
            self.svc.on_loop(self.announce)

    def _remember(self, block: Block) -> None:
        self.recent[block.hash] = block
        while len(self.recent) > RECENT_BLOCKS:
            self.recent.popitem(last=False)

    def peer_gone(self, peer: Peer) -> None:
        peer.partial.clear()

    # ------------------------------------------------------------------ announcing

    def _peer_has(self, peer: Peer, entry: IndexEntry) -> bool:
        if entry.hash == peer.best_sent:
            return True
        known = peer.best_known
        return (
            known is not None
            and known.height >= entry.height
            and (known.ancestor(entry.height) is entry)
        )

    def announce(self) -> None:
        """Tell every peer that lacks it about our tip (module docstring)."""
        tip = self.cs.tip
        sync = self.svc.sync
        if sync.in_flight and sync.best_header.height - tip.height > MAX_HEADERS_ANNOUNCE:
            return  # still downloading: announce once caught up (Core: not during IBD)
        for peer in self.svc.handshaked():
            if peer.best_sent == tip.hash:
                continue
            known = peer.best_known
            if known is not None and known.chain_work >= tip.chain_work:
                continue
            chain: list[IndexEntry] = []
            entry: IndexEntry | None = tip
            while entry is not None and len(chain) <= MAX_HEADERS_ANNOUNCE:
                if self._peer_has(peer, entry):
                    break
                chain.append(entry)
                entry = entry.parent
            peer.best_sent = tip.hash
            if entry is None or len(chain) > MAX_HEADERS_ANNOUNCE:
                peer.send(Inv.of(InvType.BLOCK, [tip.hash]))
            elif len(chain) == 1 and peer.wants_cmpct and tip.hash in self.recent:
                block = self.recent[tip.hash]
                peer.send(build_compact(block, self.rng.getrandbits(64)))
                self.stats["cmpctblock_sent"] += 1
            else:
                peer.send(Headers(tuple(e.header for e in reversed(chain))))

    # ------------------------------------------------------------------ serving

    async def get_block(self, block_hash: bytes) -> Block | None:
        block = self.recent.get(block_hash)
        if block is not None:
            return block
        entry = self.cs.entries.get(block_hash)
        if entry is None or not entry.has_data:
            return None
        try:
            return await self.svc.run_chain(self.cs.get_block, block_hash)
        except Exception:  # UnknownBlock (pruned or racing a reorg)
            return None

    def _depth(self, block_hash: bytes) -> int:
        entry = self.cs.entries.get(block_hash)
        if entry is None:
            return 1 << 30
        return self.cs.height - entry.height

    async def serve(self, peer: Peer, items: list[InvItem]) -> None:
        """Answer the block and compact-block items of a getdata."""
        missing: list[InvItem] = []
        for item in items:
            if peer.disconnecting:
                return
            block = await self.get_block(item.hash)
            if block is None:
                missing.append(item)
                continue
            if item.type == InvType.CMPCT_BLOCK and self._depth(item.hash) < MAX_CMPCT_DEPTH:
                peer.send(build_compact(block, self.rng.getrandbits(64)))
                self.stats["cmpctblock_sent"] += 1
            else:
                peer.send(BlockMessage(block))
            self.stats["blocks_served"] += 1
            await peer.wait_writable()
        if missing:
            peer.send(NotFound(tuple(missing)))

    async def on_getblocktxn(self, peer: Peer, msg: GetBlockTxn) -> None:
        block = await self.get_block(msg.block_hash)
        if block is None:
            log.debug("%r asked for transactions of unknown block %s", peer,
                      msg.block_hash.hex())  # fmt: skip
            return
        if self._depth(msg.block_hash) >= MAX_CMPCT_DEPTH:
            peer.send(BlockMessage(block))
            return
        if msg.indexes and msg.indexes[-1] >= len(block.txs):
            raise Misbehaving(100, f"getblocktxn index {msg.indexes[-1]} out of range")
        peer.send(BlockTxn(msg.block_hash, tuple(block.txs[i] for i in msg.indexes)))

    # ------------------------------------------------------------------ receiving

    def _candidates(self, partial: PartialBlock) -> None:
        pool = self.svc.mempool
        if pool is None:
            return
        with self.cs.lock:
            txs: list[Tx] = [e.tx for e in pool.entries.values()]
            orphans = pool.orphans
            txs.extend(tx for tx in map(orphans.get, orphans.txids()) if tx is not None)
        partial.fill_from(txs)

    def _request_full(self, peer: Peer, block_hash: bytes) -> None:
        self.stats["cmpctblock_full_fallback"] += 1
        self.svc.sync.mark_in_flight(peer, block_hash)
        peer.send(GetData((InvItem(int(InvType.BLOCK), block_hash),)))

    async def on_cmpctblock(self, peer: Peer, msg: CmpctBlock) -> None:
        sync = self.svc.sync
        header = msg.header
        block_hash = header.hash
        self.stats["cmpctblock_received"] += 1
        entry = self.cs.entries.get(block_hash)
        if entry is None:
            if header.prev_hash not in self.cs.entries:
                sync.ask_headers(peer)
                return
            entry = await sync.accept_headers(peer, [header])
            if entry is None:
                return
        sync.update_best_known(peer, entry)
        sync.note_header(entry)
        if entry.has_data:
            sync.received(peer, block_hash)
            return
        parent = entry.parent
        if parent is None or not parent.has_data:
            sync.received(peer, block_hash)
            sync.schedule(peer)
            return
        partial = PartialBlock(msg)
        await self.svc.run_chain(self._candidates, partial)
        missing = partial.missing()
        if missing:
            while len(peer.partial) >= MAX_PARTIAL_PER_PEER:
                # our limit, not the peer's fault: its answer is ignored, not scored, and the
                # block may be asked of anyone again
                dropped, _ = peer.partial.popitem(last=False)
                peer.dropped_partials.add(dropped)
                sync.received(peer, dropped)
            peer.partial[block_hash] = partial
            sync.mark_in_flight(peer, block_hash)
            peer.send(GetBlockTxn(block_hash, tuple(missing)))
            return
        block = partial.block()
        if block is None:
            self._request_full(peer, block_hash)
            return
        self.stats["cmpctblock_reconstructed"] += 1
        sync.received(peer, block_hash)
        await sync.submit(peer, block)

    async def on_blocktxn(self, peer: Peer, msg: BlockTxn) -> None:
        partial = peer.partial.pop(msg.block_hash, None)
        if partial is None:
            if msg.block_hash in peer.dropped_partials:
                peer.dropped_partials.discard(msg.block_hash)
                return
            raise Misbehaving(20, f"unrequested blocktxn for {msg.block_hash.hex()}")
        partial.fill_missing(msg.txs)
        block = partial.block()
        if block is None:
            self._request_full(peer, msg.block_hash)
            return
        self.stats["cmpctblock_blocktxn"] += 1
        self.svc.sync.received(peer, msg.block_hash)
        await self.svc.sync.submit(peer, block)
