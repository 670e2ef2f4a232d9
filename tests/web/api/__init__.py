"""REST API tests (explorer/api) and read-layer tests (indexer/read)."""
