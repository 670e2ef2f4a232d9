"""Block explorer: pages, the Esplora-compatible REST API and websocket consumers."""
