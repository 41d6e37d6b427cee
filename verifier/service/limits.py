"""Request-body limits, enforced before a route (or FastAPI's body parsing) reads the body.

JSON and form endpoints take at most 64 KiB (a presentation is at most 16 KiB, DESIGN §6, and
form encoding can triple it); the image endpoint takes the image limit of
:mod:`verifier.qrimage` plus multipart overhead. A declared ``Content-Length`` over the limit is
answered 413 at once; a chunked body is read here, stopped at the limit, and handed on whole.
"""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from verifier.qrimage import MAX_IMAGE_BYTES
from verifier.service.errors import BodyTooLarge, problem_response

__all__ = ["DEFAULT_BODY_LIMIT", "IMAGE_BODY_LIMIT", "BodyLimit"]

DEFAULT_BODY_LIMIT: Final = 64 * 1024
IMAGE_BODY_LIMIT: Final = MAX_IMAGE_BYTES + 64 * 1024
_IMAGE_PATH: Final = "/v1/verify/image"


class BodyLimit:
    """Pure ASGI middleware (no per-request task, unlike ``BaseHTTPMiddleware``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = IMAGE_BODY_LIMIT if scope["path"] == _IMAGE_PATH else DEFAULT_BODY_LIMIT
        length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if length is not None:  # the server enforces the framing: no more bytes will come
            if not length.isdigit() or int(length) > limit:
                await _too_large(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # Chunked: read it here, bounded, and hand the app the buffered body.
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body.extend(message.get("body", b""))
            if len(body) > limit:
                await _too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def buffered() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, buffered, send)


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(
        status=413, code=BodyTooLarge.code, detail=BodyTooLarge.default_message
    )
    await response(scope, receive, send)
