"""Real headless Chromium for the page tests (Debian ``chromium``, driven by Playwright).

One place for the browser the wallet and verifier page tests drive: where it is, how it is
started, the marks that skip a test when it is missing, and where screenshots are kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["ARGS", "ARTIFACTS", "CHROMIUM", "NEEDS_CHROMIUM", "phone_page"]

CHROMIUM: Final = Path("/usr/bin/chromium")
ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
#: Screenshots a person can look at after the run.
ARTIFACTS: Final = Path(__file__).resolve().parents[1] / "test-artifacts"
#: For a module's ``pytestmark``: slow, and skipped with the way out when Chromium is missing.
NEEDS_CHROMIUM: Final = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: run bin/setup-browser as root"
    ),
]


@contextmanager
def phone_page(
    width: int,
    height: int,
    *,
    device_scale_factor: float | None = None,
    args: Sequence[str] = ARGS,
) -> Iterator[Page]:
    """A Chinese-locale page of the given viewport in a fresh Chromium, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(args))
        try:
            yield browser.new_page(
                viewport={"width": width, "height": height},
                device_scale_factor=device_scale_factor,
                locale="zh-CN",
            )
        finally:
            browser.close()
