"""The holder web page: served by the wallet, strict CSP, no external resources."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from wallet_api.api.web import STATIC_DIR


def test_index_and_security_headers(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/healthz").json() == {"status": "ok"}
    api = client.get("/v1/profiles")
    assert "content-security-policy" in api.headers


def test_page_loads_nothing_from_elsewhere() -> None:
    for name in ("index.html", "app.js", "app.css"):
        text = (STATIC_DIR / name).read_text("utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), name
        assert "<script>" not in text
        assert " on" + "click=" not in text


def test_page_has_both_languages_and_all_profiles() -> None:
    script = (STATIC_DIR / "app.js").read_text("utf-8")
    for profile in ("landlord", "school", "bank", "hospital", "agency"):
        assert f"profile_{profile}:" in script
    assert "zh: {" in script
    assert "en: {" in script


def test_profiles_endpoint(client: TestClient) -> None:
    names = [p["name"] for p in client.get("/v1/profiles").json()]
    assert names == ["any", "landlord", "school", "bank", "hospital", "agency"]
