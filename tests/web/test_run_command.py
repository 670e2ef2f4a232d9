"""`manage.py run` (behind `make run`): ONE process serving pages and the bundled front-end,
running the devnet node with its miner and the indexer inside, stopping cleanly on Ctrl-C."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from tests.server import ROOT, running_site


def indexed_height(datadir: Path) -> int:
    path = datadir / "devnet" / "web.sqlite3"
    with sqlite3.connect(path, timeout=10) as db:
        row = db.execute("SELECT height FROM indexer_indexerstate WHERE name = 'main'").fetchone()
    return -1 if row is None else int(row[0])


def test_run_serves_pages_and_static_assets(tmp_path: Path, free_port: int) -> None:
    if not (ROOT / "static" / "dist" / "app.js").exists():
        pytest.fail("front-end bundle missing: run `make assets` (make test does)")
    with running_site(free_port, tmp_path) as base:
        home = httpx.get(base + "/", timeout=10)
        assert home.status_code == 200
        js = httpx.get(base + "/static/dist/app.js", timeout=10)
        assert js.status_code == 200
        assert "javascript" in js.headers["content-type"]
        assert "htmx" in js.text
        assert httpx.get(base + "/static/dist/app.css", timeout=10).status_code == 200
        assert httpx.get(base + "/no-such-page", timeout=10).status_code == 404
        # The embedded devnet node answers through the node-status card.
        deadline = time.monotonic() + 45
        while "tip-height" not in (card := httpx.get(base + "/node-status", timeout=10).text):
            assert time.monotonic() < deadline, card
            time.sleep(0.5)
        # Its miner's blocks reach SQL through the indexer in the same process.
        deadline = time.monotonic() + 60
        while indexed_height(tmp_path) < 1:
            assert time.monotonic() < deadline, base.log.read_text()[-3000:]
            time.sleep(0.5)
        assert base.rpc("getblockcount") >= indexed_height(tmp_path)
        assert "demo" in base.rpc("listwallets")  # the miner pays the demo wallet
        # The card shows sync and index progress (P2P sync figures and the watermark).
        card = httpx.get(base + "/node-status", timeout=10).text
        assert 'id="sync-progress"' in card
        assert "Explorer index:" in card
        assert "Peers" in card
    log = base.log.read_text()
    assert "shut down cleanly" in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]


def test_run_without_a_node_serves_the_web_apps(tmp_path: Path, free_port: int) -> None:
    with running_site(free_port, tmp_path, node=False) as base:
        assert httpx.get(base + "/healthz", timeout=10).status_code == 200
        assert base.rpc_port is None
    assert "Traceback" not in base.log.read_text()


def test_run_rejects_bad_options(tmp_path: Path, free_port: int) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "manage.py", "run", "--port", "0", "--no-node"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"RUSTY_DATADIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert out.returncode != 0
    assert "--port must be between 1 and 65535" in out.stderr
