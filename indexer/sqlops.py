"""Bulk SQL for the indexer writer, one implementation per database vendor.

Postgres: rows go in with COPY (psycopg 3 `cursor.copy`), ids come from the tables' identity
sequences, bulk updates join against `unnest()` arrays. SQLite: `executemany`, ids follow
MAX(id). Both run inside the caller's transaction (`transaction.atomic`); only the node
process writes these tables, so ids handed out here are never taken by anyone else.
"""

# SQL text here is built only from model table/column names, never from input.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from indexer.rows import AddressDelta

CHUNK = 900  # SQLite allows 999 bound parameters per statement by default


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class BulkSql:
    """The vendor-neutral surface; `for_connection` picks the implementation."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        self.q = connection.ops.quote_name

    @staticmethod
    def for_connection(connection: BaseDatabaseWrapper) -> BulkSql:
        if connection.vendor == "postgresql":
            return PostgresBulk(connection)
        return SqliteBulk(connection)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.description is None:
                return []
            return list(cursor.fetchall())

    def columns(self, columns: Sequence[str]) -> str:
        return ", ".join(self.q(c) for c in columns)

    def fetch_ids(self, table: str, key: str, keys: Iterable[str]) -> dict[str, int]:
        """{key value: id} for the rows of `table` whose `key` is in `keys`."""
        wanted = sorted(set(keys))
        out: dict[str, int] = {}
        for part in chunks(wanted):
            marks = ", ".join(["%s"] * len(part))
            rows = self.execute(
                f"SELECT {self.q(key)}, id FROM {self.q(table)} WHERE {self.q(key)} IN ({marks})",
                part,
            )
            out.update((k, i) for k, i in rows)
        return out

    def alloc_ids(self, table: str, n: int) -> list[int]:
        raise NotImplementedError

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    def mark_spent(self, table: str, rows: Sequence[tuple[int, int, str, int | None, int]]) -> None:
        """Set spent_by_txid/index/height of outputs (tx_id, index, txid, input, height);
        input None: burned by a SLASH."""
        raise NotImplementedError

    def upsert_addresses(self, table: str, deltas: dict[str, AddressDelta]) -> dict[str, int]:
        """Add the deltas to existing address rows, insert new ones; {address: id}."""
        raise NotImplementedError


class PostgresBulk(BulkSql):
    def alloc_ids(self, table: str, n: int) -> list[int]:
        if n == 0:
            return []
        rows = self.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, n],
        )
        return [r[0] for r in rows]

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        sql = f"COPY {self.q(table)} ({self.columns(columns)}) FROM STDIN"
        with self.connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)

    def mark_spent(self, table: str, rows: Sequence[tuple[int, int, str, int | None, int]]) -> None:
        if not rows:
            return
        cols = list(zip(*rows, strict=True))
        self.execute(
            f"UPDATE {self.q(table)} AS o SET spent_by_txid = v.s, spent_by_index = v.si, "
            "spent_height = v.h FROM unnest(%s::bigint[], %s::int[], %s::text[], %s::int[], "
            "%s::int[]) AS v(tx_id, vout, s, si, h) "
            'WHERE o.tx_id = v.tx_id AND o."index" = v.vout',
            [list(c) for c in cols],
        )

    def upsert_addresses(self, table: str, deltas: dict[str, AddressDelta]) -> dict[str, int]:
        if not deltas:
            return {}
        items = sorted(deltas.items())
        t = self.q(table)
        rows = self.execute(
            f"INSERT INTO {t} (address, balance, received, sent, tx_count, utxo_count, "
            "first_seen_height, last_seen_height) SELECT * FROM unnest(%s::text[], "
            "%s::bigint[], %s::bigint[], %s::bigint[], %s::int[], %s::int[], %s::int[], "
            "%s::int[]) ON CONFLICT (address) DO UPDATE SET "
            f"balance = {t}.balance + EXCLUDED.balance, "
            f"received = {t}.received + EXCLUDED.received, "
            f"sent = {t}.sent + EXCLUDED.sent, "
            f"tx_count = {t}.tx_count + EXCLUDED.tx_count, "
            f"utxo_count = {t}.utxo_count + EXCLUDED.utxo_count, "
            f"first_seen_height = COALESCE({t}.first_seen_height, EXCLUDED.first_seen_height), "
            f"last_seen_height = GREATEST({t}.last_seen_height, EXCLUDED.last_seen_height) "
            "RETURNING address, id",
            [
                [a for a, _ in items],
                [d.balance for _, d in items],
                [d.received for _, d in items],
                [d.sent for _, d in items],
                [d.tx_count for _, d in items],
                [d.utxo_count for _, d in items],
                [d.first_seen for _, d in items],
                [d.last_seen for _, d in items],
            ],
        )
        return dict(rows)


class SqliteBulk(BulkSql):
    def alloc_ids(self, table: str, n: int) -> list[int]:
        if n == 0:
            return []
        top = self.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.q(table)}")[0][0]
        return list(range(top + 1, top + 1 + n))

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {self.q(table)} ({self.columns(columns)}) VALUES ({marks})"
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    def mark_spent(self, table: str, rows: Sequence[tuple[int, int, str, int | None, int]]) -> None:
        if not rows:
            return
        with self.connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {self.q(table)} SET spent_by_txid = %s, spent_by_index = %s, "
                'spent_height = %s WHERE tx_id = %s AND "index" = %s',
                [(s, si, h, tx_id, vout) for tx_id, vout, s, si, h in rows],
            )

    def upsert_addresses(self, table: str, deltas: dict[str, AddressDelta]) -> dict[str, int]:
        if not deltas:
            return {}
        t = self.q(table)
        with self.connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {t} (address, balance, received, sent, tx_count, utxo_count, "
                "first_seen_height, last_seen_height) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (address) DO UPDATE SET "
                "balance = balance + excluded.balance, "
                "received = received + excluded.received, "
                "sent = sent + excluded.sent, "
                "tx_count = tx_count + excluded.tx_count, "
                "utxo_count = utxo_count + excluded.utxo_count, "
                "first_seen_height = COALESCE(first_seen_height, excluded.first_seen_height), "
                "last_seen_height = MAX(COALESCE(last_seen_height, -1), "
                "excluded.last_seen_height)",
                [
                    (
                        a,
                        d.balance,
                        d.received,
                        d.sent,
                        d.tx_count,
                        d.utxo_count,
                        d.first_seen,
                        d.last_seen,
                    )
                    for a, d in sorted(deltas.items())
                ],
            )
        return self.fetch_ids(table, "address", deltas)
