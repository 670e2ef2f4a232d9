"""Esplora-compatible endpoints under /api/ (blocks, transactions, addresses, mempool, fees).

Path parameters arrive as strings and are validated by `indexer.read.parse`, so a malformed
hash, height or address is a 400 with a message, never a resolver 404 or a 500.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from explorer.api.http import (
    NO_STORE,
    SHORT_CACHE,
    binary_response,
    endpoint,
    json_response,
    text_response,
)
from indexer.read import addresses, chain, mempool, node, txs
from indexer.read.errors import NotFound
from indexer.read.parse import (
    parse_address,
    parse_address_prefix,
    parse_hash,
    parse_height,
    parse_uint,
)

# ----------------------------------------------------------------------------- blocks


def _tip() -> chain.Tip:
    t = chain.tip()
    if t is None:
        raise NotFound("No block is indexed yet")
    return t


@endpoint("GET")
def tip_height(request: HttpRequest) -> HttpResponse:
    """GET /blocks/tip/height"""
    return text_response(str(_tip().height), cache=SHORT_CACHE)


@endpoint("GET")
def tip_hash(request: HttpRequest) -> HttpResponse:
    """GET /blocks/tip/hash"""
    return text_response(_tip().hash, cache=SHORT_CACHE)


@endpoint("GET")
def blocks(request: HttpRequest, start_height: str | None = None) -> HttpResponse:
    """GET /blocks[/:start_height]"""
    start = None if start_height is None else parse_height(start_height)
    page = chain.blocks_page(start)
    top = page[0]["height"] if page and start is not None else None
    return json_response(page, top)


@endpoint("GET")
def block_height(request: HttpRequest, height: str) -> HttpResponse:
    """GET /block-height/:height"""
    h = parse_height(height)
    return text_response(chain.block_hash_at(h), h)


@endpoint("GET")
def block(request: HttpRequest, hash: str) -> HttpResponse:
    """GET /block/:hash"""
    data = chain.block_by_hash(parse_hash(hash, "block hash"))
    return json_response(data, data["height"])


@endpoint("GET")
def block_header(request: HttpRequest, hash: str) -> HttpResponse:
    """GET /block/:hash/header"""
    block_hash = parse_hash(hash, "block hash")
    header = chain.header_hex(block_hash)
    return text_response(header, chain.get_block(block_hash).height)


@endpoint("GET")
def block_status(request: HttpRequest, hash: str) -> HttpResponse:
    """GET /block/:hash/status"""
    data = chain.block_status(parse_hash(hash, "block hash"))
    return json_response(data, data.get("height"))


@endpoint("GET")
def block_txs(request: HttpRequest, hash: str, start_index: str = "0") -> HttpResponse:
    """GET /block/:hash/txs[/:start_index]"""
    block_hash = parse_hash(hash, "block hash")
    start = parse_uint(start_index, "start index")
    data = txs.block_txs(block_hash, start)
    return json_response(data, data[0]["status"]["block_height"] if data else None)


@endpoint("GET")
def block_txids(request: HttpRequest, hash: str) -> HttpResponse:
    """GET /block/:hash/txids"""
    block_hash = parse_hash(hash, "block hash")
    data = chain.block_txids(block_hash)
    return json_response(data, chain.get_block(block_hash).height)


@endpoint("GET")
def block_txid(request: HttpRequest, hash: str, index: str) -> HttpResponse:
    """GET /block/:hash/txid/:index"""
    block_hash = parse_hash(hash, "block hash")
    txid = chain.block_txid_at(block_hash, parse_uint(index, "transaction index"))
    return text_response(txid, chain.get_block(block_hash).height)


@endpoint("GET")
def block_raw(request: HttpRequest, hash: str) -> HttpResponse:
    """GET /block/:hash/raw (from the node: the index does not keep vote signatures)"""
    row = chain.get_block(parse_hash(hash, "block hash"))
    return binary_response(node.raw_block(row.hash), row.height)


# ----------------------------------------------------------------------------- transactions


@endpoint("POST")
def broadcast(request: HttpRequest) -> HttpResponse:
    """POST /tx: hex body -> txid as text"""
    try:
        body = request.body.decode("ascii")
    except UnicodeDecodeError:
        body = "\x00"  # not hex: rejected below with the hex message
    return text_response(node.broadcast(body), cache=NO_STORE)


@endpoint("GET")
def tx(request: HttpRequest, txid: str) -> HttpResponse:
    """GET /tx/:txid"""
    data = txs.tx_json(parse_hash(txid, "txid"))
    return json_response(data, data["status"].get("block_height"))


@endpoint("GET")
def tx_status(request: HttpRequest, txid: str) -> HttpResponse:
    """GET /tx/:txid/status"""
    data = txs.tx_status(parse_hash(txid, "txid"))
    return json_response(data, data.get("block_height"))


@endpoint("GET")
def tx_hex(request: HttpRequest, txid: str) -> HttpResponse:
    """GET /tx/:txid/hex"""
    raw, height = txs.tx_raw(parse_hash(txid, "txid"))
    return text_response(raw.hex(), height)


@endpoint("GET")
def tx_raw(request: HttpRequest, txid: str) -> HttpResponse:
    """GET /tx/:txid/raw"""
    raw, height = txs.tx_raw(parse_hash(txid, "txid"))
    return binary_response(raw, height)


@endpoint("GET")
def tx_merkle_proof(request: HttpRequest, txid: str) -> HttpResponse:
    """GET /tx/:txid/merkle-proof"""
    data = txs.merkle_proof(parse_hash(txid, "txid"))
    return json_response(data, data["block_height"])


@endpoint("GET")
def tx_outspend(request: HttpRequest, txid: str, vout: str) -> HttpResponse:
    """GET /tx/:txid/outspend/:vout"""
    data = txs.outspend(parse_hash(txid, "txid"), parse_uint(vout, "output index"))
    status = data.get("status") or {}
    return json_response(data, status.get("block_height"))


@endpoint("GET")
def tx_outspends(request: HttpRequest, txid: str) -> HttpResponse:
    """GET /tx/:txid/outspends"""
    return json_response(txs.outspends(parse_hash(txid, "txid")), cache=SHORT_CACHE)


# ----------------------------------------------------------------------------- addresses


@endpoint("GET")
def address(request: HttpRequest, address: str) -> HttpResponse:
    """GET /address/:address"""
    return json_response(addresses.address_stats(parse_address(address)), cache=SHORT_CACHE)


@endpoint("GET")
def address_txs(request: HttpRequest, address: str) -> HttpResponse:
    """GET /address/:address/txs"""
    return json_response(addresses.address_txs(parse_address(address)), cache=SHORT_CACHE)


@endpoint("GET")
def address_txs_chain(
    request: HttpRequest, address: str, last_seen_txid: str | None = None
) -> HttpResponse:
    """GET /address/:address/txs/chain[/:last_seen_txid]"""
    addr = parse_address(address)
    last = None if last_seen_txid is None else parse_hash(last_seen_txid, "last_seen_txid")
    return json_response(addresses.address_txs_chain(addr, last), cache=SHORT_CACHE)


@endpoint("GET")
def address_txs_mempool(request: HttpRequest, address: str) -> HttpResponse:
    """GET /address/:address/txs/mempool"""
    data = addresses.address_txs_mempool(parse_address(address))
    return json_response(data, cache=SHORT_CACHE)


@endpoint("GET")
def address_utxo(request: HttpRequest, address: str) -> HttpResponse:
    """GET /address/:address/utxo"""
    return json_response(addresses.address_utxos(parse_address(address)), cache=SHORT_CACHE)


@endpoint("GET")
def address_prefix(request: HttpRequest, prefix: str) -> HttpResponse:
    """GET /address-prefix/:prefix"""
    data = addresses.address_prefix(parse_address_prefix(prefix))
    return json_response(data, cache=SHORT_CACHE)


# ----------------------------------------------------------------------------- mempool, fees


@endpoint("GET")
def mempool_stats(request: HttpRequest) -> HttpResponse:
    """GET /mempool"""
    return json_response(mempool.mempool_stats(), cache=SHORT_CACHE)


@endpoint("GET")
def mempool_txids(request: HttpRequest) -> HttpResponse:
    """GET /mempool/txids"""
    return json_response(mempool.mempool_txids(), cache=SHORT_CACHE)


@endpoint("GET")
def mempool_recent(request: HttpRequest) -> HttpResponse:
    """GET /mempool/recent"""
    return json_response(mempool.mempool_recent(), cache="public, max-age=5")


@endpoint("GET")
def fee_estimates(request: HttpRequest) -> HttpResponse:
    """GET /fee-estimates"""
    return json_response(node.fee_estimates(), cache=SHORT_CACHE)
