"""REST API benchmark on Postgres: an address with 1,000,000 transactions pages as fast as
one with 10 (keyset pagination on the (address, -height, -position) index).

`python -m bench api` creates a throw-away database on the local Postgres server
(TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres), migrates it, writes
a synthetic history (one block, BENCH_API_ROWS = 1,000,000 transactions of one address and
10 of another) with INSERT ... SELECT generate_series, and times GET
/api/address/:address/txs/chain[/:last_seen_txid] through Django's test client (view, read
layer and SQL; no HTTP server) at the first page, the middle and the end of the history.
It also prints the EXPLAIN plan of the deep-page query. The database is dropped afterwards.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
import uuid
from typing import Any

ROWS = int(os.environ.get("BENCH_API_ROWS", "1000000"))
SMALL = 10
REPEAT = 50


def _fresh_database() -> tuple[str, str]:
    import psycopg

    server = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"rusty_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server, name


def _drop_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rustycoin.settings")
    os.environ.setdefault("RUSTY_API_RATE", "0")
    os.environ.setdefault("RUSTY_API_BURST", "0")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _copy_rows(model: Any, template_id: int, varying: dict[str, str], count: int) -> None:
    """INSERT `count` copies of row `template_id` of `model`, with SQL expressions of the
    series value `i` for the `varying` columns (robust to columns added to the model)."""
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        column = field.column
        columns.append(connection.ops.quote_name(column))
        values.append(varying.get(column, f"t.{connection.ops.quote_name(column)}"))
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "
        f"FROM {table} t CROSS JOIN generate_series(1, %s) AS i WHERE t.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, template_id])


def populate(rows: int, small: int = SMALL) -> tuple[str, str]:
    """A big address with `rows` transactions and a small one with `small`; their addresses.

    Transaction i (1-based) sits at height i // 4 and position i in one block, so the
    history is ordered by i; the template rows (i = 0) are deleted afterwards. A third
    address shares every transaction (as a change address would), so the history table is
    not one address's alone and the planner must pick the per-address index.
    """
    from django.conf import settings
    from django.db import connection

    from indexer.models import Address, AddressTx, Block, Transaction
    from node.api import get_params
    from node.crypto.address import encode_address

    hrp = get_params(settings.RUSTY_NETWORK).bech32_hrp
    block = Block.objects.create(
        hash="00" * 32, height=0, prev_hash="00" * 32, merkle_root="00" * 32,
        votes_root="00" * 32, state_root="00" * 32, version=1, timestamp=1_795_392_000,
        bits=0x207FFFFF, nonce=0, difficulty=1.0, chainwork="01", size=200, tx_count=rows,
        vote_count=0, total_fees=0, subsidy=0, total_out=0,
    )  # fmt: skip
    template = Transaction.objects.create(
        txid="ff" * 32, wtxid="ff" * 32, block=block, height=0, position=-1, version=1,
        tx_type=0, lock_time=0, size=200, fee=1000, is_coinbase=False, input_count=1,
        output_count=1, input_total=0, output_total=0, raw=b"",
    )  # fmt: skip
    hexid = "lpad(to_hex(i), 64, '0')"
    _copy_rows(
        Transaction,
        template.id,
        {"txid": hexid, "wtxid": hexid, "height": "i / 4", "position": "i"},
        rows,
    )
    template.delete()
    big = Address.objects.create(
        address=encode_address(hrp, 0, b"\x01" * 20), tx_count=rows, received=rows,
        balance=rows, utxo_count=rows,
    )  # fmt: skip
    noise = Address.objects.create(
        address=encode_address(hrp, 0, b"\x03" * 20), tx_count=rows, received=rows,
        balance=rows, utxo_count=rows,
    )  # fmt: skip
    little = Address.objects.create(
        address=encode_address(hrp, 0, b"\x02" * 20), tx_count=small, received=small,
        balance=small, utxo_count=small,
    )  # fmt: skip
    a_tx = connection.ops.quote_name(AddressTx._meta.db_table)
    t_tx = connection.ops.quote_name(Transaction._meta.db_table)
    with connection.cursor() as cursor:
        for address, limit in ((big, rows), (noise, rows), (little, small)):
            cursor.execute(
                f"INSERT INTO {a_tx} (address_id, tx_id, height, position, received, sent) "
                f"SELECT %s, id, height, position, 1, 0 FROM {t_tx} WHERE position <= %s",
                [address.id, limit],
            )
        cursor.execute("ANALYZE")
    return big.address, little.address


def keyset_plan(address: str, last_seen_txid: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of one history page after `last_seen_txid`."""
    from indexer.read.addresses import history_cursor, history_queryset

    address_id, after = history_cursor(address, last_seen_txid)
    rows = history_queryset(address_id, after).values_list("tx_id")[:25]
    return str(rows.explain(analyze=True, buffers=True))


def history_plans(big: str, rows: int) -> dict[str, str]:
    """EXPLAIN ANALYZE of the first, middle and last pages of the big address's history."""
    from indexer.models import Address
    from indexer.read.addresses import history_queryset

    address_id = Address.objects.get(address=big).id
    first = history_queryset(address_id).values_list("tx_id")[:25]
    return {
        "first": str(first.explain(analyze=True, buffers=True)),
        "middle": keyset_plan(big, _txid(rows // 2)),
        "last": keyset_plan(big, _txid(30)),
    }


def plans_on_fresh_database(rows: int) -> dict[str, str]:
    """Populate a throw-away database with `rows` transactions and return the page plans
    (the Postgres test runs this in a subprocess)."""
    server, name = _fresh_database()
    try:
        _setup_django(server.rsplit("/", 1)[0] + f"/{name}")
        big, _ = populate(rows)
        return history_plans(big, rows)
    finally:
        from django.db import connections

        connections.close_all()
        _drop_database(server, name)


def _txid(i: int) -> str:
    return f"{i:064x}"


def _time(client: Any, url: str) -> dict[str, float]:
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.content[:200])
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(samples[math.ceil(len(samples) * 0.99) - 1], 2),
    }


def measure(big: str, little: str, rows: int) -> dict[str, Any]:
    from django.test import Client

    client = Client()
    pages = {
        f"small ({SMALL} txs) first page": f"/api/address/{little}/txs/chain",
        f"big ({rows} txs) first page": f"/api/address/{big}/txs/chain",
        "big middle page": f"/api/address/{big}/txs/chain/{_txid(rows // 2)}",
        "big last page": f"/api/address/{big}/txs/chain/{_txid(20)}",
        "big address stats": f"/api/address/{big}",
    }
    figures: dict[str, Any] = {name: _time(client, url) for name, url in pages.items()}
    figures["plans"] = {k: v.splitlines() for k, v in history_plans(big, rows).items()}
    return figures


def run() -> dict[str, Any]:
    server, name = _fresh_database()
    try:
        _setup_django(server.rsplit("/", 1)[0] + f"/{name}")
        started = time.perf_counter()
        big, little = populate(ROWS)
        figures = {"rows": ROWS, "populate_s": round(time.perf_counter() - started, 1)}
        figures.update(measure(big, little, ROWS))
        return figures
    finally:
        from django.db import connections

        connections.close_all()
        _drop_database(server, name)


if __name__ == "__main__":  # pragma: no cover - `python -m bench api` is the entry point
    json.dump(run(), sys.stdout, indent=2)
