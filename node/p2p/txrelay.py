"""Transaction and vote relay: announcements, requests, acceptance and serving.

- **Transactions**: every transaction the mempool accepts (from RPC, a peer or a reorg) is
  queued for each peer that did not announce it and whose `feefilter` it meets, and sent as
  `inv` at random (Poisson) intervals per peer ("trickling": mean 2 s outbound, 5 s inbound
  as in Bitcoin Core). An announced transaction we lack is requested from one announcer at a
  time; after 60 s or a `notfound` the next announcer is asked. At most MAX_REQUESTED_TXS
  requests to one peer are outstanding (further announcements from it are not followed, as
  Core caps announcements per peer), so one peer cannot fill the request table. Received
  transactions go to the mempool; the parents of an orphan are requested from the same peer.
  `mempool` is answered with an inv of the pool; `feefilter` is sent at the handshake and
  every minute.
- Mempool membership and acceptance run on the P2P worker thread (they may need the
  chainstate lock, which a long reorg holds); the event loop never touches the pool.
- **Votes**: relayed at once (no trickling, a block needs them within one spacing): a vote
  accepted by the vote pool is announced with inv type `vote`, requested with `getdata` and
  sent with the `vote` command; the inventory hash is `H(RelayedVote)`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import blake3

from node.chain.events import ChainEvent, TipChanged
from node.mempool.errors import AlreadyKnown, ConsensusReject, MempoolReject, MissingInputs
from node.mempool.events import MempoolEvent, TxAdded
from node.p2p.errors import Misbehaving
from node.p2p.messages import FeeFilter, GetData, Inv, InvItem, NotFound, TxMessage, VoteMessage
from node.p2p.peer import MAX_TX_QUEUE, BoundedSet
from node.p2p.protocol import MAX_INV, InvType
from node.stake.errors import BadVoteSig, StakeError
from node.stake.votes import RelayedVote
from node.types.tx import Tx

if TYPE_CHECKING:
    from node.p2p.peer import Peer
    from node.p2p.service import P2PService

log = logging.getLogger(__name__)

TX_REQUEST_TIMEOUT = 60.0
"""After this long the next announcer is asked (the first may still answer)."""
REQUEST_EXPIRY = 600.0
"""A peer's request unanswered this long is forgotten (and no longer counts against it)."""
MAX_ANNOUNCERS = 8
MAX_TRACKED_TXS = 100_000
INVENTORY_BROADCAST_MAX = 5000
FEEFILTER_INTERVAL = 60.0
HONEST_CONSENSUS_REASONS = frozenset((
    "bad-txns-premature-spend-of-coinbase", "bad-txns-nonfinal", "non-BIP68-final",
    "bad-txns-inputs-missingorspent",
    # stake rules read the ticket pool at the tip (SPEC §5.2): price windows, ticket states
    "bad-ticket-price", "bad-revoke-live", "bad-revoke-state", "spend-of-live-ticket",
    "bad-txns-premature-spend-of-ticket", "bad-ticket-spend-needs-revoke",
))  # fmt: skip
"""Consensus rejects an honest peer can cause when its tip differs from ours (not scored)."""
BAD_VOTE_SCORE = 50


class VotePoolLike(Protocol):
    """The vote pool on `node.votes` (node.mempool.votes.VotePool)."""

    def add(self, rv: RelayedVote) -> bool: ...

    def get(self, vote_id: bytes) -> RelayedVote | None: ...

    def has(self, vote_id: bytes) -> bool: ...

    def subscribe(self, callback: Callable[[RelayedVote], None]) -> Any: ...


def vote_id(rv: RelayedVote) -> bytes:
    """The inventory hash of a relayed vote: H(its 130-byte encoding)."""
    return blake3.blake3(rv.serialize()).digest()


def feerate_of(fee: int, size: int) -> int:
    return fee * 1000 // max(size, 1)


class TxRelay:
    """Transaction and vote relay state (module docstring)."""

    def __init__(self, svc: P2PService) -> None:
        self.svc = svc
        self.pool = svc.mempool
        self.rng = random.Random()
        self.requests: dict[bytes, tuple[int, float]] = {}
        """txid -> (peer id, when) of the outstanding request."""
        self.announcers: dict[bytes, list[int]] = {}
        self.recent_rejects = BoundedSet(50_000)
        self._feefilter_at = 0.0
        self.feerate = self.pool.min_relay_feerate if self.pool is not None else 0
        """Our minimum feerate as last computed on the worker (what `feefilter` carries)."""
        self.accepted_from_peers = 0

    def subscribe(self) -> None:
        svc = self.svc
        if self.pool is not None:
            svc.on_stop(self.pool.events.subscribe(self._on_pool_event))
        svc.on_stop(svc.cs.events.subscribe(self._on_chain_event))
        if svc.votes is not None:
            result = svc.votes.subscribe(lambda rv: svc.on_loop(self.announce_vote, rv, None))
            if callable(result):
                svc.on_stop(result)

    def _on_pool_event(self, event: MempoolEvent) -> None:
        if isinstance(event, TxAdded):
            entry = event.entry
            self.svc.on_loop(self.queue_tx, entry.tx.txid, feerate_of(entry.fee, entry.size))

    def _on_chain_event(self, event: ChainEvent) -> None:
        if isinstance(event, TipChanged):
            self.svc.on_loop(self.recent_rejects.clear)

    def peer_gone(self, peer: Peer) -> None:
        for txid in [t for t, (pid, _) in self.requests.items() if pid == peer.id]:
            del self.requests[txid]
            self._request_next(txid)

    def after_handshake(self, peer: Peer) -> None:
        peer.next_trickle = time.monotonic() + self._trickle_delay(peer)
        if self.pool is not None:
            peer.send(FeeFilter(self.feerate))

    # ------------------------------------------------------------------ announcing

    def _min_feerate(self) -> int:
        pool = self.pool
        if pool is None:
            return 0
        with self.svc.cs.lock:  # the rolling minimum fee changes as the pool does
            return max(pool.min_fee_rate(), pool.min_relay_feerate)

    def _trickle_delay(self, peer: Peer) -> float:
        cfg = self.svc.config
        mean = cfg.tx_trickle_inbound if peer.inbound else cfg.tx_trickle_outbound
        return self.rng.expovariate(1.0 / mean) if mean > 0 else 0.0

    def queue_tx(self, txid: bytes, feerate: int) -> None:
        self.announcers.pop(txid, None)
        self.requests.pop(txid, None)
        for peer in self.svc.handshaked():
            if not peer.relay_txs or txid in peer.known_inv:
                continue
            peer.tx_queue[txid] = feerate
            if len(peer.tx_queue) > MAX_TX_QUEUE:
                peer.tx_queue.popitem(last=False)

    def flush_trickles(self, now: float) -> None:
        for peer in self.svc.handshaked():
            if not peer.tx_queue or now < peer.next_trickle:
                continue
            peer.next_trickle = now + self._trickle_delay(peer)
            out: list[bytes] = []
            while peer.tx_queue and len(out) < INVENTORY_BROADCAST_MAX:
                txid, feerate = peer.tx_queue.popitem(last=False)
                if feerate < peer.fee_filter or txid in peer.known_inv:
                    continue
                peer.known_inv.add(txid)
                out.append(txid)
            if out:
                peer.send(Inv.of(InvType.TX, out))

    def tick(self, now: float) -> None:
        mono = time.monotonic()
        for txid, (_, asked) in list(self.requests.items()):
            if mono - asked > TX_REQUEST_TIMEOUT:
                del self.requests[txid]
                self._request_next(txid)
        for peer in list(self.svc.peers.values()):
            peer.requested_txs.expire(mono - REQUEST_EXPIRY)
            peer.requested_votes.expire(mono - REQUEST_EXPIRY)
        if self.pool is not None and now - self._feefilter_at > FEEFILTER_INTERVAL:
            self._feefilter_at = now
            self.svc.spawn(self.refresh_feefilter(), "p2p-feefilter")

    async def refresh_feefilter(self) -> None:
        """Compute our minimum feerate on the worker and send it to every peer."""
        self.feerate = await self.svc.run_chain(self._min_feerate)
        for peer in self.svc.handshaked():
            peer.send(FeeFilter(self.feerate))

    # ------------------------------------------------------------------ requesting

    def _in_pool(self, txid: bytes) -> bool:
        """Whether the pool or its orphans hold `txid` (worker thread: may take cs.lock)."""
        pool = self.pool
        return pool is None or txid in pool or txid in pool.orphans

    def _unknown(self, txids: list[bytes]) -> list[bytes]:
        return [t for t in txids if not self._in_pool(t)]

    def _request(self, peer: Peer, txids: list[bytes]) -> None:
        mono = time.monotonic()
        for txid in txids:
            self.requests[txid] = (peer.id, mono)
            peer.requested_txs.add(txid, mono)
        peer.send(GetData.of(InvType.TX, txids))

    def _add_announcer(self, peer: Peer, txid: bytes) -> None:
        queue = self.announcers.setdefault(txid, [])
        if len(queue) < MAX_ANNOUNCERS and peer.id not in queue:
            queue.append(peer.id)

    def _request_next(self, txid: bytes) -> None:
        queue = self.announcers.get(txid)
        while queue:
            peer = self.svc.peers.get(queue.pop(0))
            if peer is not None and peer.handshake_done:
                self._request(peer, [txid])
                return
        self.announcers.pop(txid, None)

    async def on_inv_tx(self, peer: Peer, txids: list[bytes]) -> None:
        fresh: dict[bytes, None] = {}
        for txid in txids:
            peer.known_inv.add(txid)
            if txid in self.recent_rejects or txid in peer.requested_txs:
                continue
            if txid in self.requests:
                self._add_announcer(peer, txid)
                continue
            fresh[txid] = None
        room = min(peer.requested_txs.room(), MAX_TRACKED_TXS - len(self.requests))
        if self.pool is None or room <= 0 or not fresh:
            return
        unknown = await self.svc.run_chain(self._unknown, list(fresh)[:room])
        wanted = []
        for txid in unknown:  # another peer may have been asked while the worker looked
            if txid in self.requests:
                self._add_announcer(peer, txid)
            elif txid not in self.recent_rejects:
                wanted.append(txid)
        wanted = wanted[: peer.requested_txs.room()]
        if wanted and not peer.disconnecting:
            self._request(peer, wanted)

    def on_notfound(self, peer: Peer, items: list[InvItem]) -> None:
        for item in items:
            if item.type == InvType.TX:
                peer.requested_txs.pop(item.hash)
                if self.requests.get(item.hash, (0, 0))[0] == peer.id:
                    del self.requests[item.hash]
                    self._request_next(item.hash)
            elif item.type == InvType.VOTE:
                peer.requested_votes.pop(item.hash)

    def _accept(self, tx: Tx) -> tuple[MempoolReject | None, list[bytes]]:
        """Offer `tx` to the mempool (worker thread): the rejection, if any, and for an
        orphan the parents neither the pool nor the orphan pool holds."""
        assert self.pool is not None
        if self._in_pool(tx.txid):
            return AlreadyKnown("txn-already-known", tx.txid.hex()), []
        try:
            self.pool.accept(tx)
        except MissingInputs as exc:
            parents = sorted({i.prevout.txid for i in tx.inputs})
            return exc, [p for p in parents if not self._in_pool(p)]
        except MempoolReject as exc:
            return exc, []
        return None, []

    async def on_tx(self, peer: Peer, tx: Tx) -> None:
        txid = tx.txid
        if not peer.requested_txs.pop(txid):
            raise Misbehaving(20, f"unrequested tx {txid.hex()}")
        peer.known_inv.add(txid)
        if self.requests.get(txid, (0, 0))[0] == peer.id:
            del self.requests[txid]
        self.announcers.pop(txid, None)
        if self.pool is None or txid in self.recent_rejects:
            return
        error, parents = await self.svc.run_chain(self._accept, tx)
        if error is None:
            self.accepted_from_peers += 1
            peer.last_tx_time = time.monotonic()
            return
        if isinstance(error, MissingInputs):
            skip = (self.requests, peer.requested_txs, self.recent_rejects)
            parents = [p for p in parents if not any(p in known for known in skip)]
            room = min(peer.requested_txs.room(), self.svc.config.max_orphan_requests)
            if parents and room > 0 and not peer.disconnecting:
                self._request(peer, parents[:room])
            return
        if isinstance(error, AlreadyKnown):
            return
        self.recent_rejects.add(txid)
        log.debug("tx %s from %r rejected: %s", txid.hex(), peer, error)
        if isinstance(error, ConsensusReject) and error.reason not in HONEST_CONSENSUS_REASONS:
            raise Misbehaving(100, f"invalid tx {txid.hex()}: {error.reason}")
        if error.reason.startswith("mandatory-script-verify"):
            raise Misbehaving(100, f"invalid tx {txid.hex()}: {error.reason}")

    # ------------------------------------------------------------------ serving

    def _lookup(self, txids: list[bytes]) -> list[tuple[bytes, Tx | None]]:
        pool = self.pool
        if pool is None:
            return [(t, None) for t in txids]
        with self.svc.cs.lock:
            return [(t, e.tx if (e := pool.get(t)) is not None else None) for t in txids]

    async def serve(self, peer: Peer, items: list[InvItem]) -> None:
        """Answer the transaction and vote items of a getdata, only as fast as the peer
        reads (the send buffer stays bounded however much it asks for)."""
        txids = [i.hash for i in items if i.type == InvType.TX]
        missing = [i for i in items if i.type not in (InvType.TX, InvType.VOTE)]
        if txids:
            for txid, tx in await self.svc.run_chain(self._lookup, txids):
                if peer.disconnecting:
                    return
                if tx is None:
                    missing.append(InvItem(int(InvType.TX), txid))
                else:
                    peer.send(TxMessage(tx))
                    await peer.wait_writable()
        votes = self.svc.votes
        for item in items:
            if item.type != InvType.VOTE:
                continue
            rv = votes.get(item.hash) if votes is not None else None
            if rv is None:
                missing.append(item)
            else:
                peer.send(VoteMessage(rv))
                await peer.wait_writable()
        if missing and not peer.disconnecting:
            peer.send(NotFound(tuple(missing)))

    def _snapshot(self) -> list[tuple[bytes, int]]:
        pool = self.pool
        if pool is None:
            return []
        with self.svc.cs.lock:
            return [(t, feerate_of(e.fee, e.size)) for t, e in pool.entries.items()]

    async def on_mempool(self, peer: Peer) -> None:
        entries = await self.svc.run_chain(self._snapshot)
        txids = [t for t, rate in entries if rate >= peer.fee_filter]
        for start in range(0, len(txids), MAX_INV):
            chunk = txids[start : start + MAX_INV]
            for txid in chunk:
                peer.known_inv.add(txid)
                peer.tx_queue.pop(txid, None)
            peer.send(Inv.of(InvType.TX, chunk))
            await peer.wait_writable()

    # ------------------------------------------------------------------ votes

    def announce_vote(self, rv: RelayedVote, source: Peer | None) -> None:
        vid = vote_id(rv)
        for peer in self.svc.handshaked():
            if peer is source or vid in peer.known_inv:
                continue
            peer.known_inv.add(vid)
            peer.send(Inv.of(InvType.VOTE, [vid]))

    def on_inv_vote(self, peer: Peer, ids: list[bytes]) -> None:
        votes = self.svc.votes
        if votes is None:
            return
        wanted = []
        mono = time.monotonic()
        for vid in ids:
            peer.known_inv.add(vid)
            if peer.requested_votes.room() <= 0:
                continue
            if not votes.has(vid) and vid not in peer.requested_votes:
                peer.requested_votes.add(vid, mono)
                wanted.append(vid)
        if wanted:
            peer.send(GetData.of(InvType.VOTE, wanted))

    def _add_vote(self, rv: RelayedVote) -> bool | StakeError:
        votes = self.svc.votes
        assert votes is not None
        try:
            return votes.add(rv)
        except StakeError as exc:
            return exc

    async def on_vote(self, peer: Peer, rv: RelayedVote) -> None:
        vid = vote_id(rv)
        if not peer.requested_votes.pop(vid):
            raise Misbehaving(20, f"unrequested vote {vid.hex()}")
        peer.known_inv.add(vid)
        if self.svc.votes is None:
            return
        result = await self.svc.run_chain(self._add_vote, rv)
        if isinstance(result, BadVoteSig):
            raise Misbehaving(BAD_VOTE_SCORE, f"vote {vid.hex()}: {result}")
        if isinstance(result, StakeError):
            log.debug("vote %s from %r not accepted: %s", vid.hex(), peer, result)
            return
        if result:
            self.announce_vote(rv, peer)
