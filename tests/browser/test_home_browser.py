"""Live updates end to end: `manage.py run` (devnet node + indexer + ASGI) serves the home
page; a block mined through the node's JSON-RPC (generatetoaddress) appears in the latest
blocks table without a reload, and a transaction page's confirmations count up.

Needs the indexer inside the embedded process: until `manage.py run` runs the indexer
(indexer.sink) next to the node, this test is skipped with that reason.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from node.crypto.address import p2pkh_address
from node.rpc.client import RpcClient
from tests.browser.helpers import browser_page, chromium, screenshot
from tests.server import ROOT, running_site

pytestmark = pytest.mark.browser
RUN_COMMAND = ROOT / "indexer" / "management" / "commands" / "run.py"
INDEXER_READY = "indexer.sink" in RUN_COMMAND.read_text()
LISTENING = re.compile(r"RPC server listening on [^:\s]+:(\d+)")


def _rpc(datadir: Path) -> RpcClient:
    """The embedded node's RPC client (port from its log, cookie from its data dir)."""
    log = datadir / "devnet" / "node.log"
    deadline = time.monotonic() + 60
    while True:
        found = LISTENING.findall(log.read_text()) if log.exists() else []
        if found and (datadir / "devnet" / ".cookie").exists():
            return RpcClient.from_datadir(datadir, "devnet", port=int(found[-1]), timeout=60)
        assert time.monotonic() < deadline, "the embedded node did not start its RPC server"
        time.sleep(0.2)


@pytest.mark.skipif(not INDEXER_READY, reason="`manage.py run` does not run the indexer yet")
def test_a_mined_block_appears_without_reload(tmp_path: Path, free_port: int) -> None:
    chromium()
    address = str(p2pkh_address("rcdv", bytes(range(32))))
    with running_site(free_port, tmp_path) as base, browser_page() as (page, errors):
        rpc = _rpc(tmp_path)
        page.goto(base + "/")
        page.wait_for_function("window.htmx !== undefined")
        # wait until the indexer has caught up with something, so the table exists
        page.wait_for_selector("#latest-blocks tbody tr", timeout=90_000)
        page.wait_for_timeout(1000)  # let htmx open the websocket
        mined = rpc.call("generatetoaddress", 1, address)[0]
        page.wait_for_selector(f'#latest-blocks a[href="/block/{mined}"]', timeout=60_000)
        assert page.url.rstrip("/") == base  # no navigation happened
        screenshot(page, "home-live")

        # the coinbase of the mined block: its confirmations count up as blocks arrive
        block = rpc.call("getblock", mined, 1)
        txid = block["tx"][0] if isinstance(block["tx"][0], str) else block["tx"][0]["txid"]
        page.goto(f"{base}/tx/{txid}")
        page.wait_for_timeout(1000)
        before = int(page.locator("#tx-confirmations").inner_text())
        rpc.call("generatetoaddress", 1, address)
        page.wait_for_function(
            f"Number(document.querySelector('#tx-confirmations').textContent) > {before}",
            timeout=60_000,
        )
        before_theme = page.evaluate("document.documentElement.dataset.theme")
        page.click("[data-theme-toggle]")
        assert page.evaluate("document.documentElement.dataset.theme") != before_theme
        assert errors == []
