"""`python -m bench trie`: state-trie batch updates, proofs and pruning (node/storage/trie.py).

A block of the chain benchmark (2,000 one-input two-output transactions) makes about 6,000
trie changes: 4,000 inserted coins and 2,000 deleted ones. Figures (best of the batches):
- ``dict_<n>k`` / ``lmdb_<n>k``: on a trie of n thousand keys (UTXO-like 40-byte keys,
  60-byte values), with a dict store or with a real LMDB sub-database (one write
  transaction per batch, committed; ``commit_s_best`` is the commit's share), the seconds
  per 6,000-change batch, changes/s, the time of the initial bulk build, and (dict) the
  journal bytes kept per block until it is pruned;
- ``proof_*``: get_proof and verify_proof per second on the largest trie;
- ``update_ms_per_block`` / ``revert_ms_per_block`` / ``prune_ms_per_block``: one more
  block on the largest dict trie, reverted, re-applied, then every journal pruned (per
  block).
"""

from __future__ import annotations

import gc
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import lmdb

from bench._timing import rate
from node.storage.trie import EMPTY_ROOT, StateTrie, verify_proof

INSERTS = 4_000
DELETES = 2_000
BATCHES = 5
SIZES = (100_000, 400_000)


class DictStore(dict[bytes, bytes]):
    """The trie's KVStore over a plain dict."""

    def put(self, key: bytes, value: bytes) -> None:
        self[key] = value

    def delete(self, key: bytes) -> None:
        del self[key]


class LmdbStore:
    """The trie's KVStore over one LMDB sub-database inside a write transaction."""

    __slots__ = ("db", "txn")

    def __init__(self, txn: Any, db: Any) -> None:
        self.txn = txn
        self.db = db

    def get(self, key: bytes) -> bytes | None:
        value: bytes | None = self.txn.get(key, db=self.db)
        return value

    def put(self, key: bytes, value: bytes) -> None:
        self.txn.put(key, value, db=self.db)

    def delete(self, key: bytes) -> None:
        self.txn.delete(key, db=self.db)


class Workload:
    """A UTXO-like key set and its per-block change batches (deterministic)."""

    def __init__(self, size: int, seed: int = 7) -> None:
        self.rnd = random.Random(seed)
        self.live = [self.key() for _ in range(size)]
        self.initial = {key: self.value() for key in self.live}

    def key(self) -> bytes:
        return b"utxo" + self.rnd.randbytes(36)

    def value(self) -> bytes:
        return self.rnd.randbytes(60)

    def batch(self) -> dict[bytes, bytes | None]:
        changes: dict[bytes, bytes | None] = {}
        for _ in range(DELETES):
            changes[self.live.pop(self.rnd.randrange(len(self.live)))] = None
        for _ in range(INSERTS):
            key = self.key()
            changes[key] = self.value()
            self.live.append(key)
        return changes


@contextmanager
def no_gc() -> Iterator[None]:
    """Collect once, then keep the collector out of the timed region."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def block_hash(height: int) -> bytes:
    return height.to_bytes(32, "big")


def run_batches(
    size: int, session: Callable[[Callable[[StateTrie], None]], None]
) -> dict[str, Any]:
    """Build a trie of ``size`` keys, then time BATCHES blocks of changes through ``session``."""
    work = Workload(size)
    state: dict[str, Any] = {"root": EMPTY_ROOT}

    def build(trie: StateTrie) -> None:
        state["root"] = trie.update(EMPTY_ROOT, work.initial, height=0, block_hash=block_hash(0))

    started = time.perf_counter()
    session(build)
    build_s = time.perf_counter() - started
    times: list[float] = []
    with no_gc():
        for height in range(1, BATCHES + 1):
            changes = work.batch()

            def step(
                trie: StateTrie, changes: dict[bytes, bytes | None] = changes, height: int = height
            ) -> None:
                state["root"] = trie.update(
                    state["root"], changes, height=height, block_hash=block_hash(height)
                )

            started = time.perf_counter()
            session(step)
            times.append(time.perf_counter() - started)
    best = min(times)
    return {
        "build_s": round(build_s, 2),
        "batch_s_best": round(best, 4),
        "batch_s_median": round(sorted(times)[len(times) // 2], 4),
        "changes_per_s": round((INSERTS + DELETES) / best),
        "root": state["root"].hex(),
        "_work": work,
    }


def dict_figures(size: int) -> tuple[dict[str, Any], DictStore, bytes, Workload]:
    store = DictStore()
    trie = StateTrie(store)
    figures = run_batches(size, lambda fn: fn(trie))
    work = figures.pop("_work")
    figures["store_entries"] = len(store)
    journals = [len(v) for k, v in store.items() if k[:1] == b"j"]
    figures["journal_bytes_per_block"] = round(sum(journals[1:]) / max(1, len(journals) - 1))
    return figures, store, bytes.fromhex(figures["root"]), work


def lmdb_figures(size: int) -> dict[str, Any]:
    path = tempfile.mkdtemp(prefix="rusty-bench-trie-")
    try:
        env = lmdb.open(path, map_size=8 << 30, max_dbs=2, sync=False, metasync=False)
        db = env.open_db(b"state_trie")

        commits: list[float] = []

        def session(fn: Callable[[StateTrie], None]) -> None:
            txn = env.begin(write=True)
            try:
                fn(StateTrie(LmdbStore(txn, db)))
            except BaseException:
                txn.abort()
                raise
            started = time.perf_counter()
            txn.commit()
            commits.append(time.perf_counter() - started)

        figures = run_batches(size, session)
        figures.pop("_work")
        figures["commit_s_best"] = round(min(commits[1:]), 4)
        with env.begin() as txn:
            figures["store_entries"] = txn.stat(db)["entries"]
        figures["lmdb_mb"] = round(env.info()["last_pgno"] * env.stat()["psize"] / 1e6, 1)
        env.close()
    finally:
        shutil.rmtree(path, ignore_errors=True)
    return figures


def run() -> dict[str, Any]:
    figures: dict[str, Any] = {"changes_per_batch": INSERTS + DELETES, "batches": BATCHES}
    largest: tuple[DictStore, bytes, Workload] | None = None
    for size in SIZES:
        result, store, root, work = dict_figures(size)
        figures[f"dict_{size // 1000}k"] = result
        largest = (store, root, work)
    for size in SIZES:
        figures[f"lmdb_{size // 1000}k"] = lmdb_figures(size)

    assert largest is not None
    store, root, work = largest
    trie = StateTrie(store)
    keys = work.live[:2000]
    absent = [work.key() for _ in range(2000)]
    proofs = [trie.get_proof(root, key) for key in keys]
    index = iter(range(10**9))
    figures["proof_get_per_s"] = round(
        rate(lambda: trie.get_proof(root, keys[next(index) % 2000]), 4000)
    )
    figures["proof_verify_per_s"] = round(
        rate(lambda: verify_proof(root, keys[(i := next(index) % 2000)], proofs[i]), 4000)
    )
    figures["proof_nodes_avg"] = round(sum(map(len, proofs)) / len(proofs), 2)
    figures["proof_bytes_avg"] = round(sum(sum(map(len, p)) for p in proofs) / len(proofs))
    assert all(verify_proof(root, k, trie.get_proof(root, k)) is None for k in absent[:200])

    # One more block: revert it, re-apply it, then prune everything below it.
    changes = work.batch()
    height = BATCHES + 1
    with no_gc():
        started = time.perf_counter()
        after = trie.update(root, changes, height=height, block_hash=block_hash(height))
        update_s = time.perf_counter() - started
        started = time.perf_counter()
        trie.revert(root, height=height, block_hash=block_hash(height))
        revert_s = time.perf_counter() - started
        trie.update(root, changes, height=height, block_hash=block_hash(height))
        started = time.perf_counter()
        deleted = trie.prune(below_height=height)
        prune_s = time.perf_counter() - started
    figures["update_ms_per_block"] = round(update_s * 1e3, 1)
    figures["revert_ms_per_block"] = round(revert_s * 1e3, 1)
    figures["prune_ms_per_block"] = round(prune_s * 1e3 / height, 1)
    figures["prune_nodes_deleted_per_block"] = round(deleted / height)
    assert trie.get(after, keys[-1]) is not None or keys[-1] in changes
    return figures
