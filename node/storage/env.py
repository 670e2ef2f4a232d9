"""The chain database: one LMDB environment with named sub-databases (SPEC §10).

Owns opening and closing ``<datadir>/<network>/chain.lmdb``, the schema-version and network
checks, the single-writer lock, transactions (``read()`` / ``write()``) and automatic growth
of the memory map. Record-level access lives in :mod:`node.storage.txn`.

Durability: the environment is opened with ``sync`` on, ``metasync`` off and ``writemap``
off. Data pages are flushed at every commit and the meta page is not: LMDB then keeps
atomicity and consistency across process and system crashes (a crash leaves either the old
or the new tip), and after a power loss at most the last committed block is lost and
re-downloaded. This halves the fsyncs per block (see docs/PERFORMANCE.md).

LMDB lets several processes write to one environment; the node allows
only one, enforced with ``fcntl.flock`` on ``<path>/LOCK``. Other processes may open the
environment read-only at the same time (never open it twice in one process: share the
ChainDB).

Threads: any thread may ``read()``; ``write()`` calls are serialised. Growing the map needs
no transaction open in this process, so growth waits for open read transactions to end and
holds new ones back meanwhile.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final, Self, TypeVar

import lmdb

from node.params import NETWORKS
from node.storage.errors import (
    CorruptRecord,
    DatabaseLocked,
    DatabaseNotFound,
    NetworkMismatch,
    ReadOnlyError,
    SchemaVersionMismatch,
    StorageError,
)
from node.storage.schema import (
    ALL_DBS,
    DB_META,
    META_NETWORK,
    META_SCHEMA_VERSION,
    SCHEMA_VERSION,
)
from node.storage.txn import KVStore, ReadTxn, WriteTxn

__all__ = [
    "DEFAULT_MAP_SIZE",
    "GROW_THRESHOLD_PERCENT",
    "LOCK_FILE",
    "MAX_MAP_SIZE",
    "ChainDB",
    "KVStore",  # re-exported: the transaction types live in node.storage.txn
    "ReadTxn",
    "WriteTxn",
]

T = TypeVar("T")

log = logging.getLogger(__name__)

#: Initial map size of a new environment; it doubles whenever it fills up.
DEFAULT_MAP_SIZE: Final = 64 << 20
#: Smallest map size accepted (smaller requests are raised to this).
MIN_MAP_SIZE: Final = 256 << 10
#: The map never grows beyond this (1 TiB of address space).
MAX_MAP_SIZE: Final = 1 << 40
#: ``write()`` grows the map first when more than this share of it is in use.
GROW_THRESHOLD_PERCENT: Final = 80
#: The writer lock file inside the environment directory.
LOCK_FILE: Final = "LOCK"
_DATA_FILE: Final = "data.mdb"
_EXTRA_DBS: Final = 4
_VERSION = struct.Struct(">I")


def _acquire_writer_lock(path: Path) -> int:
    lock_path = path / LOCK_FILE
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        try:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        finally:
            os.close(fd)
        raise DatabaseLocked(
            f"chain database {path} is already open for writing (lock {lock_path} held by "
            f"process {holder}); only one node process may write it, stop the other one first"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    return fd


class ChainDB:
    """The node's chain database. Create it with :meth:`open`; use it as a context manager
    or call :meth:`close`."""

    def __init__(
        self, env: Any, path: Path, network: str, readonly: bool, lock_fd: int | None
    ) -> None:
        """Internal: use :meth:`ChainDB.open`."""
        self._env: Any = env
        self._path = path
        self._network = network
        self._readonly = readonly
        self._lock_fd = lock_fd
        self._dbs: dict[bytes, Any] = {}
        self._closed = False
        self._write_lock = threading.Lock()
        self._cond = threading.Condition()
        self._readers = 0
        self._resizing = False
        self._local = threading.local()

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        network: str,
        map_size: int = DEFAULT_MAP_SIZE,
        readonly: bool = False,
        sync: bool = True,
    ) -> ChainDB:
        """Open (creating it unless ``readonly``) the environment directory ``path``.

        A new database records SCHEMA_VERSION and ``network`` in ``meta``; an existing one
        must match both (SchemaVersionMismatch / NetworkMismatch). ``map_size`` is the initial
        map size; an existing environment keeps its larger size. A second writer raises
        DatabaseLocked; a read-only open of a missing database raises DatabaseNotFound.
        ``sync=False`` trades crash durability for speed (benchmarks, throwaway tests).
        """
        if network not in NETWORKS:
            raise StorageError(f"unknown network {network!r}; known: {sorted(NETWORKS)}")
        path = Path(path)
        exists = (path / _DATA_FILE).is_file()
        if readonly and not exists:
            raise DatabaseNotFound(
                f"no chain database at {path}: run the node (without read-only) to create it"
            )
        lock_fd = None
        if not readonly:
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                msg = f"cannot create the chain database directory {path}: {exc}"
                raise StorageError(msg) from exc
            lock_fd = _acquire_writer_lock(path)
        try:
            env = lmdb.open(
                str(path),
                map_size=0 if exists else max(map_size, MIN_MAP_SIZE),
                max_dbs=len(ALL_DBS) + _EXTRA_DBS,
                subdir=True,
                readonly=readonly,
                create=not readonly,
                sync=sync,
                metasync=False,
                writemap=False,
                readahead=False,
                lock=True,
            )
        except lmdb.Error as exc:
            if lock_fd is not None:
                os.close(lock_fd)
            raise StorageError(f"cannot open the chain database {path}: {exc}") from exc
        db = cls(env, path, network, readonly, lock_fd)
        try:
            env.reader_check()  # clear reader slots left by killed processes
            if not readonly and env.info()["map_size"] < map_size:
                env.set_mapsize(min(map_size, MAX_MAP_SIZE))
            db._init_databases()
        except BaseException:
            db.close()
            raise
        return db

    def _init_databases(self) -> None:
        if self._readonly:
            self._init_readonly()
            return
        env = self._env
        path = str(self._path)
        txn = env.begin(write=True)
        try:
            meta = env.open_db(DB_META, txn=txn, create=True)
            raw_version = txn.get(META_SCHEMA_VERSION, db=meta)
            raw_network = txn.get(META_NETWORK, db=meta)
            if raw_version is None and raw_network is None:
                if txn.stat(meta)["entries"]:
                    raise SchemaVersionMismatch(path, None, SCHEMA_VERSION)
                txn.put(META_SCHEMA_VERSION, _VERSION.pack(SCHEMA_VERSION), db=meta)
                txn.put(META_NETWORK, self._network.encode("ascii"), db=meta)
                log.info("created chain database %s for %s", path, self._network)
            else:
                self._check_meta(raw_version, raw_network)
            for name in ALL_DBS:
                self._dbs[name] = env.open_db(name, txn=txn, create=True)
            txn.commit()
        except BaseException:
            txn.abort()
            raise

    def _init_readonly(self) -> None:
        # Handles opened inside a read-only transaction die with it in py-lmdb, so each is
        # opened on its own (py-lmdb keeps those in the environment).
        env = self._env
        try:
            meta = env.open_db(DB_META, create=False)
        except lmdb.NotFoundError:
            raise SchemaVersionMismatch(str(self._path), None, SCHEMA_VERSION) from None
        with env.begin() as txn:
            self._check_meta(txn.get(META_SCHEMA_VERSION, db=meta), txn.get(META_NETWORK, db=meta))
        for name in ALL_DBS:
            try:
                self._dbs[name] = env.open_db(name, create=False)
            except lmdb.NotFoundError:
                msg = f"sub-database {name!r} is missing from {self._path}"
                raise CorruptRecord(msg) from None

    def _check_meta(self, raw_version: bytes | None, raw_network: bytes | None) -> None:
        path = str(self._path)
        if raw_version is None or len(raw_version) != _VERSION.size:
            raise SchemaVersionMismatch(path, None, SCHEMA_VERSION)
        version: int = _VERSION.unpack(raw_version)[0]
        if version != SCHEMA_VERSION:
            raise SchemaVersionMismatch(path, version, SCHEMA_VERSION)
        if raw_network is None:
            raise CorruptRecord("the network name is missing", db=DB_META, key=META_NETWORK)
        found = raw_network.decode("ascii", "replace")
        if found != self._network:
            raise NetworkMismatch(path, found, self._network)

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Close the environment and release the writer lock (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._env.close()
        finally:
            if self._lock_fd is not None:
                os.close(self._lock_fd)  # releases the flock
                self._lock_fd = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ properties

    @property
    def path(self) -> Path:
        """The environment directory."""
        return self._path

    @property
    def network(self) -> str:
        """The network this database belongs to."""
        return self._network

    @property
    def readonly(self) -> bool:
        """True if opened read-only."""
        return self._readonly

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._closed

    @property
    def map_size(self) -> int:
        """Current size of the memory map in bytes."""
        self._check_open()
        size: int = self._env.info()["map_size"]
        return size

    @property
    def used_bytes(self) -> int:
        """Bytes of the map in use (pages up to the last one written)."""
        self._check_open()
        return self._used_bytes()

    def _used_bytes(self) -> int:
        pages: int = self._env.info()["last_pgno"] + 1
        psize: int = self._env.stat()["psize"]
        return pages * psize

    def db_stats(self) -> dict[str, dict[str, int]]:
        """LMDB statistics per sub-database (entries, pages, depth), for benchmarks."""
        self._check_open()
        with self.read() as rtxn:
            txn = rtxn._txn
            return {name.decode(): dict(txn.stat(db)) for name, db in self._dbs.items()}

    def sync(self) -> None:
        """Flush to disk (only needed when opened with ``sync=False``)."""
        self._check_open()
        if not self._readonly:
            self._env.sync(True)

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"chain database {self._path} is closed")

    # ------------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def read(self) -> Iterator[ReadTxn]:
        """A consistent read-only snapshot, valid inside the ``with`` block."""
        self._check_open()
        while True:
            self._enter_reader()
            try:
                txn = self._env.begin(write=False)
            except lmdb.MapResizedError:
                # another process grew the map: adopt its size, then retry
                self._exit_reader()
                self._resize(0)
                continue
            except lmdb.Error as exc:
                self._exit_reader()
                raise StorageError(f"cannot begin a read transaction: {exc}") from exc
            break
        try:
            yield ReadTxn(txn, self._dbs)
        finally:
            try:
                txn.abort()
            finally:
                self._exit_reader()

    def write(self, fn: Callable[[WriteTxn], T]) -> T:
        """Run ``fn`` in ONE write transaction and commit; return what ``fn`` returned.

        If ``fn`` raises, the transaction is aborted (nothing is written) and the exception
        propagates. If the map fills up, the transaction is aborted, the map doubled and
        ``fn`` run again **from scratch**: ``fn`` must therefore be re-runnable (no side
        effects outside the transaction that a second run would repeat) and must not swallow
        ``lmdb.MapFullError``. Not re-entrant: do not call ``write()`` from inside ``fn``.
        """
        self._check_open()
        if self._readonly:
            raise ReadOnlyError(f"chain database {self._path} is open read-only")
        if getattr(self._local, "writing", False):
            raise StorageError("write() called from inside a write transaction")
        with self._write_lock:
            self._local.writing = True
            try:
                if self._used_bytes() * 100 > self.map_size * GROW_THRESHOLD_PERCENT:
                    self._grow()
                while True:
                    try:
                        return self._write_once(fn)
                    except lmdb.MapFullError:
                        self._grow()
            finally:
                self._local.writing = False

    def _write_once(self, fn: Callable[[WriteTxn], T]) -> T:
        try:
            txn = self._env.begin(write=True)
        except lmdb.Error as exc:
            raise StorageError(f"cannot begin a write transaction: {exc}") from exc
        try:
            result = fn(WriteTxn(txn, self._dbs))
            txn.commit()
        except lmdb.MapFullError:
            txn.abort()
            raise
        except lmdb.Error as exc:
            txn.abort()
            raise StorageError(f"write transaction failed: {exc}") from exc
        except BaseException:
            txn.abort()
            raise
        return result

    # ------------------------------------------------------------------ map growth

    def _grow(self) -> None:
        old = self.map_size
        new = old * 2
        if new > MAX_MAP_SIZE:
            raise StorageError(
                f"chain database {self._path} needs more than {MAX_MAP_SIZE} bytes of map"
            )
        self._resize(new)
        log.info("chain database map grown from %d to %d MiB", old >> 20, new >> 20)

    def _resize(self, new_size: int) -> None:
        """Set the map size (0 = adopt the size another process set) with no transaction of
        this process open: waits for readers to finish and holds new ones back."""
        if getattr(self._local, "readers", 0):
            raise StorageError(
                "the map must grow but this thread holds an open read transaction; "
                "close read() blocks before calling write()"
            )
        with self._cond:
            while self._resizing:
                self._cond.wait()
            self._resizing = True
            try:
                while self._readers:
                    self._cond.wait()
                self._env.set_mapsize(new_size)
            finally:
                self._resizing = False
                self._cond.notify_all()

    def _enter_reader(self) -> None:
        with self._cond:
            while self._resizing:
                self._cond.wait()
            self._readers += 1
        self._local.readers = getattr(self._local, "readers", 0) + 1

    def _exit_reader(self) -> None:
        self._local.readers -= 1
        with self._cond:
            self._readers -= 1
            if not self._readers:
                self._cond.notify_all()
