"""`python -m bench mempool`: acceptance throughput into a 50,000-transaction pool and
getblocktemplate latency on it.

The workload (issue 6): a regtest chain whose first block's coinbase pays BENCH_MEMPOOL_FUNDS
outputs (2,500), matured, then groups of 20 one-input two-output P2PKH transactions per
funding output (50,000 in all): even groups are a chain of 20, odd groups a fan-out (a root
whose two outputs start chains of 10 and 9). Every transaction is signed once and cached
under the system temp dir with the funding blocks; the timed part loads the blocks into a
fresh datadir and accepts every transaction in order. Ancestor/descendant counts stay within
Core's 25 limits. If node.mempool.template.build_template exists, the template built from
the full pool is timed as well.

Environment knobs: BENCH_MEMPOOL_FUNDS (2500), BENCH_MEMPOOL_GROUP (20).
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench._regtest import PARAMS, Signer, open_regtest
from bench._timing import seconds
from node.consensus.subsidy import reward_split
from node.mempool import Mempool
from node.types.block import Block
from node.types.codec import ByteReader, encode_compact_size
from node.types.tx import OutPoint, Tx, TxOut

SIGNER = Signer(bytes.fromhex("43" * 32))
SCRIPT = SIGNER.script
FEE = 300
"""Per transaction: about 1,600 units/kvB on a 187-byte transaction."""
SIDE = 1000
"""Value of the second (non-dust) output of every transaction."""


def _chain(op: OutPoint, value: int, length: int, out: list[Tx]) -> None:
    for _ in range(length):
        keep = value - FEE - SIDE
        tx = SIGNER.spend(op, value, [TxOut(keep, SCRIPT), TxOut(SIDE, SCRIPT)])
        out.append(tx)
        op, value = OutPoint(tx.txid, 0), keep


def generate(n_funds: int, group: int) -> tuple[list[Block], list[Tx]]:
    """Funding + maturity blocks, and the workload transactions in acceptance order."""
    with tempfile.TemporaryDirectory() as tmp, open_regtest(Path(tmp)) as cs:
        share = reward_split(1, 0, False, PARAMS).miner
        per = share // n_funds
        blocks = [SIGNER.mine(cs, (), [TxOut(per, SCRIPT) for _ in range(n_funds)])]
        blocks += [SIGNER.mine(cs) for _ in range(PARAMS.coinbase_maturity)]
    funding = blocks[0].txs[0].txid
    txs: list[Tx] = []
    for i in range(n_funds):
        op = OutPoint(funding, i)
        if i % 2 == 0:
            _chain(op, per, group, txs)
            continue
        half = (per - FEE) // 2
        root = SIGNER.spend(op, per, [TxOut(half, SCRIPT), TxOut(per - FEE - half, SCRIPT)])
        txs.append(root)
        rest = group - 1
        _chain(OutPoint(root.txid, 0), half, (rest + 1) // 2, txs)
        _chain(OutPoint(root.txid, 1), per - FEE - half, rest // 2, txs)
    return blocks, txs


def _cache_file(n_funds: int, group: int) -> Path:
    return Path(tempfile.gettempdir()) / f"rusty-bench-mempool-v1-{n_funds}x{group}.bin"


def load_or_generate(n_funds: int, group: int) -> tuple[list[Block], list[Tx], float | None]:
    cache = _cache_file(n_funds, group)
    if cache.exists():
        r = ByteReader(cache.read_bytes())
        blocks = [Block.stream_deserialize(r) for _ in range(r.read_compact_size(1 << 20))]
        txs = [Tx.stream_deserialize(r) for _ in range(r.read_compact_size(1 << 24))]
        return blocks, txs, None
    started = time.perf_counter()
    blocks, txs = generate(n_funds, group)
    elapsed = time.perf_counter() - started
    cache.write_bytes(
        encode_compact_size(len(blocks))
        + b"".join(b.serialize() for b in blocks)
        + encode_compact_size(len(txs))
        + b"".join(t.serialize() for t in txs)
    )
    return blocks, txs, elapsed


def _fresh(raw: list[bytes]) -> list[Tx]:
    """Decoded again, so no cached txid or encoding carries over between runs."""
    return [Tx.deserialize(b) for b in raw]


def run() -> dict[str, Any]:
    n_funds = int(os.environ.get("BENCH_MEMPOOL_FUNDS", "2500"))
    group = int(os.environ.get("BENCH_MEMPOOL_GROUP", "20"))
    blocks, txs, generation_s = load_or_generate(n_funds, group)
    raw = [t.serialize() for t in txs]
    figures: dict[str, Any] = {
        "pool_txs": len(txs),
        "generation_s": None if generation_s is None else round(generation_s, 1),
    }
    with tempfile.TemporaryDirectory() as tmp, open_regtest(Path(tmp)) as cs:
        for block in blocks:
            cs.process_block(block)
        pool = Mempool(cs, clock=cs.clock)
        workload = _fresh(raw)
        tenth = max(1, len(workload) // 10)
        started = time.perf_counter()
        marks = []
        for i, tx in enumerate(workload):
            pool.accept(tx)
            if (i + 1) % tenth == 0:
                marks.append(time.perf_counter())
        elapsed = time.perf_counter() - started
        assert len(pool) == len(workload), "every workload transaction must be accepted"
        figures["accept_s"] = round(elapsed, 2)
        figures["accept_tx_per_s"] = round(len(workload) / elapsed)
        figures["accept_tx_per_s_last_tenth"] = round(tenth / (marks[-1] - marks[-2]))
        figures["pool_bytes"] = pool.size_bytes()
        figures["pool_usage_estimate"] = pool.usage_bytes()
        figures["target_tx_per_s"] = 2000
        figures["meets_target"] = figures["accept_tx_per_s"] >= 2000
        started = time.perf_counter()
        problems = pool.consistency_problems()
        figures["consistency_check_s"] = round(time.perf_counter() - started, 2)
        assert not problems, problems[:5]

        try:
            from node.mempool.template import build_template
        except ImportError:
            figures["getblocktemplate_s"] = None
        else:
            gbt_s = seconds(lambda: build_template(cs, pool, SCRIPT), repeat=3)
            figures["getblocktemplate_s"] = round(gbt_s, 3)
            figures["getblocktemplate_target_s"] = 1.0
            figures["getblocktemplate_meets_target"] = gbt_s < 1.0
        pool.close()

    # Calibrate the usage estimate: traced Python allocations of a pool of 5,000 (decoded
    # transactions included).
    sample = raw[:5000]
    with tempfile.TemporaryDirectory() as tmp, open_regtest(Path(tmp)) as cs:
        for block in blocks:
            cs.process_block(block)
        pool = Mempool(cs, clock=cs.clock)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for data in sample:
            pool.accept(Tx.deserialize(data))
        traced = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        figures["traced_bytes_per_tx"] = round(traced / len(sample))
        figures["estimated_usage_per_tx"] = round(pool.usage_bytes() / len(sample))
        pool.close()

    # The third figure: getblockcount over one keep-alive connection to a real node.
    from bench import rpc as rpc_bench

    figures.update(rpc_bench.run())
    return figures
