"""rpc_cli: `python -m node.rpc.cli` like bitcoin-cli: cookie auth, -named, JSON output,
readable errors and bitcoin-cli's exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.node.rpc.nodeproc import ROOT, NodeProcess


def cli(node: NodeProcess, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "node.rpc.cli", "-regtest", f"-datadir={node.datadir}",
           f"-rpcport={node.port}", *args]  # fmt: skip
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip


def test_positional_named_and_output(node: NodeProcess) -> None:
    r = cli(node, "getblockcount")
    assert (r.returncode, r.stdout) == (0, "15\n")
    best = cli(node, "getblockhash", "15").stdout.strip()
    assert len(best) == 64
    named = cli(node, "-named", "getblockheader", f"blockhash={best}", "verbose=false")
    assert named.returncode == 0
    assert len(named.stdout.strip()) == 320
    block = json.loads(cli(node, "getblock", best).stdout)
    assert block["height"] == 15
    assert cli(node, "getblock", best, "1").stdout.startswith("{\n  ")
    # a numeric-looking string argument stays a string for string parameters
    r = cli(node, "validateaddress", "123")
    assert json.loads(r.stdout)["isvalid"] is False


def test_errors_and_exit_codes(node: NodeProcess, tmp_path: object) -> None:
    r = cli(node, "getblockhash", "99")
    assert r.returncode == 8
    assert r.stderr == "error code: -8\nerror message:\nBlock height out of range\n"
    r = cli(node, "nosuchmethod")
    assert r.returncode == 32601 % 256
    assert "error code: -32601" in r.stderr
    r = cli(node, "getblockhash")
    assert r.returncode == 1
    assert "getblockhash height" in r.stderr
    r = cli(node, "-named", "getblockhash", "height")
    assert r.returncode == 1
    assert "No '=' in named argument" in r.stderr
    r = cli(node)
    assert r.returncode == 1
    assert "too few parameters" in r.stderr
    r = cli(node, "-rpcuser=x", "-rpcpassword=y", "getblockcount")
    assert r.returncode == 1
    assert "Authorization failed" in r.stderr
    r = subprocess.run([sys.executable, "-m", "node.rpc.cli", "-regtest", "-rpcport=1",
                        f"-datadir={node.datadir}", "getblockcount"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 1
    assert "Could not connect to the server" in r.stderr
    r = subprocess.run([sys.executable, "-m", "node.rpc.cli", "-regtest",
                        f"-datadir={tmp_path}", "getblockcount"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 1
    assert "cookie" in r.stderr
