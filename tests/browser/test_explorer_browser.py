"""A real browser walks the explorer over indexed rows: home, block, tx and address pages
(screenshots kept in test-artifacts/screenshots/), search for an address, page through its
history, download its CSV, use the htmx suggestions, switch theme, and pages without JS."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.helpers import browser_page, chromium, screenshot
from tests.server import ROOT, running_site

pytestmark = pytest.mark.browser


def _populate(datadir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"RUSTY_DATADIR": str(datadir), "DJANGO_SETTINGS_MODULE": "rustycoin.settings"})
    out = subprocess.run(
        [sys.executable, "-m", "tests.browser.populate"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    ids: dict[str, str] = json.loads(out.stdout.strip().splitlines()[-1])
    return ids


def test_explorer_pages_search_paging_csv_and_theme(tmp_path: Path, free_port: int) -> None:
    chromium()
    with running_site(free_port, tmp_path, node=False) as base, browser_page() as (page, errors):
        ids = _populate(tmp_path)
        page.goto(base + "/")
        page.wait_for_function("window.htmx !== undefined")
        assert page.locator("h1").inner_text() == "Rusty Coin devnet explorer"
        assert page.locator("#latest-blocks tbody tr").count() == 10
        assert page.locator("#fee-histogram svg").count() == 1
        screenshot(page, "home")

        # block page via a link in the latest-blocks table
        page.click(f'#latest-blocks a[href="/block/{ids["block"]}"] >> nth=0')
        page.wait_for_url(f"**/block/{ids['block']}")
        assert page.locator("#block-confirmations").inner_text() == "2"
        screenshot(page, "block")

        page.goto(f"{base}/tx/{ids['tx']}")
        assert "Confirmed" in page.locator("#tx-status").inner_text()
        page.click("#merkle-proof summary")
        assert page.locator("#merkle-proof li").count() >= 1
        screenshot(page, "tx")

        # search for the miner's address from the header form
        page.fill("header form.search input[name=q]", ids["miner"])
        page.press("header form.search input[name=q]", "Enter")
        page.wait_for_url(f"**/address/{ids['miner']}")
        assert page.locator("#address").inner_text() == ids["miner"]
        assert page.locator(".qr-box svg").count() == 1
        screenshot(page, "address")
        first = page.locator("tr.history-row a").first.inner_text()
        page.click("#history-older")
        page.wait_for_url("**?after=*")
        assert page.locator("tr.history-row").count() == 25
        assert page.locator("tr.history-row a").first.inner_text() != first
        page.click("#history-newest")
        assert page.locator("tr.history-row a").first.inner_text() == first

        with page.expect_download() as download_info:
            page.click("#csv-link")
        download = download_info.value
        target = tmp_path / "history.csv"
        download.save_as(str(target))
        rows = list(csv.reader(target.open()))
        assert rows[0][0] == "txid"
        assert len(rows) == 1 + 70 + 69  # header, 70 coinbases, 69 spends with change

        # htmx suggestions dropdown for a txid prefix
        page.fill("header form.search input[name=q]", ids["mempool_tx"][:8])
        page.wait_for_selector("#search-suggestions .suggestion-list a")
        page.click("#search-suggestions .suggestion-list a >> nth=0")
        page.wait_for_url(f"**/tx/{ids['mempool_tx']}")
        assert "Unconfirmed" in page.locator("#tx-status").inner_text()

        # a malformed query: a friendly message, no error page
        page.fill("header form.search input[name=q]", "not a hash!")
        page.press("header form.search input[name=q]", "Enter")
        page.wait_for_selector("#search-message")

        for path in ["/mempool", "/tickets", "/charts"]:
            page.goto(base + path)
            assert page.locator("figure.chart").count() >= 1
        screenshot(page, "charts")

        before = page.evaluate("document.documentElement.dataset.theme")
        page.click("[data-theme-toggle]")
        after = page.evaluate("document.documentElement.dataset.theme")
        assert {before, after} == {"light", "dark"}
        page.goto(f"{base}/address/{ids['miner']}")
        assert page.evaluate("document.documentElement.dataset.theme") == after
        screenshot(page, "address-dark")
        page.wait_for_function(
            "document.querySelector('#live-status').textContent.includes('live')"
        )
        assert page.locator("#live-status.live-error").count() == 0  # subscribed fine
        assert errors == []


def test_pages_work_without_javascript(tmp_path: Path, free_port: int) -> None:
    from playwright.sync_api import sync_playwright

    executable = chromium()
    with running_site(free_port, tmp_path, node=False) as base, sync_playwright() as pw:
        ids = _populate(tmp_path)
        browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_context(java_script_enabled=False).new_page()
            page.goto(base + "/")
            page.fill("header form.search input[name=q]", "3")
            page.click("header form.search button[type=submit]")
            page.wait_for_url("**/block/*")
            assert page.locator("h1").inner_text() == "Block 3"
            page.click("a[rel=next] >> nth=0")
            assert page.locator("h1").inner_text() == "Block 4"
            page.goto(f"{base}/address/{ids['payee']}")
            page.click("#history-older")
            assert page.locator("tr.history-row").count() >= 1
        finally:
            browser.close()
