"""wallet.lmdb: one LMDB environment per wallet (``<datadir>/<network>/wallets/<name>/
wallet.lmdb/``) with three named databases, and the binary records stored in them.

* ``meta``: ``version`` u32, ``network`` ASCII, ``flags`` u8, ``keystore`` (the key store
  blob, node.wallet.keystore; absent without private keys), ``best`` (the last block the
  wallet processed: hash[32] | height u64), ``order`` (next history sequence u64) and
  ``chain/<n>`` = :class:`KeychainRecord` for each key chain (0 = the seed's account 0,
  others imported xpubs).
* ``txs``: txid -> :class:`TxRecord`.
* ``labels``: address (ASCII) -> label (UTF-8).

Every change of one event (a block, a send) is written in one LMDB transaction.
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import lmdb

from node.types.errors import SerializationError
from node.types.tx import Tx
from node.wallet.errors import CorruptWallet, WalletError

__all__ = ["SCHEMA_VERSION", "KeychainRecord", "TxRecord", "WalletDB", "WalletWrite"]

SCHEMA_VERSION: Final = 1
DB_META: Final = b"meta"
DB_TXS: Final = b"txs"
DB_LABELS: Final = b"labels"
MAP_SIZE: Final = 1 << 30
FLAG_NO_PRIVATE_KEYS: Final = 0x01
FLAG_BLANK: Final = 0x02

_TXREC = struct.Struct("<QdQ32sI")
_CHAIN = struct.Struct("<IIII")
_BEST = struct.Struct("<32sQ")


@dataclass(frozen=True, slots=True)
class TxRecord:
    """A wallet transaction: `height` None while unconfirmed (or off the main chain)."""

    tx: Tx
    order: int
    time: float
    height: int | None
    block_hash: bytes
    block_index: int

    def serialize(self) -> bytes:
        height = 0 if self.height is None else self.height + 1
        head = _TXREC.pack(self.order, self.time, height, self.block_hash, self.block_index)
        return head + self.tx.serialize()

    @classmethod
    def deserialize(cls, raw: bytes) -> TxRecord:
        if len(raw) < _TXREC.size:
            raise CorruptWallet("truncated transaction record")
        order, when, height, block_hash, index = _TXREC.unpack_from(raw)
        try:
            tx = Tx.deserialize(raw[_TXREC.size :])
        except SerializationError as exc:
            raise CorruptWallet(f"bad transaction in the wallet: {exc}") from exc
        return cls(tx, order, when, None if height == 0 else height - 1, block_hash, index)


@dataclass(frozen=True, slots=True)
class KeychainRecord:
    """An account-level xpub and how far its receive (0) and change (1) chains are used.

    `issued` = addresses handed out; `used` = 1 + the highest index seen on chain (0: none).
    """

    xpub: str
    issued: tuple[int, int]
    used: tuple[int, int]

    def serialize(self) -> bytes:
        return _CHAIN.pack(*self.issued, *self.used) + self.xpub.encode("ascii")

    @classmethod
    def deserialize(cls, raw: bytes) -> KeychainRecord:
        if len(raw) <= _CHAIN.size:
            raise CorruptWallet("truncated key chain record")
        i0, i1, u0, u1 = _CHAIN.unpack_from(raw)
        try:
            xpub = raw[_CHAIN.size :].decode("ascii")
        except UnicodeDecodeError as exc:
            raise CorruptWallet("bad xpub in a key chain record") from exc
        return cls(xpub, (i0, i1), (u0, u1))


class WalletWrite:
    """The operations of one write transaction."""

    def __init__(self, txn: Any, dbs: dict[bytes, Any]) -> None:
        self._txn = txn
        self._dbs = dbs

    def put_meta(self, key: bytes, value: bytes) -> None:
        self._txn.put(key, value, db=self._dbs[DB_META])

    def delete_meta(self, key: bytes) -> None:
        self._txn.delete(key, db=self._dbs[DB_META])

    def put_tx(self, rec: TxRecord) -> None:
        self._txn.put(rec.tx.txid, rec.serialize(), db=self._dbs[DB_TXS])

    def put_label(self, address: str, label: str) -> None:
        self._txn.put(address.encode("ascii"), label.encode("utf-8"), db=self._dbs[DB_LABELS])

    def put_chain(self, number: int, rec: KeychainRecord) -> None:
        self.put_meta(b"chain/%d" % number, rec.serialize())

    def set_best(self, block_hash: bytes, height: int) -> None:
        self.put_meta(b"best", _BEST.pack(block_hash, height))


class WalletDB:
    """The LMDB environment of one wallet."""

    def __init__(self, env: Any, path: Path) -> None:
        self._env = env
        self.path = path
        self._dbs: dict[bytes, Any] = {}
        self._open_dbs()

    def _open_dbs(self) -> None:
        with self._env.begin(write=True) as txn:
            for name in (DB_META, DB_TXS, DB_LABELS):
                self._dbs[name] = self._env.open_db(name, txn=txn, create=True)

    @staticmethod
    def _open_env(path: Path) -> Any:
        return lmdb.open(str(path), map_size=MAP_SIZE, max_dbs=4, subdir=True, lock=True)

    @classmethod
    def open(cls, path: Path, *, create: bool) -> WalletDB:
        """Open the environment directory `path` (creating it when `create`)."""
        exists = (path / "data.mdb").is_file()
        if not exists and not create:
            raise WalletError(f"no wallet database at {path}")
        try:
            path.mkdir(parents=True, exist_ok=True)
            env = cls._open_env(path)
        except (lmdb.Error, OSError) as exc:
            raise WalletError(f"cannot open the wallet database {path}: {exc}") from exc
        return cls(env, path)

    def close(self) -> None:
        self._env.close()

    def compact(self) -> None:
        """Rewrite the file with live pages only, so that pages freed by earlier writes
        (e.g. the unencrypted key store before `encrypt`) no longer hold old data."""
        tmp = self.path.with_name(self.path.name + ".compact")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        self._env.copy(str(tmp), compact=True)
        self._env.close()
        os.replace(tmp / "data.mdb", self.path / "data.mdb")
        shutil.rmtree(tmp, ignore_errors=True)
        self._env = self._open_env(self.path)
        self._dbs = {}
        self._open_dbs()

    # ------------------------------------------------------------------ reads

    def get_meta(self, key: bytes) -> bytes | None:
        with self._env.begin(db=self._dbs[DB_META]) as txn:
            value = txn.get(key)
        return None if value is None else bytes(value)

    def get_best(self) -> tuple[bytes, int] | None:
        raw = self.get_meta(b"best")
        if raw is None:
            return None
        if len(raw) != _BEST.size:
            raise CorruptWallet("bad best-block record")
        block_hash, height = _BEST.unpack(raw)
        return block_hash, height

    def iter_txs(self) -> Iterator[TxRecord]:
        with self._env.begin(db=self._dbs[DB_TXS]) as txn:
            items = [bytes(v) for _, v in txn.cursor()]
        for raw in items:
            yield TxRecord.deserialize(raw)

    def iter_chains(self) -> Iterator[tuple[int, KeychainRecord]]:
        with self._env.begin(db=self._dbs[DB_META]) as txn:
            cursor = txn.cursor()
            items = []
            if cursor.set_range(b"chain/"):
                for key, value in cursor:
                    if not bytes(key).startswith(b"chain/"):
                        break
                    items.append((bytes(key), bytes(value)))
        for key, value in items:
            try:
                number = int(key[6:])
            except ValueError as exc:
                raise CorruptWallet(f"bad key chain key {key!r}") from exc
            yield number, KeychainRecord.deserialize(value)

    def labels(self) -> dict[str, str]:
        with self._env.begin(db=self._dbs[DB_LABELS]) as txn:
            return {bytes(k).decode("ascii"): bytes(v).decode("utf-8") for k, v in txn.cursor()}

    # ------------------------------------------------------------------ writes

    def write(self) -> _WriteContext:
        """``with db.write() as w: ...`` — one atomic LMDB transaction."""
        return _WriteContext(self._env, self._dbs)


class _WriteContext:
    def __init__(self, env: Any, dbs: dict[bytes, Any]) -> None:
        self._env = env
        self._dbs = dbs
        self._txn: Any = None

    def __enter__(self) -> WalletWrite:
        self._txn = self._env.begin(write=True)
        return WalletWrite(self._txn, self._dbs)

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self._txn.commit()
        else:
            self._txn.abort()
