"""A real browser (Debian chromium via Playwright) loads the home page and switches theme."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.server import ROOT, running_site

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"


def _chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Debian chromium is missing; `make test` installs it", pytrace=False)
        pytest.skip("Debian chromium is not installed")
    return CHROMIUM


def test_home_page_renders_and_theme_toggles(tmp_path: Path, free_port: int) -> None:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with running_site(free_port, tmp_path) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(base + "/")
            page.wait_for_function("window.htmx !== undefined")
            assert page.locator("h1").inner_text() == "Rusty Coin devnet explorer"
            # The embedded devnet node mines; htmx polling shows new blocks without a reload.
            page.wait_for_function(
                "Number(document.querySelector('#tip-height')?.textContent) >= 1",
                timeout=45_000,
            )
            assert page.locator("#genesis dd").first.inner_text().strip()
            before = page.evaluate("document.documentElement.dataset.theme")
            page.click("[data-theme-toggle]")
            after = page.evaluate("document.documentElement.dataset.theme")
            assert {before, after} == {"light", "dark"}
            page.reload()
            page.wait_for_function("window.htmx !== undefined")
            assert page.evaluate("document.documentElement.dataset.theme") == after
            page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
            assert errors == []
        finally:
            browser.close()
