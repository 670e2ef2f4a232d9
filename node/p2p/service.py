"""The P2P service: listening, outbound and manual connections, the peer table, bans and
misbehaviour, timeouts, and the thread-safe view the RPC methods use.

Runs in the daemon's asyncio loop. Chain and mempool work (header and block validation,
transaction acceptance) runs on one dedicated worker thread (`run_chain`), so the loop keeps
serving peers and RPC while a block connects. Chain, mempool and vote events, which arrive
in whatever thread changed the chain, are handed to the loop with `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from node.p2p.addrman import PEERS_FILE, AddrMan
from node.p2p.banlist import BANLIST_FILE, BanList
from node.p2p.blockrelay import BlockRelay
from node.p2p.config import P2PConfig
from node.p2p.errors import BadAddress, DecodeError, Misbehaving
from node.p2p.eviction import candidate_of, select_victim
from node.p2p.frame import decode_header
from node.p2p.handlers import Handlers
from node.p2p.messages import Ping, Version, decode_message
from node.p2p.netaddr import (
    IPAddress,
    PeerAddress,
    format_hostport,
    parse_hostport,
    parse_ip,
    parse_subnet,
)
from node.p2p.peer import SEND_HIGH_WATER, Peer
from node.p2p.protocol import HEADER_LEN, NODE_NETWORK, PROTOCOL_VERSION, USER_AGENT
from node.p2p.sync import BlockSync
from node.p2p.txrelay import TxRelay, VotePoolLike

if TYPE_CHECKING:
    from node.chain.chainstate import Chainstate
    from node.mempool.pool import Mempool
    from node.params import ChainParams

log = logging.getLogger(__name__)

BAN_THRESHOLD = 100
STREAM_LIMIT = 1 << 20
MANUAL_RETRY = 2.0
ADDRMAN_SAVE_INTERVAL = 900.0
T = TypeVar("T")
UNSPECIFIED = parse_ip("0.0.0.0")  # noqa: S104 - "no address" in version/addr


class NodeLike(Protocol):
    """What the service needs of node.rpc.node.Node (which it may not import)."""

    params: ChainParams
    chainstate: Chainstate
    mempool: Mempool | None

    @property
    def netdir(self) -> Path: ...


class P2PService:
    """The node's P2P networking (module docstring)."""

    def __init__(
        self, node: NodeLike, config: P2PConfig, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.node = node
        self.params = node.params
        self.cs = node.chainstate
        self.mempool = node.mempool
        self.votes: VotePoolLike | None = getattr(node, "votes", None)
        self.config = config
        self.clock = clock
        self.rng = random.Random()
        self.eviction_key = self.rng.randbytes(32)
        netdir = node.netdir
        netdir.mkdir(parents=True, exist_ok=True)
        self.addrman = AddrMan(netdir / PEERS_FILE)
        self.banlist = BanList(netdir / BANLIST_FILE)
        self.banlist.sweep(clock())
        self.peers: dict[int, Peer] = {}
        self._next_id = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="p2p-chain")
        self.servers: list[asyncio.Server] = []
        self.listening: list[tuple[str, int]] = []
        self.local_nonces: set[int] = set()
        self.local_addrs: set[str] = set()
        self.manual: dict[str, tuple[IPAddress, int]] = {}
        self.pending: set[str] = set()
        self.onetry: set[str] = set()
        self.totals_sent = 0
        self.totals_recv = 0
        self.started_at = clock()
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: list[Callable[[], Any]] = []
        self._last_save = clock()
        self.sync = BlockSync(self)
        self.blocks = BlockRelay(self)
        self.txs = TxRelay(self)
        self.handlers = Handlers(self)
        self.connect_only = bool(config.connect)
        for text in (*config.connect, *config.addnode):
            ip, port = parse_hostport(text, self.params.p2p_port)
            self.manual[format_hostport(ip, port)] = (ip, port)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.sync.subscribe()
        self.blocks.subscribe()
        self.txs.subscribe()
        if self.config.listen:
            await self._listen()
        if self.config.use_seeds and not self.connect_only and len(self.addrman) == 0:
            seeds = []
            for text in self.params.seeds:
                with contextlib.suppress(BadAddress):
                    ip, port = parse_hostport(text, self.params.p2p_port)
                    seeds.append(PeerAddress(ip, port, NODE_NETWORK, int(self.clock())))
            if seeds:
                self.addrman.add(seeds, UNSPECIFIED, self.clock())
        self._tasks.append(asyncio.create_task(self._maintenance(), name="p2p-maintenance"))
        self._tasks.append(asyncio.create_task(self._trickle_loop(), name="p2p-trickle"))

    async def _listen(self) -> None:
        default_port = self.params.p2p_port if self.config.port is None else self.config.port
        for text in self.config.bind:
            try:
                ip, port = parse_hostport(text, default_port)
            except BadAddress as exc:
                log.error("--bind %s: %s", text, exc)
                continue
            try:
                server = await asyncio.start_server(self._accept, str(ip), port, limit=STREAM_LIMIT)
            except OSError as exc:
                log.error("cannot listen for peers on %s: %s (running without inbound "
                          "connections)", format_hostport(ip, port), exc)  # fmt: skip
                continue
            self.servers.append(server)
            for sock in server.sockets:
                host, bound = sock.getsockname()[:2]
                self.listening.append((host, bound))
                log.info("P2P listening on %s", format_hostport(parse_ip(host), bound))

    async def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        for task in self._tasks:
            task.cancel()
        for server in self.servers:
            server.close()
        for peer in list(self.peers.values()):
            peer.disconnect("shutting down")
        tasks = [t for p in self.peers.values() for t in p.tasks] + self._tasks
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        for server in self.servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.save()

    def save(self) -> None:
        try:
            self.addrman.save()
        except OSError as exc:  # pragma: no cover - disk trouble at shutdown
            log.warning("saving peers.json failed: %s", exc)

    def on_stop(self, unsubscribe: Callable[[], Any]) -> None:
        """Remember an event unsubscriber to call when the service stops."""
        self._unsubscribe.append(unsubscribe)

    def on_loop(self, func: Callable[..., None], *args: Any) -> None:
        """Run `func(*args)` on the service's loop, from any thread."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(func, *args)

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run `coro` as a task of the service (cancelled when it stops)."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.append(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if task in self._tasks:
            self._tasks.remove(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    async def run_chain(self, func: Callable[..., T], *args: Any) -> T:
        """Run chain or mempool work on the P2P worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, func, *args)

    def call(self, func: Callable[..., T], *args: Any, timeout: float = 30.0) -> T:
        """Run `func(*args)` on the loop from another thread (RPC) and return its result."""
        loop = self.loop
        if loop is None:
            return func(*args)

        async def runner() -> T:
            return func(*args)

        return asyncio.run_coroutine_threadsafe(runner(), loop).result(timeout)

    # ------------------------------------------------------------------ peers

    def handshaked(self) -> Iterator[Peer]:
        return (p for p in list(self.peers.values()) if p.handshake_done)

    def outbound_count(self) -> int:
        return sum(1 for p in self.peers.values() if not p.inbound and not p.manual)

    def inbound_count(self) -> int:
        return sum(1 for p in self.peers.values() if p.inbound and not p.disconnecting)

    def _evict_inbound(self) -> bool:
        """Make room for a new inbound connection (node.p2p.eviction); whether one left."""
        candidates = [
            candidate_of(p.id, p.ip, p.stats.conn_time, p.min_ping, p.last_tx_time,
                         p.last_block_time)
            for p in self.peers.values()
            if p.inbound and not p.manual and not p.disconnecting
        ]  # fmt: skip
        victim = self.peers.get(select_victim(candidates, self.eviction_key) or 0)
        if victim is None:
            return False
        victim.disconnect("evicted to make room for a new inbound connection")
        return True

    def connected_to(self, key: str) -> bool:
        if key in self.pending:
            return True
        return any(p.addr == key for p in self.peers.values() if not p.inbound)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        try:
            ip = parse_ip(str(peername[0]))
            port = int(peername[1])
        except (BadAddress, TypeError, IndexError, ValueError):
            writer.close()
            return
        now = self.clock()
        if self.banlist.is_banned(ip, now):
            log.info("refusing connection from banned %s", ip)
            writer.close()
            return
        if self.inbound_count() >= self.config.max_inbound and not self._evict_inbound():
            log.info("refusing connection from %s: %d inbound peers", ip, self.inbound_count())
            writer.close()
            return
        peer = self._add_peer(reader, writer, ip, port, inbound=True, manual=False)
        await self._run_peer(peer)

    def _add_peer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                  ip: IPAddress, port: int, *, inbound: bool, manual: bool) -> Peer:  # fmt: skip
        self._next_id += 1
        peer = Peer(self._next_id, reader, writer, magic=self.params.magic, ip=ip, port=port,
                    inbound=inbound, manual=manual,
                    max_send_buffer=self.config.max_send_buffer)  # fmt: skip
        with contextlib.suppress(Exception):
            writer.transport.set_write_buffer_limits(high=SEND_HIGH_WATER)
        self.peers[peer.id] = peer
        task = asyncio.current_task()
        if task is not None:
            peer.tasks.append(task)
        log.info("connected %r", peer)
        return peer

    async def connect(self, ip: IPAddress, port: int, *, manual: bool) -> Peer | None:
        """Open an outbound connection and run it until it closes (call as a task)."""
        key = format_hostport(ip, port)
        if self.banlist.is_banned(ip, self.clock()) and not manual:
            return None
        self.pending.add(key)
        try:
            self.addrman.attempt(ip, port, self.clock())
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(str(ip), port, limit=STREAM_LIMIT),
                    self.config.connect_timeout,
                )
            except (OSError, TimeoutError) as exc:
                log.debug("connecting to %s failed: %s", key, exc)
                return None
        finally:
            self.pending.discard(key)
        peer = self._add_peer(reader, writer, ip, port, inbound=False, manual=manual)
        self.send_version(peer)
        await self._run_peer(peer)
        return peer

    def send_version(self, peer: Peer) -> None:
        peer.local_nonce = self.rng.getrandbits(64)
        self.local_nonces.add(peer.local_nonce)
        port = self.listening[0][1] if self.listening else 0
        me = PeerAddress(UNSPECIFIED, port, NODE_NETWORK)
        them = PeerAddress(peer.ip, peer.port, 0)
        peer.send(Version(PROTOCOL_VERSION, NODE_NETWORK, int(self.clock()), them, me,
                          peer.local_nonce, USER_AGENT, self.cs.height, True))  # fmt: skip

    async def _run_peer(self, peer: Peer) -> None:
        """Read, check and handle frames until the connection ends; never raises."""
        reader = peer.reader
        magic = self.params.magic
        try:
            while not peer.disconnecting:
                raw = await reader.readexactly(HEADER_LEN)
                try:
                    header = decode_header(magic, raw)
                except DecodeError as exc:
                    self.misbehaving(peer, exc.score, str(exc))
                    peer.disconnect(f"unreadable stream: {exc}")
                    break
                payload = await reader.readexactly(header.length) if header.length else b""
                size = HEADER_LEN + header.length
                peer.note_received(header.command, size)
                self.totals_recv += size
                try:
                    header.check_payload(payload)
                    msg = decode_message(header.command, payload)
                except DecodeError as exc:
                    self.misbehaving(peer, exc.score, str(exc))
                    continue
                if msg is None:
                    log.debug("%r: ignoring unknown command %r", peer, header.command)
                    continue
                self._rate_check(peer)
                peer.busy_since = time.monotonic()
                try:
                    await self.handlers.handle(peer, msg)
                except Misbehaving as exc:
                    self.misbehaving(peer, exc.score, exc.reason)
                finally:
                    peer.busy_total += time.monotonic() - peer.busy_since
                    peer.busy_since = 0.0
                await peer.wait_writable()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            peer.disconnect("connection closed by peer")
        except asyncio.CancelledError:
            peer.disconnect(peer.disconnect_reason or "cancelled")
        except Exception:
            log.exception("%r: unexpected error; disconnecting", peer)
            peer.disconnect("internal error")
        finally:
            self._remove_peer(peer)

    def _remove_peer(self, peer: Peer) -> None:
        peer.disconnect(peer.disconnect_reason or "closed")
        if self.peers.pop(peer.id, None) is None:
            return
        self.totals_sent += peer.stats.bytes_sent
        self.local_nonces.discard(peer.local_nonce)
        self.sync.peer_gone(peer)
        self.blocks.peer_gone(peer)
        self.txs.peer_gone(peer)
        log.info("peer %d gone (%s)", peer.id, peer.disconnect_reason)

    def _rate_check(self, peer: Peer) -> None:
        window = int(time.monotonic())
        if window != peer.msg_window:
            peer.msg_window, peer.msg_count = window, 0
        peer.msg_count += 1
        if peer.msg_count == self.config.max_msgs_per_sec + 1:
            self.misbehaving(peer, 20, f"more than {self.config.max_msgs_per_sec} messages/s")

    def misbehaving(self, peer: Peer, score: int, reason: str) -> None:
        """Add `score` to the peer's misbehaviour; at 100 ban its address and disconnect."""
        if score <= 0:
            return
        peer.misbehavior += score
        log.warning("%r misbehaving (score %d, +%d): %s", peer, peer.misbehavior, score, reason)
        if peer.misbehavior < BAN_THRESHOLD or peer.disconnecting:
            return
        if peer.manual:
            log.warning("not banning manually connected %r", peer)
            return
        self.ban(str(peer.ip), self.config.ban_time, f"misbehaving: {reason}")

    def ban(self, subnet_text: str, seconds: float, reason: str) -> None:
        """Ban a subnet (from now for `seconds`) and drop its connected peers."""
        subnet = parse_subnet(subnet_text)
        now = self.clock()
        self.banlist.ban(subnet, now, now + seconds, reason)
        log.warning("banned %s until %d: %s", subnet, int(now + seconds), reason)
        for peer in list(self.peers.values()):
            if peer.ip.version == subnet.version and peer.ip in subnet:
                peer.disconnect(f"banned ({reason})")

    # ------------------------------------------------------------------ maintenance

    async def _maintenance(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            try:
                self._tick(self.clock())
            except Exception:  # pragma: no cover - keep the service alive
                log.exception("P2P maintenance failed")

    async def _trickle_loop(self) -> None:
        while True:
            await asyncio.sleep(0.05)
            try:
                self.txs.flush_trickles(time.monotonic())
            except Exception:  # pragma: no cover - keep the service alive
                log.exception("transaction trickle failed")

    def _tick(self, now: float) -> None:
        self._check_timeouts(now)
        self.sync.check_stalls(time.monotonic())
        self.sync.log_progress()
        self.txs.tick(now)
        self._open_connections(now)
        if now - self._last_save > ADDRMAN_SAVE_INTERVAL:
            self._last_save = now
            self.save()

    def _check_timeouts(self, now: float) -> None:
        cfg = self.config
        for peer in list(self.peers.values()):
            if peer.disconnecting:
                continue
            age = now - peer.stats.conn_time
            if not peer.handshake_done:
                if age > cfg.handshake_timeout:
                    peer.disconnect("no handshake in time")
                continue
            last = max(peer.stats.last_recv, peer.stats.conn_time)
            if now - last > cfg.timeout:
                peer.disconnect(f"silent for {int(now - last)} s")
                continue
            if peer.ping_nonce and now - peer.ping_start > cfg.timeout:
                peer.disconnect("ping timeout")
                continue
            if not peer.ping_nonce and now - peer.ping_start > cfg.ping_interval:
                self.send_ping(peer, now)

    def send_ping(self, peer: Peer, now: float) -> None:
        peer.ping_nonce = self.rng.getrandbits(64) or 1
        peer.ping_start = now
        peer.send(Ping(peer.ping_nonce))

    def _open_connections(self, now: float) -> None:
        for key, (ip, port) in list(self.manual.items()):
            if not self.connected_to(key) and key not in self.local_addrs:
                self._spawn_connect(ip, port, manual=True)
        if self.connect_only:
            return
        missing = self.config.max_outbound - self.outbound_count() - len(self.pending)
        if missing <= 0:
            return
        exclude = {p.addr for p in self.peers.values()} | self.pending | self.local_addrs
        exclude |= set(self.manual)
        for _ in range(missing):
            info = self.addrman.select(now, exclude)
            if info is None:
                return
            exclude.add(info.key)
            if self.banlist.is_banned(info.addr.ip, now):
                continue
            self._spawn_connect(info.addr.ip, info.addr.port, manual=False)

    def _spawn_connect(self, ip: IPAddress, port: int, *, manual: bool) -> None:
        key = format_hostport(ip, port)
        if key in self.pending:
            return
        self.pending.add(key)

        async def run() -> None:
            self.pending.discard(key)
            await self.connect(ip, port, manual=manual)
            if key in self.onetry:
                self.onetry.discard(key)
                self.manual.pop(key, None)

        self.spawn(run(), f"p2p-connect-{key}")

    # ------------------------------------------------------------------ totals

    def bytes_sent(self) -> int:
        return self.totals_sent + sum(p.stats.bytes_sent for p in self.peers.values())

    def bytes_recv(self) -> int:
        return self.totals_recv
