"""Errors of the storage layer (node.storage): the LMDB chain database and its records.

Every error derives from :class:`StorageError`, itself a :class:`node.errors.RustyError`.
Messages say what was found, what was expected, and what the operator can do about it.
"""

from __future__ import annotations

from node.errors import RustyError

__all__ = [
    "CorruptRecord",
    "DatabaseLocked",
    "DatabaseNotFound",
    "InvalidKey",
    "MissingRecord",
    "NetworkMismatch",
    "ReadOnlyError",
    "SchemaVersionMismatch",
    "StorageError",
]


class StorageError(RustyError):
    """Base class of every error raised by node.storage."""


class SchemaVersionMismatch(StorageError):
    """The database was written with another schema version than this code understands."""

    def __init__(self, path: str, found: int | None, expected: int) -> None:
        self.found = found
        self.expected = expected
        shown = "none" if found is None else str(found)
        super().__init__(
            f"chain database {path}: schema version {shown} found, {expected} expected; "
            "rebuild it with a reindex, or delete the datadir's chain.lmdb and resync"
        )


class NetworkMismatch(StorageError):
    """The database belongs to another network than the one requested."""

    def __init__(self, path: str, found: str, expected: str) -> None:
        self.found = found
        self.expected = expected
        super().__init__(
            f"chain database {path} holds a {found} chain, but {expected} was requested; "
            f"start the node with --network {found} or use another datadir"
        )


class CorruptRecord(StorageError):
    """A stored value (or key) that does not decode. ``db`` and ``key`` say where, if known."""

    def __init__(self, message: str, *, db: bytes | None = None, key: bytes | None = None) -> None:
        self.db = db
        self.key = key
        self.detail = message
        where = ""
        if db is not None:
            where = f"[db {db.decode('ascii', 'replace')}"
            if key is not None:
                where += f", key {key.hex()}"
            where += "] "
        super().__init__(f"corrupt record {where}{message}")


class MissingRecord(StorageError):
    """A record that must exist (e.g. a coin being spent) is absent."""


class DatabaseLocked(StorageError):
    """Another process (or another handle in this one) already has the database open for writing."""


class DatabaseNotFound(StorageError):
    """A read-only open of a database that does not exist."""


class ReadOnlyError(StorageError):
    """A write was attempted through a read-only transaction or a read-only database."""


class InvalidKey(StorageError):
    """A key builder was given an argument of the wrong type, length or range."""
