"""Outbound HTTP of the wallet (issuer, status lists, verifiers) with the same guard rails.

The wallet server fetches URLs that come from scanned input (an offer names its issuer, a
verifier request names its response endpoint), so every request goes through here: ``https``
only (``http`` only on loopback and only with ``allow_insecure_loopback``), no userinfo or
fragment, no redirects, a timeout, and response bodies read in chunks up to a bound and
refused beyond it. The :class:`httpx.Client` is injected (CONVENTIONS §9): tests give it an
in-process transport.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import httpx

from wire.errors import PermitError

__all__ = ["MAX_RESPONSE_BYTES", "Outbound", "Reply", "UrlRefused", "is_loopback"]

#: Default bound on a response body (the OpenID4VCI message limit is 64 KiB; status lists
#: get their own, larger bound from the caller).
MAX_RESPONSE_BYTES: Final = 64 * 1024


class UrlRefused(PermitError):
    code = "url_refused"
    default_message = "the URL is not allowed"


class _Unreachable(PermitError):
    code = "unreachable"
    default_message = "the remote service could not be reached"


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Reply:
    """A bounded response: status, media type (lower case, no parameters) and body."""

    status: int
    media_type: str
    body: bytes


class Outbound:
    """Guarded requests over one injected :class:`httpx.Client`."""

    Unreachable = _Unreachable

    def __init__(self, client: httpx.Client, *, allow_insecure_loopback: bool) -> None:
        self._client = client
        self._allow_loopback = allow_insecure_loopback

    def check_url(self, url: str) -> str:
        """``url`` if the wallet may contact it, else :class:`UrlRefused`."""
        if not isinstance(url, str) or len(url) > 2048 or not url.isascii():
            raise UrlRefused()
        if any(ch.isspace() for ch in url):
            raise UrlRefused()
        try:
            parts = urlsplit(url)
            host = parts.hostname
            _ = parts.port
        except ValueError:
            raise UrlRefused() from None
        if not host or "@" in parts.netloc or parts.fragment:
            raise UrlRefused()
        if parts.scheme == "https":
            return url
        if parts.scheme == "http" and self._allow_loopback and is_loopback(host):
            return url
        raise UrlRefused("the URL must use https")

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json_body: object = None,
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> Reply:
        """Send one request; raises :class:`UrlRefused` or ``Outbound.Unreachable``."""
        self.check_url(url)
        try:
            with self._client.stream(
                method,
                url,
                headers=dict(headers or {}),
                data=dict(data) if data is not None else None,
                json=json_body,
                follow_redirects=False,
            ) as response:
                declared = response.headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                    raise _Unreachable("the response is too large")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        raise _Unreachable("the response is too large")
                media = response.headers.get("content-type", "").split(";")[0].strip().lower()
                return Reply(response.status_code, media, bytes(body))
        except httpx.HTTPError:
            raise _Unreachable() from None
