"""The shared read layer over indexer/models.py: the queries behind the REST API and the pages.

Every function returns plain dicts/lists in Esplora's JSON shapes (plus Rusty Coin extras
under extra keys) or small dataclasses, and raises `indexer.read.errors.NotFound` /
`InvalidInput` for unknown or malformed input, never a database error:

* `parse`     - validation of user input (hashes, heights, indexes, addresses, prefixes)
* `chain`     - tip, blocks by hash/height, block pages, headers, block status and txids
* `txs`       - transactions in Esplora's shape, status, raw, Merkle proofs, outspends
* `addresses` - address stats, keyset-paginated history, UTXOs, prefix search, CSV rows
* `mempool`   - the mempool snapshot: stats, fee histogram, txids, recent transactions
* `node`      - what only the node knows: fee estimates, raw blocks, broadcast (JSON-RPC)
* `stats`     - supply, chain stats, tickets, chart series (DailyStat and per block)
"""
