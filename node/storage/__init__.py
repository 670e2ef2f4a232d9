"""Storage (SPEC §10): the LMDB chain database, its schema (every key), records and errors.

``ChainDB.open(path, network=...)`` opens ``<datadir>/<network>/chain.lmdb``; ``read()``
gives a :class:`ReadTxn` snapshot and ``write(fn)`` runs ``fn`` in one atomic
:class:`WriteTxn`. Keys are built only in :mod:`node.storage.schema`; values are the records
of :mod:`node.storage.records`. The state trie lives in ``node.storage.trie``.
"""

from node.storage.env import DEFAULT_MAP_SIZE, ChainDB
from node.storage.errors import (
    CorruptRecord,
    DatabaseLocked,
    DatabaseNotFound,
    InvalidKey,
    MissingRecord,
    NetworkMismatch,
    ReadOnlyError,
    SchemaVersionMismatch,
    StorageError,
)
from node.storage.records import (
    FAILED_MASK,
    BlockIndexRecord,
    BlockStatus,
    BlockUndo,
    Coin,
)
from node.storage.schema import SCHEMA_VERSION
from node.storage.txn import KVStore, ReadTxn, WriteTxn

__all__ = [
    "DEFAULT_MAP_SIZE",
    "FAILED_MASK",
    "SCHEMA_VERSION",
    "BlockIndexRecord",
    "BlockStatus",
    "BlockUndo",
    "ChainDB",
    "Coin",
    "CorruptRecord",
    "DatabaseLocked",
    "DatabaseNotFound",
    "InvalidKey",
    "KVStore",
    "MissingRecord",
    "NetworkMismatch",
    "ReadOnlyError",
    "ReadTxn",
    "SchemaVersionMismatch",
    "StorageError",
    "WriteTxn",
]
