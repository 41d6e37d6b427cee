"""The people in the demo, each talking to the system the way they would for real.

Officers log in to their issuer over HTTP (a supervisor with a TOTP code, needed to suspend,
reinstate and revoke); the holder uses the wallet service's HTTP API. The bank is an account
at the verifier service and uses its HTTP API (:class:`BankDesk`): verifier-bound requests
whose nonce and ``client_id`` the service issues and checks (DESIGN §3). The in-person
verifiers (a landlord, a Suzhou agency desk) run the verifier pipeline the way ``permit
verify`` does, on the trust list signed by the federation anchor, decoding the QR *images* with
zxing. Each of their verifications uses a fresh status cache, so a status change published by
an issuer is seen at once rather than after the status token's ``ttl``; the replay cache is
kept per verifier, as a real one would.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import httpx

from permit_cli.demo.stack import OFFICER_PASSWORD, Issuer, Stack
from verifier.pipeline import Verifier
from verifier.qrimage import decode_qr_image
from verifier.replay import MemoryNonceCache
from verifier.status import MemoryStatusCache, StatusResolver
from wire.jws import ALGORITHMS
from wire.profiles import load_profiles
from wire.verify import VerificationResult
from wire.vprequest import vp_token_form

__all__ = [
    "HOLDER_PASSWORD",
    "BankDesk",
    "BankRequest",
    "Officers",
    "VerifierDesk",
    "login_holder",
]

HOLDER_PASSWORD = "demo holder passphrase"  # noqa: S105 - a throw-away demo account


@dataclass
class Officers:
    """HTTP sessions of one city's clerk and supervisor."""

    issuer: Issuer
    http: httpx.Client

    def _login(self, username: str, totp: str | None) -> dict[str, str]:
        form = {"username": username, "password": OFFICER_PASSWORD}
        if totp is not None:
            form["totp"] = totp
        response = self.http.post("/v1/auth/token", data=form)
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def clerk(self) -> dict[str, str]:
        return self._login(self.issuer.clerk, None)

    def supervisor(self) -> dict[str, str]:
        """A supervisor session with a second factor (TOTP, RFC 6238)."""
        import pyotp

        return self._login(self.issuer.supervisor, pyotp.TOTP(self.issuer.supervisor_totp).now())


def login_holder(wallet: httpx.Client, username: str, display_name: str) -> dict[str, str]:
    """Register and log in a holder at the wallet: the Authorization header."""
    wallet.post(
        "/v1/accounts",
        json={"username": username, "password": HOLDER_PASSWORD, "display_name": display_name},
    ).raise_for_status()
    login = wallet.post("/v1/auth/login", data={"username": username, "password": HOLDER_PASSWORD})
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


@dataclass
class VerifierDesk:
    """One relying party: its trust list (anchor-checked), profiles and replay cache."""

    name: str
    stack: Stack
    nonces: MemoryNonceCache = field(default_factory=MemoryNonceCache)

    def _verifier(self, now: int, client: httpx.Client) -> Verifier:
        from keys.trustlist import load_trust_list_file

        anchor: Any = json.loads(self.stack.anchor.read_text())
        trust = load_trust_list_file(
            self.stack.trust_list, anchor=anchor, now=now, allow_insecure_loopback=True
        )
        resolver = StatusResolver(
            client=client,
            cache=MemoryStatusCache(),
            algorithms=ALGORITHMS,
        )
        return Verifier(
            trust_list=trust,
            profiles=load_profiles(),
            status_lookup=resolver,
            nonce_cache=self.nonces,
            allow_insecure_loopback=True,
        )

    def scan(
        self,
        image: Path | None = None,
        *,
        text: str | None = None,
        profile: str,
        audience: str | None = None,
        nonce: str | None = None,
    ) -> tuple[VerificationResult, str]:
        """Decode the QR image (or take the text) and verify it; also returns the QR text."""
        qr_text = decode_qr_image(image.read_bytes()) if image is not None else text
        assert qr_text is not None
        now = int(time.time())
        with httpx.Client(timeout=5.0, follow_redirects=False, trust_env=False) as client:
            result = self._verifier(now, client).verify(
                qr_text, profile=profile, now=now, audience=audience, nonce=nonce
            )
        return result, qr_text


@dataclass(frozen=True, slots=True)
class BankRequest:
    """One verifier-bound request as ``POST /v1/requests`` returned it (no nonce: the service
    keeps it, and only the ``openid4vp://`` URI carries it to the wallet)."""

    id: str
    uri: str
    client_id: str
    response_uri: str
    state: str
    claims: tuple[str, ...]
    expires_at: int
    status_url: str

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Self:
        return cls(
            id=body["id"],
            uri=body["request_uri"],
            client_id=body["client_id"],
            response_uri=body["response_uri"],
            state=body["state"],
            claims=tuple(body["claims"]),
            expires_at=body["expires_at"],
            status_url=body["status_url"],
        )


@dataclass
class BankDesk:
    """A bank counter: an account (profile ``bank``) at the verifier service, used over its
    HTTP API exactly as the service's own page does (docs/verifier.md, "Verifier-bound
    requests").

    The desk opens a request, shows its QR code and reads the outcome; the wallet answers the
    request's ``response_uri`` itself (``direct_post``), or shows its answer as a QR code that
    the desk scans and posts there, like the page does with a camera. The service verifies
    every answer against the nonce and ``client_id`` it issued; the desk never handles either.
    """

    http: httpx.Client
    key: str

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def open_request(self) -> BankRequest:
        """``POST /v1/requests``: a fresh request for the account's profile."""
        response = self.http.post("/v1/requests", headers=self._auth())
        response.raise_for_status()
        return BankRequest.from_json(response.json())

    def request_qr(self, request: BankRequest, path: Path) -> Path:
        """The request's QR code as the counter's screen shows it (``GET …/qr.png``)."""
        response = self.http.get(f"/v1/requests/{request.id}/qr.png", headers=self._auth())
        response.raise_for_status()
        path.write_bytes(response.content)
        return path

    def scan_answer(self, request: BankRequest, image: Path) -> dict[str, Any]:
        """Decode an answer QR shown by a phone and post it to the request's ``response_uri``.

        Returns the service's wallet-facing reply: ``{"status": "accepted"}`` or
        ``{"error", "reason"}`` (never claims; those are read with :meth:`outcome`).
        """
        text = decode_qr_image(image.read_bytes())
        reply = self.http.post(request.response_uri, data=vp_token_form(text, request.state))
        body: dict[str, Any] = reply.json()
        return body

    def outcome(self, request: BankRequest, *, wait_seconds: float = 10.0) -> dict[str, Any]:
        """The request's state as the page polls it: ``status`` and the DESIGN §6 ``result``.

        The page polls every second; an answer is already recorded when its POST returns, so
        here the first poll normally has it.
        """
        deadline = time.monotonic() + wait_seconds
        while True:
            response = self.http.get(request.status_url, headers=self._auth())
            response.raise_for_status()
            view: dict[str, Any] = response.json()
            if view["status"] != "pending" or time.monotonic() >= deadline:
                return view
            time.sleep(0.1)
