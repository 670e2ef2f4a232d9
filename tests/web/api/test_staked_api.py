"""The REST API on a real staked chain (tests/web/stakechain.py): Esplora shapes for every
transaction type, the burned stake of a SLASH, the staker's address against the node's
UTXO set, Esplora's status codes for block pages, and the ticket extensions against the
node's ticket pool and next price.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.test import Client

from indexer.models import Block, Transaction
from node import api
from node.types import TxType
from tests.web.api import esplora
from tests.web.stakechain import (
    HEIGHT_A,
    PARAMS,
    STAKER_SCRIPT,
    SVH,
    StakedChain,
    node_view,
)

STAKER = api.script_address(STAKER_SCRIPT, PARAMS.bech32_hrp)


def get(client: Client, path: str) -> Any:
    r = client.get("/api" + path)
    assert r.status_code == 200, (path, r.status_code, r.content[:200])
    return r.json()


def test_every_transaction_type_has_the_esplora_shape(
    client: Client, staked_db: StakedChain
) -> None:
    for tx_type in (TxType.COINBASE, TxType.STANDARD, TxType.TICKET_PURCHASE,
                    TxType.TICKET_REVOKE, TxType.SLASH):  # fmt: skip
        row = Transaction.objects.filter(tx_type=tx_type, height__gte=SVH).first()
        assert row is not None, tx_type
        data = get(client, f"/tx/{row.txid}")
        esplora.check_tx(data)
        assert data["tx_type"] == tx_type
        assert data["tx_type_name"] == tx_type.name.lower()
        for i, out in enumerate(get(client, f"/tx/{row.txid}/outspends")):
            assert out == get(client, f"/tx/{row.txid}/outspend/{i}")
    assert staked_db.mempool_purchase is not None
    pending = get(client, f"/tx/{staked_db.mempool_purchase.txid.hex()}")
    esplora.check_tx(pending)
    assert pending["tx_type_name"] == "ticket_purchase"


def test_a_burned_stake_is_spent_by_the_slash_without_an_input(
    client: Client, staked_db: StakedChain
) -> None:
    spend = get(client, f"/tx/{staked_db.slashed}/outspend/0")
    block = Block.objects.get(height=staked_db.slash_height)
    assert spend == {
        "spent": True,
        "txid": staked_db.slash_txid,
        "status": {"confirmed": True, "block_height": block.height, "block_hash": block.hash,
                   "block_time": block.timestamp},
    }  # fmt: skip
    slash = get(client, f"/tx/{staked_db.slash_txid}")
    assert (slash["vin"], slash["vout"], slash["fee"]) == ([], [], 0)
    stake = get(client, f"/tx/{staked_db.slashed}")["vout"][0]
    assert slash["burns"] == [{"txid": staked_db.slashed, "vout": 0, "prevout": stake}]
    assert stake["scriptpubkey_address"] == STAKER


def test_the_staker_address_equals_the_node_utxo_set(
    client: Client, staked_db: StakedChain
) -> None:
    node = node_view(staked_db.a)
    mine = {op: v for op, (v, script) in node.utxos.items() if script == STAKER_SCRIPT}
    data = get(client, f"/address/{STAKER}")
    chain = data["chain_stats"]
    assert chain["funded_txo_sum"] - chain["spent_txo_sum"] == sum(mine.values())
    assert chain["funded_txo_count"] - chain["spent_txo_count"] == len(mine)
    utxos = get(client, f"/address/{STAKER}/utxo")
    confirmed = {(u["txid"], u["vout"]): u["value"] for u in utxos if u["status"]["confirmed"]}
    assert confirmed == mine
    assert staked_db.mempool_purchase is not None
    pending = [u for u in utxos if not u["status"]["confirmed"]]
    assert [(u["txid"], u["vout"]) for u in pending] == [(staked_db.mempool_purchase.txid.hex(), 0)]
    for u in utxos:
        esplora.has(u, esplora.UTXO)
    history = get(client, f"/address/{STAKER}/txs/chain")
    assert len(history) == 25
    assert all(tx["status"]["confirmed"] for tx in history)


def test_blocks_pages_and_block_status_as_esplora(client: Client, staked_db: StakedChain) -> None:
    """/blocks pages hold 10 blocks; a start above the tip is 404 "Block not found"
    (electrs); an unknown block's status has in_best_chain false and null height and
    next_best (electrs' BlockStatus); a block past SVH lists its votes."""
    page = get(client, "/blocks")
    assert [b["height"] for b in page] == list(range(HEIGHT_A, HEIGHT_A - 10, -1))
    assert [b["height"] for b in get(client, f"/blocks/{SVH}")] == list(range(SVH, SVH - 10, -1))
    r = client.get(f"/api/blocks/{HEIGHT_A + 1}")
    assert (r.status_code, r.content) == (404, b"Block not found")
    status = get(client, f"/block/{'ab' * 32}/status")
    assert status == {"in_best_chain": False, "height": None, "next_best": None}
    esplora.has(status, esplora.BLOCK_STATUS)
    tip = page[0]
    esplora.has(tip, esplora.BLOCK)
    assert len(tip["votes"]) == tip["vote_count"] >= 3
    assert get(client, f"/block/{tip['id']}/status")["next_best"] is None


def test_ticket_extensions_match_the_node_pool(client: Client, staked_db: StakedChain) -> None:
    """/v1/tickets: the price is what a purchase in the next block pays (the node's
    getticketprice / getstakeinfo difficulty), the pool size and the status counts are the
    pool's; /v1/ticket/:id of the slashed ticket ends with its slash."""
    node = node_view(staked_db.a)
    tip = Block.objects.get(height=HEIGHT_A)
    assert (HEIGHT_A + 1) % PARAMS.ticket_price_interval == 0
    assert node.next_price != tip.ticket_price  # the tip closed a price window
    data = get(client, "/v1/tickets")
    assert data["price"] == node.next_price
    assert data["pool_size"] == node.live
    counts = Counter(node.tickets.values())
    counts["slashed"] = 1
    assert data["status_counts"] == dict(counts)
    assert get(client, "/v1/stats")["ticket_price"] == node.next_price
    slashed = get(client, f"/v1/ticket/{staked_db.slashed}")
    assert slashed["status"] == "slashed"
    assert slashed["events"][-1] == {"height": staked_db.slash_height, "status": "slashed"}


def test_every_api_route_answers_for_every_kind_of_object(
    client: Client, staked_db: StakedChain
) -> None:
    """Every /api/ route (from the URL resolver) with real values of the staked chain: a
    transaction of each type, blocks before and past SVH and the SLASH's, tickets in every
    state, the staker's address: 200, or 503 where only the node can answer (it is not
    running here), never a 500. (The block's raw bytes come from the node; block/tx/raw of
    a tx is served from the index.)"""
    from django.urls import URLPattern, URLResolver, get_resolver

    from explorer.api.http import not_found
    from indexer.models import Ticket

    (api_routes,) = [
        p for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and str(p.pattern) == "api/"
    ]  # fmt: skip
    txids = [
        Transaction.objects.filter(tx_type=t, height__gte=SVH).values_list("txid", flat=True)[0]
        for t in (TxType.COINBASE, TxType.STANDARD, TxType.TICKET_PURCHASE,
                  TxType.TICKET_REVOKE, TxType.SLASH)
    ]  # fmt: skip
    blocks = [Block.objects.get(height=h) for h in (0, SVH - 1, SVH, staked_db.slash_height)]
    history = get(client, f"/address/{STAKER}/txs/chain")
    values = {
        "hash": [b.hash for b in blocks],
        "height": [str(b.height) for b in blocks],
        "start_height": [str(b.height) for b in blocks],
        "start_index": ["0"],
        "index": ["0"],
        "txid": txids,
        "vout": ["0"],
        "address": [STAKER],
        "last_seen_txid": [history[3]["txid"]],
        "prefix": [STAKER[:8]],
        "ticket_id": [
            Ticket.objects.filter(status=s).values_list("ticket_id", flat=True)[0]
            for s in ("immature", "live", "voted", "missed", "expired", "revoked", "slashed")
        ],
        "name": ["ticket-price", "ticket-pool-size", "supply"],
    }  # fmt: skip
    walked = 0
    for pattern in api_routes.url_patterns:
        assert isinstance(pattern, URLPattern)
        if pattern.callback is not_found or str(pattern.pattern) == "tx":
            continue
        paths = ["/api/" + str(pattern.pattern)]
        for name in pattern.pattern.converters:
            paths = [p.replace(f"<str:{name}>", v) for p in paths for v in values[name]]
        for path in paths:
            r = client.get(path)
            allowed = {200, 503} if path.endswith(("/raw", "fee-estimates")) else {200}
            if path == f"/api/tx/{staked_db.slash_txid}/outspend/0":
                allowed = {404}  # a SLASH has no outputs
            assert r.status_code in allowed, (path, r.status_code, r.content[:200])
            walked += 1
    assert walked > 100
