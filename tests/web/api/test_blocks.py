"""Block endpoints: Esplora shapes and values from a real regtest chain, paging rules, and
Cache-Control by depth."""

from __future__ import annotations

import statistics

import pytest
from django.test import Client

from tests.web.api import esplora
from tests.web.api.chain import TIP_HEIGHT, Scenario

LONG = "public, max-age=31536000, immutable"
SHORT = "public, max-age=10"


def test_tip_height_and_hash_are_text(indexed: Scenario, client: Client) -> None:
    r = client.get("/api/blocks/tip/height")
    assert (r.status_code, r.content, r["Cache-Control"]) == (200, b"24", SHORT)
    assert r["Content-Type"].startswith("text/plain")
    assert client.get("/api/blocks/tip/hash").content.decode() == indexed.hashes[-1]


def test_tip_before_any_block_is_a_clear_404(db: None, client: Client) -> None:
    r = client.get("/api/blocks/tip/height")
    assert r.status_code == 404
    assert r.content == b"No block is indexed yet"
    assert r["Cache-Control"] == "no-store"
    assert client.get("/api/blocks").json() == []


def test_block_has_esplora_fields_and_real_values(indexed: Scenario, client: Client) -> None:
    cb = indexed.blocks[12]
    header = cb.block.header
    r = client.get(f"/api/block/{cb.block.hash.hex()}")
    assert r.status_code == 200
    data = r.json()
    esplora.has(data, esplora.BLOCK)
    assert data["id"] == cb.block.hash.hex()
    assert data["height"] == 12
    assert data["previousblockhash"] == header.prev_hash.hex() == indexed.hashes[11]
    assert data["merkle_root"] == header.merkle_root.hex()
    assert (data["timestamp"], data["bits"], data["nonce"]) == (
        header.timestamp,
        header.bits,
        header.nonce,
    )
    assert data["tx_count"] == 29
    assert data["size"] == cb.block.size
    assert data["weight"] == 4 * data["size"]
    stamps = [b.block.header.timestamp for b in indexed.blocks[2:13]]
    assert data["mediantime"] == sorted(stamps)[len(stamps) // 2] == statistics.median(stamps)
    # Rusty Coin extras ride along under their own names.
    assert data["votes_root"] == header.votes_root.hex()
    assert data["state_root"] == header.state_root.hex()
    assert data["votes"] == []
    assert data["total_fees"] == 28 * 10_000


def test_genesis_has_no_previous_block(indexed: Scenario, client: Client) -> None:
    data = client.get(f"/api/block/{indexed.hashes[0]}").json()
    assert data["height"] == 0
    assert data["previousblockhash"] is None
    assert data["mediantime"] == indexed.blocks[0].block.header.timestamp


def test_cache_control_by_depth(indexed: Scenario, client: Client) -> None:
    # Tip 24: block 15 has 10 confirmations (final), block 16 has 9.
    assert client.get(f"/api/block/{indexed.hashes[15]}")["Cache-Control"] == LONG
    assert client.get(f"/api/block/{indexed.hashes[16]}")["Cache-Control"] == SHORT
    assert client.get("/api/block-height/15")["Cache-Control"] == LONG
    assert client.get("/api/block-height/24")["Cache-Control"] == SHORT
    assert client.get("/api/blocks")["Cache-Control"] == SHORT
    assert client.get("/api/blocks/10")["Cache-Control"] == LONG


def test_block_header_is_the_real_header(indexed: Scenario, client: Client) -> None:
    cb = indexed.blocks[13]
    r = client.get(f"/api/block/{cb.block.hash.hex()}/header")
    assert r.content.decode() == cb.block.header.serialize().hex()


def test_block_height_and_uppercase_hash(indexed: Scenario, client: Client) -> None:
    assert client.get("/api/block-height/12").content.decode() == indexed.hashes[12]
    r = client.get(f"/api/block/{indexed.hashes[12].upper()}")
    assert r.json()["id"] == indexed.hashes[12]
    r = client.get(f"/api/block-height/{TIP_HEIGHT + 1}")
    assert (r.status_code, r.content) == (404, b"Block not found")


def test_blocks_pages_newest_first(indexed: Scenario, client: Client) -> None:
    page = client.get("/api/blocks").json()
    assert [b["height"] for b in page] == list(range(24, 14, -1))
    for b in page:
        esplora.has(b, esplora.BLOCK)
    assert [b["height"] for b in client.get("/api/blocks/5").json()] == [5, 4, 3, 2, 1, 0]
    # A start above the tip names no block (electrs: 404 "Block not found").
    r = client.get("/api/blocks/4000000")
    assert (r.status_code, r.content) == (404, b"Block not found")


def test_block_status(indexed: Scenario, client: Client) -> None:
    data = client.get(f"/api/block/{indexed.hashes[12]}/status").json()
    esplora.has(data, esplora.BLOCK_STATUS)
    assert data == {"in_best_chain": True, "height": 12, "next_best": indexed.hashes[13]}
    tip = client.get(f"/api/block/{indexed.hashes[-1]}/status").json()
    assert tip["next_best"] is None
    unknown = client.get(f"/api/block/{'ab' * 32}/status").json()
    assert unknown == {"in_best_chain": False, "height": None, "next_best": None}


def test_block_txids_and_txid_at(indexed: Scenario, client: Client) -> None:
    h = indexed.hashes[12]
    assert client.get(f"/api/block/{h}/txids").json() == indexed.block12_txids
    assert client.get(f"/api/block/{h}/txid/28").content.decode() == indexed.block12_txids[28]
    r = client.get(f"/api/block/{h}/txid/29")
    assert r.status_code == 404
    assert b"out of range" in r.content


def test_block_txs_pages_of_25(indexed: Scenario, client: Client) -> None:
    h = indexed.hashes[12]
    first = client.get(f"/api/block/{h}/txs").json()
    second = client.get(f"/api/block/{h}/txs/25").json()
    assert [t["txid"] for t in first + second] == indexed.block12_txids
    assert len(first) == 25
    for tx in first + second:
        esplora.check_tx(tx)
        assert tx["status"]["block_hash"] == h
    coinbase = first[0]
    assert coinbase["vin"][0]["is_coinbase"] is True
    assert coinbase["vin"][0]["prevout"] is None
    assert coinbase["fee"] == 0


@pytest.mark.parametrize(
    ("start", "message"),
    [("5", b"start index must be a multiple of 25"), ("50", b"start index out of range")],
)
def test_block_txs_start_index_rules(
    indexed: Scenario, client: Client, start: str, message: bytes
) -> None:
    r = client.get(f"/api/block/{indexed.hashes[12]}/txs/{start}")
    assert r.status_code == 400
    assert r.content.startswith(message)


def test_unknown_block_is_404(indexed: Scenario, client: Client) -> None:
    for suffix in ("", "/header", "/txs", "/txids", "/txid/0", "/raw"):
        r = client.get(f"/api/block/{'00' * 32}{suffix}")
        assert (r.status_code, r.content) == (404, b"Block not found"), suffix


def test_raw_block_needs_the_node(indexed: Scenario, client: Client) -> None:
    """The index keeps no vote signatures, so raw blocks come from the node: 503 without it."""
    r = client.get(f"/api/block/{indexed.hashes[3]}/raw")
    assert r.status_code == 503
    assert r["Retry-After"] == "10"
    assert r["Cache-Control"] == "no-store"
