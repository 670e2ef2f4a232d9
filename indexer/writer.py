"""The SQL side of the indexer: apply a run of blocks, or undo the tip block, atomically.

Every call is ONE database transaction that also moves the `IndexerState` watermark, so the
tables always hold exactly the blocks 0..watermark of one chain: a crash or kill loses the
whole transaction or nothing, and a restart continues from watermark + 1 without indexing
anything twice. `apply` refuses blocks that do not extend the watermark (`WatermarkMoved`);
`undo_tip` removes the watermark block using only what SQL holds (its rows, the spent-by
links it set, the address history and ticket events it wrote), so a reorg needs nothing
from the node. Bulk rows go through indexer.sqlops (COPY on Postgres).
"""

# SQL text here is built only from model table/column names, never from input.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from indexer.models import (
    Address,
    AddressTx,
    Block,
    IndexerState,
    Ticket,
    TicketEvent,
    Transaction,
    TxInput,
    TxOutput,
    Vote,
)
from indexer.rows import (
    ADDRESS_TX_COLUMNS,
    BLOCK_COLUMNS,
    INPUT_COLUMNS,
    OUTPUT_COLUMNS,
    TX_COLUMNS,
    VOTE_COLUMNS,
    BlockSummary,
    ScriptInfo,
    TicketRow,
    build_batch,
)
from indexer.sqlops import BulkSql, chunks
from node import api
from node.params import ChainParams

STATE = "main"
T_BLOCK = Block._meta.db_table
T_TX = Transaction._meta.db_table
T_IN = TxInput._meta.db_table
T_OUT = TxOutput._meta.db_table
T_VOTE = Vote._meta.db_table
T_ADDR = Address._meta.db_table
T_ADDRTX = AddressTx._meta.db_table
T_TICKET = Ticket._meta.db_table
T_EVENT = TicketEvent._meta.db_table
T_STATE = IndexerState._meta.db_table


class IndexerError(Exception):
    """The SQL tables and the chain disagree in a way the writer cannot repair itself."""


class WatermarkMoved(IndexerError):
    """The blocks do not extend the watermark (another writer, or the chain moved)."""


@dataclass(frozen=True, slots=True)
class Applied:
    """What one `apply` committed."""

    height: int
    hash: str
    tx_count: int
    blocks: tuple[BlockSummary, ...]


@dataclass(frozen=True, slots=True)
class Undone:
    """The block one `undo_tip` removed, with what it had touched."""

    height: int
    hash: str
    txids: tuple[str, ...]
    addresses: tuple[tuple[str, str], ...]


class IndexWriter:
    """Writes the read-models of one chain into the database `using`."""

    def __init__(self, params: ChainParams, using: str = DEFAULT_DB_ALIAS) -> None:
        self.params = params
        self.using = using
        self.scripts = ScriptInfo(params.bech32_hrp)

    # ------------------------------------------------------------------ watermark

    def state(self) -> tuple[int, str]:
        """(height, tip hash) of the watermark; (-1, "") before the first block."""
        row, _ = IndexerState.objects.using(self.using).get_or_create(name=STATE)
        return row.height, row.tip_hash

    def reindex_request(self) -> int | None:
        row = IndexerState.objects.using(self.using).filter(name=STATE).first()
        return None if row is None else row.reindex_from

    def clear_reindex_request(self) -> None:
        IndexerState.objects.using(self.using).filter(name=STATE).update(reindex_from=None)

    def _bulk(self) -> BulkSql:
        return BulkSql.for_connection(connections[self.using])

    def _locked_state(self, bulk: BulkSql) -> tuple[int, str]:
        lock = " FOR UPDATE" if bulk.connection.vendor == "postgresql" else ""
        rows = bulk.execute(
            f"SELECT height, tip_hash FROM {bulk.q(T_STATE)} WHERE name = %s{lock}", [STATE]
        )
        if not rows:
            raise IndexerError("no indexer state row (call state() first)")
        return rows[0][0], rows[0][1]

    def _set_state(self, bulk: BulkSql, height: int, tip_hash: str) -> None:
        bulk.execute(
            f"UPDATE {bulk.q(T_STATE)} SET height = %s, tip_hash = %s, updated_at = %s "
            "WHERE name = %s",
            [height, tip_hash, timezone.now(), STATE],
        )

    # ------------------------------------------------------------------ connect

    def apply(
        self,
        blocks: Sequence[api.ChainBlock],
        on_commit: Callable[[Applied], None] | None = None,
    ) -> Applied:
        """Index consecutive main-chain `blocks` that extend the watermark, in one
        transaction; `on_commit(applied)` runs after the commit."""
        if not blocks:
            raise ValueError("apply() needs at least one block")
        with transaction.atomic(using=self.using):
            bulk = self._bulk()
            height, tip = self._locked_state(bulk)
            first = blocks[0]
            if first.height != height + 1 or (
                height >= 0 and first.block.header.prev_hash.hex() != tip
            ):
                raise WatermarkMoved(
                    f"block {first.height} {first.hash.hex()} does not extend the watermark "
                    f"{height} {tip or '-'}"
                )
            applied = self._apply(bulk, blocks, height)
            if on_commit is not None:
                transaction.on_commit(lambda: on_commit(applied), using=self.using)
        return applied

    def _apply(self, bulk: BulkSql, blocks: Sequence[api.ChainBlock], height: int) -> Applied:
        supply = pool = 0
        if height >= 0:
            rows = bulk.execute(
                f"SELECT supply, ticket_pool_size FROM {bulk.q(T_BLOCK)} WHERE height = %s",
                [height],
            )
            if not rows:
                raise IndexerError(f"the watermark block {height} has no row")
            supply, pool = rows[0]
        changed = {
            c.ticket_id.hex() for cb in blocks for c in cb.ticket_changes if c.previous is not None
        }
        existing = bulk.fetch_ids(T_TICKET, "ticket_id", changed)
        slashed = {
            c.ticket_id.hex() for cb in blocks for c in cb.ticket_changes if c.status == "slashed"
        }
        block_ids = bulk.alloc_ids(T_BLOCK, len(blocks))
        tx_ids = bulk.alloc_ids(T_TX, sum(len(cb.block.txs) for cb in blocks))
        batch = build_batch(
            blocks,
            self.params,
            self.scripts,
            block_ids=block_ids,
            tx_ids=tx_ids,
            supply=supply,
            pool_size=pool,
            existing_tickets=dict.fromkeys(existing, ""),
            stakes=self._stakes(bulk, slashed),
        )
        bulk.insert(T_BLOCK, BLOCK_COLUMNS, batch.blocks)
        bulk.insert(T_TX, TX_COLUMNS, batch.txs)
        bulk.insert(T_OUT, OUTPUT_COLUMNS, batch.outputs)
        bulk.insert(T_IN, INPUT_COLUMNS, batch.inputs)
        bulk.insert(T_VOTE, VOTE_COLUMNS, batch.votes)
        if batch.spends:
            prev_ids = bulk.fetch_ids(T_TX, "txid", {s[0] for s in batch.spends})
            missing = {s[0] for s in batch.spends} - prev_ids.keys()
            if missing:
                raise IndexerError(f"spent outputs of unindexed transactions: {sorted(missing)}")
            bulk.mark_spent(
                T_OUT, [(prev_ids[p], vout, s, si, h) for p, vout, s, si, h in batch.spends]
            )
        address_ids = bulk.upsert_addresses(T_ADDR, batch.addresses)
        bulk.insert(
            T_ADDRTX,
            ADDRESS_TX_COLUMNS,
            [(address_ids[a], *rest) for a, *rest in batch.address_txs],
        )
        self._write_tickets(bulk, batch.tickets.values(), existing)
        last = blocks[-1]
        self._set_state(bulk, last.height, last.hash.hex())
        return Applied(last.height, last.hash.hex(), batch.tx_count, tuple(batch.summaries))

    def _stakes(self, bulk: BulkSql, ticket_ids: set[str]) -> dict[str, tuple[int, str | None]]:
        """(value, address) of the stakes (output 0) of already indexed tickets."""
        out: dict[str, tuple[int, str | None]] = {}
        wanted = sorted(ticket_ids)
        for part in chunks(wanted):
            marks = ", ".join(["%s"] * len(part))
            rows = bulk.execute(
                f"SELECT t.txid, o.value, o.address FROM {bulk.q(T_OUT)} o JOIN {bulk.q(T_TX)} t "
                f'ON t.id = o.tx_id WHERE o."index" = 0 AND t.txid IN ({marks})',
                part,
            )
            out.update((txid, (value, address)) for txid, value, address in rows)
        return out

    def _write_tickets(
        self, bulk: BulkSql, tickets: Iterable[TicketRow], existing: dict[str, int]
    ) -> None:
        rows = list(tickets)
        if not rows:
            return
        new = [t for t in rows if t.created]
        new_ids = bulk.alloc_ids(T_TICKET, len(new))
        ids = dict(existing)
        ids.update((t.ticket_id, i) for t, i in zip(new, new_ids, strict=True))
        bulk.insert(
            T_TICKET,
            ("id", "ticket_id", "purchase_height", "price", "status", "status_height",
             "reward_address", "vote_block_height"),
            [(ids[t.ticket_id], t.ticket_id, t.purchase_height, t.price, t.status,
              t.status_height, t.reward_address, t.vote_block_height) for t in new],
        )  # fmt: skip
        updates = [
            (t.status, t.status_height, t.vote_block_height, ids[t.ticket_id])
            for t in rows
            if not t.created
        ]
        if updates:
            with bulk.connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {bulk.q(T_TICKET)} SET status = %s, status_height = %s, "
                    "vote_block_height = %s WHERE id = %s",
                    updates,
                )
        bulk.insert(
            T_EVENT,
            ("ticket_id", "height", "status"),
            [(ids[t.ticket_id], h, s) for t in rows for h, s in t.events],
        )

    # ------------------------------------------------------------------ disconnect

    def undo_tip(
        self,
        expected_hash: str | None = None,
        on_commit: Callable[[Undone], None] | None = None,
    ) -> Undone:
        """Remove the watermark block (which must be `expected_hash` when given) and restore
        everything it changed, in one transaction; the watermark moves to its parent."""
        with transaction.atomic(using=self.using):
            bulk = self._bulk()
            height, tip = self._locked_state(bulk)
            if height < 0:
                raise IndexerError("nothing is indexed: no block to undo")
            if expected_hash is not None and tip != expected_hash:
                raise WatermarkMoved(f"the watermark is {tip}, not {expected_hash}")
            undone = self._undo(bulk, height, tip)
            if on_commit is not None:
                transaction.on_commit(lambda: on_commit(undone), using=self.using)
        return undone

    def _undo(self, bulk: BulkSql, height: int, tip: str) -> Undone:
        q = bulk.q
        rows = bulk.execute(f"SELECT id, prev_hash FROM {q(T_BLOCK)} WHERE height = %s", [height])
        if not rows:
            raise IndexerError(f"the watermark block {height} has no row")
        block_id, prev_hash = rows[0]
        txs = f"SELECT id FROM {q(T_TX)} WHERE height = %s"
        txids = tuple(
            r[0]
            for r in bulk.execute(
                f"SELECT txid FROM {q(T_TX)} WHERE height = %s ORDER BY position", [height]
            )
        )
        history = bulk.execute(
            f"SELECT a.address, t.txid FROM {q(T_ADDRTX)} x JOIN {q(T_ADDR)} a "
            f"ON a.id = x.address_id JOIN {q(T_TX)} t ON t.id = x.tx_id WHERE x.height = %s",
            [height],
        )
        sums = bulk.execute(
            f"SELECT address_id, SUM(received), SUM(sent), COUNT(*) FROM {q(T_ADDRTX)} "
            "WHERE height = %s GROUP BY address_id",
            [height],
        )
        created = dict(
            bulk.execute(
                f"SELECT address, COUNT(*) FROM {q(T_OUT)} WHERE tx_id IN ({txs}) "
                "AND address IS NOT NULL GROUP BY address",
                [height],
            )
        )
        spent = dict(
            bulk.execute(
                f"SELECT address, COUNT(*) FROM {q(T_OUT)} WHERE spent_height = %s "
                "AND address IS NOT NULL GROUP BY address",
                [height],
            )
        )
        names = dict(bulk.execute(f"SELECT id, address FROM {q(T_ADDR)} WHERE id IN "
                                  f"(SELECT address_id FROM {q(T_ADDRTX)} WHERE height = %s)",
                                  [height]))  # fmt: skip
        bulk.execute(
            f"UPDATE {q(T_OUT)} SET spent_by_txid = NULL, spent_by_index = NULL, "
            "spent_height = NULL WHERE spent_height = %s",
            [height],
        )
        bulk.execute(f"DELETE FROM {q(T_ADDRTX)} WHERE height = %s", [height])
        updates = []
        for address_id, received, sent, count in sums:
            name = names[address_id]
            utxos = created.get(name, 0) - spent.get(name, 0)
            updates.append((received - sent, received, sent, count, utxos, address_id, address_id))
        with bulk.connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {q(T_ADDR)} SET balance = balance - %s, received = received - %s, "
                "sent = sent - %s, tx_count = tx_count - %s, utxo_count = utxo_count - %s, "
                f"last_seen_height = (SELECT MAX(height) FROM {q(T_ADDRTX)} "
                "WHERE address_id = %s) WHERE id = %s",
                updates,
            )
        emptied = [u[-1] for u in updates]
        for part in chunks(emptied):
            marks = ", ".join(["%s"] * len(part))
            bulk.execute(f"DELETE FROM {q(T_ADDR)} WHERE id IN ({marks}) AND tx_count = 0", part)
        self._undo_tickets(bulk, height)
        bulk.execute(f"DELETE FROM {q(T_IN)} WHERE tx_id IN ({txs})", [height])
        bulk.execute(f"DELETE FROM {q(T_OUT)} WHERE tx_id IN ({txs})", [height])
        bulk.execute(f"DELETE FROM {q(T_VOTE)} WHERE block_id = %s", [block_id])
        bulk.execute(f"DELETE FROM {q(T_TX)} WHERE height = %s", [height])
        bulk.execute(f"DELETE FROM {q(T_BLOCK)} WHERE id = %s", [block_id])
        if height == 0:
            self._set_state(bulk, -1, "")
        else:
            self._set_state(bulk, height - 1, prev_hash)
        return Undone(height, tip, txids, tuple((a, t) for a, t in history))

    def _undo_tickets(self, bulk: BulkSql, height: int) -> None:
        q = bulk.q
        touched = [
            r[0]
            for r in bulk.execute(
                f"SELECT DISTINCT ticket_id FROM {q(T_EVENT)} WHERE height = %s", [height]
            )
        ]
        bulk.execute(f"DELETE FROM {q(T_EVENT)} WHERE height = %s", [height])
        bulk.execute(f"DELETE FROM {q(T_TICKET)} WHERE purchase_height = %s", [height])
        updates = []
        for ticket_id in touched:
            last = bulk.execute(
                f"SELECT height, status FROM {q(T_EVENT)} WHERE ticket_id = %s "
                "ORDER BY height DESC, id DESC LIMIT 1",
                [ticket_id],
            )
            if not last:
                continue  # bought in this block: deleted above
            h, status = last[0]
            voted = bulk.execute(
                f"SELECT MAX(height) FROM {q(T_EVENT)} WHERE ticket_id = %s AND status = %s",
                [ticket_id, "voted"],
            )[0][0]
            updates.append((status, h, voted, ticket_id))
        if updates:
            with bulk.connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {q(T_TICKET)} SET status = %s, status_height = %s, "
                    "vote_block_height = %s WHERE id = %s",
                    updates,
                )
