"""The verifier page is served by the service itself, with strict security headers."""

from __future__ import annotations

from tests.verifier.service.conftest import Federation, TestClient
from verifier.service.web import STATIC_DIR


def test_the_page_and_its_assets(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["permissions-policy"].startswith("camera=(self)")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "居住证核验" in page.text
    assert '<script src="/static/vendor/jsQR.js"' in page.text
    assert "<script>" not in page.text  # no inline script (CSP)
    assert "https://" not in page.text  # no CDN
    for asset in ("app.js", "i18n.js", "app.css"):
        assert client.get(f"/static/{asset}").status_code == 200
    assert client.get("/healthz").json() == {"status": "ok"}


def test_api_answers_carry_the_headers_too(client: TestClient, federation: Federation) -> None:
    response = client.post(
        "/v1/verify",
        json={"presentation": federation.present()},
        headers=federation.auth("landlord"),
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_the_page_knows_every_reason_code() -> None:
    """Each DESIGN §6 code has a Chinese and an English explanation on the page."""
    from wire.errors import REASON_CODES

    script = (STATIC_DIR / "i18n.js").read_text("utf-8")
    for code in REASON_CODES:
        assert script.count(f" {code}: ") >= 2 or script.count(f"{code}: ") >= 2, code
