"""Errors of the read layer: the caller shows them as 400 / 404 / 503 with their message."""

from __future__ import annotations


class ReadError(Exception):
    """Root of the read layer's errors; `str(exc)` is a message fit to show a user."""


class InvalidInput(ReadError):
    """Malformed input (bad hex, out-of-range number, foreign address): HTTP 400."""


class NotFound(ReadError):
    """Well-formed input that names nothing indexed (unknown block, tx, ...): HTTP 404."""


class NodeUnavailable(ReadError):
    """The node's JSON-RPC could not be reached (or refused our credentials): HTTP 503."""


class NodeRejected(ReadError):
    """The node answered with an error (e.g. a rejected transaction): HTTP 400.

    `code` is the node's JSON-RPC error code (bitcoind's numbering, docs/API.md).
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
