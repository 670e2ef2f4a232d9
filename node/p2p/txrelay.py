"""Transaction and vote relay: announcements, requests, acceptance and serving.

- **Transactions**: every transaction the mempool accepts (from RPC, a peer or a reorg) is
  queued for each peer that did not announce it and whose `feefilter` it meets, and sent as
  `inv` at random (Poisson) intervals per peer ("trickling": mean 2 s outbound, 5 s inbound
  as in Bitcoin Core). An announced transaction we lack is requested from one announcer at a
  time; after 60 s or a `notfound` the next announcer is asked. Received transactions go to
  the mempool; the parents of an orphan are requested from the same peer. `mempool` is
  answered with an inv of the pool; `feefilter` is sent at the handshake and when our
  minimum fee changes.
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
MAX_ANNOUNCERS = 8
MAX_TRACKED_TXS = 100_000
INVENTORY_BROADCAST_MAX = 5000
FEEFILTER_INTERVAL = 60.0
HONEST_CONSENSUS_REASONS = frozenset((
    "bad-txns-premature-spend-of-coinbase", "bad-txns-nonfinal", "non-BIP68-final",
    "bad-txns-inputs-missingorspent",
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
            peer.send(FeeFilter(self._min_feerate()))

    # ------------------------------------------------------------------ announcing

    def _min_feerate(self) -> int:
        pool = self.pool
        if pool is None:
            return 0
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
        if self.pool is not None and now - self._feefilter_at > FEEFILTER_INTERVAL:
            self._feefilter_at = now
            rate = self._min_feerate()
            for peer in self.svc.handshaked():
                peer.send(FeeFilter(rate))

    # ------------------------------------------------------------------ requesting

    def _have_tx(self, txid: bytes) -> bool:
        pool = self.pool
        return pool is None or txid in pool or txid in pool.orphans or txid in self.recent_rejects

    def _request(self, peer: Peer, txids: list[bytes]) -> None:
        mono = time.monotonic()
        for txid in txids:
            self.requests[txid] = (peer.id, mono)
            peer.requested_txs.add(txid)
        peer.send(GetData.of(InvType.TX, txids))

    def _request_next(self, txid: bytes) -> None:
        queue = self.announcers.get(txid)
        while queue:
            peer = self.svc.peers.get(queue.pop(0))
            if peer is not None and peer.handshake_done:
                self._request(peer, [txid])
                return
        self.announcers.pop(txid, None)

    def on_inv_tx(self, peer: Peer, txids: list[bytes]) -> None:
        wanted = []
        for txid in txids:
            peer.known_inv.add(txid)
            if self._have_tx(txid):
                continue
            if txid in self.requests:
                queue = self.announcers.setdefault(txid, [])
                if len(queue) < MAX_ANNOUNCERS and peer.id not in queue:
                    queue.append(peer.id)
                continue
            if len(self.requests) >= MAX_TRACKED_TXS:
                break
            wanted.append(txid)
        if wanted:
            self._request(peer, wanted)

    def on_notfound(self, peer: Peer, items: list[InvItem]) -> None:
        for item in items:
            if item.type == InvType.TX and self.requests.get(item.hash, (0, 0))[0] == peer.id:
                del self.requests[item.hash]
                peer.requested_txs.discard(item.hash)
                self._request_next(item.hash)
            elif item.type == InvType.VOTE:
                peer.requested_votes.discard(item.hash)

    def _accept(self, tx: Tx) -> MempoolReject | None:
        assert self.pool is not None
        try:
            self.pool.accept(tx)
        except MempoolReject as exc:
            return exc
        return None

    async def on_tx(self, peer: Peer, tx: Tx) -> None:
        txid = tx.txid
        if txid not in peer.requested_txs:
            raise Misbehaving(20, f"unrequested tx {txid.hex()}")
        peer.requested_txs.discard(txid)
        peer.known_inv.add(txid)
        if self.requests.get(txid, (0, 0))[0] == peer.id:
            del self.requests[txid]
        self.announcers.pop(txid, None)
        if self.pool is None or self._have_tx(txid):
            return
        error = await self.svc.run_chain(self._accept, tx)
        if error is None:
            self.accepted_from_peers += 1
            return
        if isinstance(error, MissingInputs):
            parents = sorted({i.prevout.txid for i in tx.inputs})
            parents = [p for p in parents if not self._have_tx(p) and p not in self.requests]
            if parents:
                self._request(peer, parents[: self.svc.config.max_orphan_requests])
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
        txids = [i.hash for i in items if i.type == InvType.TX]
        missing = [i for i in items if i.type not in (InvType.TX, InvType.VOTE)]
        if txids:
            for txid, tx in await self.svc.run_chain(self._lookup, txids):
                if tx is None:
                    missing.append(InvItem(int(InvType.TX), txid))
                else:
                    peer.send(TxMessage(tx))
        votes = self.svc.votes
        for item in items:
            if item.type != InvType.VOTE:
                continue
            rv = votes.get(item.hash) if votes is not None else None
            if rv is None:
                missing.append(item)
            else:
                peer.send(VoteMessage(rv))
        if missing:
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
        for vid in ids:
            peer.known_inv.add(vid)
            if not votes.has(vid) and vid not in peer.requested_votes:
                peer.requested_votes.add(vid)
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
        if vid not in peer.requested_votes:
            raise Misbehaving(20, f"unrequested vote {vid.hex()}")
        peer.requested_votes.discard(vid)
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
