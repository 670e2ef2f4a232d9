"""Starts `manage.py run` (what `make run` serves: the devnet node with its miner and the
indexer, the web apps, in one process) as a real process for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class Site(str):
    """The site's base URL (a str, so `base + "/path"` works) with what tests may need:
    the node's RPC port (None without a node), the data dir and the server log."""

    rpc_port: int | None
    datadir: Path
    log: Path

    def rpc(self, method: str, *params: object) -> object:
        """Call the embedded node's JSON-RPC (cookie auth from the data dir)."""
        from node.rpc.client import RpcClient

        if self.rpc_port is None:
            raise RuntimeError("this site runs without a node")
        network = os.environ.get("RUSTY_NETWORK", "devnet")
        with RpcClient.from_datadir(self.datadir, network, port=self.rpc_port) as client:
            return client.call(method, *params)


@contextmanager
def running_site(
    port: int, datadir: Path, *, node: bool = True, mine: bool = True, extra: Sequence[str] = ()
) -> Iterator[Site]:
    """Migrate a fresh data dir, start the embedded process (web apps, and the devnet node
    with its miner unless `node` / `mine` is False) and yield the site's base URL."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"RUSTY_DATADIR": str(datadir), "DJANGO_SETTINGS_MODULE": "rustycoin.settings"})
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    log = datadir / "server.log"
    rpc_port = _free_port() if node else None
    args = ["--no-node"] if rpc_port is None else ["--node-rpcport", str(rpc_port)]
    if not mine:
        args.append("--no-mine")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "run", "--port", str(port), *args, *extra],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = Site(f"http://127.0.0.1:{port}")
    base.rpc_port, base.datadir, base.log = rpc_port, datadir, log
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)  # like Ctrl-C: uvicorn stops, then the node
        try:
            proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            proc.kill()
