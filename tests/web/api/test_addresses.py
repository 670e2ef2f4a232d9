"""Address endpoints: Esplora stats checked against an independent count over the real
blocks, keyset paging, UTXOs with the mempool applied, prefix search and the CSV export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

from node.crypto.address import encode_address
from tests.web.api import esplora
from tests.web.api.chain import HRP, Scenario


def _independent_stats(s: Scenario, address: str) -> dict[str, int]:
    """Esplora chain_stats recomputed straight from the blocks (no SQL)."""
    funded: dict[tuple[bytes, int], int] = {}
    stats = dict.fromkeys(esplora.TXO_STATS, 0)
    for cb in s.blocks:
        for tx in cb.block.txs:
            touched = False
            for txin in tx.inputs:
                key = (txin.prevout.txid, txin.prevout.vout)
                if key in funded:
                    stats["spent_txo_count"] += 1
                    stats["spent_txo_sum"] += funded.pop(key)
                    touched = True
            for vout, out in enumerate(tx.outputs):
                if out.script_pubkey == _script(s, address):
                    funded[(tx.txid, vout)] = out.value
                    stats["funded_txo_count"] += 1
                    stats["funded_txo_sum"] += out.value
                    touched = True
            stats["tx_count"] += touched
    return stats


def _script(s: Scenario, address: str) -> bytes:
    return next(k.script for k in (s.a, s.b, s.c) if s.address(k) == address)


def test_address_stats_match_an_independent_count(indexed: Scenario, client: Client) -> None:
    for key in (indexed.a, indexed.b, indexed.c):
        address = indexed.address(key)
        r = client.get(f"/api/address/{address}")
        assert r["Cache-Control"] == "public, max-age=10"
        data = r.json()
        esplora.has(data, esplora.ADDRESS)
        esplora.has(data["chain_stats"], esplora.TXO_STATS)
        esplora.has(data["mempool_stats"], esplora.TXO_STATS)
        assert data["address"] == address
        assert data["chain_stats"] == _independent_stats(indexed, address)
        chain = data["chain_stats"]
        assert data["balance"] == chain["funded_txo_sum"] - chain["spent_txo_sum"]


def test_mempool_stats_of_payer_and_payee(indexed: Scenario, client: Client) -> None:
    c = client.get(f"/api/address/{indexed.address(indexed.c)}").json()["mempool_stats"]
    assert c == {"funded_txo_count": 0, "funded_txo_sum": 0, "spent_txo_count": 1,
                 "spent_txo_sum": 90_000_000, "tx_count": 1}  # fmt: skip
    b = client.get(f"/api/address/{indexed.address(indexed.b)}").json()["mempool_stats"]
    assert b == {"funded_txo_count": 1, "funded_txo_sum": 89_990_000, "spent_txo_count": 0,
                 "spent_txo_sum": 0, "tx_count": 1}  # fmt: skip


def test_unused_valid_address_has_zero_stats(indexed: Scenario, client: Client) -> None:
    address = encode_address(HRP, 0, bytes(20))
    data = client.get(f"/api/address/{address}").json()
    assert data["chain_stats"] == dict.fromkeys(esplora.TXO_STATS, 0)
    assert client.get(f"/api/address/{address}/txs").json() == []
    assert client.get(f"/api/address/{address}/utxo").json() == []


def test_foreign_and_malformed_addresses_are_400(indexed: Scenario, client: Client) -> None:
    mainnet = encode_address("rc", 0, bytes(20))
    r = client.get(f"/api/address/{mainnet}")
    assert r.status_code == 400
    assert b"mainnet" in r.content
    r = client.get("/api/address/rcrt1qqqqqqqqqqqqqqqqqqqqqq")
    assert r.status_code == 400
    assert r.content.startswith(b"Invalid address")


def test_history_pages_by_keyset(indexed: Scenario, client: Client) -> None:
    b = indexed.address(indexed.b)
    first = client.get(f"/api/address/{b}/txs/chain").json()
    assert len(first) == 25
    second = client.get(f"/api/address/{b}/txs/chain/{first[-1]['txid']}").json()
    assert len(second) == 4
    txids = [t["txid"] for t in first + second]
    expected = [indexed.spend_b_txid, *reversed(indexed.block12_txids[1:])]
    assert txids == expected
    for tx in first + second:
        esplora.check_tx(tx)
    assert client.get(f"/api/address/{b}/txs/chain/{second[-1]['txid']}").json() == []


def test_history_cursor_must_be_in_the_history(indexed: Scenario, client: Client) -> None:
    b = indexed.address(indexed.b)
    r = client.get(f"/api/address/{b}/txs/chain/{indexed.fan_out_txid}")
    assert r.status_code == 404
    assert b"last_seen_txid" in r.content


def test_txs_lists_mempool_then_chain(indexed: Scenario, client: Client) -> None:
    assert indexed.mempool_tx is not None
    b = indexed.address(indexed.b)
    data = client.get(f"/api/address/{b}/txs").json()
    assert data[0]["txid"] == indexed.mempool_tx.txid.hex()
    assert data[0]["status"] == {"confirmed": False}
    assert len(data) == 1 + 25
    mempool = client.get(f"/api/address/{b}/txs/mempool").json()
    assert [t["txid"] for t in mempool] == [indexed.mempool_tx.txid.hex()]


def test_utxos_apply_the_mempool(indexed: Scenario, client: Client) -> None:
    assert indexed.mempool_tx is not None
    c = client.get(f"/api/address/{indexed.address(indexed.c)}/utxo").json()
    assert c == []  # its only coin is spent by the mempool transaction
    b = client.get(f"/api/address/{indexed.address(indexed.b)}/utxo").json()
    for utxo in b:
        esplora.has(utxo, esplora.UTXO)
    assert b[0] == {"txid": indexed.mempool_tx.txid.hex(), "vout": 0,
                    "status": {"confirmed": False}, "value": 89_990_000}  # fmt: skip
    confirmed = [u for u in b if u["status"]["confirmed"]]
    assert len(confirmed) == 27  # 28 payments + change - the 2 spent in block 13
    assert sum(u["value"] for u in confirmed) == 26 * 50_000_000 + 9_990_000


def test_address_prefix_search(indexed: Scenario, client: Client) -> None:
    b = indexed.address(indexed.b)
    assert client.get(f"/api/address-prefix/{b[:12]}").json() == [b]
    every = client.get(f"/api/address-prefix/{HRP}1").json()
    assert sorted(every) == sorted(indexed.address(k) for k in (indexed.a, indexed.b, indexed.c))
    assert client.get("/api/address-prefix/zzzz").json() == []
    assert client.get(f"/api/address-prefix/{b[:12].upper()}").json() == [b]


def test_history_csv(indexed: Scenario, client: Client) -> None:
    b = indexed.address(indexed.b)
    r = client.get(f"/api/v1/address/{b}/txs.csv")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    assert f'filename="{b}-transactions.csv"' in r["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode())))
    assert len(rows) == 29
    assert rows[0]["txid"] == indexed.spend_b_txid
    stats = client.get(f"/api/address/{b}").json()
    assert Decimal(rows[0]["balance"]) * 10**8 == stats["balance"]
    # Walking back, the oldest row's balance is its own net amount (the address started at 0).
    assert rows[-1]["balance"] == rows[-1]["net"] == "0.50000000"
    assert sum(Decimal(row["net"]) for row in rows) * 10**8 == stats["balance"]


def test_history_csv_streams_under_asgi(indexed: Scenario) -> None:
    """Served by ASGI the CSV is an async stream, read in chunks from the database."""
    b = indexed.address(indexed.b)

    async def fetch() -> tuple[int, bool, bytes]:
        r = await AsyncClient().get(f"/api/v1/address/{b}/txs.csv")
        body = b"".join([chunk async for chunk in r.streaming_content])
        return r.status_code, r.is_async, body

    status, is_async, body = async_to_sync(fetch)()
    assert (status, is_async) == (200, True)
    assert body.decode().count("\r\n") == 30  # header + 29 transactions
