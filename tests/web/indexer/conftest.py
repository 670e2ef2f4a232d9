"""Fixtures of the indexer tests: real regtest chains and real databases.

* `chains` (session): chain A (about 45 blocks with payments, tickets and votes) and chain B,
  a copy of A at the fork height F extended further with other transactions, each in its
  own data dir, built once by real node processes through JSON-RPC.
* `idx_db` (parametrised sqlite / postgres): a database alias of its own, migrated once per
  session and emptied before each test. The Postgres one is a fresh database created on the
  machine's server for this session (dropped at the end); it skips locally when Postgres is
  down and fails in CI (tests/conftest.py).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connections, transaction

from node.api import get_params
from node.params import ChainParams
from rustycoin.env import database_from_url
from tests.conftest import POSTGRES_URL, require_service
from tests.web.indexer.chainbuilder import (
    SVH,
    NodeProcess,
    build_base_chain,
    copy_datadir,
    create_wallet,
    extend,
)

DB_URLS: dict[str, str] = {}
"""DATABASE_URL of each test alias (for the node processes the tests start)."""


def regtest_params() -> ChainParams:
    return dataclasses.replace(get_params("regtest"), stake_validation_height=SVH)


@dataclass(frozen=True)
class Chains:
    a: Path
    b: Path
    fork: int
    params: ChainParams
    long: Path
    """A extended by 60 more blocks with payments (for the kill-and-restart test)."""


@pytest.fixture(scope="session")
def chains(tmp_path_factory: pytest.TempPathFactory) -> Chains:
    root = tmp_path_factory.mktemp("chains")
    a, b = root / "a", root / "b"
    create_wallet(a)
    node = NodeProcess(a).start()
    try:
        build_base_chain(node)
        fork = node.rpc("getblockcount")
    finally:
        node.stop()
    copy_datadir(a, b)
    node = NodeProcess(a).start()
    try:
        extend(node, 3, 4)
    finally:
        node.stop()
    node = NodeProcess(b).start()
    try:
        extend(node, 6, 3)
    finally:
        node.stop()
    long = root / "long"
    copy_datadir(a, long)
    node = NodeProcess(long).start()
    try:
        for _ in range(3):
            extend(node, 20, 12)
    finally:
        node.stop()
    return Chains(a, b, fork, regtest_params(), long)


def _register(alias: str, config: dict[str, Any]) -> None:
    base = dict(connections.settings["default"])
    base.update(config)
    base.setdefault("TEST", {})
    settings.DATABASES[alias] = base
    connections.settings[alias] = base


def _migrate(alias: str, blocker: Any) -> None:
    with blocker.unblock():
        call_command("migrate", database=alias, verbosity=0)
        connections[alias].close()


@pytest.fixture(scope="session")
def sqlite_alias(tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "indexer.sqlite3"
    _register(
        "idx_sqlite",
        {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path),
         "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20}},
    )  # fmt: skip
    _migrate("idx_sqlite", django_db_blocker)
    DB_URLS["idx_sqlite"] = f"sqlite:///{path}"
    return "idx_sqlite"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """URL of a fresh Postgres database for this session (dropped afterwards)."""
    require_service("Postgres", "127.0.0.1", 5432)
    name = f"rusty_idx_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        for conn_name in list(connections.settings):
            if connections.settings[conn_name].get("NAME") == name:
                connections[conn_name].close()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_alias(postgres_database: str, django_db_blocker: Any) -> str:
    _register("idx_pg", database_from_url(postgres_database))
    _migrate("idx_pg", django_db_blocker)
    DB_URLS["idx_pg"] = postgres_database
    return "idx_pg"


def empty_tables(alias: str) -> None:
    tables = [m._meta.db_table for m in apps.get_app_config("indexer").get_models()]
    connection = connections[alias]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


@pytest.fixture(params=["sqlite", "postgres"])
def idx_db(request: pytest.FixtureRequest, django_db_blocker: Any) -> Iterator[str]:
    """An emptied indexer database alias (SQLite, then the session's Postgres database)."""
    name = "sqlite_alias" if request.param == "sqlite" else "postgres_alias"
    alias: str = request.getfixturevalue(name)
    with django_db_blocker.unblock():
        empty_tables(alias)
        try:
            yield alias
        finally:
            connections[alias].close()


@pytest.fixture
def db_url(idx_db: str) -> str:
    """DATABASE_URL of the `idx_db` alias, for a `manage.py runnode` process."""
    return DB_URLS[idx_db]


def web_env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    """Environment of a `manage.py runnode` process writing `database_url`."""
    return {
        "DATABASE_URL": database_url,
        "RUSTY_NETWORK": "regtest",
        "RUSTY_DATADIR": str(tmp_path / "web"),
        "REDIS_URL": "",
        **extra,
    }
