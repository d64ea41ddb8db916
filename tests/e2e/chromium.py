"""Debian's chromium driven by Playwright, shared by the browser tests: the flags this
machine needs headless as root, with no background traffic (only loopback is reachable).
Playwright adds --headless and a fresh profile directory of its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000
MISSING = (
    "Debian's chromium is not installed at /usr/bin/chromium "
    "(scripts/test.sh installs it as root: apt-get install chromium)"
)


@contextmanager
def chromium_page(sync_api: Any, *, locale: str = "fr-FR") -> Iterator[Any]:
    """A page of a fresh browser context, closed with its browser afterwards."""
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
