"""Env-driven settings: embedded default, Postgres via DATABASE_URL, Redis via REDIS_URL,
production hardening, and clear errors for bad values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from rustycoin.env import database_from_url

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "name": str(settings.DATABASES["default"]["NAME"]),
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "broker": settings.CELERY_BROKER_URL,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "debug": settings.DEBUG,
    "vendor": connection.vendor,
}))
"""


def run_python(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RUSTY_"))}
    clean.pop("DATABASE_URL", None)
    clean.pop("REDIS_URL", None)
    clean.update({"DJANGO_SETTINGS_MODULE": "rustycoin.settings", **env})
    cmd = [sys.executable, "-c", code] if code else [sys.executable, *args]
    return subprocess.run(cmd, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def probe(env: dict[str, str]) -> dict[str, object]:
    result = run_python(PROBE, env)
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def test_embedded_default_uses_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    data = probe({"RUSTY_DATADIR": str(tmp_path)})
    assert data["engine"] == "django.db.backends.sqlite3"
    assert data["name"] == str(tmp_path / "devnet" / "web.sqlite3")
    assert data["layer"] == "channels.layers.InMemoryChannelLayer"
    assert data["broker"] == "memory://"
    assert data["eager"] is True
    assert data["debug"] is True
    key_file = tmp_path / "django-secret-key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    # The key persists across restarts.
    first = key_file.read_text()
    probe({"RUSTY_DATADIR": str(tmp_path)})
    assert key_file.read_text() == first


def test_network_selects_the_data_subdirectory(tmp_path: Path) -> None:
    data = probe({"RUSTY_DATADIR": str(tmp_path), "RUSTY_NETWORK": "regtest"})
    assert data["name"] == str(tmp_path / "regtest" / "web.sqlite3")


@pytest.mark.postgres
def test_database_url_selects_postgres_and_migrates(tmp_path: Path, postgres_url: str) -> None:
    import psycopg

    db = f"rusty_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    try:
        url = postgres_url.rsplit("/", 1)[0] + f"/{db}"
        env = {"RUSTY_DATADIR": str(tmp_path), "DATABASE_URL": url}
        data = probe(env)
        assert data["engine"] == "django.db.backends.postgresql"
        assert data["vendor"] == "postgresql"
        result = run_python("", env, "manage.py", "migrate", "--noinput")
        assert result.returncode == 0, result.stderr
        with psycopg.connect(url) as conn:
            tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables")}
        assert {"django_migrations", "auth_user", "django_session"} <= tables
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


REDIS_ROUND_TRIP = """
import asyncio, django, json
django.setup()
from channels.layers import get_channel_layer
async def main():
    layer = get_channel_layer()
    name = await layer.new_channel()
    await layer.group_add("blocks", name)
    await layer.group_send("blocks", {"type": "block.connected", "height": 7})
    msg = await asyncio.wait_for(layer.receive(name), 10)
    await layer.group_discard("blocks", name)
    print(json.dumps({"cls": type(layer).__name__, "msg": msg}))
asyncio.run(main())
"""


@pytest.mark.redis
def test_redis_url_selects_channels_redis_and_the_broker(tmp_path: Path, redis_url: str) -> None:
    env = {"RUSTY_DATADIR": str(tmp_path), "REDIS_URL": redis_url}
    data = probe(env)
    assert data["layer"] == "channels_redis.core.RedisChannelLayer"
    assert data["broker"] == redis_url
    assert data["eager"] is False
    result = run_python(REDIS_ROUND_TRIP, env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out == {"cls": "RedisChannelLayer", "msg": {"type": "block.connected", "height": 7}}


PRODUCTION = {
    "RUSTY_ENV": "production",
    "DJANGO_SECRET_KEY": "x" * 20 + "-production-secret-key-with-enough-entropy-42",
    "DJANGO_ALLOWED_HOSTS": "explorer.example.org",
}


def test_check_deploy_passes_with_production_env(tmp_path: Path) -> None:
    env = {"RUSTY_DATADIR": str(tmp_path), **PRODUCTION}
    result = run_python("", env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert probe(env)["debug"] is False


def test_check_deploy_complains_in_development_mode(tmp_path: Path) -> None:
    env = {"RUSTY_DATADIR": str(tmp_path)}
    result = run_python("", env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "DEBUG" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RUSTY_ENV": "production"}, "DJANGO_SECRET_KEY must be set"),
        ({"RUSTY_ENV": "staging"}, "RUSTY_ENV='staging'"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG='maybe' is not a boolean"),
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "scheme 'mysql' is not supported"),
        ({"DATABASE_URL": "postgres://localhost/"}, "names no database"),
    ],
)
def test_bad_environment_values_fail_clearly(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = run_python(PROBE, {"RUSTY_DATADIR": str(tmp_path), **env})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_database_from_url_parses_postgres() -> None:
    cfg = database_from_url("postgresql://al%40ice:p%2Fw@db.internal:6543/chain?sslmode=require")
    assert cfg["ENGINE"] == "django.db.backends.postgresql"
    assert (cfg["NAME"], cfg["USER"], cfg["PASSWORD"]) == ("chain", "al@ice", "p/w")
    assert (cfg["HOST"], cfg["PORT"]) == ("db.internal", "6543")
    assert cfg["OPTIONS"] == {"sslmode": "require"}


def test_database_from_url_parses_sqlite() -> None:
    assert database_from_url("sqlite:////var/lib/rusty/web.db") == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "/var/lib/rusty/web.db",
    }
    assert database_from_url("sqlite:///web.db")["NAME"] == "web.db"
    with pytest.raises(ImproperlyConfigured, match="names no file"):
        database_from_url("sqlite://")
