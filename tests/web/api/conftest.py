"""Fixtures of the API tests: one real regtest chain per session, indexed per test.

The chain is mined once (LMDB in a temp dir); each test that asks for `indexed` gets it
written into its own transaction-rolled-back test database, on the regtest network, with
the API's rate limits off (the rate-limit tests turn them on) and an empty cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import override_settings

from tests.web.api.chain import Scenario, add_mempool_tx, build_chain, index_chain


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return build_chain(Path(tmp_path_factory.mktemp("api-chain")))


@pytest.fixture(autouse=True)
def api_settings() -> Iterator[None]:
    """Regtest addresses, no rate limit, a fresh cache and mempool view for every test."""
    from indexer.read import mempool

    cache.clear()
    mempool._cached = None
    with override_settings(RUSTY_NETWORK="regtest", RUSTY_API_RATE=0, RUSTY_API_BURST=0):
        yield
    cache.clear()
    mempool._cached = None


@pytest.fixture
def indexed(scenario: Scenario, db: None) -> Scenario:
    """The scenario's chain and mempool written into the test database."""
    index_chain(scenario.blocks)
    assert scenario.mempool_tx is not None
    spent = [scenario.blocks[13].block.txs[1].outputs[0]]
    tip_time = scenario.blocks[-1].block.header.timestamp
    add_mempool_tx(scenario.mempool_tx, 10_000, tip_time + 5, spent)
    return scenario
