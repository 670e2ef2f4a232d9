"""RPC throughput: getblockcount requests per second over one keep-alive connection.

`run()` starts a regtest node process (rate limit off) in a temporary datadir, measures
with a raw HTTP/1.1 keep-alive socket (no client-library overhead) and stops the node.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]


def getblockcount_rps(url: str, user: str, password: str, seconds: float = 3.0) -> float:
    """Sequential getblockcount calls per second on one keep-alive connection."""
    parts = urlsplit(url)
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getblockcount"}).encode()
    request = (
        f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.hostname}\r\n"
        f"Authorization: Basic {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = sock.makefile("rb")
        count = 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            sock.sendall(request)
            length = 0
            while True:
                line = reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            answer = json.loads(reader.read(length))
            assert "result" in answer, answer
            count += 1
        return count / (time.perf_counter() - started)


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        datadir = Path(tmp)
        cmd = [sys.executable, "-m", "node", "--network", "regtest", "--datadir", str(datadir),
               "--rpcport", "0", "--rpcratelimit", "0"]  # fmt: skip
        log = datadir / "regtest" / "node.log"
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            cookie = datadir / "regtest" / ".cookie"
            deadline = time.monotonic() + 60
            while not cookie.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("node did not start")
                time.sleep(0.05)
            port = _port(proc.pid, log)
            user, _, password = cookie.read_text().partition(":")
            rps = getblockcount_rps(f"http://127.0.0.1:{port}/", user, password)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    return {"getblockcount_rps_keepalive": round(rps, 1)}


def _port(pid: int, log: Path) -> int:
    """The RPC port the node logged (it was started with --rpcport 0)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = re.search(r"RPC server listening on [\d.]+:(\d+)", log.read_text())
        if match:
            return int(match.group(1))
        time.sleep(0.05)
    raise RuntimeError(f"node {pid} did not log its RPC port")
