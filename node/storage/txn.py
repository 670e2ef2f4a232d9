"""Typed transactions over the chain database: ReadTxn, WriteTxn and the raw KVStore view.

Owns the mapping between records (node.storage.records) and sub-databases/keys
(node.storage.schema): every ``get_*``/``put_*`` here is one LMDB lookup or store through a
database handle opened once when the environment was opened. A stored value that does not
decode raises :class:`CorruptRecord` naming the sub-database and the key.

Transactions are created by :class:`node.storage.env.ChainDB` (``read()`` / ``write()``) and
are only valid inside that context; using one afterwards raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from blake3 import blake3

from node.storage.errors import CorruptRecord, MissingRecord, ReadOnlyError, StorageError
from node.storage.records import BlockIndexRecord, BlockUndo, Coin
from node.storage.schema import (
    ALL_DBS,
    DB_BLOCK_INDEX,
    DB_BLOCKS,
    DB_HEIGHTS,
    DB_META,
    DB_UNDO,
    DB_UTXO,
    HASH_KEY_SIZE,
    META_NETWORK,
    META_SCHEMA_VERSION,
    META_TIP,
    block_key,
    height_key,
    outpoint_from_utxo_key,
    utxo_key,
)
from node.types import Block, OutPoint, SerializationError

__all__ = ["KVStore", "ReadTxn", "WriteTxn"]

_PROTECTED_META: Final = frozenset({META_SCHEMA_VERSION, META_NETWORK})


def _corrupt(exc: Exception, db: bytes, key: bytes) -> CorruptRecord:
    detail = exc.detail if isinstance(exc, CorruptRecord) else str(exc)
    return CorruptRecord(detail, db=db, key=key)


class KVStore:
    """A raw bytes -> bytes view of one sub-database inside a transaction (used by the state
    trie). ``put`` and ``delete`` raise ReadOnlyError in a read transaction."""

    __slots__ = ("_db", "_name", "_txn", "_writable")

    def __init__(self, txn: Any, db: Any, name: bytes, writable: bool) -> None:
        self._txn = txn
        self._db = db
        self._name = name
        self._writable = writable

    @property
    def name(self) -> bytes:
        """The sub-database's name."""
        return self._name

    def get(self, key: bytes) -> bytes | None:
        """The value stored under ``key``, or None."""
        value: bytes | None = self._txn.get(key, db=self._db)
        return value

    def __contains__(self, key: bytes) -> bool:
        return self._txn.get(key, db=self._db) is not None

    def put(self, key: bytes, value: bytes) -> None:
        """Store ``value`` under ``key`` (replacing any previous value)."""
        if not self._writable:
            raise ReadOnlyError(f"put into {self._name!r} through a read transaction")
        self._txn.put(key, value, db=self._db)

    def delete(self, key: bytes) -> None:
        """Remove ``key`` if present."""
        if not self._writable:
            raise ReadOnlyError(f"cannot delete: {self._name!r} viewed through a read transaction")
        self._txn.delete(key, db=self._db)

    def pop(self, key: bytes) -> bytes | None:
        """Remove ``key`` and return its value, or None if it was absent."""
        if not self._writable:
            raise ReadOnlyError(f"cannot delete: {self._name!r} viewed through a read transaction")
        value: bytes | None = self._txn.pop(key, db=self._db)
        return value

    def iter_from(self, start: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        """``(key, value)`` pairs in key order, from the first key >= ``start``.

        Do not put or delete in this sub-database while iterating: collect keys first.
        """
        with self._txn.cursor(db=self._db) as cur:
            if not cur.set_range(start):
                return
            yield from cur.iternext()

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """``(key, value)`` pairs whose key starts with ``prefix``, in key order."""
        for key, value in self.iter_from(prefix):
            if not key.startswith(prefix):
                return
            yield key, value

    def count(self) -> int:
        """Number of entries in the whole sub-database."""
        entries: int = self._txn.stat(self._db)["entries"]
        return entries


class ReadTxn:
    """A consistent read-only snapshot of the chain database."""

    __slots__ = ("_blocks", "_dbs", "_heights", "_index", "_meta", "_txn", "_undo", "_utxo")
    _writable: bool = False

    def __init__(self, txn: Any, dbs: Mapping[bytes, Any]) -> None:
        self._txn = txn
        self._dbs = dbs
        self._meta = dbs[DB_META]
        self._index = dbs[DB_BLOCK_INDEX]
        self._blocks = dbs[DB_BLOCKS]
        self._undo = dbs[DB_UNDO]
        self._utxo = dbs[DB_UTXO]
        self._heights = dbs[DB_HEIGHTS]

    # -- block index

    def get_block_index(self, block_hash: bytes) -> BlockIndexRecord | None:
        """The index entry of ``block_hash``, or None if the header is unknown."""
        key = block_key(block_hash)
        raw: bytes | None = self._txn.get(key, db=self._index)
        if raw is None:
            return None
        return self._decode_index(key, raw)

    def iter_block_index(self) -> Iterator[BlockIndexRecord]:
        """Every index entry, in block-hash order (callers sort by height/work themselves)."""
        with self._txn.cursor(db=self._index) as cur:
            for key, raw in cur.iternext():
                yield self._decode_index(key, raw)

    def block_index_count(self) -> int:
        """Number of known headers."""
        entries: int = self._txn.stat(self._index)["entries"]
        return entries

    @staticmethod
    def _decode_index(key: bytes, raw: bytes) -> BlockIndexRecord:
        try:
            rec = BlockIndexRecord.deserialize(raw)
        except (CorruptRecord, SerializationError) as exc:
            raise _corrupt(exc, DB_BLOCK_INDEX, key) from None
        if rec.hash != key:
            raise CorruptRecord("header does not hash to its key", db=DB_BLOCK_INDEX, key=key)
        return rec

    # -- block bodies and undo

    def get_raw_block(self, block_hash: bytes) -> bytes | None:
        """The stored serialization of a block, or None."""
        raw: bytes | None = self._txn.get(block_key(block_hash), db=self._blocks)
        return raw

    def has_block(self, block_hash: bytes) -> bool:
        """True if the block body is stored."""
        return self._txn.get(block_key(block_hash), db=self._blocks) is not None

    def get_block(self, block_hash: bytes) -> Block | None:
        """The decoded block, or None; a body that does not decode or does not match its hash
        raises CorruptRecord."""
        raw = self.get_raw_block(block_hash)
        if raw is None:
            return None
        try:
            block = Block.deserialize(raw)
        except SerializationError as exc:
            raise _corrupt(exc, DB_BLOCKS, block_hash) from None
        if block.hash != block_hash:
            raise CorruptRecord("block does not hash to its key", db=DB_BLOCKS, key=block_hash)
        return block

    def get_undo(self, block_hash: bytes) -> BlockUndo | None:
        """The undo data of a connected block, or None."""
        key = block_key(block_hash)
        raw: bytes | None = self._txn.get(key, db=self._undo)
        if raw is None:
            return None
        try:
            return BlockUndo.deserialize(raw)
        except CorruptRecord as exc:
            raise _corrupt(exc, DB_UNDO, key) from None

    # -- utxo set

    def get_coin(self, outpoint: OutPoint) -> Coin | None:
        """The unspent coin at ``outpoint``, or None if it does not exist or is spent."""
        key = utxo_key(outpoint)
        raw: bytes | None = self._txn.get(key, db=self._utxo)
        if raw is None:
            return None
        try:
            return Coin.deserialize(raw)
        except CorruptRecord as exc:
            raise _corrupt(exc, DB_UTXO, key) from None

    def has_coin(self, outpoint: OutPoint) -> bool:
        """True if ``outpoint`` is unspent."""
        return self._txn.get(utxo_key(outpoint), db=self._utxo) is not None

    def iter_utxos(self) -> Iterator[tuple[OutPoint, Coin]]:
        """Every unspent coin, in key order (txid, then vout)."""
        with self._txn.cursor(db=self._utxo) as cur:
            for key, raw in cur.iternext():
                try:
                    yield outpoint_from_utxo_key(key), Coin.deserialize(raw)
                except StorageError as exc:
                    raise _corrupt(exc, DB_UTXO, key) from None

    def utxo_count(self) -> int:
        """Number of unspent coins (O(1))."""
        entries: int = self._txn.stat(self._utxo)["entries"]
        return entries

    def utxo_set_digest(self) -> bytes:
        """BLAKE3 over ``utxo_key || coin encoding`` of every coin in key order.

        Keys are fixed-size and coin encodings self-delimiting and canonical, so the digest
        identifies the set exactly, whatever order the coins were written in.
        """
        hasher = blake3()
        update = hasher.update
        with self._txn.cursor(db=self._utxo) as cur:
            for key, raw in cur.iternext():
                update(key)
                update(raw)
        return hasher.digest()

    # -- main chain height index, meta

    def get_hash_at_height(self, height: int) -> bytes | None:
        """Hash of the main-chain block at ``height``, or None above the tip."""
        value: bytes | None = self._txn.get(height_key(height), db=self._heights)
        return value

    def get_meta(self, key: bytes) -> bytes | None:
        """A raw meta value (keys ``schema.META_*``), or None."""
        value: bytes | None = self._txn.get(key, db=self._meta)
        return value

    def get_tip(self) -> bytes | None:
        """Hash of the main chain's tip, or None before genesis is connected."""
        tip = self.get_meta(META_TIP)
        if tip is not None and len(tip) != HASH_KEY_SIZE:
            raise CorruptRecord(f"tip of {len(tip)} bytes", db=DB_META, key=META_TIP)
        return tip

    # -- raw view

    def kv(self, db_name: bytes) -> KVStore:
        """A get/put/delete view of one sub-database (put/delete raise in a ReadTxn)."""
        db = self._dbs.get(db_name)
        if db is None:
            raise StorageError(f"unknown sub-database {db_name!r}; known: {list(ALL_DBS)}")
        return KVStore(self._txn, db, db_name, self._writable)


class WriteTxn(ReadTxn):
    """A write transaction: reads see its own writes; everything commits or nothing does."""

    __slots__ = ()
    _writable = True

    # -- block index, bodies, undo

    def put_block_index(self, rec: BlockIndexRecord) -> None:
        """Store (or replace) the index entry of ``rec.hash``."""
        self._txn.put(rec.hash, rec.serialize(), db=self._index)

    def put_block(self, block: Block) -> None:
        """Store a block body (its raw serialization) under its hash."""
        self._txn.put(block.hash, block.serialize(), db=self._blocks)

    def put_raw_block(self, block_hash: bytes, raw: bytes) -> None:
        """Store an already serialized block body under ``block_hash``."""
        self._txn.put(block_key(block_hash), raw, db=self._blocks)

    def delete_block(self, block_hash: bytes) -> bool:
        """Remove a block body; True if it was stored."""
        found: bool = self._txn.delete(block_key(block_hash), db=self._blocks)
        return found

    def put_undo(self, block_hash: bytes, undo: BlockUndo) -> None:
        """Store the undo data of a connected block."""
        self._txn.put(block_key(block_hash), undo.serialize(), db=self._undo)

    def delete_undo(self, block_hash: bytes) -> bool:
        """Remove a block's undo data; True if it was stored."""
        found: bool = self._txn.delete(block_key(block_hash), db=self._undo)
        return found

    # -- utxo set

    def put_coin(self, outpoint: OutPoint, coin: Coin, *, overwrite: bool = False) -> None:
        """Add an unspent coin. An existing coin at the same outpoint raises StorageError
        unless ``overwrite`` (unique txids make that impossible on a valid chain)."""
        key = utxo_key(outpoint)
        if not self._txn.put(key, coin.serialize(), db=self._utxo, overwrite=overwrite):
            raise StorageError(f"coin {outpoint.txid.hex()}:{outpoint.vout} already exists")

    def put_coins(self, items: Iterable[tuple[OutPoint, Coin]]) -> None:
        """:meth:`put_coin` for many coins (no overwrite)."""
        put = self._txn.put
        db = self._utxo
        for outpoint, coin in items:
            if not put(utxo_key(outpoint), coin.serialize(), db=db, overwrite=False):
                raise StorageError(f"coin {outpoint.txid.hex()}:{outpoint.vout} already exists")

    def delete_coin(self, outpoint: OutPoint) -> Coin:
        """Spend a coin: remove it and return it; MissingRecord if it is absent."""
        key = utxo_key(outpoint)
        raw: bytes | None = self._txn.pop(key, db=self._utxo)
        if raw is None:
            raise MissingRecord(f"coin {outpoint.txid.hex()}:{outpoint.vout} is not unspent")
        try:
            return Coin.deserialize(raw)
        except CorruptRecord as exc:
            raise _corrupt(exc, DB_UTXO, key) from None

    def remove_coin(self, outpoint: OutPoint) -> bool:
        """Remove a coin without decoding it; False if it was not there (used by disconnect,
        where the value is already known from the block)."""
        return bool(self._txn.delete(utxo_key(outpoint), db=self._utxo))

    def delete_coins(self, outpoints: Iterable[OutPoint]) -> list[Coin]:
        """:meth:`delete_coin` for many outpoints; the spent coins in the same order."""
        return [self.delete_coin(outpoint) for outpoint in outpoints]

    # -- height index, meta

    def set_hash_at_height(self, height: int, block_hash: bytes) -> None:
        """Record ``block_hash`` as the main-chain block at ``height``."""
        self._txn.put(height_key(height), block_key(block_hash), db=self._heights)

    def delete_height(self, height: int) -> bool:
        """Forget the main-chain block at ``height``; True if one was recorded."""
        found: bool = self._txn.delete(height_key(height), db=self._heights)
        return found

    def set_meta(self, key: bytes, value: bytes) -> None:
        """Store a meta value. The schema version and network are fixed at creation."""
        if key in _PROTECTED_META:
            raise StorageError(f"meta key {key!r} is written only when the database is created")
        self._txn.put(key, value, db=self._meta)

    def delete_meta(self, key: bytes) -> bool:
        """Remove a meta value; True if it was present."""
        if key in _PROTECTED_META:
            raise StorageError(f"meta key {key!r} cannot be deleted")
        found: bool = self._txn.delete(key, db=self._meta)
        return found

    def set_tip(self, block_hash: bytes) -> None:
        """Record the main chain's tip."""
        self._txn.put(META_TIP, block_key(block_hash), db=self._meta)
