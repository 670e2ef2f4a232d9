"""Headers-first synchronisation and parallel block download (SPEC §8).

1. After the handshake each peer is sent `getheaders` with a block locator of our best
   header; `headers` replies (<= 2,000) are validated and added to the block tree, and a full
   reply is followed by the next `getheaders`.
2. Blocks are fetched in parallel from every peer that has them: for each peer, the blocks of
   its best chain that we lack, lowest height first, at most `max_blocks_in_flight` in flight
   per peer and never beyond `block_download_window` blocks past our tip (the moving window).
3. Stalls: when the block the window waits for (tip + 1) has been in flight from one peer
   longer than `block_stall_timeout` while another peer could serve it, the staller is
   disconnected and its blocks are re-requested from the others (Bitcoin Core); any request
   older than `block_download_timeout` drops its peer as well.
4. Blocks may arrive out of order; they are stored at once and the chainstate connects them
   when their parent's data arrives (Core's mapBlocksUnlinked).

Progress (headers height, blocks height, blocks/s, ETA) is logged every 10 s while syncing
and reported by `status()` for getnetworkinfo / getpeerinfo and the daemon's progress line.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from node.chain.chainstate import Chainstate, ProcessResult
from node.chain.errors import ChainError
from node.chain.events import ChainEvent, TipChanged
from node.chain.index import IndexEntry, last_common_ancestor
from node.consensus.errors import ConsensusError, TimeTooNew
from node.p2p.errors import Misbehaving
from node.p2p.messages import GetData, GetHeaders, Headers, InvItem, Reject
from node.p2p.protocol import MAX_HEADERS, MAX_LOCATOR, InvType, RejectCode
from node.types.block import Block, BlockHeader

if TYPE_CHECKING:
    from node.p2p.peer import Peer
    from node.p2p.service import P2PService

log = logging.getLogger(__name__)

PROGRESS_LOG_INTERVAL = 10.0
RATE_WINDOW = 30.0
MAX_UNCONNECTING_HEADERS = 10
NO_PUNISH = (TimeTooNew,)
"""Header/block failures that an honest peer may cause (its clock): not scored (Core)."""


def block_locator(cs: Chainstate, entry: IndexEntry) -> tuple[bytes, ...]:
    """Hashes from `entry` back to genesis: 10 one apart, then doubling steps (Core)."""
    out: list[bytes] = []
    step = 1
    current: IndexEntry | None = entry
    while current is not None:
        out.append(current.hash)
        if current.height == 0 or len(out) >= MAX_LOCATOR - 1:
            break
        height = max(current.height - step, 0)
        on_active = cs.on_active_chain(current)
        current = cs.active[height] if on_active else current.ancestor(height)
        if len(out) >= 10:
            step *= 2
    genesis = cs.active[0].hash
    if out[-1] != genesis:
        out.append(genesis)
    return tuple(out)


class BlockSync:
    """Header sync, block download scheduling and sync progress (module docstring)."""

    def __init__(self, svc: P2PService) -> None:
        self.svc = svc
        self.cs = svc.cs
        self.in_flight: dict[bytes, int] = {}
        """Block hash -> id of the peer it is requested from."""
        self._best_header: IndexEntry = self.cs.tip
        self._samples: deque[tuple[float, int]] = deque()
        self._last_log = 0.0
        self.blocks_downloaded = 0

    def subscribe(self) -> None:
        self.svc.on_stop(self.cs.events.subscribe(self._on_chain_event))

    def _on_chain_event(self, event: ChainEvent) -> None:
        if isinstance(event, TipChanged):
            self.svc.on_loop(self._tip_changed, event.height)

    def _tip_changed(self, height: int) -> None:
        now = time.monotonic()
        self._samples.append((now, height))
        while self._samples and now - self._samples[0][0] > RATE_WINDOW:
            self._samples.popleft()
        self.schedule_all()

    # ------------------------------------------------------------------ progress

    @property
    def best_header(self) -> IndexEntry:
        tip = self.cs.tip
        best = self._best_header
        if best.is_invalid or best.chain_work < tip.chain_work:
            self._best_header = tip
        return self._best_header

    def note_header(self, entry: IndexEntry) -> None:
        if not entry.is_invalid and entry.chain_work > self.best_header.chain_work:
            self._best_header = entry

    def blocks_per_sec(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        (t0, h0), (t1, h1) = self._samples[0], self._samples[-1]
        if time.monotonic() - t1 > 10.0 or t1 - t0 < 0.5:
            return 0.0
        return max(0.0, (h1 - h0) / (t1 - t0))

    def status(self) -> dict[str, object]:
        """Sync progress: headers and blocks heights, blocks/s, ETA (seconds or None)."""
        headers = self.best_header.height
        blocks = self.cs.height
        rate = self.blocks_per_sec()
        left = max(0, headers - blocks)
        eta = round(left / rate, 1) if rate > 0 and left else (0.0 if not left else None)
        return {
            "headers": headers,
            "blocks": blocks,
            "syncing": left > 0,
            "blocks_per_sec": round(rate, 1),
            "eta_seconds": eta,
            "blocks_in_flight": len(self.in_flight),
            "verificationprogress": round(blocks / headers, 6) if headers else 1.0,
        }

    def progress_text(self) -> str:
        s = self.status()
        eta = "?" if s["eta_seconds"] is None else f"{s['eta_seconds']}s"
        return f"headers={s['headers']} eta={eta}"

    def log_progress(self) -> None:
        now = time.monotonic()
        s = self.status()
        if not s["syncing"] or now - self._last_log < PROGRESS_LOG_INTERVAL:
            return
        self._last_log = now
        eta = "?" if s["eta_seconds"] is None else f"{s['eta_seconds']}s"
        log.info("sync: blocks=%s headers=%s blocks/s=%s eta=%s in_flight=%s peers=%d",
                 s["blocks"], s["headers"], s["blocks_per_sec"], eta, s["blocks_in_flight"],
                 len(self.svc.peers))  # fmt: skip

    # ------------------------------------------------------------------ headers

    def send_getheaders(
        self, peer: Peer, entry: IndexEntry | None = None, stop: bytes = b""
    ) -> None:
        start = entry if entry is not None else self.best_header
        peer.send(GetHeaders(block_locator(self.cs, start), stop or bytes(32)))

    def start(self, peer: Peer) -> None:
        peer.sync_started = True
        self.send_getheaders(peer)

    def _headers_after(self, locator: Sequence[bytes], stop: bytes) -> list[BlockHeader]:
        cs = self.cs
        with cs.lock:
            if not locator:
                entry = cs.entries.get(stop)
                return [entry.header] if entry is not None else []
            fork = cs.active[0]
            for h in locator:
                entry = cs.entries.get(h)
                if entry is not None and cs.on_active_chain(entry):
                    fork = entry
                    break
            out = []
            for height in range(fork.height + 1, min(fork.height + 1 + MAX_HEADERS, cs.height + 1)):
                entry = cs.active[height]
                out.append(entry.header)
                if entry.hash == stop:
                    break
            return out

    async def on_getheaders(self, peer: Peer, msg: GetHeaders) -> None:
        for h in msg.locator:
            known = self.cs.entries.get(h)
            if known is not None:
                self.update_best_known(peer, known)
                break
        headers = await self.svc.run_chain(self._headers_after, msg.locator, msg.stop_hash)
        peer.send(Headers(tuple(headers)))
        if headers:
            peer.best_sent = headers[-1].hash

    def _accept_headers(
        self, headers: Sequence[BlockHeader]
    ) -> tuple[IndexEntry | None, ConsensusError | None]:
        last: IndexEntry | None = None
        with self.cs.lock:
            for header in headers:
                try:
                    last = self.cs.accept_header(header)
                except ConsensusError as exc:
                    return last, exc
                except ChainError as exc:
                    return last, ConsensusError(str(exc), reason="bad-prevblk")
        return last, None

    async def accept_headers(self, peer: Peer, headers: Sequence[BlockHeader]) -> IndexEntry | None:
        """Validate and add connected headers; score the peer for an invalid one."""
        last, error = await self.svc.run_chain(self._accept_headers, headers)
        if last is not None:
            self.note_header(last)
            self.update_best_known(peer, last)
        if error is not None and not isinstance(error, NO_PUNISH):
            peer.send(Reject("headers", RejectCode.INVALID, error.reason))
            raise Misbehaving(100, f"invalid header: {error}")
        return last

    async def on_headers(self, peer: Peer, msg: Headers) -> None:
        headers = msg.headers
        if not headers:
            return
        for prev, header in itertools.pairwise(headers):
            if header.prev_hash != prev.hash:
                raise Misbehaving(20, "non-continuous headers sequence")
        if headers[0].prev_hash not in self.cs.entries:
            peer.unconnecting_headers += 1
            self.send_getheaders(peer)
            if peer.unconnecting_headers % MAX_UNCONNECTING_HEADERS == 0:
                raise Misbehaving(20, f"{peer.unconnecting_headers} unconnecting headers")
            return
        peer.unconnecting_headers = 0
        last = await self.accept_headers(peer, headers)
        if last is not None and len(headers) == MAX_HEADERS:
            self.send_getheaders(peer, last)
        self.schedule(peer)

    def on_block_inv(self, peer: Peer, block_hash: bytes) -> None:
        entry = self.cs.entries.get(block_hash)
        if entry is None:
            self.send_getheaders(peer, None, block_hash)
            return
        self.update_best_known(peer, entry)
        self.schedule(peer)

    def update_best_known(self, peer: Peer, entry: IndexEntry) -> None:
        best = peer.best_known
        if best is None or entry.chain_work > best.chain_work:
            peer.best_known = entry
            peer.path = []

    # ------------------------------------------------------------------ blocks

    def mark_in_flight(self, peer: Peer, block_hash: bytes) -> None:
        peer.blocks_in_flight[block_hash] = time.monotonic()
        self.in_flight[block_hash] = peer.id

    def received(self, peer: Peer, block_hash: bytes) -> bool:
        """Forget the request of `block_hash`; whether this peer had been asked for it."""
        asked = peer.blocks_in_flight.pop(block_hash, None) is not None
        if self.in_flight.get(block_hash) == peer.id:
            del self.in_flight[block_hash]
        return asked or block_hash in peer.cancelled_blocks

    async def on_block(self, peer: Peer, block: Block) -> None:
        if not self.received(peer, block.hash):
            raise Misbehaving(20, f"unrequested block {block.hash.hex()}")
        self.blocks_downloaded += 1
        await self.submit(peer, block)

    def _process(self, block: Block) -> tuple[ProcessResult | None, ConsensusError | None]:
        cs = self.cs
        with cs.lock:
            try:
                result = cs.process_block(block)
            except ConsensusError as exc:
                return None, exc
            return result, None

    async def submit(self, peer: Peer, block: Block) -> bool:
        """Hand a downloaded block to the chainstate; score the peer if it is invalid."""
        result, error = await self.svc.run_chain(self._process, block)
        entry = self.cs.entries.get(block.hash)
        if entry is not None:
            self.note_header(entry)
            self.update_best_known(peer, entry)
        self.schedule_all()
        if error is not None:
            if isinstance(error, NO_PUNISH):
                return False
            peer.send(Reject("block", RejectCode.INVALID, error.reason, block.hash))
            raise Misbehaving(100, f"invalid block {block.hash.hex()}: {error.reason}")
        return result is ProcessResult.ACCEPTED

    # ------------------------------------------------------------------ scheduling

    def schedule_all(self) -> None:
        for peer in self.svc.handshaked():
            self.schedule(peer)

    def schedule(self, peer: Peer) -> None:
        """Request the next blocks this peer can give us (module docstring, step 2)."""
        cfg = self.svc.config
        free = cfg.max_blocks_in_flight - len(peer.blocks_in_flight)
        best = peer.best_known
        if free <= 0 or best is None or not peer.handshake_done or best.is_invalid:
            return
        tip = self.cs.tip
        if best.chain_work <= tip.chain_work:
            return
        path = peer.path
        if not path or path[-1] is not best:
            fork = last_common_ancestor(tip, best)
            path = list(best.walk_back(best.height - fork.height))
            path.reverse()
            peer.path, peer.path_cursor = path, 0
        cursor = peer.path_cursor
        while cursor < len(path) and path[cursor].has_data:
            cursor += 1
        peer.path_cursor = cursor
        limit = tip.height + cfg.block_download_window
        wanted: list[IndexEntry] = []
        for entry in path[cursor:]:
            if entry.height > limit or entry.is_invalid:
                break
            if entry.has_data or entry.hash in self.in_flight:
                continue
            wanted.append(entry)
            if len(wanted) >= free:
                break
        if not wanted:
            return
        kind = InvType.BLOCK
        if (len(wanted) == 1 and peer.supports_cmpct and wanted[0].height == tip.height + 1
                and wanted[0] is best):  # fmt: skip
            kind = InvType.CMPCT_BLOCK
        for entry in wanted:
            self.mark_in_flight(peer, entry.hash)
        peer.send(GetData(tuple(InvItem(int(kind), e.hash) for e in wanted)))

    def peer_gone(self, peer: Peer) -> None:
        for block_hash in peer.blocks_in_flight:
            if self.in_flight.get(block_hash) == peer.id:
                del self.in_flight[block_hash]
        peer.blocks_in_flight.clear()
        self.schedule_all()

    def check_stalls(self, now: float) -> None:
        """Drop a peer that holds up the download window or sits on a request too long."""
        cfg = self.svc.config
        tip_height = self.cs.height
        for peer in list(self.svc.peers.values()):
            for block_hash, asked in list(peer.blocks_in_flight.items()):
                age = now - asked
                if age > cfg.block_download_timeout:
                    peer.disconnect(f"block {block_hash.hex()} not delivered in {int(age)} s")
                    break
                entry = self.cs.entries.get(block_hash)
                if (entry is None or entry.height != tip_height + 1
                        or age <= cfg.block_stall_timeout):  # fmt: skip
                    continue
                if any(p is not peer and p.best_known is not None
                       and p.best_known.height >= entry.height
                       for p in self.svc.handshaked()):  # fmt: skip
                    log.info("%r stalls the download at height %d; asking another peer",
                             peer, entry.height)  # fmt: skip
                    peer.cancelled_blocks.add(block_hash)
                    peer.disconnect(f"stalling block download at height {entry.height}")
                    break
