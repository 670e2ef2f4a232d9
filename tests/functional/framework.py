"""The multi-node functional test framework (after Bitcoin Core's test_framework).

`NodeSet` starts N real `python -m node --network regtest` processes on loopback, each with
its own temporary data dir, `--rpcport 0 --port 0 --bind 127.0.0.1` (the OS picks free
ports; the framework reads them from the node's log), `--stakevalidationheight 1000000`
(so long chains need no tickets; a test may pass its own), no automatic outbound
connections (`--maxoutbound 0`: the test wires the topology) and short transaction trickle
delays. `TestNode` forwards unknown attributes to the node's JSON-RPC (`node.getblockcount()`).
Helpers: `connect_nodes`, `disconnect_nodes`, `sync_blocks`, `sync_mempools`, `wait_until`.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from node.rpc.client import RpcClient

ROOT = Path(__file__).resolve().parents[2]
RPC_RE = re.compile(r"RPC server listening on [\d.]+:(\d+)")
P2P_RE = re.compile(r"P2P listening on [\d.]+:(\d+)")
DEFAULT_TIMEOUT = 60.0
ADDRESS = "rcrt1q7lljk58rvp6nh9x0unrtx3tn407mddvzzlnfsx"
"""A regtest P2PKH address (secret 0x11..11) to mine to when no wallet is needed."""


class NodeStartError(AssertionError):
    """A node process exited or did not open its ports in time."""


def wait_until(
    predicate: Callable[[], object], *, timeout: float = DEFAULT_TIMEOUT, what: str = "condition"
) -> None:
    """Poll `predicate` until it is truthy; AssertionError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class TestNode:
    """One node process and its RPC client."""

    index: int
    datadir: Path
    extra_args: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    rpc: RpcClient | None = None
    rpc_port: int = 0
    p2p_port: int = 0
    _log_offset: int = 0

    __test__ = False

    @property
    def netdir(self) -> Path:
        return self.datadir / "regtest"

    @property
    def logfile(self) -> Path:
        return self.netdir / "node.log"

    @property
    def p2p_addr(self) -> str:
        return f"127.0.0.1:{self.p2p_port}"

    def start(self, extra_args: Sequence[str] | None = None, *, timeout: float = 60.0) -> None:
        if extra_args is not None:
            self.extra_args = list(extra_args)
        cmd = [sys.executable, "-m", "node", "--network", "regtest", "--datadir",
               str(self.datadir), "--rpcport", "0", "--port", "0", "--bind", "127.0.0.1",
               *self.extra_args]  # fmt: skip
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        self._log_offset = self.logfile.stat().st_size if self.logfile.exists() else 0
        # the test run's PYTHONPATH (tests/_blockers in `make test`) applies to the nodes too
        pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        stderr = open(self.netdir / "stderr.txt", "ab")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": pythonpath},
            stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        stderr.close()
        deadline = time.monotonic() + timeout
        while True:
            text = self.new_log()
            rpc, p2p = RPC_RE.search(text), P2P_RE.search(text)
            if rpc and p2p:
                break
            if self.proc.poll() is not None:
                raise NodeStartError(f"node{self.index} exited at start:\n{self.stderr_tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise NodeStartError(f"node{self.index} did not open its ports:\n{text[-3000:]}")
            time.sleep(0.05)
        self.rpc_port, self.p2p_port = int(rpc.group(1)), int(p2p.group(1))
        user, _, password = (self.netdir / ".cookie").read_text().partition(":")
        self.rpc = RpcClient(f"http://127.0.0.1:{self.rpc_port}/", user, password, timeout=120)

    def new_log(self) -> str:
        if not self.logfile.exists():
            return ""
        with self.logfile.open("rb") as f:
            f.seek(self._log_offset)
            return f.read().decode("utf-8", "replace")

    def stderr_tail(self, lines: int = 40) -> str:
        path = self.netdir / "stderr.txt"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.new_log().splitlines()[-lines:])

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        assert self.rpc is not None, f"node{self.index} is not running"
        return self.rpc.call(method, *args, **kwargs)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    def stop(self, *, timeout: float = 30.0) -> int | None:
        if self.rpc is not None:
            self.rpc.close()
            self.rpc = None
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def generate(self, n: int, address: str = ADDRESS) -> list[str]:
        hashes: list[str] = []
        while n > 0:
            step = min(n, 1000)
            hashes += self.call("generatetoaddress", step, address)
            n -= step
        return hashes


class NodeSet:
    """N nodes started with the framework's defaults plus per-node options."""

    def __init__(self, tmp_path: Path, num_nodes: int, *, stake_validation_height: int = 1_000_000,
                 extra_args: Sequence[Sequence[str]] | None = None,
                 trickle: float = 0.1) -> None:  # fmt: skip
        self.nodes: list[TestNode] = []
        for i in range(num_nodes):
            args = ["--stakevalidationheight", str(stake_validation_height), "--maxoutbound",
                    "0", "--txtrickle", str(trickle), "--script-threads", "0"]  # fmt: skip
            if extra_args is not None:
                args += list(extra_args[i])
            self.nodes.append(TestNode(i, tmp_path / f"node{i}", args))

    def __getitem__(self, index: int) -> TestNode:
        return self.nodes[index]

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self) -> Any:
        return iter(self.nodes)

    def start_all(self) -> None:
        for node in self.nodes:
            node.start()

    def stop_all(self) -> None:
        for node in self.nodes:
            node.stop()

    def report(self) -> str:
        """Log tails (and stderr of dead nodes) for a failed test."""
        parts = []
        for node in self.nodes:
            state = "running" if node.alive() else f"exited {node.proc and node.proc.poll()}"
            parts.append(f"===== node{node.index} ({state}) {node.logfile}\n{node.log_tail()}")
            if not node.alive():
                parts.append(f"----- node{node.index} stderr\n{node.stderr_tail()}")
        return "\n".join(parts)


# ---------------------------------------------------------------------- topology helpers


def _handshaked(node: TestNode) -> list[dict[str, Any]]:
    return [p for p in node.getpeerinfo() if p["handshake"]]


def connect_nodes(a: TestNode, b: TestNode, *, timeout: float = 30.0) -> None:
    """Open an outbound connection from `a` to `b` and wait for the handshake on both ends."""
    before = len([p for p in _handshaked(b) if p["inbound"]])
    a.addnode(b.p2p_addr, "onetry")
    wait_until(lambda: any(p["addr"] == b.p2p_addr for p in _handshaked(a)), timeout=timeout,
               what=f"node{a.index} -> node{b.index} handshake")  # fmt: skip
    wait_until(lambda: len([p for p in _handshaked(b) if p["inbound"]]) > before,
               timeout=timeout, what=f"node{b.index} to see node{a.index}")  # fmt: skip


def disconnect_nodes(a: TestNode, b: TestNode, *, timeout: float = 30.0) -> None:
    """Drop every connection between `a` and `b` (either direction)."""
    for x, y in ((a, b), (b, a)):
        for peer in x.getpeerinfo():
            if not peer["inbound"] and peer["addr"] == y.p2p_addr:
                x.disconnectnode(nodeid=peer["id"])

    def gone() -> bool:
        return not any(p["addr"] == b.p2p_addr for p in a.getpeerinfo()) and not any(
            p["addr"] == a.p2p_addr for p in b.getpeerinfo()
        )

    wait_until(gone, timeout=timeout, what=f"node{a.index} and node{b.index} to disconnect")


def sync_blocks(nodes: Sequence[TestNode], *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Wait until every node has the same best block."""

    def same() -> bool:
        return len({n.getbestblockhash() for n in nodes}) == 1

    wait_until(same, timeout=timeout, what="blocks to sync: " + ", ".join(
        f"node{n.index}={n.getblockcount()}" for n in nodes))  # fmt: skip


def sync_mempools(nodes: Sequence[TestNode], *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Wait until every node's mempool holds the same transactions."""

    def same() -> bool:
        pools = [frozenset(n.getrawmempool()) for n in nodes]
        return all(p == pools[0] for p in pools)

    wait_until(same, timeout=timeout, what="mempools to sync")
