"""What each explorer page shows, checked against the indexed rows it was rendered from."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from node.crypto.merkle import MerkleProof, verify_merkle_proof
from tests.web.pages.builders import (
    COIN,
    SUBSIDY,
    add_daily_stats,
    add_mempool_tx,
    build_chain,
)

pytestmark = pytest.mark.django_db


def text(client: Client, path: str, **params: str) -> str:
    response = client.get(path, params)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def test_home_shows_stats_latest_blocks_and_txs(client: Client) -> None:
    chain = build_chain(blocks=12)
    add_mempool_tx(chain)
    body = text(client, "/")
    tip = chain.blocks[-1]
    assert 'id="chain-height"' in body
    assert f'href="/block-height/{tip.height}"' in body
    assert "1776 RUST" in body  # supply: 12 x 148
    assert "H/s" in body  # hashrate estimate
    assert "1.00011 RUST" in body  # the tip's ticket price
    assert "22 live" in body  # pool size
    assert '<div class="value" id="mempool-count">1 tx</div>' in body
    assert 'id="fee-histogram"' in body
    rows = re.findall(r'<tr data-height="(\d+)">', body)
    assert rows == [str(h) for h in range(11, 1, -1)]  # the newest 10, newest first
    assert chain.txs[-1].txid[:8] in body
    assert "Genesis block" in body


def test_home_before_any_block(client: Client) -> None:
    body = text(client, "/")
    assert "No blocks indexed yet." in body
    assert "No transactions indexed yet." in body


def test_block_page_fields_neighbours_and_confirmations(client: Client) -> None:
    chain = build_chain(blocks=5, votes_from=2)
    block = chain.blocks[2]
    body = text(client, f"/block/{block.hash}")
    assert f'<dd class="mono" id="block-hash">{block.hash}</dd>' in body
    assert '<span id="block-confirmations">3</span>' in body
    assert f'href="/block/{chain.blocks[1].hash}">&larr; Block 1' in body
    assert f'href="/block/{chain.blocks[3].hash}">Block 3 &rarr;' in body
    assert body.count('href="/tx/') >= 2 + 2  # two votes (ticket links) and two txs
    assert "Votes (2)" in body
    assert f"0x{block.bits:08x}" in body
    assert str(2**64 - 1 - 2) in body  # the full unsigned 64-bit nonce
    tip = text(client, f"/block/{chain.blocks[-1].hash}")
    assert "Tip of the chain" in tip
    genesis = text(client, f"/block/{chain.blocks[0].hash}")
    assert "&larr; Block" not in genesis


def test_block_height_redirects(client: Client) -> None:
    chain = build_chain(blocks=3)
    response = client.get("/block-height/1")
    assert response.status_code == 302
    assert response["Location"] == f"/block/{chain.blocks[1].hash}"


def test_block_transactions_are_paginated(client: Client) -> None:
    chain = build_chain(blocks=2)
    block = chain.blocks[1]
    block.tx_count = 60  # pretend: only the page arithmetic reads it; rows hold positions 0, 1
    block.save()
    body = text(client, f"/block/{block.hash}")
    assert "Page 1 of 3" in body
    assert 'href="?page=2"' in body
    last = text(client, f"/block/{block.hash}", page="3")
    assert "Page 3 of 3" in last
    assert "Transactions 51\u201360 of 60" in last
    assert client.get(f"/block/{block.hash}", {"page": "4"}).status_code == 404


def test_tx_page_inputs_outputs_fee_and_merkle_proof(client: Client) -> None:
    chain = build_chain(blocks=4, fee=12_345)
    spend = chain.txs[-1]
    block = chain.blocks[-1]
    body = text(client, f"/tx/{spend.txid}")
    assert "STANDARD" in body
    assert "0.00012345 RUST" in body  # fee
    assert "sat/B" in body
    assert f'href="/address/{chain.payee}"' in body
    assert f'href="/address/{chain.miner}"' in body  # the input's address
    assert '<span id="tx-confirmations">1</span>' in body
    assert 'ws-connect="/ws/html/?view=tx&amp;tx=' + spend.txid in body
    assert bytes(spend.raw).hex() in body
    siblings = re.search(r'<details class="card" id="merkle-proof">.*?<ol class="mono">(.*?)</ol>',
                         body, re.S)  # fmt: skip
    assert siblings is not None
    hashes = re.findall(r"<li>([0-9a-f]{64})</li>", siblings.group(1))
    proof = MerkleProof(spend.position, block.tx_count, tuple(bytes.fromhex(h) for h in hashes))
    assert verify_merkle_proof(bytes.fromhex(spend.wtxid), proof, bytes.fromhex(block.merkle_root))
    coinbase = text(client, f"/tx/{chain.txs[0].txid}")
    assert "Coinbase (newly created coins)" in coinbase
    assert "none (coinbase)" in coinbase
    # the coinbase of block 0 was spent at height 1: its output links the spender
    assert f'href="/tx/{chain.txs[2].txid}"' in coinbase


def test_unconfirmed_tx_page(client: Client) -> None:
    chain = build_chain(blocks=3)
    pooled = add_mempool_tx(chain, fee=7_000)
    body = text(client, f"/tx/{pooled.txid}")
    assert "Unconfirmed" in body
    assert "0.00007 RUST" in body
    assert f'href="/address/{chain.payee}"' in body  # output address decoded from raw
    assert f'href="/address/{chain.miner}"' in body  # input address from the spent output
    assert 'id="merkle-proof"' not in body


def test_address_page_totals_qr_csv_link_and_utxos(client: Client) -> None:
    chain = build_chain(blocks=5, spend_value=2 * COIN)
    body = text(client, f"/address/{chain.payee}")
    assert '<dd id="address-balance">8 RUST</dd>' in body  # 4 spends of 2 RUST
    assert '<svg width="' in body
    assert 'class="qr"' in body
    assert f'href="/address/{chain.payee}/csv"' in body
    assert body.count('class="history-row"') == 4
    assert 'id="history-older"' not in body
    assert "Unspent outputs" in body


def test_address_history_keyset_pages_cover_everything_once(client: Client) -> None:
    chain = build_chain(blocks=60)  # the miner: 60 coinbases + 59 spends = 119 history rows
    seen: list[str] = []
    params: dict[str, str] = {}
    pages = 0
    while True:
        body = text(client, f"/address/{chain.miner}", **params)
        pages += 1
        seen += re.findall(r'<tr class="history-row"><td class="mono"><a href="/tx/([0-9a-f]{64})"',
                           body)  # fmt: skip
        older = re.search(r'id="history-older" href="\?after=([0-9a-f]{64})"', body)
        if older is None:
            break
        assert 'id="history-newest"' in body or not params
        params = {"after": older.group(1)}
    assert pages == 5
    assert len(seen) == len(set(seen)) == 119
    expected = [t.txid for t in reversed(chain.txs)]  # newest block first, last position first
    assert seen == expected


def test_address_csv_download(client: Client) -> None:
    chain = build_chain(blocks=4, spend_value=COIN // 2)
    response = client.get(f"/address/{chain.payee}/csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="{chain.payee}.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["txid", "height", "time_utc", "received_rust", "sent_rust", "net_rust"]
    assert [r[1] for r in rows[1:]] == ["3", "2", "1"]
    assert rows[1][3:] == ["0.50000000", "0.00000000", "0.50000000"]


def test_address_seen_only_in_the_mempool(client: Client) -> None:
    chain = build_chain(blocks=2, spends_from=5)  # the payee is never paid in a block
    add_mempool_tx(chain)
    body = text(client, f"/address/{chain.payee}")
    assert "Unconfirmed (1)" in body
    assert '<dd id="address-balance">0 RUST</dd>' in body
    assert "No transactions on this page." in body


def test_mempool_page(client: Client) -> None:
    chain = build_chain(blocks=4)
    add_mempool_tx(chain, fee=1_000)
    add_mempool_tx(chain, fee=50_000)
    body = text(client, "/mempool")
    assert '<div class="value" id="mempool-tx-count">2</div>' in body
    assert "Next block" in body
    assert 'id="fee-histogram"' in body
    assert body.count('href="/tx/') == 2
    assert 'ws-connect="/ws/html/?view=mempool"' in body


def test_empty_mempool_page(client: Client) -> None:
    body = text(client, "/mempool")
    assert "The mempool is empty" in body


def test_tickets_page(client: Client) -> None:
    chain = build_chain(blocks=6, votes_from=3)
    body = text(client, "/tickets")
    assert 'id="ticket-price-chart"' in body
    assert 'id="ticket-pool-chart"' in body
    assert "10 live" in body  # the tip's pool size (5 x 2)
    assert "Voted" in body
    assert body.count("<polyline") == 2
    assert f'href="/block/{chain.blocks[-1].hash}"' in body  # recent votes link their block


def test_charts_from_daily_stats_or_per_block(client: Client) -> None:
    build_chain(blocks=5)
    per_block = text(client, "/charts")
    assert "Per block" in per_block
    assert per_block.count("<polyline") == 6
    add_daily_stats(4)
    daily = text(client, "/charts")
    assert "Daily aggregates" in daily
    for chart in ["chart-tx", "chart-size", "chart-difficulty", "chart-fees", "chart-price",
                  "chart-supply"]:  # fmt: skip
        assert f'id="{chart}"' in daily
    assert "2026-11-26" in daily


def test_charts_with_no_data(client: Client) -> None:
    assert text(client, "/charts").count("No data yet.") == 6


def test_supply_matches_subsidies(client: Client) -> None:
    build_chain(blocks=3)
    assert f"{3 * SUBSIDY // COIN} RUST" in text(client, "/")
