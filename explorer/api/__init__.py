"""The REST API under /api/: Esplora-compatible paths and JSON shapes, Rusty Coin extensions
under /api/v1/, the OpenAPI document, per-IP rate limits and depth-based cache headers.

Views are thin: the data comes from the shared read layer `indexer.read`. Reference:
docs/REST.md.
"""
