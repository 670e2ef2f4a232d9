"""Crash safety: a process connecting blocks is SIGKILLed at random moments, 30 times.

After every kill the chainstate must open cleanly, and its UTXO set and state root must
equal those of an independent replay of the same main-chain blocks into a fresh datadir.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .helpers import open_chain, utxo_digest

ROOT = Path(__file__).resolve().parents[3]
KILLS = 30


@pytest.mark.slow
def test_sigkill_at_random_moments_never_corrupts_the_chain(tmp_path: Path) -> None:
    rng = random.Random(20261125)
    node_dir = tmp_path / "node"
    replay_dir = tmp_path / "replay"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    replay = open_chain(replay_dir)
    try:
        for round_no in range(KILLS):
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.node.chain.crash_worker", str(node_dir)],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert proc.stdout is not None
            first = proc.stdout.readline()  # at least one block connected in this run
            assert first.startswith("height"), proc.stderr.read() if proc.stderr else ""
            time.sleep(rng.uniform(0.0, 0.4))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)

            with open_chain(node_dir) as node:
                for height in range(replay.height + 1, node.height + 1):
                    replay.process_block(node.get_block(node.active[height].hash))
                assert replay.tip.hash == node.tip.hash, f"round {round_no}"
                assert utxo_digest(replay) == utxo_digest(node), f"round {round_no}"
                assert replay.tip.header.state_root == node.tip.header.state_root
    finally:
        replay.close()
    assert replay.height >= KILLS
