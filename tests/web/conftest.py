"""Fixtures shared by the web tests: the staked regtest chain (tests/web/stakechain.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.stakechain import StakedChain, build_staked


@pytest.fixture(scope="session")
def staked(tmp_path_factory: pytest.TempPathFactory) -> StakedChain:
    """Chains A and B past stake_validation_height with every ticket state and a SLASH,
    built once per test process (about a second)."""
    return build_staked(Path(tmp_path_factory.mktemp("staked")))


def index_staked(datadir: Path, using: str = "default") -> None:
    """Index a staked chain's main chain into the database `using` with the real indexer."""
    from indexer.sink import Indexer
    from node import api
    from tests.web.stakechain import PARAMS

    reader = api.ChainReader.open_readonly(datadir, PARAMS)
    try:
        Indexer(reader, using=using).sync()
    finally:
        reader.close()


@pytest.fixture
def staked_db(staked: StakedChain, db: None, settings: Any) -> StakedChain:
    """Chain A indexed into the test database, on the regtest network, with its mempool
    purchase in the mempool snapshot; API rate limits off and an empty cache."""
    from django.core.cache import cache

    from indexer.mempool import write_snapshot
    from indexer.read import mempool
    from indexer.rows import ScriptInfo
    from node.api import MempoolItem

    settings.RUSTY_NETWORK = "regtest"
    settings.RUSTY_API_RATE = 0
    settings.RUSTY_API_BURST = 0
    cache.clear()
    mempool._cached = None
    index_staked(staked.a)
    tx = staked.mempool_purchase
    assert tx is not None
    fee = sum(c.value for c in staked.mempool_coins) - sum(o.value for o in tx.outputs)
    item = MempoolItem(tx, fee, len(tx.serialize()), 1.9e9, staked.mempool_coins)
    write_snapshot([item], ScriptInfo("rcrt"), known=set())
    return staked
