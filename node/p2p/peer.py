"""One connected peer: its socket, handshake state, statistics, misbehaviour score and the
per-peer relay state (known inventory, queued announcements, requests in flight).

`Peer.send` frames and writes a message; the write buffer is bounded (a peer that does not
read is dropped). Every container that a remote peer can grow is bounded here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from node.p2p.frame import encode_frame
from node.p2p.messages import Message, Version, command_of
from node.p2p.netaddr import IPAddress, format_hostport

if TYPE_CHECKING:
    from node.chain.index import IndexEntry
    from node.p2p.compact import PartialBlock

log = logging.getLogger(__name__)

MAX_KNOWN_INV = 50_000
MAX_TX_QUEUE = 50_000
MAX_REQUESTED_TXS = 5_000
"""Transactions (and, separately, votes) asked of one peer and not answered yet (Core keeps
at most 5,000 announcements per peer): announcements beyond it are not requested."""
MAX_PARTIAL_BLOCKS = 4
SEND_HIGH_WATER = 4 * 1024 * 1024
"""Above this many queued bytes a peer's messages wait (Core's fPauseSend)."""


class Requests:
    """Items asked of one peer and not answered yet (hash -> when asked, monotonic), capped
    at `limit`. Nothing is ever pushed out: an answer to a request we made is never taken
    for unrequested data; callers ask only for `room()` more."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[bytes, float] = OrderedDict()

    def room(self) -> int:
        return max(0, self.limit - len(self._items))

    def add(self, item: bytes, now: float) -> None:
        self._items[item] = now

    def pop(self, item: bytes) -> bool:
        """Forget `item`; whether it had been asked for."""
        return self._items.pop(item, None) is not None

    def expire(self, before: float) -> None:
        """Forget requests made before `before` (the peer never answered them)."""
        items = self._items
        while items:
            item, when = next(iter(items.items()))
            if when >= before:
                break
            del items[item]

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __len__(self) -> int:
        return len(self._items)


class BoundedSet:
    """An insertion-ordered set that forgets its oldest items past `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[bytes, None] = OrderedDict()

    def add(self, item: bytes) -> None:
        self._items[item] = None
        self._items.move_to_end(item)
        while len(self._items) > self.limit:
            self._items.popitem(last=False)

    def discard(self, item: bytes) -> None:
        self._items.pop(item, None)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()


@dataclass(slots=True)
class PeerStats:
    conn_time: float = field(default_factory=time.time)
    last_send: float = 0.0
    last_recv: float = 0.0
    bytes_sent: int = 0
    bytes_recv: int = 0
    sent_per_msg: dict[str, int] = field(default_factory=dict)
    recv_per_msg: dict[str, int] = field(default_factory=dict)


class Peer:
    """A connection to one remote node (either direction)."""

    def __init__(
        self,
        peer_id: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        magic: bytes,
        ip: IPAddress,
        port: int,
        inbound: bool,
        manual: bool = False,
        max_send_buffer: int = 64 * 1024 * 1024,
    ) -> None:
        self.id = peer_id
        self.reader = reader
        self.writer = writer
        self.magic = magic
        self.ip = ip
        self.port = port
        self.inbound = inbound
        self.manual = manual
        self.max_send_buffer = max_send_buffer
        self.stats = PeerStats()
        self.local_nonce = 0
        self.version: Version | None = None
        self.verack_received = False
        self.disconnecting = False
        self.disconnect_reason = ""
        self.misbehavior = 0
        # ping
        self.ping_nonce = 0
        self.ping_start = 0.0
        self.ping_time: float | None = None
        self.min_ping: float | None = None
        # rate limiting
        self.msg_window = 0
        self.msg_count = 0
        # relay preferences
        self.relay_txs = True
        self.fee_filter = 0
        self.wants_cmpct = False
        self.supports_cmpct = False
        self.getaddr_answered = False
        self.addr_tokens = 0.0
        self.addr_refill = 0.0
        # relay state
        self.known_inv = BoundedSet(MAX_KNOWN_INV)
        self.tx_queue: OrderedDict[bytes, int] = OrderedDict()
        """txid -> feerate, waiting for the next trickle."""
        self.next_trickle = 0.0
        self.requested_txs = Requests(MAX_REQUESTED_TXS)
        self.requested_votes = Requests(MAX_REQUESTED_TXS)
        # sync state
        self.best_known: IndexEntry | None = None
        """The most-work header this peer is known to have."""
        self.best_sent: bytes = b""
        self.sync_started = False
        self.headers_asked_at = 0.0
        """When (monotonic) our unanswered getheaders was sent; 0 = none outstanding."""
        self.unconnecting_headers = 0
        self.stalling_since = 0.0
        """When (monotonic) this peer started holding up the download window; 0 = not."""
        self.busy_at_stall = 0.0
        self.busy_since = 0.0
        """When (monotonic) the message being handled arrived (0 = none): while we work on
        it (maybe waiting for the chain), the peer's next messages wait unread."""
        self.busy_total = 0.0
        self.drain_since = 0.0
        """When (monotonic) a handler of this peer started waiting for it to read (0 = not):
        that wait is the peer's doing and not counted as busy."""
        self.last_tx_time = 0.0
        """When (monotonic) this peer last gave us a transaction the mempool accepted."""
        self.last_block_time = 0.0
        """When (monotonic) this peer last gave us a new block (eviction protects both)."""
        """Seconds spent handling this peer's messages, so stall clocks can leave them out."""
        self.blocks_in_flight: dict[bytes, float] = {}
        """Block hash -> when (monotonic) it was asked of this peer."""
        self.busy_at_request: dict[bytes, float] = {}
        """Block hash -> `busy_time()` when it was asked (see `stall_age`)."""
        self.partial: OrderedDict[bytes, PartialBlock] = OrderedDict()
        self.dropped_partials = BoundedSet(64)
        """Compact blocks we stopped waiting for (over MAX_PARTIAL_BLOCKS): their blocktxn
        is ignored, not scored as unrequested."""
        self.path: list[IndexEntry] = []
        """The peer's chain beyond our fork point (blocks to download), oldest first."""
        self.path_cursor = 0
        self.tasks: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------------ description

    @property
    def addr(self) -> str:
        return format_hostport(self.ip, self.port)

    @property
    def handshake_done(self) -> bool:
        return self.version is not None and self.verack_received and not self.disconnecting

    @property
    def start_height(self) -> int:
        return self.version.start_height if self.version is not None else -1

    def __repr__(self) -> str:
        kind = "inbound" if self.inbound else "outbound"
        return f"peer={self.id} {self.addr} {kind}"

    def busy_time(self, now: float) -> float:
        """Seconds spent so far handling this peer's messages (the current one included),
        leaving out the time those handlers waited for the peer to read."""
        total = self.busy_total
        if self.busy_since:
            total += now - self.busy_since
        if self.drain_since:
            total -= now - self.drain_since
        return total

    def stall_age(self, block_hash: bytes, now: float) -> float:
        """How long the peer has had the request for `block_hash` to itself: the time since
        we asked, less the time its messages waited for us (what a block sent meanwhile
        would have waited behind)."""
        asked = self.blocks_in_flight.get(block_hash)
        if asked is None:
            return 0.0
        ours = self.busy_time(now) - self.busy_at_request.get(block_hash, 0.0)
        return now - asked - ours

    def stalled_for(self, now: float) -> float:
        """How long this peer has held up the download window, less the time its messages
        waited for our chain work meanwhile (0 when it does not)."""
        if not self.stalling_since:
            return 0.0
        return now - self.stalling_since - (self.busy_time(now) - self.busy_at_stall)

    # ------------------------------------------------------------------ sending

    def send(self, msg: Message) -> None:
        """Frame and queue `msg`; a peer whose send buffer overflows is dropped."""
        if self.disconnecting:
            return
        command = command_of(msg)
        frame = encode_frame(self.magic, command, msg.encode())
        self.send_raw(command, frame)

    def send_raw(self, command: str, frame: bytes) -> None:
        if self.disconnecting:
            return
        transport = self.writer.transport
        if transport.is_closing():
            self.disconnect("connection closed")
            return
        if transport.get_write_buffer_size() + len(frame) > self.max_send_buffer:
            self.disconnect("send buffer full (peer does not read)")
            return
        self.writer.write(frame)
        stats = self.stats
        stats.last_send = time.time()
        stats.bytes_sent += len(frame)
        stats.sent_per_msg[command] = stats.sent_per_msg.get(command, 0) + len(frame)

    def send_buffer_size(self) -> int:
        return self.writer.transport.get_write_buffer_size()

    async def wait_writable(self) -> None:
        """Wait while more than SEND_HIGH_WATER bytes are queued for this peer, so a long
        answer (getdata, mempool) is produced only as fast as the peer reads it."""
        if self.disconnecting or self.send_buffer_size() <= SEND_HIGH_WATER:
            return
        inside = bool(self.busy_since)
        start = time.monotonic()
        if inside:
            self.drain_since = start
        try:
            await self.writer.drain()
        finally:
            if inside:
                self.drain_since = 0.0
                self.busy_total -= time.monotonic() - start

    def note_received(self, command: str, size: int) -> None:
        stats = self.stats
        stats.last_recv = time.time()
        stats.bytes_recv += size
        stats.recv_per_msg[command] = stats.recv_per_msg.get(command, 0) + size

    # ------------------------------------------------------------------ closing

    def disconnect(self, reason: str) -> None:
        """Close the connection (idempotent); the service's loop cleans up after it."""
        if self.disconnecting:
            return
        self.disconnecting = True
        self.disconnect_reason = reason
        log.info("disconnecting %r: %s", self, reason)
        try:
            self.writer.close()
        except Exception:  # pragma: no cover - closing a broken transport
            log.debug("closing %r failed", self, exc_info=True)
        for task in self.tasks:
            if task is not asyncio.current_task():
                task.cancel()
