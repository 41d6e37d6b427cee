"""The holder page in real headless Chromium (Debian ``chromium``, driven by Playwright).

Log in, receive a permit by pasting the offer and PIN, choose "landlord", screenshot the
phone-sized page, decode the QR from the screenshot with zxing-cpp and verify it with
``permit verify`` against the issuer's trust list. The screenshot is kept under
``test-artifacts/``. Issuer and wallet run as separate processes (:mod:`tests.wallet.stack`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
import zxingcpp
from PIL import Image

from tests.browser import ARTIFACTS, NEEDS_CHROMIUM, phone_page
from tests.wallet.stack import Stack, running_stack
from wallet_api.api.web import STATIC_DIR

pytestmark = [
    *NEEDS_CHROMIUM,
    pytest.mark.skipif(
        not (STATIC_DIR / "vendor" / "qrcode-generator.js").exists(),
        reason="the page's QR encoder is not built: run bin/build-web",
    ),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("browser")) as running:
        yield running


def test_login_choose_landlord_and_the_screen_qr_verifies(stack: Stack) -> None:
    from playwright.sync_api import expect

    offer_uri, tx_code = stack.issue_offer()
    with httpx.Client(base_url=stack.wallet_base, timeout=30) as wallet:
        stack.holder(wallet, "zhangwei")
    ARTIFACTS.mkdir(exist_ok=True)
    with phone_page(412, 915, device_scale_factor=2) as page:
        page.goto(stack.wallet_base + "/")
        expect(page.locator("h1")).to_have_text("电子居住证")
        page.fill("#username", "zhangwei")
        page.fill("#password", "correct horse battery")
        page.click("#login-submit")
        expect(page.locator("#wallet-view")).to_be_visible()
        page.fill("#offer-text", offer_uri)
        page.fill("#offer-pin", tx_code or "")
        page.click("#offer-redeem")
        expect(page.locator("#permits li")).to_have_count(1, timeout=30_000)
        expect(page.locator("#permits li .badge.valid")).to_be_visible(timeout=30_000)
        page.click("#profile-landlord")
        canvas = page.locator("#qr-canvas")
        expect(canvas).to_have_attribute("data-rendered", "client", timeout=30_000)
        expect(page.locator("#disclosed")).to_contain_text("徐汇区")
        expect(page.locator("#disclosed")).not_to_contain_text("310104")  # no ID number
        shot = page.screenshot(full_page=True)
        (ARTIFACTS / "wallet-landlord-zh.png").write_bytes(shot)
        qr_shot = canvas.screenshot()
        page.click("#lang")
        expect(page.locator("h1")).to_have_text("Residence permit")
        (ARTIFACTS / "wallet-landlord-en.png").write_bytes(page.screenshot(full_page=True))
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)).convert("L"))
    assert found, "no QR code found in the page screenshot"
    text = found[0].text
    assert text.startswith("RP1:")
    assert zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_shot)).convert("L"))[0].text == text
    status, result = stack.verify(text, "--profile", "landlord")
    assert status == 0, result
    assert result["valid"] is True
    assert set(result["claims"]) == {"name", "permit_class", "residence_address", "endorsed_until"}
