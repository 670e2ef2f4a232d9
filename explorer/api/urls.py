"""Routes of the REST API, included at /api/ by rustycoin/urls.py.

Path parameters are plain strings (validated in the views, for clear 400 messages); every
route is described in the OpenAPI document at /api/openapi.json (a test checks it), and any
other /api/ path is a plain-text 404.
"""

from django.urls import path, re_path

from explorer.api import openapi, v1, views
from explorer.api.http import not_found

app_name = "api"
urlpatterns = [
    # blocks
    path("blocks/tip/height", views.tip_height, name="tip-height"),
    path("blocks/tip/hash", views.tip_hash, name="tip-hash"),
    path("blocks", views.blocks, name="blocks"),
    path("blocks/<str:start_height>", views.blocks, name="blocks-from"),
    path("block-height/<str:height>", views.block_height, name="block-height"),
    path("block/<str:hash>", views.block, name="block"),
    path("block/<str:hash>/header", views.block_header, name="block-header"),
    path("block/<str:hash>/status", views.block_status, name="block-status"),
    path("block/<str:hash>/txs", views.block_txs, name="block-txs"),
    path("block/<str:hash>/txs/<str:start_index>", views.block_txs, name="block-txs-from"),
    path("block/<str:hash>/txids", views.block_txids, name="block-txids"),
    path("block/<str:hash>/txid/<str:index>", views.block_txid, name="block-txid"),
    path("block/<str:hash>/raw", views.block_raw, name="block-raw"),
    # transactions
    path("tx", views.broadcast, name="broadcast"),
    path("tx/<str:txid>", views.tx, name="tx"),
    path("tx/<str:txid>/status", views.tx_status, name="tx-status"),
    path("tx/<str:txid>/hex", views.tx_hex, name="tx-hex"),
    path("tx/<str:txid>/raw", views.tx_raw, name="tx-raw"),
    path("tx/<str:txid>/merkle-proof", views.tx_merkle_proof, name="tx-merkle-proof"),
    path("tx/<str:txid>/outspend/<str:vout>", views.tx_outspend, name="tx-outspend"),
    path("tx/<str:txid>/outspends", views.tx_outspends, name="tx-outspends"),
    # addresses
    path("address/<str:address>", views.address, name="address"),
    path("address/<str:address>/txs", views.address_txs, name="address-txs"),
    path("address/<str:address>/txs/chain", views.address_txs_chain, name="address-txs-chain"),
    path(
        "address/<str:address>/txs/chain/<str:last_seen_txid>",
        views.address_txs_chain,
        name="address-txs-chain-after",
    ),
    path(
        "address/<str:address>/txs/mempool", views.address_txs_mempool, name="address-txs-mempool"
    ),
    path("address/<str:address>/utxo", views.address_utxo, name="address-utxo"),
    path("address-prefix/<str:prefix>", views.address_prefix, name="address-prefix"),
    # mempool and fees
    path("mempool", views.mempool_stats, name="mempool"),
    path("mempool/txids", views.mempool_txids, name="mempool-txids"),
    path("mempool/recent", views.mempool_recent, name="mempool-recent"),
    path("fee-estimates", views.fee_estimates, name="fee-estimates"),
    # Rusty Coin extensions
    path("v1/supply", v1.supply, name="v1-supply"),
    path("v1/stats", v1.chain_stats, name="v1-stats"),
    path("v1/tickets", v1.tickets, name="v1-tickets"),
    path("v1/ticket/<str:ticket_id>", v1.ticket, name="v1-ticket"),
    path("v1/charts/blocks/<str:name>", v1.chart_blocks, name="v1-chart-blocks"),
    path("v1/charts/<str:name>", v1.chart_daily, name="v1-chart"),
    path("v1/address/<str:address>/txs.csv", v1.address_csv, name="v1-address-csv"),
    # the document itself, and a plain-text 404 for everything else under /api/
    path("openapi.json", openapi.document, name="openapi"),
    re_path(r"^(?P<unknown>.*)$", not_found, name="not-found"),
]
