"""Message dispatch: the handshake (version/verack, self-connection detection), ping/pong,
addr/getaddr, and routing of every other message to sync, block relay or tx relay.

Before `version` only `version` is accepted (anything else scores 10); between `version` and
`verack` other messages are ignored, as in Bitcoin Core.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from node.p2p.errors import Misbehaving
from node.p2p.messages import (
    Addr,
    BlockMessage,
    BlockTxn,
    CmpctBlock,
    FeeFilter,
    GetAddr,
    GetBlockTxn,
    GetData,
    GetHeaders,
    Headers,
    Inv,
    InvItem,
    MempoolRequest,
    Message,
    NotFound,
    Opaque,
    Ping,
    Pong,
    Reject,
    SendCmpct,
    TxMessage,
    Verack,
    Version,
    VoteMessage,
)
from node.p2p.netaddr import PeerAddress, format_hostport
from node.p2p.protocol import MIN_PEER_PROTO_VERSION, InvType
from node.params import MAX_MONEY

if TYPE_CHECKING:
    from node.p2p.peer import Peer
    from node.p2p.service import P2PService

log = logging.getLogger(__name__)

ADDR_RATE = 0.1
"""Addresses per second a peer may send us (Core's token bucket), burst `ADDR_BURST`."""
ADDR_BURST = 1000.0
ADDR_RELAY_MAX = 10
ADDR_RELAY_PEERS = 2


class Handlers:
    """Routes each decoded message of a peer to the code that handles it."""

    def __init__(self, svc: P2PService) -> None:
        self.svc = svc
        self._table: dict[type[Message], Callable[[Peer, Any], Awaitable[None] | None]] = {
            Version: self.on_version,
            Verack: self.on_verack,
            Ping: self.on_ping,
            Pong: self.on_pong,
            Addr: self.on_addr,
            GetAddr: self.on_getaddr,
            Inv: self.on_inv,
            GetData: self.on_getdata,
            NotFound: lambda p, m: svc.txs.on_notfound(p, list(m.items)),
            GetHeaders: svc.sync.on_getheaders,
            Headers: svc.sync.on_headers,
            BlockMessage: lambda p, m: svc.sync.on_block(p, m.block),
            TxMessage: lambda p, m: svc.txs.on_tx(p, m.tx),
            MempoolRequest: lambda p, m: svc.txs.on_mempool(p),
            FeeFilter: self.on_feefilter,
            SendCmpct: self.on_sendcmpct,
            CmpctBlock: svc.blocks.on_cmpctblock,
            GetBlockTxn: svc.blocks.on_getblocktxn,
            BlockTxn: svc.blocks.on_blocktxn,
            VoteMessage: lambda p, m: svc.txs.on_vote(p, m.vote),
            Reject: self.on_reject,
            Opaque: lambda p, m: None,
        }

    async def handle(self, peer: Peer, msg: Message) -> None:
        if peer.version is None and not isinstance(msg, Version):
            raise Misbehaving(10, f"{msg.command or 'message'} before version")
        if not peer.verack_received and not isinstance(msg, Version | Verack):
            log.debug("%r: ignoring %s before verack", peer, msg.command)
            return
        handler = self._table.get(type(msg))
        if handler is None:  # pragma: no cover - every decodable type is in the table
            return
        result = handler(peer, msg)
        if result is not None:
            await result

    # ------------------------------------------------------------------ handshake

    def on_version(self, peer: Peer, msg: Version) -> None:
        svc = self.svc
        if peer.version is not None:
            raise Misbehaving(1, "redundant version message")
        if msg.nonce in svc.local_nonces and peer.inbound:
            for other in svc.peers.values():
                if other.local_nonce == msg.nonce and not other.inbound:
                    svc.local_addrs.add(other.addr)
                    other.disconnect("connected to self")
            peer.disconnect("connected to self")
            return
        if msg.version < MIN_PEER_PROTO_VERSION:
            peer.disconnect(f"obsolete protocol version {msg.version}")
            return
        peer.version = msg
        peer.relay_txs = msg.relay
        if peer.inbound:
            svc.send_version(peer)
            if msg.addr_from.port:
                now = svc.clock()
                advertised = PeerAddress(peer.ip, msg.addr_from.port, msg.services, int(now))
                svc.addrman.add([advertised], peer.ip, now)
        peer.send(Verack())

    def on_verack(self, peer: Peer, msg: Verack) -> None:
        svc = self.svc
        if peer.verack_received:
            return
        peer.verack_received = True
        version = peer.version
        assert version is not None
        log.info("handshake with %r: version %d, %s, height %d", peer, version.version,
                 version.user_agent, version.start_height)  # fmt: skip
        now = svc.clock()
        if not peer.inbound:
            svc.addrman.good(PeerAddress(peer.ip, peer.port, version.services), now)
            peer.send(GetAddr())
        peer.addr_tokens = ADDR_BURST
        peer.addr_refill = time.monotonic()
        peer.send(SendCmpct(True, 1))
        svc.txs.after_handshake(peer)
        svc.sync.start(peer)
        svc.send_ping(peer, now)
        tip = svc.cs.tip
        if version.start_height < tip.height:
            svc.blocks.announce()

    def on_ping(self, peer: Peer, msg: Ping) -> None:
        peer.send(Pong(msg.nonce))

    def on_pong(self, peer: Peer, msg: Pong) -> None:
        if not peer.ping_nonce or msg.nonce != peer.ping_nonce:
            return
        rtt = max(0.0, self.svc.clock() - peer.ping_start)
        peer.ping_time = rtt
        peer.min_ping = rtt if peer.min_ping is None else min(peer.min_ping, rtt)
        peer.ping_nonce = 0

    # ------------------------------------------------------------------ addresses

    def on_addr(self, peer: Peer, msg: Addr) -> None:
        svc = self.svc
        mono = time.monotonic()
        peer.addr_tokens = min(ADDR_BURST, peer.addr_tokens + (mono - peer.addr_refill) * ADDR_RATE)
        peer.addr_refill = mono
        now = svc.clock()
        accepted: list[PeerAddress] = []
        for a in msg.addresses:
            if peer.addr_tokens < 1:
                break
            peer.addr_tokens -= 1
            stamp = a.time if 100_000_000 < a.time <= now + 600 else int(now) - 5 * 86400
            accepted.append(PeerAddress(a.ip, a.port, a.services, stamp))
        svc.addrman.add(accepted, peer.ip, now)
        fresh = [a for a in accepted if now - a.time < 600]
        if fresh and len(msg.addresses) <= ADDR_RELAY_MAX:
            others = [p for p in svc.handshaked() if p is not peer]
            for other in svc.rng.sample(others, min(ADDR_RELAY_PEERS, len(others))):
                other.send(Addr(tuple(fresh)))

    def on_getaddr(self, peer: Peer, msg: GetAddr) -> None:
        if not peer.inbound or peer.getaddr_answered:
            return
        peer.getaddr_answered = True
        svc = self.svc
        # not the peer's own address, nor ours as it sees us
        skip = {peer.addr, *(format_hostport(peer.ip, port) for _, port in svc.listening)}
        if peer.version is not None and peer.version.addr_from.port:
            skip.add(format_hostport(peer.ip, peer.version.addr_from.port))
        addrs = [a for a in svc.addrman.get_addr(svc.clock()) if a.key not in skip]
        peer.send(Addr(tuple(addrs)))

    # ------------------------------------------------------------------ inventory

    async def on_inv(self, peer: Peer, msg: Inv) -> None:
        txs: list[bytes] = []
        votes: list[bytes] = []
        blocks: list[bytes] = []
        for item in msg.items:
            if item.type == InvType.TX:
                txs.append(item.hash)
            elif item.type in (InvType.BLOCK, InvType.CMPCT_BLOCK):
                peer.known_inv.add(item.hash)
                blocks.append(item.hash)
            elif item.type == InvType.VOTE:
                votes.append(item.hash)
        if blocks:
            self.svc.sync.on_block_inv(peer, blocks)
        if votes:
            self.svc.txs.on_inv_vote(peer, votes)
        if txs:
            await self.svc.txs.on_inv_tx(peer, txs)

    async def on_getdata(self, peer: Peer, msg: GetData) -> None:
        blocks: list[InvItem] = []
        others: list[InvItem] = []
        for item in msg.items:
            if item.type in (InvType.BLOCK, InvType.CMPCT_BLOCK):
                blocks.append(item)
            else:
                others.append(item)
        if blocks:
            await self.svc.blocks.serve(peer, blocks)
        if others:
            await self.svc.txs.serve(peer, others)

    # ------------------------------------------------------------------ preferences

    def on_feefilter(self, peer: Peer, msg: FeeFilter) -> None:
        if msg.feerate > MAX_MONEY:
            raise Misbehaving(10, f"feefilter {msg.feerate} above MAX_MONEY")
        peer.fee_filter = msg.feerate

    def on_sendcmpct(self, peer: Peer, msg: SendCmpct) -> None:
        if msg.version != 1:
            return
        peer.supports_cmpct = True
        peer.wants_cmpct = msg.announce

    def on_reject(self, peer: Peer, msg: Reject) -> None:
        log.info("%r rejected our %s: %s (code %d) %s", peer, msg.message, msg.reason, msg.code,
                 msg.data.hex())  # fmt: skip
