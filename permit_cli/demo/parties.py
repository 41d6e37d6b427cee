"""The people in the demo, each talking to the system the way they would for real.

Officers log in to their issuer over HTTP (a supervisor with a TOTP code, needed to suspend,
reinstate and revoke); the holder uses the wallet service's HTTP API; verifiers (a landlord,
a bank, a Suzhou agency desk) run the verifier pipeline on the trust list signed by the
federation anchor, decoding the QR *images* with zxing. Each verification uses a fresh status
cache, so a status change published by an issuer is seen at once rather than after the status
token's ``ttl``; the replay cache is kept per verifier, as a real one would.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from permit_cli.demo.stack import OFFICER_PASSWORD, Issuer, Stack
from verifier.pipeline import Verifier
from verifier.qrimage import decode_qr_image
from verifier.replay import MemoryNonceCache
from verifier.status import MemoryStatusCache, StatusResolver
from wire.jws import ALGORITHMS
from wire.profiles import load_profiles
from wire.verify import VerificationResult

__all__ = ["HOLDER_PASSWORD", "Officers", "VerifierDesk", "login_holder"]

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
