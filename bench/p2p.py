"""`python -m bench p2p`: P2P throughput between real node processes on loopback.

1. **Initial sync**: a regtest chain of BENCH_P2P_BLOCKS (2,000) blocks, each with
   BENCH_P2P_TXS (50) one-input two-output P2PKH transactions after a funding block, is
   built straight into a source node's datadir; a fresh node then connects and downloads it
   (headers first, parallel blocks). Reported: blocks/s and tx/s from connect to the same tip.
2. **Propagation**: five nodes in a line (0-1-2-3-4) with matching mempools; node 0 mines a
   block of BENCH_P2P_PROP_TXS (20) wallet transactions and the time until node 4 has it is
   measured, BENCH_P2P_ROUNDS (5) times. Blocks travel as compact blocks (counters reported).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench._regtest import Signer
from node.chain.miner import BlockAssembler, solve
from node.consensus.subsidy import reward_split
from node.params import get_params
from node.rpc.client import RpcClient
from node.rpc.node import Node
from node.types.tx import OutPoint, TxOut

ROOT = Path(__file__).resolve().parents[1]
PARAMS = dataclasses.replace(get_params("regtest"), stake_validation_height=1_000_000)
SIGNER = Signer(bytes.fromhex("43" * 32))
ADDRESS = "rcrt1q7lljk58rvp6nh9x0unrtx3tn407mddvzzlnfsx"


def build_chain(datadir: Path, n_blocks: int, n_txs: int) -> int:
    """Write the workload chain into `datadir`; returns the number of transactions."""
    node = Node.open(datadir, PARAMS, txindex=False, clock=time.time)
    cs = node.chainstate
    try:

        def mine(txs: list[Any], coinbase: list[TxOut] | None = None) -> Any:
            block = BlockAssembler(cs).create_block(
                SIGNER.script, txs, timestamp=cs.tip.timestamp + 1, coinbase_outputs=coinbase
            )
            solved = solve(block, PARAMS)
            assert solved is not None
            cs.process_block(solved)
            return solved

        per = reward_split(1, 0, False, PARAMS).miner // max(n_txs, 1)
        funding = mine([], [TxOut(per, SIGNER.script) for _ in range(max(n_txs, 1))])
        for _ in range(PARAMS.coinbase_maturity):
            mine([])
        coins = [(OutPoint(funding.txs[0].txid, i), per) for i in range(n_txs)]
        total = 0
        while cs.height < n_blocks:
            txs = []
            nxt = []
            for op, value in coins:
                keep = value - 200 - 1
                tx = SIGNER.spend(op, value, [TxOut(keep, SIGNER.script), TxOut(1, SIGNER.script)])
                txs.append(tx)
                nxt.append((OutPoint(tx.txid, 0), keep))
            mine(txs)
            total += len(txs)
            coins = nxt
        return total
    finally:
        node.close()


class Proc:
    """A `python -m node` regtest process with RPC and P2P on free loopback ports."""

    def __init__(self, datadir: Path, *extra: str) -> None:
        self.datadir = datadir
        log = datadir / "regtest" / "node.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "node", "--network", "regtest", "--datadir", str(datadir),
               "--rpcport", "0", "--port", "0", "--bind", "127.0.0.1", "--maxoutbound", "0",
               "--stakevalidationheight", "1000000", "--rpcratelimit", "0", *extra]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            text = log.read_text() if log.exists() else ""
            rpc = re.search(r"RPC server listening on [\d.]+:(\d+)", text)
            p2p = re.search(r"P2P listening on [\d.]+:(\d+)", text)
            if rpc and p2p:
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"node in {datadir} did not start:\n{text[-2000:]}")
            time.sleep(0.05)
        self.p2p = f"127.0.0.1:{p2p.group(1)}"
        user, _, password = (datadir / "regtest" / ".cookie").read_text().partition(":")
        self.rpc = RpcClient(f"http://127.0.0.1:{rpc.group(1)}/", user, password, timeout=300)

    def __call__(self, method: str, *args: Any) -> Any:
        return self.rpc.call(method, *args)

    def stop(self) -> None:
        self.rpc.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@contextlib.contextmanager
def running(*procs: Callable[[], Proc]) -> Iterator[list[Proc]]:
    started: list[Proc] = []
    try:
        for make in procs:
            started.append(make())
        yield started
    finally:
        for p in started:
            p.stop()


def wait(predicate: Callable[[], bool], timeout: float = 600.0, poll: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(poll)


def connect(a: Proc, b: Proc) -> None:
    a("addnode", b.p2p, "onetry")
    wait(lambda: any(p["handshake"] for p in a("getpeerinfo")), 30)


def local_connect(source_dir: Path, target_dir: Path) -> float:
    """Seconds to connect the source chain block by block in-process (no network), with the
    daemon's default 2 script threads: the bound the P2P sync is compared with."""
    with Node.open(source_dir, PARAMS, txindex=False, clock=time.time) as source:
        cs = source.chainstate
        blocks = [cs.get_block(e.hash) for e in cs.active[1:]]
    with Node.open(target_dir, PARAMS, txindex=False, clock=time.time, script_threads=2) as node:
        started = time.perf_counter()
        for block in blocks:
            node.chainstate.process_block(block)
        return time.perf_counter() - started


def initial_sync(n_blocks: int, n_txs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rusty-bench-p2p-") as tmp:
        source_dir, fresh_dir = Path(tmp) / "source", Path(tmp) / "fresh"
        started = time.perf_counter()
        total_txs = build_chain(source_dir, n_blocks, n_txs)
        built = time.perf_counter() - started
        local = local_connect(source_dir, Path(tmp) / "local")
        with running(lambda: Proc(source_dir, "--no-txindex"),
                     lambda: Proc(fresh_dir, "--no-txindex")) as (source, fresh):  # fmt: skip
            tip = source("getbestblockhash")
            size = sum(source("getblock", source("getblockhash", h))["size"]
                       for h in range(0, n_blocks + 1, max(1, n_blocks // 50)))  # fmt: skip
            started = time.perf_counter()
            connect(fresh, source)
            wait(lambda: fresh("getbestblockhash") == tip, poll=0.05)
            elapsed = time.perf_counter() - started
        return {
            "blocks": n_blocks,
            "txs_per_block": n_txs,
            "transactions": total_txs,
            "avg_block_bytes": size // len(range(0, n_blocks + 1, max(1, n_blocks // 50))),
            "chain_build_s": round(built, 1),
            "sync_s": round(elapsed, 2),
            "blocks_per_s": round(n_blocks / elapsed, 1),
            "tx_per_s": round(total_txs / elapsed, 1),
            "local_connect_s": round(local, 2),
            "local_connect_tx_per_s": round(total_txs / local, 1),
            "p2p_vs_local": round(local / elapsed, 2),
        }


def full_block_bytes(nodes: list[Proc]) -> int:
    """Bytes of `block` messages the nodes received so far."""
    return sum(p["bytesrecv_per_msg"].get("block", 0) for n in nodes for p in n("getpeerinfo"))


def propagation(rounds: int, n_txs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rusty-bench-p2p-") as tmp:
        makers = [lambda i=i: Proc(Path(tmp) / f"n{i}", "--txtrickle", "0.05") for i in range(5)]
        with running(*makers) as nodes:
            for a, b in itertools.pairwise(nodes):
                connect(b, a)
            first, last = nodes[0], nodes[-1]
            first("createwallet", "w")
            address = first.rpc.call("getnewaddress")
            first("generatetoaddress", 20 + rounds, address)
            wait(lambda: last("getblockcount") == first("getblockcount"), 120)
            times = []
            before = [n("getnetworkinfo")["compactblocks"] for n in nodes[1:]]
            full_before = full_block_bytes(nodes[1:])
            for _ in range(rounds):
                for _ in range(n_txs):
                    first("sendtoaddress", address, 0.01)
                want = set(first("getrawmempool"))
                wait(lambda w=want: all(set(n("getrawmempool")) == w for n in nodes), 120)  # type: ignore[misc]
                started = time.perf_counter()
                [block_hash] = first("generatetoaddress", 1, ADDRESS)
                wait(lambda h=block_hash: last("getbestblockhash") == h, 60, poll=0.002)  # type: ignore[misc]
                times.append(time.perf_counter() - started)
            stats = [n("getnetworkinfo")["compactblocks"] for n in nodes[1:]]
            full = full_block_bytes(nodes[1:]) - full_before
        return {
            "nodes": 5,
            "hops": 4,
            "txs_per_block": n_txs,
            "rounds": rounds,
            "median_ms": round(statistics.median(times) * 1000, 1),
            "best_ms": round(min(times) * 1000, 1),
            "per_hop_median_ms": round(statistics.median(times) * 1000 / 4, 1),
            "cmpct_reconstructed": sum(s["cmpctblock_reconstructed"] for s in stats)
            - sum(s["cmpctblock_reconstructed"] for s in before),
            "cmpct_blocktxn": sum(s["cmpctblock_blocktxn"] for s in stats)
            - sum(s["cmpctblock_blocktxn"] for s in before),
            "full_block_bytes_received": full,
        }


def run() -> dict[str, Any]:
    n_blocks = int(os.environ.get("BENCH_P2P_BLOCKS", "2000"))
    n_txs = int(os.environ.get("BENCH_P2P_TXS", "50"))
    rounds = int(os.environ.get("BENCH_P2P_ROUNDS", "5"))
    prop_txs = int(os.environ.get("BENCH_P2P_PROP_TXS", "20"))
    return {
        "initial_sync": initial_sync(n_blocks, n_txs),
        "propagation_line_of_5": propagation(rounds, prop_txs),
    }
