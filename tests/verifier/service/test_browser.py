"""The verifier page in real headless Chromium (Debian ``chromium``, driven by Playwright).

The service runs as ``permit serve verifier`` in a subprocess. A landlord uploads a photo of a
permit QR and sees the large result; the same photo again is refused as replayed; a bank desk
shows its request QR, a "wallet" (this test, with the wire functions the wallet uses) answers
it, and the page shows the result without a reload; the camera path scans a QR from Chromium's
fake camera with the vendored jsQR. Screenshots are kept under ``test-artifacts/``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image

from tests.browser import ARGS, ARTIFACTS, NEEDS_CHROMIUM, phone_page
from tests.verifier.service.conftest import Federation
from tests.verifier.service.process import verifier_process
from tests.verifier.service.test_image_api import qr_photo
from verifier.service.web import STATIC_DIR
from wire.qrcodec import encode_qr_payload
from wire.vprequest import parse_request_uri, vp_token_form

pytestmark = [*NEEDS_CHROMIUM]
#: Only the camera needs the vendored decoder; uploads are decoded on the server.
needs_jsqr = pytest.mark.skipif(
    not (STATIC_DIR / "vendor" / "jsQR.js").exists(),
    reason="the page's QR decoder is not built: run bin/build-web-verifier",
)


@contextmanager
def running(federation: Federation, **extra_env: str) -> Iterator[str]:
    """``permit serve verifier`` for this federation, in a subprocess; its base URL."""
    with verifier_process(federation, "--no-access-log", env=extra_env) as verifier:
        federation.clock.now = int(time.time())
        yield verifier.base_url


@pytest.fixture
def server(federation: Federation) -> Iterator[str]:
    with running(federation) as base:
        yield base


def _photo(federation: Federation, path: Path, *, city: str = "sh") -> Path:
    federation.clock.now = int(time.time())
    text = encode_qr_payload(federation.present(city=city))
    path.write_bytes(qr_photo(text, fmt="JPEG", scale=5))
    return path


def test_upload_a_qr_photo_and_see_the_result(
    server: str, federation: Federation, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    photo = _photo(federation, tmp_path / "permit.jpg")
    ARTIFACTS.mkdir(exist_ok=True)
    with phone_page(430, 932, device_scale_factor=2) as page:
        page.goto(server + "/")
        expect(page.locator("h1")).to_have_text("居住证核验")
        page.fill("#api-key", federation.keys["landlord"])
        page.click("#key-save")
        expect(page.locator("#account-line")).to_contain_text("房东")
        page.set_input_files("#upload", str(photo))
        banner = page.locator("#result-banner")
        expect(banner).to_have_attribute("data-verdict", "valid", timeout=20_000)
        expect(page.locator("#result-title")).to_contain_text("有效")
        expect(page.locator("#claims")).to_contain_text("王小明")
        expect(page.locator("#claims")).to_contain_text("浦东新区")
        expect(page.locator("#claims")).not_to_contain_text("11010519900102123X")
        expect(page.locator("#result-issuer")).to_contain_text("上海市公安局")
        (ARTIFACTS / "verifier-upload-valid-zh.png").write_bytes(page.screenshot(full_page=True))
        page.click("#lang")
        expect(page.locator("h1")).to_have_text("Residence permit verifier")
        expect(page.locator("#result-title")).to_contain_text("VALID")
        (ARTIFACTS / "verifier-upload-valid-en.png").write_bytes(page.screenshot(full_page=True))
        # The same photo again: the QR was used before.
        page.set_input_files("#upload", str(photo))
        expect(banner).to_have_attribute("data-verdict", "invalid", timeout=20_000)
        expect(page.locator("#result-reason")).to_contain_text("used before")
        # A Suzhou permit that Suzhou has revoked.
        federation.publish("sz", 1)
        page.set_input_files("#upload", str(_photo(federation, tmp_path / "sz.jpg", city="sz")))
        expect(banner).to_have_attribute("data-verdict", "revoked", timeout=20_000)
        expect(page.locator("#claims")).to_be_empty()
        page.click("#lang")
        expect(page.locator("#result-title")).to_contain_text("已注销")
        (ARTIFACTS / "verifier-upload-revoked-zh.png").write_bytes(page.screenshot(full_page=True))
        # A photo without a QR code.
        blank = tmp_path / "blank.png"
        Image.new("RGB", (300, 200), (90, 140, 90)).save(blank)
        page.set_input_files("#upload", str(blank))
        expect(page.locator("#message")).to_contain_text("未找到二维码")


def test_bank_request_qr_is_answered_and_the_page_shows_it(
    server: str, federation: Federation
) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    with phone_page(430, 932) as page:
        page.goto(server + "/")
        page.fill("#api-key", federation.keys["bank"])
        page.click("#key-save")
        expect(page.locator("#account-line")).to_contain_text("银行")
        expect(page.locator("#scan-card")).to_be_hidden()
        page.click("#request-new")
        qr = page.locator("#request-qr")
        expect(qr).to_be_visible()
        expect(page.locator("#request-status")).to_have_attribute("data-state", "pending")
        shot = qr.screenshot()
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)).convert("L"))
        assert found, "no QR code on the verifier page"
        request = parse_request_uri(found[0].text, allow_insecure_loopback=True)
        assert request.profile == "bank"
        # The holder's wallet answers by direct_post.
        federation.clock.now = int(time.time())
        presentation = federation.present("bank", audience=request.client_id, nonce=request.nonce)
        reply = httpx.post(
            request.response_uri, data=vp_token_form(presentation, request.state), timeout=10
        )
        assert reply.status_code == 200, reply.text
        banner = page.locator("#result-banner")
        expect(banner).to_have_attribute("data-verdict", "valid", timeout=20_000)
        expect(page.locator("#request-status")).to_have_attribute("data-state", "valid")
        expect(page.locator("#claims")).to_contain_text("11010519900102123X")
        (ARTIFACTS / "verifier-bank-request-zh.png").write_bytes(page.screenshot(full_page=True))


def _y4m(image: Image.Image, path: Path, frames: int = 3) -> None:
    """A raw YUV 4:2:0 video of a still image, for Chromium's fake camera."""
    width, height = image.size
    y, u, v = image.convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + u.resize(half).tobytes() + v.resize(half).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F5:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)


@needs_jsqr
def test_scan_with_the_camera(server: str, federation: Federation, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    text = encode_qr_payload(federation.present())
    photo = Image.open(io.BytesIO(qr_photo(text, scale=5))).convert("RGB")
    scene = Image.new("RGB", (1280, 960), (210, 210, 205))
    photo.thumbnail((900, 900))
    scene.paste(photo, ((1280 - photo.width) // 2, (960 - photo.height) // 2))
    video = tmp_path / "camera.y4m"
    _y4m(scene, video)
    camera_args = [
        *ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with phone_page(430, 932, args=camera_args) as page:
        page.goto(server + "/")
        page.fill("#api-key", federation.keys["landlord"])
        page.click("#key-save")
        page.click("#scan-start")
        banner = page.locator("#result-banner")
        expect(banner).to_have_attribute("data-verdict", "valid", timeout=30_000)
        expect(page.locator("#claims")).to_contain_text("王小明")
        expect(page.locator("#camera")).to_be_hidden()


def test_open_profiles_need_no_key_on_the_page(federation: Federation, tmp_path: Path) -> None:
    """As ``permit serve all`` runs it: landlord and school checks open to anyone."""
    from playwright.sync_api import expect

    with (
        running(federation, PERMIT_VERIFIER_OPEN_PROFILES='["landlord", "school"]') as base,
        phone_page(430, 932) as page,
    ):
        page.goto(base + "/")
        expect(page.locator("#main-view")).to_be_visible()
        expect(page.locator("#key-view")).to_be_hidden()
        expect(page.locator("#forget-key")).to_have_text("输入密钥")
        expect(page.locator("#request-card")).to_be_hidden()  # requests need an account
        page.select_option("#profile-select", "school")
        school = _photo(federation, tmp_path / "school.jpg")  # landlord claims only
        page.set_input_files("#upload", str(school))
        expect(page.locator("#result-banner")).to_have_attribute(
            "data-verdict", "invalid", timeout=20_000
        )
        expect(page.locator("#result-reason")).to_contain_text("缺少本用途所需的信息")
