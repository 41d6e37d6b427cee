"""The verifier page: static HTML, CSS and JS served by the service, no external CDN.

Security headers go on every response: a strict Content-Security-Policy (scripts and styles
only from this origin, no inline script; images also from ``data:`` for the request QR and
``blob:`` for photo previews), ``frame-ancestors 'none'``, ``nosniff``, ``no-referrer``, and a
Permissions-Policy that grants the camera to this origin only (the page scans QR codes with
``getUserMedia`` and the vendored jsQR decoder, built by ``bin/build-web-verifier``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["STATIC_DIR", "SecurityHeaders", "install_web"]

STATIC_DIR: Final = Path(str(resources.files("verifier").joinpath("static")))
_CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: JSON answers of the API get only what matters for them (the page gets everything): fewer
#: headers are measurably cheaper per response, and a CSP means nothing to a JSON body.
_API_HEADERS: Final = ((b"x-content-type-options", b"nosniff"),)
_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(self), geolocation=(), microphone=()"),
    (b"content-security-policy", _CSP.encode()),
)


class SecurityHeaders:
    """Pure ASGI middleware adding the headers above unless a response set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        wanted = _API_HEADERS if scope["path"].startswith("/v1/") else _HEADERS

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in wanted if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def install_web(app: FastAPI) -> None:
    """Serve ``/``, ``/static/*`` and ``/healthz``; add the security headers everywhere."""
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}
