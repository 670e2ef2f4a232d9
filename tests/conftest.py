"""Shared test setup: a throw-away data dir, and services that must exist in CI.

Tests that need Postgres or Redis use the `postgres_url` / `redis_url` fixtures: they skip
when the service is unreachable on a developer machine, but fail when CI=true, so CI can
never go green by skipping them.
"""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Timing-based checks make property tests flaky on a loaded 2-core CI machine; the tests
# bound their own work instead (sizes, op counts), so wall-clock limits are turned off.
settings.register_profile(
    "rusty",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "rusty"))

# Before Django reads its settings: never write into the checkout's data/ from tests.
os.environ.setdefault("RUSTY_DATADIR", tempfile.mkdtemp(prefix="rusty-test-data-"))

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (developer machine) or fail (CI=true) when a service is not reachable."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI requires it", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def postgres_url() -> str:
    """URL of the machine's Postgres server (trust auth), required in CI."""
    require_service("Postgres", "127.0.0.1", 5432)
    return POSTGRES_URL


@pytest.fixture
def redis_url() -> str:
    """URL of the machine's Redis server, required in CI."""
    require_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port
