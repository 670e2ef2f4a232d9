"""Every explorer page renders from indexed rows (a small devnet chain built in the DB)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.web.pages.builders import add_daily_stats, add_mempool_tx, build_chain

pytestmark = pytest.mark.django_db


def test_pages_render(client: Client) -> None:
    chain = build_chain(blocks=6, votes_from=3)
    pooled = add_mempool_tx(chain)
    add_daily_stats(3)
    tip = chain.blocks[-1]
    for path in ["/", f"/block/{tip.hash}", f"/block/{chain.blocks[0].hash}",
                 f"/tx/{chain.txs[-1].txid}", f"/tx/{pooled.txid}", f"/address/{chain.miner}",
                 f"/address/{chain.payee}", "/mempool", "/tickets", "/charts",
                 f"/address/{chain.miner}/csv"]:  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, (path, response.content[:2000])
