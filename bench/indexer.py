"""`python -m bench indexer`: SQL indexer catch-up throughput, on Postgres and SQLite.

Workload: bench.chain's regtest chain (cached under the temp dir) of BENCH_INDEXER_BLOCKS
(100) blocks of BENCH_INDEXER_TXS (2,000) one-input two-output P2PKH transactions (200,000
transactions) after a funding block and the maturity blocks, connected into a fresh chain
database. Then `indexer.sink.Indexer.sync()` — the code `manage.py runnode` runs at start —
indexes it from genesis into a fresh database (batches of RUSTY_INDEXER_BATCH_* defaults:
500 blocks / 20,000 txs; COPY on Postgres), timed; then 10 tip blocks are undone (a reorg)
and indexed again one block per transaction (follow mode). Postgres: BENCH_POSTGRES_URL
(default postgres://postgres@127.0.0.1:5432/postgres; a throw-away database is created and
dropped); skipped when unreachable. Figures: tx/s and blocks/s of catch-up, undo and
one-block applies.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench._regtest import PARAMS, open_regtest
from bench.chain import load_or_generate

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _django(datadir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rustycoin.settings")
    os.environ.setdefault("RUSTY_DATADIR", str(datadir))
    os.environ.setdefault("RUSTY_NETWORK", "regtest")
    import django

    django.setup()


def _alias(alias: str, config: dict[str, Any]) -> str:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    base = dict(connections.settings["default"])
    base.update(config)
    settings.DATABASES[alias] = base
    connections.settings[alias] = base
    call_command("migrate", database=alias, verbosity=0)
    return alias


def _measure(chain_dir: Path, alias: str, total_txs: int) -> dict[str, Any]:
    from indexer.sink import Indexer
    from indexer.writer import IndexWriter
    from node import api

    reader = api.ChainReader.open_readonly(chain_dir, PARAMS)
    try:
        indexer = Indexer(reader, using=alias)
        started = time.perf_counter()
        indexer.sync()
        elapsed = time.perf_counter() - started
        assert indexer.txs_indexed == total_txs, (indexer.txs_indexed, total_txs)
        figures: dict[str, Any] = {
            "catchup_s": round(elapsed, 2),
            "catchup_tx_per_s": round(total_txs / elapsed),
            "catchup_blocks_per_s": round(indexer.blocks_indexed / elapsed, 1),
        }
        writer = IndexWriter(PARAMS, alias)
        started = time.perf_counter()
        undone = 0
        for _ in range(10):
            undone += len(writer.undo_tip().txids)
        elapsed = time.perf_counter() - started
        figures["undo_tx_per_s"] = round(undone / elapsed)
        figures["undo_block_ms"] = round(elapsed / 10 * 1000, 1)
        follow = Indexer(reader, using=alias, batch_blocks=1)
        started = time.perf_counter()
        follow.sync()
        elapsed = time.perf_counter() - started
        figures["apply_one_block_ms"] = round(elapsed / follow.blocks_indexed * 1000, 1)
        figures["follow_tx_per_s"] = round(follow.txs_indexed / elapsed)
    finally:
        reader.close()
    return figures


def run() -> dict[str, Any]:
    n_blocks = int(os.environ.get("BENCH_INDEXER_BLOCKS", "100"))
    n_txs = int(os.environ.get("BENCH_INDEXER_TXS", "2000"))
    blocks, generation_s = load_or_generate(n_blocks, n_txs)
    total_txs = sum(len(b.txs) for b in blocks) + 1  # + genesis
    figures: dict[str, Any] = {
        "blocks": len(blocks) + 1,
        "transactions": total_txs,
        "generation_s": None if generation_s is None else round(generation_s, 1),
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with open_regtest(root / "chain") as cs:
            for block in blocks:
                cs.process_block(block)
        _django(root / "web")
        from rustycoin.env import database_from_url

        sqlite = _alias(
            "bench_sqlite",
            {"ENGINE": "django.db.backends.sqlite3", "NAME": str(root / "bench.sqlite3"),
             "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20}},
        )  # fmt: skip
        figures["sqlite"] = _measure(root / "chain", sqlite, total_txs)
        figures["postgres"] = _postgres(root / "chain", total_txs, database_from_url)
    return figures


def _postgres(chain_dir: Path, total_txs: int, from_url: Any) -> dict[str, Any] | str:
    import psycopg
    from django.db import connections

    name = f"rusty_bench_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        return f"skipped: {exc}".strip()
    try:
        alias = _alias("bench_pg", from_url(PG_URL.rsplit("/", 1)[0] + "/" + name))
        return _measure(chain_dir, alias, total_txs)
    finally:
        connections["bench_pg"].close()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
