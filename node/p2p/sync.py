"""Headers-first synchronisation and parallel block download (SPEC §8).

1. After the handshake each peer is sent `getheaders` with a block locator of our best
   header; `headers` replies (<= 2,000) are validated and added to the block tree, and a full
   reply is followed by the next `getheaders`. A block `inv` (however many hashes) or an
   unconnecting `headers` is answered with at most one `getheaders`, and none while another
   to that peer is unanswered (Core's MaybeSendGetHeaders).
2. Blocks are fetched in parallel from every peer that has them: for each peer, the blocks of
   its best chain that we lack, lowest height first, at most `max_blocks_in_flight` in flight
   per peer and never beyond `block_download_window` blocks past our tip (the moving window).
3. Stalls: a peer is disconnected (not banned) and its blocks are asked of the others when
   (a) as in Bitcoin Core, another peer could fetch nothing because the download window is
   used up while the first block the window waits for is in flight from it, or (b) it has
   held the first block missing from another peer's better chain (what that whole chain
   waits for; a chain shorter than the window never fills it, and it may fork below our
   tip). Either must last the stall timeout
   (`block_stall_timeout`, doubled after each stall up to 64 s and decaying back as blocks
   connect). Time a peer's messages spend waiting for our own chain work (the worker
   thread) is never counted against it: its block may be sitting unread behind them. Any
   request older than `block_download_timeout` drops its peer.
4. Blocks may arrive out of order; they are stored at once and the chainstate connects them
   when their parent's data arrives (Core's mapBlocksUnlinked). A block received and waiting
   for the worker thread is not requested again from anyone. A stored block that fails
   later, when another peer's block completes its branch, still scores its sender (Core's
   mapBlockSource).

Everything here runs on the event loop without `cs.lock` (chain work goes to the worker
thread), reading only the block tree (append-only) and the active chain defensively.

Progress (headers height, blocks height, blocks/s, ETA) is logged every 10 s while syncing
and reported by `status()` for getnetworkinfo / getpeerinfo and the daemon's progress line.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import OrderedDict, deque
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
from node.storage.records import BlockStatus
from node.types.block import Block, BlockHeader

if TYPE_CHECKING:
    from node.p2p.peer import Peer
    from node.p2p.service import P2PService

log = logging.getLogger(__name__)

PROGRESS_LOG_INTERVAL = 10.0
RATE_WINDOW = 30.0
MAX_UNCONNECTING_HEADERS = 10
HEADERS_RESPONSE_TIME = 120.0
"""An unanswered getheaders younger than this keeps us from sending another (Core)."""
MAX_STALL_TIMEOUT = 64.0
MAX_BLOCK_SOURCES = 4096
STALL_TIMEOUT_DECAY = 0.85
NO_PUNISH = (TimeTooNew,)
"""Header/block failures that an honest peer may cause (its clock): not scored (Core)."""


def _active_at(active: list[IndexEntry], height: int) -> IndexEntry | None:
    try:
        return active[height]
    except IndexError:  # the worker thread shortened the chain (a reorg) meanwhile
        return None


def _on_active(active: list[IndexEntry], entry: IndexEntry) -> bool:
    return _active_at(active, entry.height) is entry


def block_locator(cs: Chainstate, entry: IndexEntry) -> tuple[bytes, ...]:
    """Hashes from `entry` back to genesis: 10 one apart, then doubling steps (Core).

    Called on the event loop without `cs.lock`, while the worker thread may be reorganising:
    every read of the active chain is checked (falling back to walking parents). A locator
    that switches branches half way is still a list of known hashes, which is all it needs.
    """
    active = cs.active
    out: list[bytes] = []
    step = 1
    current = entry
    while True:
        out.append(current.hash)
        if current.height == 0 or len(out) >= MAX_LOCATOR - 1:
            break
        height = max(current.height - step, 0)
        below = (
            _active_at(active, height) if _active_at(active, current.height) is current else None
        )
        current = (
            below if below is not None and below.height == height else current.ancestor(height)
        )
        if len(out) >= 10:
            step *= 2
    genesis = active[0].hash
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
        self.processing: dict[bytes, int] = {}
        """Blocks received and queued for the chainstate (hash -> how many copies)."""
        self.block_source: OrderedDict[bytes, int] = OrderedDict()
        """Blocks stored but not connected yet -> id of the peer that sent them."""
        self._best_header: IndexEntry = self.cs.tip
        self._samples: deque[tuple[float, int]] = deque()
        self._last_log = 0.0
        self.blocks_downloaded = 0
        self.stall_timeout = svc.config.block_stall_timeout
        """The current stall timeout: doubled by each stall, decaying back (Core)."""

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
        base = self.svc.config.block_stall_timeout
        if self.stall_timeout > base:
            self.stall_timeout = max(base, self.stall_timeout * STALL_TIMEOUT_DECAY)
        self.schedule_all()

    # ------------------------------------------------------------------ progress

    @property
    def best_header(self) -> IndexEntry:
        """The most-work valid header we know of (Core's m_best_header). When it turns out
        invalid (a lying peer's chain) the best of the tip and the peers' chains takes over."""
        tip = self.cs.tip
        best = self._best_header
        if best.is_invalid or best.chain_work < tip.chain_work:
            best = tip
            for peer in list(self.svc.peers.values()):
                known = peer.best_known
                if (
                    known is not None
                    and not known.is_invalid
                    and known.chain_work > best.chain_work
                ):
                    best = known
            self._best_header = best
        return best

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
        peer.headers_asked_at = time.monotonic()
        peer.send(GetHeaders(block_locator(self.cs, start), stop or bytes(32)))

    def ask_headers(self, peer: Peer, stop: bytes = b"") -> None:
        """`getheaders` from our best header, unless one to this peer is still unanswered."""
        asked = peer.headers_asked_at
        if asked and time.monotonic() - asked < HEADERS_RESPONSE_TIME:
            return
        self.send_getheaders(peer, None, stop)

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
        peer.headers_asked_at = 0.0
        if not headers:
            return
        for prev, header in itertools.pairwise(headers):
            if header.prev_hash != prev.hash:
                raise Misbehaving(20, "non-continuous headers sequence")
        if headers[0].prev_hash not in self.cs.entries:
            peer.unconnecting_headers += 1
            self.ask_headers(peer)
            if peer.unconnecting_headers % MAX_UNCONNECTING_HEADERS == 0:
                raise Misbehaving(20, f"{peer.unconnecting_headers} unconnecting headers")
            return
        peer.unconnecting_headers = 0
        last = await self.accept_headers(peer, headers)
        if last is not None and len(headers) == MAX_HEADERS:
            self.send_getheaders(peer, last)
        self.schedule(peer)

    def on_block_inv(self, peer: Peer, hashes: Sequence[bytes]) -> None:
        """Block announcements: known blocks update what the peer has; for unknown ones one
        `getheaders` up to the last of them (Core), not one per hash."""
        unknown = b""
        for block_hash in hashes:
            entry = self.cs.entries.get(block_hash)
            if entry is None:
                unknown = block_hash
            else:
                self.update_best_known(peer, entry)
        if unknown:
            self.ask_headers(peer, unknown)
        self.schedule(peer)

    def update_best_known(self, peer: Peer, entry: IndexEntry) -> None:
        best = peer.best_known
        if best is None or entry.chain_work > best.chain_work:
            peer.best_known = entry

    # ------------------------------------------------------------------ blocks

    def mark_in_flight(self, peer: Peer, block_hash: bytes) -> None:
        now = time.monotonic()
        peer.blocks_in_flight[block_hash] = now
        peer.busy_at_request[block_hash] = peer.busy_time(now)
        self.in_flight[block_hash] = peer.id

    def received(self, peer: Peer, block_hash: bytes) -> bool:
        """Forget the request of `block_hash`; whether this peer had been asked for it."""
        asked = peer.blocks_in_flight.pop(block_hash, None) is not None
        peer.busy_at_request.pop(block_hash, None)
        if self.in_flight.get(block_hash) == peer.id:
            del self.in_flight[block_hash]
        if asked:
            peer.stalling_since = 0.0  # it delivers; re-marked if it still holds us up
        return asked

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
        block_hash = block.hash
        self.processing[block_hash] = self.processing.get(block_hash, 0) + 1
        try:
            result, error = await self.svc.run_chain(self._process, block)
        finally:
            left = self.processing.pop(block_hash) - 1
            if left:
                self.processing[block_hash] = left
        entry = self.cs.entries.get(block.hash)
        if entry is not None:
            self.note_header(entry)
            self.update_best_known(peer, entry)
        self.schedule_all()
        if result is ProcessResult.ACCEPTED:
            peer.last_block_time = time.monotonic()
            if entry is not None and not _on_active(self.cs.active, entry):
                self.block_source[block_hash] = peer.id
                while len(self.block_source) > MAX_BLOCK_SOURCES:
                    self.block_source.popitem(last=False)
        self._score_late_failures()
        if error is not None:
            if isinstance(error, NO_PUNISH):
                return False
            peer.send(Reject("block", RejectCode.INVALID, error.reason, block.hash))
            raise Misbehaving(100, f"invalid block {block.hash.hex()}: {error.reason}")
        return result is ProcessResult.ACCEPTED

    def _score_late_failures(self) -> None:
        """Score the senders of stored blocks that failed when they could finally connect;
        forget the ones that connected or whose ancestor failed (not their sender's fault)."""
        active = self.cs.active
        for block_hash, peer_id in list(self.block_source.items()):
            entry = self.cs.entries.get(block_hash)
            if entry is not None and not entry.is_invalid and not _on_active(active, entry):
                continue
            del self.block_source[block_hash]
            culprit = self.svc.peers.get(peer_id)
            if entry is not None and entry.status & BlockStatus.FAILED and culprit is not None:
                culprit.send(Reject("block", RejectCode.INVALID, "bad-block", block_hash))
                self.svc.misbehaving(culprit, 100, f"invalid block {block_hash.hex()}")

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
            path = self._path_to(peer, best, tip)
        cursor = peer.path_cursor
        while cursor < len(path) and path[cursor].has_data:
            cursor += 1
        peer.path_cursor = cursor
        limit = tip.height + cfg.block_download_window
        wanted: list[IndexEntry] = []
        waiting_for = 0  # the peer holding the first block in flight on this path
        window_full = False
        for index in range(cursor, len(path)):
            entry = path[index]
            if entry.is_invalid:
                break
            if entry.has_data or entry.hash in self.processing:
                continue
            owner = self.in_flight.get(entry.hash)
            if owner is not None:
                waiting_for = waiting_for or owner
                continue
            if entry.height > limit:
                window_full = True
                break
            wanted.append(entry)
            if len(wanted) >= free:
                break
        if not wanted:
            if window_full and waiting_for and waiting_for != peer.id:
                self._mark_staller(waiting_for)
            return
        kind = InvType.BLOCK
        if (len(wanted) == 1 and peer.supports_cmpct and wanted[0].height == tip.height + 1
                and wanted[0] is best):  # fmt: skip
            kind = InvType.CMPCT_BLOCK
        for entry in wanted:
            self.mark_in_flight(peer, entry.hash)
        peer.send(GetData(tuple(InvItem(int(kind), e.hash) for e in wanted)))

    def _path_to(self, peer: Peer, best: IndexEntry, tip: IndexEntry) -> list[IndexEntry]:
        """The peer's chain past our fork point, oldest first: extended by the new headers
        when `best` continues the previous path (header sync), else rebuilt."""
        path = peer.path
        if path and best.height > path[-1].height:
            tail: list[IndexEntry] = []
            entry: IndexEntry | None = best
            while entry is not None and entry.height > path[-1].height:
                tail.append(entry)
                entry = entry.parent
            if entry is path[-1]:
                tail.reverse()
                path.extend(tail)
                return path
        fork = last_common_ancestor(tip, best)
        path = list(best.walk_back(best.height - fork.height))
        path.reverse()
        peer.path, peer.path_cursor = path, 0
        return path

    def _mark_staller(self, peer_id: int) -> None:
        staller = self.svc.peers.get(peer_id)
        if staller is not None and not staller.stalling_since:
            now = time.monotonic()
            staller.stalling_since = now
            staller.busy_at_stall = staller.busy_time(now)
            log.info("%r holds up the block download window", staller)

    def peer_gone(self, peer: Peer) -> None:
        for block_hash in peer.blocks_in_flight:
            if self.in_flight.get(block_hash) == peer.id:
                del self.in_flight[block_hash]
        peer.blocks_in_flight.clear()
        peer.busy_at_request.clear()
        self.schedule_all()

    def check_stalls(self, now: float) -> None:
        """Drop a peer that holds up the download window or sits on a request too long."""
        cfg = self.svc.config
        blockers = self._blockers()
        for peer in list(self.svc.peers.values()):
            if peer.disconnecting:
                continue
            if not peer.blocks_in_flight:
                peer.stalling_since = 0.0  # what it held came from elsewhere (Core)
            stalled = max(peer.stalled_for(now), _holding(peer, blockers, now))
            if stalled > self.stall_timeout:
                log.info("%r stalled the block download for %.1f s; asking other peers", peer,
                         stalled)  # fmt: skip
                self.stall_timeout = min(MAX_STALL_TIMEOUT, self.stall_timeout * 2)
                peer.disconnect("stalling block download")
                continue
            for block_hash, asked in list(peer.blocks_in_flight.items()):
                age = now - asked
                if age > cfg.block_download_timeout:
                    peer.disconnect(f"block {block_hash.hex()} not delivered in {int(age)} s")
                    break

    def _blockers(self) -> dict[bytes, set[int]]:
        """For each peer whose chain has more work than our tip, the first block of it we
        lack (which the rest of that chain waits for): block hash -> ids of those peers."""
        tip = self.cs.tip
        out: dict[bytes, set[int]] = {}
        for peer in self.svc.handshaked():
            best = peer.best_known
            if best is None or best.chain_work <= tip.chain_work or best.is_invalid:
                continue
            path = peer.path
            if not path or path[-1] is not best:
                path = self._path_to(peer, best, tip)
            cursor = peer.path_cursor
            while cursor < len(path) and path[cursor].has_data:
                cursor += 1
            peer.path_cursor = cursor
            if cursor < len(path):
                out.setdefault(path[cursor].hash, set()).add(peer.id)
        return out


def _holding(peer: Peer, blockers: dict[bytes, set[int]], now: float) -> float:
    """How long `peer` has held a block another peer's better chain waits for (0: none)."""
    held = 0.0
    for block_hash in peer.blocks_in_flight:
        waiting = blockers.get(block_hash)
        if waiting and waiting != {peer.id}:
            held = max(held, peer.stall_age(block_hash, now))
    return held
