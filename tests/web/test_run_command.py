"""`manage.py run` (behind `make run`) serves pages and the bundled front-end over HTTP."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.server import ROOT, running_site


def test_run_serves_pages_and_static_assets(tmp_path: Path, free_port: int) -> None:
    if not (ROOT / "static" / "dist" / "app.js").exists():
        pytest.fail("front-end bundle missing: run `make assets` (make test does)")
    with running_site(free_port, tmp_path) as base:
        home = httpx.get(base + "/", timeout=10)
        assert home.status_code == 200
        assert "Genesis block" in home.text
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
