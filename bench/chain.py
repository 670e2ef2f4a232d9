"""`python -m bench chain`: connect throughput, header verification, reorg time, LMDB size.

The workload (issue 4): a regtest chain of 200 blocks of 2,000 one-input two-output P2PKH
transactions. It is generated once (signing and mining take a while) into a cache file
under the system temp dir, then connected into a fresh datadir while timing. Raw
coincurve Schnorr verifications/s are measured in the same run for comparison.

Environment knobs: BENCH_CHAIN_BLOCKS (200), BENCH_CHAIN_TXS (2000),
BENCH_SCRIPT_THREADS (comma list of thread counts to compare, default "0,2").
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._regtest import PARAMS, Signer, open_regtest
from bench._timing import rate
from node.consensus.subsidy import reward_split
from node.crypto import schnorr
from node.params import get_params
from node.types.block import Block
from node.types.codec import ByteReader, encode_compact_size
from node.types.tx import OutPoint, TxOut

SIGNER = Signer(bytes.fromhex("42" * 32))
SCRIPT = SIGNER.script


def generate_chain(path: Path, n_blocks: int, n_txs: int) -> list[Block]:
    """Funding block (a coinbase with n_txs outputs), maturity blocks, then the workload."""
    blocks: list[Block] = []
    with open_regtest(path) as cs:
        share = reward_split(1, 0, False, PARAMS).miner
        per = share // n_txs
        funding = SIGNER.mine(cs, [], [TxOut(per, SCRIPT) for _ in range(n_txs)])
        blocks.append(funding)
        for _ in range(PARAMS.coinbase_maturity):
            blocks.append(SIGNER.mine(cs))
        coins = [(OutPoint(funding.txs[0].txid, i), per) for i in range(n_txs)]
        for _ in range(n_blocks):
            txs = []
            next_coins = []
            for op, value in coins:
                # Two outputs; the chain continues from the first, so values never run out.
                keep = value - 200 - 1
                tx = SIGNER.spend(op, value, [TxOut(keep, SCRIPT), TxOut(1, SCRIPT)])
                txs.append(tx)
                next_coins.append((OutPoint(tx.txid, 0), keep))
            blocks.append(SIGNER.mine(cs, txs))
            coins = next_coins
    return blocks


def _cache_file(n_blocks: int, n_txs: int) -> Path:
    return Path(tempfile.gettempdir()) / f"rusty-bench-chain-v1-{n_blocks}x{n_txs}.bin"


def load_or_generate(n_blocks: int, n_txs: int) -> tuple[list[Block], float | None]:
    cache = _cache_file(n_blocks, n_txs)
    if cache.exists():
        reader = ByteReader(cache.read_bytes())
        count = reader.read_compact_size(1 << 20)
        blocks = [Block.stream_deserialize(reader) for _ in range(count)]
        return blocks, None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        blocks = generate_chain(Path(tmp), n_blocks, n_txs)
    elapsed = time.perf_counter() - started
    cache.write_bytes(encode_compact_size(len(blocks)) + b"".join(b.serialize() for b in blocks))
    return blocks, elapsed


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def run() -> dict[str, Any]:
    n_blocks = int(os.environ.get("BENCH_CHAIN_BLOCKS", "200"))
    n_txs = int(os.environ.get("BENCH_CHAIN_TXS", "2000"))
    thread_options = [int(x) for x in os.environ.get("BENCH_SCRIPT_THREADS", "0,2").split(",")]
    blocks, generation_s = load_or_generate(n_blocks, n_txs)
    workload = blocks[1 + PARAMS.coinbase_maturity :]
    workload_txs = sum(len(b.txs) - 1 for b in workload)
    figures: dict[str, Any] = {
        "blocks": len(workload),
        "txs_per_block": n_txs,
        "workload_txs": workload_txs,
        "generation_s": None if generation_s is None else round(generation_s, 1),
    }

    secret = schnorr.generate_secret()
    pub = schnorr.pubkey_from_secret(secret)
    msg = os.urandom(32)
    sig = schnorr.sign(secret, msg)
    from coincurve.keys import PublicKeyXOnly

    raw_key = PublicKeyXOnly(pub)
    figures["raw_schnorr_verify_per_s"] = round(rate(lambda: raw_key.verify(sig, msg), 5000))

    for threads in thread_options:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp)
            with open_regtest(path, threads) as cs:
                for block in blocks[: 1 + PARAMS.coinbase_maturity]:
                    cs.process_block(block)
                started = time.perf_counter()
                for block in workload:
                    cs.process_block(block)
                elapsed = time.perf_counter() - started
                assert cs.tip.hash == blocks[-1].hash
                figures[f"connect_tx_per_s_threads_{threads}"] = round(workload_txs / elapsed)
                figures[f"connect_s_threads_{threads}"] = round(elapsed, 2)
                lmdb_bytes = _dir_size(path / PARAMS.name / "chain.lmdb")
                figures["lmdb_bytes_per_tx"] = round(lmdb_bytes / workload_txs)

                reorg_from = cs.active[max(1, cs.height - 99)]
                started = time.perf_counter()
                cs.invalidate_block(reorg_from.hash)
                disconnect_s = time.perf_counter() - started
                started = time.perf_counter()
                cs.reconsider_block(reorg_from.hash)
                reconnect_s = time.perf_counter() - started
                figures[f"reorg_100_blocks_s_threads_{threads}"] = round(
                    disconnect_s + reconnect_s, 2
                )
                figures["disconnect_100_blocks_s"] = round(disconnect_s, 2)

    headers = [b.header for b in blocks]
    from node.consensus.checks import check_block_header

    started = time.perf_counter()
    for header in headers:
        check_block_header(header, PARAMS)
    figures["header_verify_per_s_regtest"] = round(len(headers) / (time.perf_counter() - started))
    mainnet = get_params("mainnet")
    from node.consensus.pow import pow_value

    sample = [h.serialize() for h in headers[:300]]
    started = time.perf_counter()
    for raw in sample:
        pow_value(raw, mainnet)
    figures["header_pow_per_s_mainnet_params"] = round(
        len(sample) / (time.perf_counter() - started)
    )
    best = max(figures[f"connect_tx_per_s_threads_{t}"] for t in thread_options)
    figures["best_connect_tx_per_s"] = best
    figures["target_tx_per_s"] = 5000
    figures["meets_target"] = best >= 5000
    figures["connect_vs_raw_schnorr"] = round(best / figures["raw_schnorr_verify_per_s"], 3)
    return figures
