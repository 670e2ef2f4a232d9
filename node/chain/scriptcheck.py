"""Script verification of a block's inputs, optionally spread over worker threads.

libsecp256k1 runs through cffi, which releases the GIL during the C call, so Schnorr checks
can overlap on threads; the Python interpreter parts still serialise. `bench chain` measures
both and the daemon picks the faster default (see docs/PERFORMANCE.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from node.consensus.errors import ScriptVerifyFailed
from node.script import CONSENSUS_FLAGS, PrecomputedTxData, ScriptError, verify_input
from node.script.cache import ScriptCache
from node.types.tx import Tx, TxOut

Job = tuple[Tx, Sequence[TxOut]]
"""A transaction and the outputs its inputs spend, in input order."""


def _check_jobs(jobs: Sequence[Job]) -> None:
    for tx, spent in jobs:
        precomputed = PrecomputedTxData.from_tx(tx)
        for index, out in enumerate(spent):
            try:
                verify_input(tx, index, out, CONSENSUS_FLAGS, precomputed)
            except ScriptError as exc:
                raise ScriptVerifyFailed.from_script_error(
                    exc, txid=tx.txid, input_index=index
                ) from exc


class ScriptChecker:
    """Runs the script checks of a block inline or on `threads` worker threads, skipping
    transactions the script cache already knows to be valid (e.g. from the mempool)."""

    def __init__(self, threads: int = 0, cache: ScriptCache | None = None) -> None:
        self.threads = threads
        self.cache = cache if cache is not None else ScriptCache()
        self._pool = ThreadPoolExecutor(threads, "script") if threads > 1 else None

    def check(self, jobs: Sequence[Job]) -> None:
        """Raise ScriptVerifyFailed for the first failing input (in block order per chunk)."""
        jobs = [job for job in jobs if not self.cache.check(job[0].wtxid)]
        if self._pool is None or len(jobs) < 2 * self.threads:
            _check_jobs(jobs)
            return
        size = -(-len(jobs) // self.threads)
        chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        for future in [self._pool.submit(_check_jobs, chunk) for chunk in chunks]:
            future.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
