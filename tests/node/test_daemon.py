"""`python -m node`: mines, logs progress, serves RPC, stops cleanly on SIGTERM/SIGINT or
the stop RPC, and resumes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "rcrt1q7lljk58rvp6nh9x0unrtx3tn407mddvzzlnfsx"  # p2pkh of secret 0x11..11


def node_cmd(datadir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "node", "--network", "regtest", "--datadir", str(datadir),
            "--rpcport", "0", *extra]  # fmt: skip


def run_until(datadir: Path, pattern: str, *extra: str, sig: int = signal.SIGTERM) -> str:
    log = datadir / "regtest" / "node.log"
    proc = subprocess.Popen(
        node_cmd(datadir, *extra), cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (log.exists() and re.search(pattern, log.read_text())):
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, log.read_text() if log.exists() else "no log"
        time.sleep(0.1)
    proc.send_signal(sig)
    assert proc.wait(timeout=30) == 0
    return log.read_text()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_mines_stops_cleanly_and_resumes(tmp_path: Path, sig: int) -> None:
    text = run_until(tmp_path, r"mined block 5 ", "--mine", ADDRESS, sig=sig)
    assert "shut down cleanly at height" in text
    stopped = int(re.findall(r"shut down cleanly at height (\d+)", text)[-1])
    assert stopped >= 5
    assert re.search(r"progress: height=\d+ blocks/s=[\d.]+ progress=[\d.]+%", text)
    again = run_until(tmp_path, rf"tip {stopped} ")
    assert f"Rusty Coin node on regtest, datadir {tmp_path / 'regtest'}, tip {stopped} " in again


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mine", "bogus"], "--mine bogus"),
        (["--mine", "rc1q7lljk58rvp6nh9x0unrtx3tn407mddvzzxsmkdc"], "--mine"),
        (["--network", "devnet", "--stakevalidationheight", "5"], "only allowed on regtest"),
        (["--network", "moon"], "invalid choice"),
        (["--ticketbuyer"], "--ticketbuyer needs --minewallet or --wallet"),
        (["--mine", ADDRESS, "--minewallet", "m"], "exclude each other"),
        (["--minewallet", "m", "--ticketbuyer-target", "-1"], "must not be negative"),
        (["--minewallet", "m", "--ticketbuyer-limit", "lots"], "not an amount"),
        (["--minewallet", "m", "--ticketbuyer-limit", "0.000000001"], "not an amount"),
        (["--votebits", "0x10000"], "--votebits must be between"),
        (["--votebits", "bits"], "invalid"),
        (["--votewait", "-1"], "--votewait must be between"),
    ],
)
def test_bad_arguments_fail_clearly(tmp_path: Path, args: list[str], message: str) -> None:
    cmd = [sys.executable, "-m", "node", "--datadir", str(tmp_path), *args]
    if "--network" not in args:
        cmd[3:3] = ["--network", "regtest"]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr


def test_a_second_node_on_the_same_datadir_is_refused(tmp_path: Path) -> None:
    log = tmp_path / "regtest" / "node.log"
    first = subprocess.Popen(node_cmd(tmp_path), cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (log.exists() and "Rusty Coin node on regtest" in log.read_text()):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        second = subprocess.run(node_cmd(tmp_path), cwd=ROOT, capture_output=True, text=True,
                                timeout=60)  # fmt: skip
        assert second.returncode == 1
        assert "cannot open the chainstate" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)


def test_stop_rpc_cookie_lifecycle_and_mempool_mining(tmp_path: Path) -> None:
    """The RPC `stop` shuts the node down cleanly and removes the cookie; the miner and
    generatetoaddress work side by side."""
    from tests.node.rpc.nodeproc import start_node

    node = start_node(tmp_path, "--mine", ADDRESS, "--block-interval", "0.2")
    cookie = tmp_path / "regtest" / ".cookie"
    try:
        assert cookie.exists()
        client = node.client()
        deadline = time.monotonic() + 60
        while client.call("getblockcount") < 3:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert len(client.call("generatetoaddress", 2, ADDRESS)) == 2
        assert client.call("stop") == "Rusty Coin server stopping"
        assert node.proc.wait(timeout=30) == 0
    finally:
        node.stop()
    assert not cookie.exists()
    assert "shut down cleanly" in node.log()


def test_rpc_port_in_use_fails_clearly(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        cmd = [*node_cmd(tmp_path)[:-2], "--rpcport", str(port)]
        result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "cannot start the RPC server" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rpcauth", "bad"], "invalid rpcauth"),
        (["--rpcport", "70000"], "--rpcport must be between"),
        (["--mempool-max-mb", "1"], "--mempool-max-mb must be at least"),
    ],
)
def test_bad_rpc_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    result = subprocess.run(node_cmd(tmp_path, *args), cwd=ROOT, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert message in result.stderr
