"""Esplora's documented field names (Blockstream esplora API.md and electrs' REST types), the
reference the shape tests check every answer against."""

from __future__ import annotations

from typing import Any

BLOCK = {
    "id", "height", "version", "timestamp", "tx_count", "size", "weight", "merkle_root",
    "previousblockhash", "mediantime", "nonce", "bits", "difficulty",
}  # fmt: skip
TX = {"txid", "version", "locktime", "vin", "vout", "size", "weight", "fee", "status"}
VIN = {
    "txid", "vout", "prevout", "scriptsig", "scriptsig_asm", "witness", "is_coinbase",
    "sequence",
}  # fmt: skip
VOUT = {"scriptpubkey", "scriptpubkey_asm", "scriptpubkey_type", "value"}  # + address if any
STATUS_CONFIRMED = {"confirmed", "block_height", "block_hash", "block_time"}
TXO_STATS = {"funded_txo_count", "funded_txo_sum", "spent_txo_count", "spent_txo_sum", "tx_count"}
ADDRESS = {"address", "chain_stats", "mempool_stats"}
UTXO = {"txid", "vout", "status", "value"}
OUTSPEND_SPENT = {"spent", "txid", "vin", "status"}
MERKLE = {"block_height", "merkle", "pos"}
MEMPOOL = {"count", "vsize", "total_fee", "fee_histogram"}
MEMPOOL_RECENT = {"txid", "fee", "vsize", "value"}
BLOCK_STATUS = {"in_best_chain", "height", "next_best"}


def has(obj: dict[str, Any], fields: set[str]) -> None:
    """Every Esplora field is present (extras are allowed, renames are not)."""
    missing = fields - obj.keys()
    assert not missing, f"missing Esplora fields {sorted(missing)} in {sorted(obj)}"


def check_status(status: dict[str, Any]) -> None:
    if status["confirmed"]:
        has(status, STATUS_CONFIRMED)
    else:
        assert status == {"confirmed": False}


def check_tx(tx: dict[str, Any]) -> None:
    """A whole transaction object: its own fields, every vin/vout and its status."""
    has(tx, TX)
    assert tx["weight"] == 4 * tx["size"]
    for vin in tx["vin"]:
        has(vin, VIN)
        if vin["prevout"] is not None:
            has(vin["prevout"], VOUT)
    for vout in tx["vout"]:
        has(vout, VOUT)
    check_status(tx["status"])
