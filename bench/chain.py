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

from bench._timing import rate
from node.chain.chainstate import Chainstate
from node.chain.miner import BlockAssembler, coinbase_tx, solve
from node.consensus.subsidy import reward_split
from node.crypto import schnorr
from node.crypto.merkle import merkle_root
from node.params import get_params
from node.script import PrecomputedTxData, sign_input
from node.script.templates import p2pkh_script_for_pubkey, p2pkh_script_sig
from node.types.block import Block
from node.types.codec import ByteReader, encode_compact_size
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType

PARAMS = get_params("regtest")
SECRET = bytes.fromhex("42" * 32)
PUBKEY = schnorr.pubkey_from_secret(SECRET)
SCRIPT = p2pkh_script_for_pubkey(PUBKEY)
SPACING = 150


class _Clock:
    def __init__(self) -> None:
        self.now = float(PARAMS.genesis_timestamp + 10**8)

    def __call__(self) -> float:
        return self.now


def _open(path: Path, threads: int = 0) -> Chainstate:
    return Chainstate.open(path, PARAMS, clock=_Clock(), script_threads=threads)


def _signed(op: OutPoint, value: int, outputs: list[TxOut]) -> Tx:
    unsigned = Tx(1, TxType.STANDARD, (TxIn(op, 0xFFFFFFFE),), tuple(outputs), 0, b"", (b"",))
    spent = TxOut(value, SCRIPT)
    sig = sign_input(SECRET, unsigned, 0, spent, precomputed=PrecomputedTxData.from_tx(unsigned),
                     aux_rand=bytes(32))  # fmt: skip
    return Tx(1, TxType.STANDARD, unsigned.inputs, unsigned.outputs, 0, b"",
              (p2pkh_script_sig(sig, PUBKEY),))  # fmt: skip


def _mine(cs: Chainstate, txs: list[Tx], coinbase_outputs: list[TxOut] | None = None) -> Block:
    assembler = BlockAssembler(cs)
    block = assembler.create_block(SCRIPT, txs, timestamp=cs.tip.timestamp + SPACING)
    if coinbase_outputs is not None:
        cb = coinbase_tx(cs.height + 1, coinbase_outputs)
        all_txs = (cb, *txs)
        header = block.header
        draft = Block(
            type(header)(header.version, header.height, header.prev_hash,
                         merkle_root([t.wtxid for t in all_txs]), header.votes_root,
                         header.state_root, header.timestamp, header.bits, 0),
            (), all_txs,
        )  # fmt: skip
        root = cs.compute_state_root(draft)
        h = draft.header
        block = Block(
            type(h)(h.version, h.height, h.prev_hash, h.merkle_root, h.votes_root, root,
                    h.timestamp, h.bits, 0),
            (), all_txs,
        )  # fmt: skip
    solved = solve(block, PARAMS)
    assert solved is not None
    cs.process_block(solved)
    return solved


def generate_chain(path: Path, n_blocks: int, n_txs: int) -> list[Block]:
    """Funding block (a coinbase with n_txs outputs), maturity blocks, then the workload."""
    blocks: list[Block] = []
    with _open(path) as cs:
        share = reward_split(1, 0, False, PARAMS).miner
        per = share // n_txs
        funding = _mine(cs, [], [TxOut(per, SCRIPT) for _ in range(n_txs)])
        blocks.append(funding)
        for _ in range(PARAMS.coinbase_maturity):
            blocks.append(_mine(cs, []))
        coins = [(OutPoint(funding.txs[0].txid, i), per) for i in range(n_txs)]
        for _ in range(n_blocks):
            txs = []
            next_coins = []
            for op, value in coins:
                # Two outputs; the chain continues from the first, so values never run out.
                keep = value - 200 - 1
                tx = _signed(op, value, [TxOut(keep, SCRIPT), TxOut(1, SCRIPT)])
                txs.append(tx)
                next_coins.append((OutPoint(tx.txid, 0), keep))
            blocks.append(_mine(cs, txs))
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
            with _open(path, threads) as cs:
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
