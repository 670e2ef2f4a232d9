"""`StakeRules`: the ticket pool as a chain extension (node.chain.extensions).

Inside each block's LMDB write transaction it enforces SPEC §5.2-§5.4 against the pool as it
was *before* the block, then applies the block to the pool:

1. the lottery for the block's parent and every vote rule (`check_block_votes`);
2. TICKET_PURCHASE at the current price, TICKET_REVOKE of MISSED/EXPIRED tickets only,
   SLASH evidence, and the stake-spend rules for every input spending a ticket's stake
   (including a stake bought earlier in the same block: IMMATURE, unspendable);
3. `TicketPool.apply_block`; slashed stakes are burned (their UTXO deleted, kept in the undo
   record); the touched tickets' records go into the state trie under ``b"tckt"``;
4. the undo record (pool undo + burned coins) under ``ticket_undo_key(block_hash)``.

It returns the `CoinbaseTerms` (one stake output per vote, to each ticket's reward script)
that the chain's coinbase check then enforces. `read_pool` opens a read-only pool view for
the miner, the mempool, the wallet and the RPC.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Self

from node.chain.extensions import CoinbaseTerms
from node.params import ChainParams
from node.stake.errors import BadVoteSig, SpendOfLiveTicket, TicketPoolCorrupt
from node.stake.pool import PoolUndo, TicketPool, trie_changes
from node.stake.revoke import check_stake_spend, check_ticket_revoke, revoke_ticket_id
from node.stake.rewards import check_stake_rewards, stake_scripts
from node.stake.slash import check_slash, slash_payload, slashed_ticket_id
from node.stake.store import LmdbTicketStore
from node.stake.tickets import STAKE_VOUT, Ticket, ticket_from_purchase
from node.stake.votes import check_block_votes
from node.storage.env import ChainDB
from node.storage.errors import CorruptRecord, StorageError
from node.storage.records import Coin
from node.storage.schema import DB_TICKETS, state_ticket_key, state_utxo_key, ticket_undo_key
from node.storage.txn import ReadTxn, WriteTxn
from node.types import ByteReader, ByteWriter, SerializationError
from node.types.block import Block
from node.types.codec import Serializable
from node.types.tx import OutPoint, TxType

__all__ = ["StakeRules", "StakeUndo", "read_pool"]

WRONG_PARENT_DEPTH = 3
"""How far back a vote's real parent is looked for to report bad-vote-parent."""


@dataclass(frozen=True, slots=True)
class StakeUndo(Serializable):
    """What disconnecting a block must restore on the stake side: the pool undo and the
    stakes its SLASH transactions burned. Wire: ``bytes(pool undo) | CompactSize n |
    n x (ticket_id[32] | bytes(coin))``."""

    pool: PoolUndo
    burned: tuple[tuple[bytes, Coin], ...] = ()

    def stream_serialize(self, w: ByteWriter) -> None:
        w.write_var_bytes(self.pool.serialize())
        w.write_compact_size(len(self.burned))
        for tid, coin in self.burned:
            w.write(tid)
            w.write_var_bytes(coin.serialize())

    @classmethod
    def stream_deserialize(cls, r: ByteReader) -> Self:
        pool = PoolUndo.deserialize(r.read_var_bytes(1 << 24, "stake undo pool"))
        burned = []
        for _ in range(r.read_compact_size(10_000, "stake undo burned")):
            tid = r.read(32, "stake undo ticket id")
            burned.append((tid, Coin.deserialize(r.read_var_bytes(20_000, "stake undo coin"))))
        return cls(pool, tuple(burned))


def _pool(txn: ReadTxn, params: ChainParams) -> TicketPool:
    return TicketPool(LmdbTicketStore(txn.kv(DB_TICKETS)), params)


@contextmanager
def read_pool(db: ChainDB, params: ChainParams) -> Iterator[TicketPool]:
    """A read-only view of the pool at the committed tip (valid inside the `with`)."""
    with db.read() as txn:
        yield _pool(txn, params)


class StakeRules:
    """The stake extension of the chainstate (module docstring)."""

    name = "stake"
    tx_types = frozenset((TxType.TICKET_PURCHASE, TxType.TICKET_REVOKE, TxType.SLASH))

    def __init__(self, params: ChainParams) -> None:
        self.params = params

    def init_genesis(self, txn: WriteTxn, genesis: Block) -> None:
        pool = _pool(txn, self.params)
        pool.apply_block(0, genesis.header.prev_hash, (), (), (), ())

    def check_open(self, txn: ReadTxn, tip_height: int) -> None:
        height = _pool(txn, self.params).height
        if height != tip_height:
            raise StorageError(
                f"the ticket pool is at height {height} but the chain tip is at {tip_height}: "
                "this chain database was written without the stake rules (or by another "
                "version); delete chain.lmdb in the network's data directory to resync"
            )

    def connect(
        self,
        txn: WriteTxn,
        block: Block,
        height: int,
        spent: Sequence[tuple[Coin, ...]],
        changes: dict[bytes, bytes | None],
    ) -> CoinbaseTerms:
        params = self.params
        store = LmdbTicketStore(txn.kv(DB_TICKETS))
        pool = TicketPool(store, params)
        if pool.height != height - 1:
            raise TicketPoolCorrupt(f"pool is at height {pool.height}, connecting {height}")
        prev_hash = block.header.prev_hash
        selected = pool.selected_for(prev_hash)
        tickets = {tid: t for tid in selected if (t := pool.get(tid))}
        try:
            vote_tickets = check_block_votes(block, selected, tickets, params, height)
        except BadVoteSig:
            # Rejected either way; say "wrong parent" when a vote is signed for another
            # recent block (only on this failure path does the block index get scanned).
            others = _recent_blocks(txn, height - 1 - WRONG_PARENT_DEPTH, height - 1)
            check_block_votes(block, selected, tickets, params, height, other_parents=others)
            raise
        check_stake_rewards(block, vote_tickets, False, params)

        price = pool.next_price()
        purchases: list[Ticket] = []
        bought: set[bytes] = set()
        revocations: list[bytes] = []
        slashes: list[bytes] = []
        for tx in block.txs[1:]:
            kind = tx.tx_type
            if kind is TxType.TICKET_REVOKE:  # before the spend rule: the clearer reason
                revocations.append(
                    check_ticket_revoke(tx, pool.get(revoke_ticket_id(tx)), params).ticket_id
                )
            for txin in tx.inputs:
                op = txin.prevout
                if op.vout != STAKE_VOUT:
                    continue
                if op.txid in bought:
                    raise SpendOfLiveTicket(f"stake of IMMATURE ticket {op.txid.hex()}")
                ticket = pool.get(op.txid)
                if ticket is not None:
                    check_stake_spend(tx, ticket, height, params)
            if kind is TxType.TICKET_PURCHASE:
                purchases.append(ticket_from_purchase(tx, height, price))
                bought.add(tx.txid)
            elif kind is TxType.SLASH:
                payload = slash_payload(tx)
                tid = slashed_ticket_id(payload)
                slashes.append(
                    check_slash(
                        payload,
                        pool.get(tid),
                        height,
                        lambda h: _height_of(txn, h),
                        stake_unspent=txn.has_coin(OutPoint(tid, STAKE_VOUT)),
                    )
                )
        undo = pool.apply_block(
            height,
            prev_hash,
            purchases,
            [vote.ticket_id for vote in block.votes],
            revocations,
            slashes,
            selected=selected,
        )
        burned: list[tuple[bytes, Coin]] = []
        for tid in undo.slashed:
            op = OutPoint(tid, STAKE_VOUT)
            burned.append((tid, txn.delete_coin(op)))
            changes[state_utxo_key(op)] = None
        for key, value in trie_changes(undo, store, key=state_ticket_key):
            changes[key] = value
        txn.kv(DB_TICKETS).put(
            ticket_undo_key(block.hash), StakeUndo(undo, tuple(burned)).serialize()
        )
        return CoinbaseTerms(len(vote_tickets), stake_scripts(vote_tickets))

    def disconnect(self, txn: WriteTxn, block: Block, height: int) -> None:
        kv = txn.kv(DB_TICKETS)
        key = ticket_undo_key(block.hash)
        raw = kv.get(key)
        if raw is None:
            raise CorruptRecord(f"no stake undo record for block {block.hash.hex()}")
        try:
            undo = StakeUndo.deserialize(raw)
        except SerializationError as exc:
            raise CorruptRecord(f"stake undo of {block.hash.hex()}: {exc}") from None
        TicketPool(LmdbTicketStore(kv), self.params).undo_block(undo.pool)
        for tid, coin in undo.burned:
            txn.put_coin(OutPoint(tid, STAKE_VOUT), coin)
        kv.delete(key)


def _recent_blocks(txn: ReadTxn, low: int, high: int) -> list[bytes]:
    """Hashes of every known block (any branch) with low <= height <= high."""
    return [rec.header.hash for rec in txn.iter_block_index() if low <= rec.header.height <= high]


def _height_of(txn: ReadTxn, block_hash: bytes) -> int | None:
    rec = txn.get_block_index(block_hash)
    return None if rec is None else rec.header.height
