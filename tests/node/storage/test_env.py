"""ChainDB (node.storage.env + txn): persistence, refusals, the writer lock, atomic writes,
map growth, the UTXO-set digest and corrupt-record reporting."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import lmdb
import pytest
from blake3 import blake3

from node.storage import (
    BlockIndexRecord,
    BlockStatus,
    BlockUndo,
    ChainDB,
    Coin,
    CorruptRecord,
    DatabaseLocked,
    DatabaseNotFound,
    MissingRecord,
    NetworkMismatch,
    ReadOnlyError,
    SchemaVersionMismatch,
    StorageError,
    WriteTxn,
    schema,
)
from node.storage.env import MIN_MAP_SIZE
from node.types import Block, OutPoint
from tests.node.types.fixtures import sample_block

REPO = Path(__file__).resolve().parents[3]
P2PKH = b"\x76\xa9\x14" + bytes(range(20)) + b"\x88\xac"


def op(i: int, vout: int = 0) -> OutPoint:
    return OutPoint(blake3(i.to_bytes(8, "little")).digest(), vout)


def coin(i: int, *, height: int = 1, coinbase: bool = False) -> Coin:
    return Coin(1000 + i, P2PKH, height, coinbase)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "regtest" / "chain.lmdb"


@pytest.fixture
def db(path: Path) -> Iterator[ChainDB]:
    with ChainDB.open(path, network="regtest", sync=False) as chain_db:
        yield chain_db


def run_child(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (another process) with the repo importable."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )


# --------------------------------------------------------------------------- persistence


def test_open_close_reopen_keeps_everything(path: Path) -> None:
    block = sample_block()
    rec = BlockIndexRecord(block.header, 12345, BlockStatus.VALID_HEADER | BlockStatus.HAVE_DATA)
    undo = BlockUndo(((coin(1),), (coin(2), coin(3, coinbase=True))))

    def fill(w: WriteTxn) -> None:
        w.put_block_index(rec)
        w.put_block(block)
        w.put_undo(block.hash, undo)
        w.put_coins([(op(i), coin(i)) for i in range(10)])
        w.set_hash_at_height(block.header.height, block.hash)
        w.set_tip(block.hash)
        w.set_meta(schema.META_TRIE_PRUNED_HEIGHT, b"\x00" * 8)

    with ChainDB.open(path, network="regtest") as first:
        first.write(fill)
        assert first.path == path
        assert first.network == "regtest"
    assert first.closed
    first.close()  # idempotent
    with pytest.raises(StorageError, match="closed"):
        first.write(fill)

    with ChainDB.open(path, network="regtest") as again, again.read() as r:
        assert r.get_block_index(block.hash) == rec
        assert [x.hash for x in r.iter_block_index()] == [block.hash]
        assert r.block_index_count() == 1
        assert r.get_raw_block(block.hash) == block.serialize()
        got = r.get_block(block.hash)
        assert isinstance(got, Block)
        assert got.serialize() == block.serialize()
        assert r.has_block(block.hash)
        assert r.get_undo(block.hash) == undo
        assert r.get_coin(op(3)) == coin(3)
        assert r.has_coin(op(3))
        assert r.utxo_count() == 10
        assert r.get_hash_at_height(block.header.height) == block.hash
        assert r.get_hash_at_height(block.header.height + 1) is None
        assert r.get_tip() == block.hash
        assert r.get_meta(schema.META_TRIE_PRUNED_HEIGHT) == b"\x00" * 8
        assert r.get_meta(schema.META_NETWORK) == b"regtest"
        # absent things are None, not errors
        missing = bytes(32)
        assert r.get_block_index(missing) is None
        assert r.get_block(missing) is None
        assert r.get_undo(missing) is None
        assert r.get_coin(op(99)) is None


def test_deletes_and_height_index(db: ChainDB) -> None:
    block = sample_block()
    db.write(lambda w: (w.put_block(block), w.put_undo(block.hash, BlockUndo(()))))
    db.write(lambda w: [w.set_hash_at_height(h, bytes([h]) * 32) for h in range(5)])

    def drop(w: WriteTxn) -> tuple[bool, bool, bool, bool]:
        return (
            w.delete_block(block.hash),
            w.delete_undo(block.hash),
            w.delete_height(4),
            w.delete_height(4),
        )

    assert db.write(drop) == (True, True, True, False)
    with db.read() as r:
        assert r.get_block(block.hash) is None
        assert r.get_undo(block.hash) is None
        assert r.get_hash_at_height(4) is None
        assert r.get_hash_at_height(3) == b"\x03" * 32
        assert db.write(lambda w: w.delete_block(block.hash)) is False


def test_coin_put_and_spend(db: ChainDB) -> None:
    db.write(lambda w: w.put_coin(op(1), coin(1)))
    with pytest.raises(StorageError, match="already exists"):
        db.write(lambda w: w.put_coin(op(1), coin(2)))
    with pytest.raises(StorageError, match="already exists"):
        db.write(lambda w: w.put_coins([(op(5), coin(5)), (op(1), coin(2))]))
    db.write(lambda w: w.put_coin(op(1), coin(7), overwrite=True))
    with db.read() as r:
        assert r.get_coin(op(1)) == coin(7)
        assert r.get_coin(op(5)) is None  # the failed batch left nothing behind
    db.write(lambda w: w.put_coins([(op(i), coin(i)) for i in range(2, 6)]))
    spent = db.write(lambda w: w.delete_coins([op(4), op(2), op(1)]))
    assert spent == [coin(4), coin(2), coin(7)]
    with pytest.raises(MissingRecord):
        db.write(lambda w: w.delete_coin(op(4)))
    with pytest.raises(MissingRecord):  # whole batch aborted: op(3) must still exist
        db.write(lambda w: w.delete_coins([op(3), op(4)]))
    with db.read() as r:
        assert [o for o, _ in r.iter_utxos()] == sorted([op(3), op(5)], key=schema.utxo_key)
        assert r.utxo_count() == 2


# --------------------------------------------------------------------------- refusals


def _set_raw_meta(path: Path, key: bytes, value: bytes) -> None:
    env = lmdb.open(str(path), max_dbs=20)
    meta = env.open_db(schema.DB_META)
    with env.begin(write=True) as txn:
        txn.put(key, value, db=meta)
    env.close()


def test_schema_version_mismatch(path: Path) -> None:
    ChainDB.open(path, network="regtest").close()
    _set_raw_meta(path, schema.META_SCHEMA_VERSION, (schema.SCHEMA_VERSION + 1).to_bytes(4, "big"))
    with pytest.raises(SchemaVersionMismatch) as info:
        ChainDB.open(path, network="regtest")
    assert info.value.found == schema.SCHEMA_VERSION + 1
    assert info.value.expected == schema.SCHEMA_VERSION
    assert "reindex" in str(info.value)
    assert "delete" in str(info.value)
    with pytest.raises(SchemaVersionMismatch):
        ChainDB.open(path, network="regtest", readonly=True)
    # the refused open released the writer lock
    _set_raw_meta(path, schema.META_SCHEMA_VERSION, schema.SCHEMA_VERSION.to_bytes(4, "big"))
    ChainDB.open(path, network="regtest").close()


def test_database_without_schema_version_is_refused(path: Path) -> None:
    path.mkdir(parents=True)
    env = lmdb.open(str(path), max_dbs=20)
    meta = env.open_db(schema.DB_META)
    with env.begin(write=True) as txn:
        txn.put(b"something", b"else", db=meta)
    env.close()
    with pytest.raises(SchemaVersionMismatch, match="version none found"):
        ChainDB.open(path, network="regtest")


def test_network_mismatch(path: Path) -> None:
    ChainDB.open(path, network="regtest").close()
    with pytest.raises(NetworkMismatch) as info:
        ChainDB.open(path, network="devnet")
    assert info.value.found == "regtest"
    assert info.value.expected == "devnet"
    assert "regtest" in str(info.value)
    assert "devnet" in str(info.value)
    with pytest.raises(NetworkMismatch):
        ChainDB.open(path, network="devnet", readonly=True)
    with pytest.raises(StorageError, match="unknown network"):
        ChainDB.open(path, network="moonnet")
    ChainDB.open(path, network="regtest").close()  # still fine for its own network


def test_protected_meta_keys(db: ChainDB) -> None:
    for key in (schema.META_SCHEMA_VERSION, schema.META_NETWORK):
        with pytest.raises(StorageError):
            db.write(lambda w, key=key: w.set_meta(key, b"x"))
        with pytest.raises(StorageError):
            db.write(lambda w, key=key: w.delete_meta(key))
    db.write(lambda w: w.set_meta(b"custom", b"1"))
    assert db.write(lambda w: w.delete_meta(b"custom")) is True


def test_readonly_open(path: Path, tmp_path: Path) -> None:
    with pytest.raises(DatabaseNotFound, match="no chain database"):
        ChainDB.open(tmp_path / "nothing" / "chain.lmdb", network="regtest", readonly=True)
    assert not (tmp_path / "nothing").exists()  # a read-only open creates nothing
    with ChainDB.open(path, network="regtest") as w:
        w.write(lambda t: t.put_coin(op(1), coin(1)))
    with ChainDB.open(path, network="regtest", readonly=True) as ro:
        assert ro.readonly
        with ro.read() as r:
            assert r.get_coin(op(1)) == coin(1)
            with pytest.raises(ReadOnlyError):
                r.kv(schema.DB_UTXO).put(b"k", b"v")
        with pytest.raises(ReadOnlyError):
            ro.write(lambda t: t.put_coin(op(2), coin(2)))


# --------------------------------------------------------------------------- writer lock


def test_second_writer_is_refused(path: Path) -> None:
    child = (
        "from pathlib import Path\n"
        "from node.storage import ChainDB, DatabaseLocked, Coin\n"
        "from node.types import OutPoint\n"
        f"p = Path({str(path)!r})\n"
        "try:\n"
        "    ChainDB.open(p, network='regtest').close()\n"
        "except DatabaseLocked as e:\n"
        "    print('LOCKED', e)\n"
        "    raise SystemExit(3)\n"
        "with ChainDB.open(p, network='regtest', readonly=True) as ro, ro.read() as r:\n"
        "    print('READ', r.utxo_count())\n"
    )
    with ChainDB.open(path, network="regtest") as holder:
        holder.write(lambda w: w.put_coin(op(1), coin(1)))
        result = run_child(child)
        assert result.returncode == 3, result.stderr
        assert "LOCKED" in result.stdout
        assert "already open for writing" in result.stdout
        assert str(os.getpid()) in result.stdout  # names the holder
        with pytest.raises(DatabaseLocked):  # a second handle in this process too
            ChainDB.open(path, network="regtest")
    # once closed, another process may write
    free = run_child(child)
    assert free.returncode == 0, free.stderr
    assert "READ 1" in free.stdout


def test_readers_in_other_processes_run_beside_the_writer(path: Path) -> None:
    child = (
        "from pathlib import Path\n"
        "from node.storage import ChainDB\n"
        f"with ChainDB.open(Path({str(path)!r}), network='regtest', readonly=True) as ro:\n"
        "    with ro.read() as r:\n"
        "        print('COUNT', r.utxo_count())\n"
    )
    with ChainDB.open(path, network="regtest") as holder:
        holder.write(lambda w: w.put_coins([(op(i), coin(i)) for i in range(3)]))
        result = run_child(child)
    assert result.returncode == 0, result.stderr
    assert "COUNT 3" in result.stdout


# --------------------------------------------------------------------------- atomicity


def test_write_aborts_everything_on_exception(db: ChainDB) -> None:
    db.write(lambda w: w.put_coin(op(0), coin(0)))
    block = sample_block()

    def half_then_fail(w: WriteTxn) -> None:
        w.put_coins([(op(i), coin(i)) for i in range(1, 50)])
        w.delete_coin(op(0))
        w.put_block(block)
        w.set_tip(block.hash)
        w.kv(schema.DB_STATE_TRIE).put(b"n" + bytes(32), b"node")
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        db.write(half_then_fail)
    with db.read() as r:
        assert r.utxo_count() == 1
        assert r.get_coin(op(0)) == coin(0)
        assert r.get_block(block.hash) is None
        assert r.get_tip() is None
        assert r.kv(schema.DB_STATE_TRIE).get(b"n" + bytes(32)) is None
    # the database is still usable afterwards
    assert db.write(lambda w: w.delete_coin(op(0))) == coin(0)


def test_write_returns_result_and_is_not_reentrant(db: ChainDB) -> None:
    assert db.write(lambda w: 42) == 42
    with pytest.raises(StorageError, match="inside a write"):
        db.write(lambda w: db.write(lambda inner: None))
    assert db.write(lambda w: "usable") == "usable"


def test_read_snapshot_is_isolated(db: ChainDB) -> None:
    db.write(lambda w: w.put_coin(op(1), coin(1)))
    with db.read() as before:
        db.write(lambda w: w.put_coin(op(2), coin(2)))
        assert before.utxo_count() == 1
        assert before.get_coin(op(2)) is None
    with db.read() as after:
        assert after.utxo_count() == 2
    with pytest.raises(lmdb.Error):  # a transaction is dead after its block
        before.get_coin(op(1))


def test_write_txn_sees_its_own_writes(db: ChainDB) -> None:
    def fn(w: WriteTxn) -> tuple[Coin | None, int]:
        w.put_coin(op(1), coin(1))
        return w.get_coin(op(1)), w.utxo_count()

    assert db.write(fn) == (coin(1), 1)


# --------------------------------------------------------------------------- map growth


def test_map_grows_when_full(path: Path) -> None:
    value = os.urandom(3000)
    calls = 0

    def big(w: WriteTxn) -> int:
        nonlocal calls
        calls += 1
        kv = w.kv(schema.DB_STATE_TRIE)
        for i in range(1000):  # ~3 MB in one transaction
            kv.put(b"n" + i.to_bytes(32, "big"), value)
        return calls

    with ChainDB.open(path, network="regtest", map_size=MIN_MAP_SIZE, sync=False) as db:
        start = db.map_size
        assert start == MIN_MAP_SIZE
        assert db.write(big) > 1  # MapFullError, grow, re-run from scratch
        grown = db.map_size
        assert grown >= 4 * start
        assert db.used_bytes <= grown
        with db.read() as r:
            kv = r.kv(schema.DB_STATE_TRIE)
            assert kv.count() == 1000
            assert all(kv.get(b"n" + i.to_bytes(32, "big")) == value for i in range(1000))
    # the grown size survives a reopen that asks for less
    with ChainDB.open(path, network="regtest", map_size=MIN_MAP_SIZE) as db:
        assert db.map_size >= grown
        with db.read() as r:
            assert r.kv(schema.DB_STATE_TRIE).count() == 1000


def test_map_grows_proactively_above_80_percent(path: Path) -> None:
    with ChainDB.open(path, network="regtest", map_size=1 << 20, sync=False) as db:
        chunk = os.urandom(2000)
        i = 0
        while db.used_bytes * 100 <= db.map_size * 80:
            db.write(lambda w, i=i: w.kv(schema.DB_BLOCKS).put(i.to_bytes(32, "big"), chunk))
            i += 1
        size = db.map_size
        calls = []
        db.write(lambda w: calls.append(1))
        assert db.map_size == 2 * size  # grown before the transaction started
        assert calls == [1]  # ... so it ran once


def test_growth_waits_for_readers_in_other_threads(path: Path) -> None:
    with ChainDB.open(path, network="regtest", map_size=MIN_MAP_SIZE, sync=False) as db:
        db.write(lambda w: w.put_coin(op(0), coin(0)))
        reading = threading.Event()
        seen: list[Coin | None] = []

        def reader() -> None:
            with db.read() as r:
                reading.set()
                time.sleep(0.3)
                seen.append(r.get_coin(op(0)))

        thread = threading.Thread(target=reader)
        thread.start()
        reading.wait()
        start = db.map_size
        blob = os.urandom(4000)
        db.write(lambda w: [w.kv(schema.DB_BLOCKS).put(bytes([i]) * 32, blob) for i in range(200)])
        thread.join()
        assert db.map_size > start
        assert seen == [coin(0)]


def test_growth_with_a_read_open_in_the_same_thread_fails_cleanly(path: Path) -> None:
    with ChainDB.open(path, network="regtest", map_size=MIN_MAP_SIZE, sync=False) as db:
        blob = os.urandom(4000)
        with db.read(), pytest.raises(StorageError, match="open read transaction"):
            db.write(
                lambda w: [w.kv(schema.DB_BLOCKS).put(bytes([i]) * 32, blob) for i in range(200)]
            )
        with db.read() as r:
            assert r.kv(schema.DB_BLOCKS).count() == 0


# --------------------------------------------------------------------------- utxo digest


def _digest(path: Path, batches: list[list[int]]) -> bytes:
    with ChainDB.open(path, network="regtest", sync=False) as db:
        for batch in batches:
            db.write(lambda w, batch=batch: w.put_coins([(op(i), coin(i)) for i in batch]))
        with db.read() as r:
            return r.utxo_set_digest()


def test_utxo_digest_is_independent_of_insertion_order(tmp_path: Path) -> None:
    ids = list(range(40))
    a = _digest(tmp_path / "a", [ids])
    b = _digest(tmp_path / "b", [ids[::-1]])
    c = _digest(tmp_path / "c", [ids[::3], ids[1::3], ids[2::3]])
    assert a == b == c
    assert _digest(tmp_path / "empty", []) == blake3(b"").digest()


def test_utxo_digest_covers_keys_and_coins(db: ChainDB) -> None:
    db.write(lambda w: w.put_coins([(op(i), coin(i)) for i in range(5)]))
    with db.read() as r:
        base = r.utxo_set_digest()
        expected = blake3(
            b"".join(schema.utxo_key(o) + c.serialize() for o, c in r.iter_utxos())
        ).digest()
    assert base == expected
    variants = [
        Coin(1001, P2PKH, 1, False),  # value
        Coin(1000, P2PKH, 2, False),  # height
        Coin(1000, P2PKH, 1, True),  # coinbase flag
        Coin(1000, P2PKH[:-1] + b"\x87", 1, False),  # script
    ]
    seen = {base}
    for variant in variants:
        db.write(lambda w, v=variant: w.put_coin(op(0), v, overwrite=True))
        with db.read() as r:
            seen.add(r.utxo_set_digest())
    assert len(seen) == len(variants) + 1
    db.write(lambda w: w.put_coin(op(0), coin(0), overwrite=True))
    with db.read() as r:
        assert r.utxo_set_digest() == base  # restoring the coin restores the digest
    db.write(lambda w: w.delete_coin(op(4)))
    with db.read() as r:
        assert r.utxo_set_digest() not in seen
    db.write(lambda w: w.put_coin(op(0, 1), coin(0)))
    with db.read() as r:
        assert r.utxo_set_digest() not in seen


# --------------------------------------------------------------------------- kv and corruption


def test_kv_view(db: ChainDB) -> None:
    def fill(w: WriteTxn) -> bytes | None:
        kv = w.kv(schema.DB_STATE_TRIE)
        for key in (b"j\x00\x02", b"j\x00\x01", b"n\x01", b"n\x02", b"o"):
            kv.put(key, key[::-1])
        kv.delete(b"o")
        kv.delete(b"absent")
        return kv.pop(b"n\x02")

    assert db.write(fill) == b"\x02n"
    with db.read() as r:
        kv = r.kv(schema.DB_STATE_TRIE)
        assert kv.name == schema.DB_STATE_TRIE
        assert [k for k, _ in kv.iter_prefix(b"j")] == [b"j\x00\x01", b"j\x00\x02"]
        assert list(kv.iter_prefix(b"n")) == [(b"n\x01", b"\x01n")]
        assert [k for k, _ in kv.iter_from(b"j\x00\x02")] == [b"j\x00\x02", b"n\x01"]
        assert list(kv.iter_from(b"z")) == []
        assert b"n\x01" in kv
        assert b"o" not in kv
        assert kv.count() == 3
        with pytest.raises(ReadOnlyError):
            kv.delete(b"n\x01")
        with pytest.raises(StorageError, match="unknown sub-database"):
            r.kv(b"nope")


def test_corrupt_records_name_db_and_key(db: ChainDB) -> None:
    block = sample_block()
    other = bytes(range(32))
    key = schema.utxo_key(op(1))

    def corrupt(w: WriteTxn) -> None:
        w.kv(schema.DB_UTXO).put(key, b"\x00\x00\x7f")  # script longer than the record
        w.kv(schema.DB_BLOCK_INDEX).put(other, b"\x00" * 10)
        w.kv(schema.DB_BLOCKS).put(other, block.serialize())  # body under the wrong hash
        w.kv(schema.DB_BLOCKS).put(block.hash, block.serialize()[:-1])
        w.kv(schema.DB_UNDO).put(other, b"\x01")
        w.kv(schema.DB_META).put(schema.META_TIP, b"short")

    db.write(corrupt)
    with db.read() as r:
        with pytest.raises(CorruptRecord) as info:
            r.get_coin(op(1))
        assert info.value.db == schema.DB_UTXO
        assert info.value.key == key
        assert key.hex() in str(info.value)
        with pytest.raises(CorruptRecord):
            list(r.iter_utxos())
        with pytest.raises(CorruptRecord) as info:
            r.get_block_index(other)
        assert info.value.db == schema.DB_BLOCK_INDEX
        with pytest.raises(CorruptRecord):
            list(r.iter_block_index())
        with pytest.raises(CorruptRecord, match="hash to its key"):
            r.get_block(other)
        with pytest.raises(CorruptRecord) as info:
            r.get_block(block.hash)
        assert info.value.db == schema.DB_BLOCKS
        with pytest.raises(CorruptRecord) as info:
            r.get_undo(other)
        assert info.value.db == schema.DB_UNDO
        with pytest.raises(CorruptRecord):
            r.get_tip()
    with pytest.raises(CorruptRecord):
        db.write(lambda w: w.delete_coin(op(1)))


def test_index_record_under_wrong_key_is_corrupt(db: ChainDB) -> None:
    rec = BlockIndexRecord(sample_block().header, 1, BlockStatus.VALID_HEADER)
    db.write(lambda w: w.kv(schema.DB_BLOCK_INDEX).put(bytes(32), rec.serialize()))
    with db.read() as r, pytest.raises(CorruptRecord, match="hash to its key"):
        r.get_block_index(bytes(32))


def test_db_stats(db: ChainDB) -> None:
    db.write(lambda w: w.put_coins([(op(i), coin(i)) for i in range(7)]))
    stats = db.db_stats()
    assert set(stats) == {n.decode() for n in schema.ALL_DBS}
    assert stats["utxo"]["entries"] == 7
    db.sync()


def test_reader_process_follows_a_map_grown_by_the_writer(path: Path) -> None:
    """A read-only process opened before the writer grew the map adopts the new size."""
    child = (
        "import sys\n"
        "from pathlib import Path\n"
        "from node.storage import ChainDB\n"
        f"with ChainDB.open(Path({str(path)!r}), network='regtest', readonly=True) as ro:\n"
        "    with ro.read() as r:\n"
        "        print('BEFORE', r.kv(b'blocks').count(), ro.map_size, flush=True)\n"
        "    sys.stdin.readline()\n"
        "    with ro.read() as r:\n"
        "        print('AFTER', r.kv(b'blocks').count(), ro.map_size, flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with ChainDB.open(path, network="regtest", map_size=MIN_MAP_SIZE, sync=False) as db:
        db.write(lambda w: w.put_coin(op(0), coin(0)))
        proc = subprocess.Popen(
            [sys.executable, "-c", child],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        assert proc.stdin is not None
        first = proc.stdout.readline().split()
        assert first == ["BEFORE", "0", str(MIN_MAP_SIZE)], proc.stderr and proc.stderr.read()
        blob = os.urandom(4000)
        db.write(lambda w: [w.kv(schema.DB_BLOCKS).put(bytes([i]) * 32, blob) for i in range(200)])
        grown = db.map_size
        assert grown > MIN_MAP_SIZE
        out, err = proc.communicate("go\n", timeout=60)
    assert proc.returncode == 0, err
    assert out.split() == ["AFTER", "200", str(grown)]
