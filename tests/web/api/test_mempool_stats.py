"""Mempool endpoints and the /api/v1/ extensions (supply, stats, tickets, charts) on the
real regtest chain."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from indexer.models import DailyStat, Ticket, TicketEvent
from indexer.read.mempool import VSIZE_BIN_WIDTH, fee_histogram
from tests.web.api import esplora
from tests.web.api.chain import Scenario


def test_mempool_endpoints(indexed: Scenario, client: Client) -> None:
    assert indexed.mempool_tx is not None
    txid, size = indexed.mempool_tx.txid.hex(), indexed.mempool_tx.size
    data = client.get("/api/mempool").json()
    esplora.has(data, esplora.MEMPOOL)
    assert data == {"count": 1, "vsize": size, "total_fee": 10_000,
                    "fee_histogram": [[round(10_000 / size, 3), size]]}  # fmt: skip
    assert client.get("/api/mempool/txids").json() == [txid]
    (recent,) = client.get("/api/mempool/recent").json()
    esplora.has(recent, esplora.MEMPOOL_RECENT)
    assert (recent["txid"], recent["fee"], recent["vsize"]) == (txid, 10_000, size)
    assert recent["value"] == sum(o.value for o in indexed.mempool_tx.outputs)


def test_fee_histogram_bins_like_electrs() -> None:
    assert fee_histogram([]) == []
    # Highest feerate first; a bin closes once it exceeds the width and the rate changes.
    rates = [(1.0, 30_000), (5.0, VSIZE_BIN_WIDTH + 1), (5.0, 10), (3.0, 20_000), (2.0, 40_000)]
    assert fee_histogram(rates) == [[5.0, VSIZE_BIN_WIDTH + 11], [2.0, 60_000], [1.0, 30_000]]


def test_supply_and_stats(indexed: Scenario, client: Client) -> None:
    issued = sum(o.value for cb in indexed.blocks for o in cb.block.txs[0].outputs)
    fees = 29 * 10_000  # 28 payments in block 12 and one in block 13
    supply = client.get("/api/v1/supply").json()
    assert supply["height"] == 24
    assert supply["supply"] == issued - fees
    assert supply["supply_rust"] == f"{(issued - fees) // 10**8}.{(issued - fees) % 10**8:08d}"
    stats = client.get("/api/v1/stats").json()
    assert stats["height"] == 24
    assert stats["hash"] == indexed.hashes[-1]
    assert stats["tx_count"] == 1 + 24 + 28 + 1
    assert stats["mempool_count"] == 1
    assert stats["avg_block_interval"] == 150.0
    assert stats["hashrate"] > 0
    assert stats["supply"] == supply["supply"]


def test_stats_before_any_block(db: None, client: Client) -> None:
    assert client.get("/api/v1/stats").json()["height"] == -1
    assert client.get("/api/v1/supply").json()["supply"] == 0
    assert client.get("/api/v1/tickets").json()["recent_votes"] == []


def test_tickets_and_one_ticket(indexed: Scenario, client: Client) -> None:
    ticket = Ticket.objects.create(
        ticket_id="ab" * 32, purchase_height=20, price=10**8, status="live", status_height=22
    )
    TicketEvent.objects.create(ticket=ticket, height=20, status="immature")
    TicketEvent.objects.create(ticket=ticket, height=22, status="live")
    data = client.get("/api/v1/tickets?blocks=5").json()
    assert data["price"] == indexed.blocks[-1].ticket_price
    assert data["status_counts"] == {"live": 1}
    assert [h for h, _ in data["pool_size_history"]] == [20, 21, 22, 23, 24]
    one = client.get(f"/api/v1/ticket/{'AB' * 32}").json()
    assert one["events"] == [{"height": 20, "status": "immature"}, {"height": 22, "status": "live"}]
    assert client.get(f"/api/v1/ticket/{'cd' * 32}").status_code == 404


def test_charts(indexed: Scenario, client: Client) -> None:
    DailyStat.objects.create(day=date(2026, 11, 23), tx_count=54, block_count=25)
    DailyStat.objects.create(day=date(2026, 11, 22), tx_count=3, block_count=1)
    data = client.get("/api/v1/charts/tx-count").json()
    assert data["points"] == [[1795305600, 3], [1795392000, 54]]
    assert client.get("/api/v1/charts/tx-count?days=1").json()["points"] == [[1795392000, 54]]
    sizes = client.get("/api/v1/charts/blocks/size?count=3").json()
    assert sizes["points"] == [[h, indexed.blocks[h].size] for h in (22, 23, 24)]
    tx_counts = client.get("/api/v1/charts/blocks/tx-count?count=13").json()["points"]
    assert tx_counts[0] == [12, 29]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/charts/nope", 404),
        ("/api/v1/charts/blocks/nope", 404),
        ("/api/v1/charts/tx-count?days=-1", 400),
        ("/api/v1/charts/tx-count?days=99999999999", 400),
        ("/api/v1/charts/blocks/size?count=abc", 400),
        ("/api/v1/tickets?blocks=%3Cscript%3E", 400),
    ],
)
def test_chart_bad_input(indexed: Scenario, client: Client, path: str, status: int) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert b"<script>" not in r.content
