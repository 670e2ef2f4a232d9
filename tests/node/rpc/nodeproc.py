"""Start and stop a real `python -m node --network regtest` process for the RPC tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from node.rpc.client import RpcClient

ROOT = Path(__file__).resolve().parents[3]
ADDRESS = "rcrt1q7lljk58rvp6nh9x0unrtx3tn407mddvzzlnfsx"  # p2pkh of secret 0x11..11 (SCRIPT)
PORT_RE = re.compile(r"RPC server listening on [\d.]+:(\d+)")


@dataclass
class NodeProcess:
    """A running regtest node: its datadir, RPC port and cookie credentials."""

    datadir: Path
    proc: subprocess.Popen[str]
    port: int
    user: str
    password: str
    clients: list[RpcClient] = field(default_factory=list)

    @property
    def netdir(self) -> Path:
        return self.datadir / "regtest"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def log(self) -> str:
        return (self.netdir / "node.log").read_text()

    def client(self, wallet: str | None = None) -> RpcClient:
        c = RpcClient.from_datadir(self.datadir, "regtest", port=self.port, wallet=wallet)
        self.clients.append(c)
        return c

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> int:
        for c in self.clients:
            c.close()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)


def start_node(datadir: Path, *extra: str, timeout: float = 60.0) -> NodeProcess:
    """Launch a node with `--rpcport 0` and wait until its RPC server listens."""
    cmd = [sys.executable, "-m", "node", "--network", "regtest", "--datadir", str(datadir),
           "--rpcport", "0", *extra]  # fmt: skip
    log = datadir / "regtest" / "node.log"
    offset = log.stat().st_size if log.exists() else 0
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        if log.exists():
            match = PORT_RE.search(log.read_text()[offset:])
            if match:
                break
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read() if proc.stderr else "node exited")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("node did not start its RPC server")
        time.sleep(0.05)
    user, _, password = (datadir / "regtest" / ".cookie").read_text().partition(":")
    return NodeProcess(datadir, proc, int(match.group(1)), user, password)
