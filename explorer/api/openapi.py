"""The OpenAPI 3.1 document of the REST API, served at /api/openapi.json.

Built once from the tables below; tests check that every route in explorer/api/urls.py is
described here and that every described path resolves.
"""

from __future__ import annotations

import re
from typing import Any, Final

from django.http import HttpRequest, HttpResponse

from explorer.api.http import endpoint, json_response

INT: Final = {"type": "integer"}
NUM: Final = {"type": "number"}
STR: Final = {"type": "string"}
HEX64: Final = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
BOOL: Final = {"type": "boolean"}
NULLABLE_INT: Final = {"type": ["integer", "null"]}


def _obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    props = {**required, **(optional or {})}
    return {"type": "object", "properties": props, "required": list(required)}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _array(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


STATUS = _obj({"confirmed": BOOL}, {"block_height": INT, "block_hash": HEX64, "block_time": INT})
VOUT = _obj(
    {"scriptpubkey": STR, "scriptpubkey_asm": STR, "scriptpubkey_type": STR, "value": INT},
    {"scriptpubkey_address": STR},
)
SCHEMAS: Final[dict[str, Any]] = {
    "Status": STATUS,
    "Vout": VOUT,
    "Vin": _obj(
        {
            "txid": HEX64,
            "vout": INT,
            "prevout": {"oneOf": [_ref("Vout"), {"type": "null"}]},
            "scriptsig": STR,
            "scriptsig_asm": STR,
            "witness": _array(STR),
            "is_coinbase": BOOL,
            "sequence": INT,
        }
    ),
    "Transaction": _obj(
        {
            "txid": HEX64,
            "version": INT,
            "locktime": INT,
            "vin": _array(_ref("Vin")),
            "vout": _array(_ref("Vout")),
            "size": INT,
            "weight": INT,
            "fee": INT,
            "status": _ref("Status"),
        },
        {
            "wtxid": HEX64,
            "tx_type": INT,
            "tx_type_name": STR,
            "burns": _array(_obj({"txid": HEX64, "vout": INT, "prevout": _ref("Vout")})),
        },
    ),
    "Block": _obj(
        {
            "id": HEX64,
            "height": INT,
            "version": INT,
            "timestamp": INT,
            "tx_count": INT,
            "size": INT,
            "weight": INT,
            "merkle_root": HEX64,
            "previousblockhash": {"type": ["string", "null"]},
            "mediantime": INT,
            "nonce": INT,
            "bits": INT,
            "difficulty": NUM,
        },
        {
            "votes_root": HEX64,
            "state_root": HEX64,
            "chainwork": STR,
            "vote_count": INT,
            "total_fees": INT,
            "subsidy": INT,
            "total_out": INT,
            "supply": INT,
            "ticket_price": INT,
            "next_ticket_price": INT,
            "ticket_pool_size": INT,
            "votes": _array(_obj({"ticket_id": HEX64, "vote_bits": INT})),
        },
    ),
    "BlockStatus": _obj(
        {
            "in_best_chain": BOOL,
            "height": NULLABLE_INT,
            "next_best": {"type": ["string", "null"]},
        }
    ),
    # vin is absent for a ticket stake burned by a SLASH (spent without an input)
    "Outspend": _obj({"spent": BOOL}, {"txid": HEX64, "vin": INT, "status": _ref("Status")}),
    "MerkleProof": _obj(
        {"block_height": INT, "merkle": _array(HEX64), "pos": INT},
        {"wtxid": HEX64, "merkle_root": HEX64, "proof": STR},
    ),
    "TxoStats": _obj(
        {
            "funded_txo_count": INT,
            "funded_txo_sum": INT,
            "spent_txo_count": INT,
            "spent_txo_sum": INT,
            "tx_count": INT,
        }
    ),
    "Address": _obj(
        {"address": STR, "chain_stats": _ref("TxoStats"), "mempool_stats": _ref("TxoStats")},
        {
            "balance": INT,
            "utxo_count": INT,
            "first_seen_height": NULLABLE_INT,
            "last_seen_height": NULLABLE_INT,
        },
    ),
    "Utxo": _obj({"txid": HEX64, "vout": INT, "status": _ref("Status"), "value": INT}),
    "Mempool": _obj(
        {
            "count": INT,
            "vsize": INT,
            "total_fee": INT,
            "fee_histogram": _array({"type": "array", "prefixItems": [NUM, INT]}),
        }
    ),
    "MempoolRecent": _obj(
        {"txid": HEX64, "fee": INT, "vsize": INT, "value": INT},
        {"feerate": NUM, "tx_type": INT, "first_seen": INT},
    ),
    "FeeEstimates": {"type": "object", "additionalProperties": NUM},
    "Supply": _obj(
        {
            "height": INT,
            "supply": INT,
            "supply_rust": STR,
            "max_money": INT,
            "max_money_rust": STR,
            "issued_percent": NUM,
        }
    ),
    "Stats": _obj(
        {
            "height": INT,
            "hash": {"type": ["string", "null"]},
            "timestamp": NULLABLE_INT,
            "difficulty": NUM,
            "hashrate": NUM,
            "tx_count": INT,
            "avg_block_interval": {"type": ["number", "null"]},
            "mempool_count": INT,
            "mempool_vsize": INT,
            "ticket_price": INT,
            "ticket_pool_size": INT,
            "supply": INT,
        }
    ),
    "Tickets": _obj(
        {
            "price": INT,
            "pool_size": INT,
            "status_counts": {"type": "object", "additionalProperties": INT},
            "price_history": _array(_array(INT)),
            "pool_size_history": _array(_array(INT)),
            "recent_votes": _array(
                _obj(
                    {
                        "block_height": INT,
                        "block_hash": HEX64,
                        "position": INT,
                        "ticket_id": HEX64,
                        "vote_bits": INT,
                    }
                )
            ),
        }
    ),
    "Ticket": _obj(
        {
            "ticket_id": HEX64,
            "purchase_height": INT,
            "price": INT,
            "status": STR,
            "status_height": INT,
            "reward_address": {"type": ["string", "null"]},
            "vote_block_height": NULLABLE_INT,
            "events": _array(_obj({"height": INT, "status": STR})),
        }
    ),
    "Chart": _obj({"chart": STR, "unit": STR, "points": _array(_array(NUM))}),
}

PARAMS: Final[dict[str, tuple[str, dict[str, Any]]]] = {
    "hash": ("a block hash (64 hex characters)", HEX64),
    "txid": ("a txid (64 hex characters)", HEX64),
    "last_seen_txid": ("the last txid of the previous page", HEX64),
    "ticket_id": ("a ticket id (the purchase txid)", HEX64),
    "height": ("a block height", {"type": "integer", "minimum": 0}),
    "start_height": ("the height of the newest block to list", {"type": "integer", "minimum": 0}),
    "start_index": (
        "a multiple of 25 below the block's tx count",
        {"type": "integer", "minimum": 0},
    ),
    "index": ("a transaction's position in the block", {"type": "integer", "minimum": 0}),
    "vout": ("an output index", {"type": "integer", "minimum": 0}),
    "address": ("a bech32m address of this network", STR),
    "prefix": ("the start of an address (letters and digits)", STR),
    "name": ("a chart name (see the description)", STR),
}

_TEXT = {"text/plain": {"schema": STR}}
_BINARY = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
_CSV = {"text/csv": {"schema": STR}}

TXS = _array(_ref("Transaction"))
BLOCKS = _array(_ref("Block"))

# path -> (summary, response schema, or "text" / "binary" / "csv" / "post" for non-JSON)
ROUTES: Final[dict[str, tuple[str, Any]]] = {
    "/blocks/tip/height": ("Height of the last block", "text"),
    "/blocks/tip/hash": ("Hash of the last block", "text"),
    "/blocks": ("The 10 newest blocks", BLOCKS),
    "/blocks/{start_height}": ("10 blocks down from start_height", BLOCKS),
    "/block-height/{height}": ("Hash of the block at a height", "text"),
    "/block/{hash}": ("A block", _ref("Block")),
    "/block/{hash}/header": ("The 160-byte header in hex", "text"),
    "/block/{hash}/status": ("Whether the block is in the best chain", _ref("BlockStatus")),
    "/block/{hash}/txs": ("The block's first 25 transactions", TXS),
    "/block/{hash}/txs/{start_index}": ("25 transactions from start_index", TXS),
    "/block/{hash}/txids": ("Every txid of the block", _array(HEX64)),
    "/block/{hash}/txid/{index}": ("The txid at a position", "text"),
    "/block/{hash}/raw": ("The serialized block (from the node)", "binary"),
    "/tx": ("Broadcast a transaction (hex body); answers its txid", "post"),
    "/tx/{txid}": ("A transaction", _ref("Transaction")),
    "/tx/{txid}/status": ("Confirmation status", _ref("Status")),
    "/tx/{txid}/hex": ("The serialized transaction in hex", "text"),
    "/tx/{txid}/raw": ("The serialized transaction", "binary"),
    "/tx/{txid}/merkle-proof": ("Merkle inclusion proof (Electrum format)", _ref("MerkleProof")),
    "/tx/{txid}/outspend/{vout}": ("Spending status of an output", _ref("Outspend")),
    "/tx/{txid}/outspends": ("Spending status of every output", _array(_ref("Outspend"))),
    "/address/{address}": ("Address statistics", _ref("Address")),
    "/address/{address}/txs": ("50 mempool + 25 newest confirmed transactions", TXS),
    "/address/{address}/txs/chain": ("25 newest confirmed transactions", TXS),
    "/address/{address}/txs/chain/{last_seen_txid}": ("The next 25 (keyset paging)", TXS),
    "/address/{address}/txs/mempool": ("Up to 50 unconfirmed transactions", TXS),
    "/address/{address}/utxo": ("Unspent outputs (at most 1,000)", _array(_ref("Utxo"))),
    "/address-prefix/{prefix}": ("Up to 10 addresses starting with a prefix", _array(STR)),
    "/mempool": ("Mempool backlog statistics", _ref("Mempool")),
    "/mempool/txids": ("Every txid in the mempool", _array(HEX64)),
    "/mempool/recent": ("The last 10 mempool arrivals", _array(_ref("MempoolRecent"))),
    "/fee-estimates": ("Fee rates (units/byte) by target", _ref("FeeEstimates")),
    "/v1/supply": ("Coins issued so far", _ref("Supply")),
    "/v1/stats": ("Chain statistics", _ref("Stats")),
    "/v1/tickets": ("Ticket price, pool size, histories and recent votes", _ref("Tickets")),
    "/v1/ticket/{ticket_id}": ("One ticket and its state changes", _ref("Ticket")),
    "/v1/charts/{name}": ("A daily chart series", _ref("Chart")),
    "/v1/charts/blocks/{name}": ("A per-block chart series", _ref("Chart")),
    "/v1/address/{address}/txs.csv": ("The address's confirmed history as CSV", "csv"),
    "/openapi.json": ("This document", {"type": "object"}),
}  # fmt: skip

QUERY: Final[dict[str, tuple[str, str, int]]] = {
    "/v1/tickets": ("blocks", "blocks of history (default 1000, max 5000)", 5000),
    "/v1/charts/{name}": ("days", "days of history (default 365, max 5000)", 5000),
    "/v1/charts/blocks/{name}": ("count", "blocks (default 144, max 5000)", 5000),
}

ERRORS: Final = {
    "400": {"description": "Malformed input (plain-text message)", "content": _TEXT},
    "404": {"description": "Not found (plain-text message)", "content": _TEXT},
    "429": {
        "description": "Rate limited; see the Retry-After header",
        "headers": {"Retry-After": {"schema": INT}},
        "content": _TEXT,
    },
}


def _operation(route: str, summary: str, kind: Any) -> dict[str, Any]:
    params = [
        {"name": n, "in": "path", "required": True, "description": PARAMS[n][0],
         "schema": PARAMS[n][1]}
        for n in (part[1:-1] for part in route.split("/") if part.startswith("{"))
    ]  # fmt: skip
    if route in QUERY:
        name, text, maximum = QUERY[route]
        schema = {"type": "integer", "minimum": 0, "maximum": maximum}
        params.append(
            {"name": name, "in": "query", "required": False, "description": text, "schema": schema}
        )
    if isinstance(kind, str):
        content = {"text": _TEXT, "binary": _BINARY, "csv": _CSV, "post": _TEXT}[kind]
    else:
        content = {"application/json": {"schema": kind}}
    op_id = re.sub(r"[^a-z0-9]+", "_", route.lower()).strip("_")
    op: dict[str, Any] = {
        "summary": summary,
        "operationId": op_id,
        "parameters": params,
        "responses": {"200": {"description": "OK", "content": content}, **ERRORS},
    }  # fmt: skip
    if kind == "post":
        op["requestBody"] = {"required": True, "content": {"text/plain": {"schema": STR}}}
        op["responses"]["503"] = {"description": "The node is unreachable", "content": _TEXT}
        return {"post": op}
    if route in ("/fee-estimates", "/block/{hash}/raw"):
        op["responses"]["503"] = {"description": "The node is unreachable", "content": _TEXT}
    return {"get": op}


def build() -> dict[str, Any]:
    """The OpenAPI 3.1 document (paths relative to the /api server)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Rusty Coin explorer API",
            "version": "1.0.0",
            "description": (
                "Esplora-compatible REST API of the Rusty Coin block explorer, with Rusty "
                "Coin extensions under /v1/. Amounts are integer base units (1 RUST = 10^8); "
                "hashes are the hex of the stored bytes. Limits, caching and the field "
                "choices are described in docs/REST.md. Daily charts: "
                "tx-count, block-count, block-size, total-size, difficulty, fees, ticket-price, "
                "ticket-pool-size, supply; per-block charts: size, tx-count, difficulty, fees, "
                "vote-count, ticket-price, ticket-pool-size, supply, interval."
            ),
        },
        "servers": [{"url": "/api"}],
        "paths": {route: _operation(route, *spec) for route, spec in ROUTES.items()},
        "components": {"schemas": SCHEMAS},
    }


DOCUMENT: Final = build()


@endpoint("GET")
def document(request: HttpRequest) -> HttpResponse:
    """GET /openapi.json"""
    return json_response(DOCUMENT, cache="public, max-age=3600")
