"""A small federation for the verifier service tests.

Three cities (Shanghai, Suzhou, Hangzhou) each issue permits and publish a status list on a
loopback HTTP server (:class:`tests.verifier.conftest.StatusServer`); a federation anchor signs
the trust list naming them; one verifier account per profile. The app gets an injected clock
(:class:`Clock`), so tests move time instead of sleeping.
"""

from __future__ import annotations

import json
import secrets
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI

from keys.ring import KeyRing
from keys.trustlist import build_trust_list, sign_trust_list
from tests.verifier.conftest import STATUS_SIZE, StatusServer, make_claims
from verifier.service.accounts import hash_key, new_account_key
from verifier.service.app import create_app
from verifier.service.settings import VerifierSettings
from wire.credential import IssuedCredential, end_of_day, issue_credential
from wire.jwk import public_jwk, thumbprint
from wire.presentation import QR_AUDIENCE, create_presentation
from wire.profiles import load_profiles
from wire.statuslist import StatusList, build_status_list_token

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 fork for its TestClient and warns once, at import.
    warnings.filterwarnings(
        "ignore", message="Using `httpx` with `starlette.testclient`", category=Warning
    )
    from fastapi.testclient import TestClient

__all__ = ["CANARIES", "CITIES", "PROFILES", "City", "Clock", "Federation", "TestClient"]

CITIES = {
    "sh": ("上海市公安局", "310000"),
    "sz": ("苏州市公安局", "320500"),
    "hz": ("杭州市公安局", "330100"),
}
PROFILES = load_profiles()
#: Values that must never appear in a log line (they are in every test credential).
CANARIES = ("王小明", "11010519900102123X", "3101152026000123", "一号")


@dataclass
class Clock:
    """The app's clock: Unix seconds that tests move forward."""

    now: int

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: int) -> int:
        self.now += seconds
        return self.now


@dataclass
class City:
    code: str
    name: str
    region_code: str
    ring: KeyRing
    base: str
    idx: int
    credential: IssuedCredential | None = None

    @property
    def iss(self) -> str:
        return f"{self.base}{self.code}/issuer"

    @property
    def status_path(self) -> str:
        return f"/{self.code}/status/1"

    @property
    def status_uri(self) -> str:
        return f"{self.base}{self.code}/status/1"

    def entry(self) -> dict[str, Any]:
        return {
            "iss": self.iss,
            "name": self.name,
            "region_code": self.region_code,
            "jwks": self.ring.jwks(),
            "status_list_prefixes": [f"{self.base}{self.code}/status/"],
        }


@dataclass
class Federation:
    server: StatusServer
    tmp: Path
    clock: Clock
    cities: dict[str, City]
    anchor: ec.EllipticCurvePrivateKey
    holder: ec.EllipticCurvePrivateKey
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def trust_path(self) -> Path:
        return self.tmp / "trust-list.jwt"

    @property
    def anchor_path(self) -> Path:
        return self.tmp / "anchor.jwk"

    @property
    def accounts_path(self) -> Path:
        return self.tmp / "accounts.json"

    def write_trust_list(self, *codes: str, exp_in: int = 86_400) -> None:
        """Sign a trust list naming these cities (default: all) at the current clock."""
        chosen = [self.cities[c].entry() for c in (codes or tuple(self.cities))]
        document = build_trust_list(chosen, allow_insecure_loopback=True)
        token = sign_trust_list(
            document,
            self.anchor,
            iat=self.clock.now - 5,
            exp=self.clock.now + exp_in,
            allow_insecure_loopback=True,
        )
        self.trust_path.write_text(token + "\n")

    def publish(
        self,
        code: str = "sh",
        value: int = 0,
        *,
        ttl: int = 300,
        exp_in: int = 3600,
        content_type: str = "application/statuslist+jwt",
        signer: KeyRing | None = None,
        sub: str | None = None,
    ) -> None:
        city = self.cities[code]
        ring = signer or city.ring
        status = StatusList.from_entries(STATUS_SIZE, 2, {city.idx: value})
        token = build_status_list_token(
            status_list=status,
            sub=sub or city.status_uri,
            iat=self.clock.now,
            exp=self.clock.now + exp_in,
            ttl=ttl,
            key=ring.active_key,
            kid=ring.active_kid,
        )
        self.server.routes[city.status_path] = (
            200,
            {"Content-Type": content_type},
            token.encode(),
        )

    def fetches(self, code: str = "sh") -> int:
        return self.server.requests.count(self.cities[code].status_path)

    def issue(self, code: str = "sh", *, holder: bool = True) -> IssuedCredential:
        city = self.cities[code]
        until = date.today() + timedelta(days=200)
        return issue_credential(
            claims=make_claims(until),
            issuer=city.iss,
            signing_key=city.ring.active_key,
            holder_jwk=public_jwk(self.holder) if holder else None,
            status_uri=city.status_uri,
            status_idx=city.idx,
            iat=self.clock.now - 10,
            exp=end_of_day(until),
        )

    def credential(self, code: str = "sh") -> IssuedCredential:
        city = self.cities[code]
        if city.credential is None:
            city.credential = self.issue(code)
        return city.credential

    def present(
        self,
        profile: str = "landlord",
        *,
        city: str = "sh",
        paths: tuple[str, ...] | None = None,
        audience: str = QR_AUDIENCE,
        nonce: str | None = None,
        iat: int | None = None,
    ) -> str:
        return create_presentation(
            self.credential(city).serialized,
            PROFILES[profile].claims if paths is None else paths,
            holder_key=self.holder,
            audience=audience,
            nonce=nonce or secrets.token_urlsafe(16),
            iat=self.clock.now if iat is None else iat,
        )

    def auth(self, profile: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[profile]}"}

    def settings(self, **overrides: Any) -> VerifierSettings:
        values: dict[str, Any] = {
            "environment": "test",
            "trust_list_path": self.trust_path,
            "trust_anchor_path": self.anchor_path,
            "accounts_path": self.accounts_path,
            "allow_insecure_loopback": True,
            "public_base_url": "http://127.0.0.1:8003",
            "redis_url": None,
            "trust_refresh_seconds": 3600,
            "status_refresh_interval_seconds": 3600,
        }
        values.update(overrides)
        return VerifierSettings.load(**values)

    def app(self, **overrides: Any) -> FastAPI:
        return create_app(self.settings(**overrides), clock=self.clock)


@pytest.fixture
def federation(status_server: StatusServer, tmp_path: Path) -> Federation:
    clock = Clock(int(time.time()))
    cities = {
        code: City(code, name, region, KeyRing.generate("ES256"), status_server.base, idx)
        for (code, (name, region)), idx in zip(
            CITIES.items(), (secrets.randbelow(STATUS_SIZE) for _ in CITIES), strict=True
        )
    }
    fed = Federation(
        status_server,
        tmp_path,
        clock,
        cities,
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    fed.anchor_path.write_text(
        json.dumps(public_jwk(fed.anchor) | {"kid": thumbprint(public_jwk(fed.anchor))})
    )
    fed.write_trust_list()
    accounts = []
    for profile in PROFILES:
        key = new_account_key()
        fed.keys[profile] = key
        accounts.append(
            {
                "id": f"{profile}-1",
                "name": f"{profile} desk",
                "profile": profile,
                "key_sha256": hash_key(key),
            }
        )
    fed.accounts_path.write_text(json.dumps({"version": 1, "accounts": accounts}))
    for code in cities:
        fed.publish(code)
    return fed


@pytest.fixture
def client(federation: Federation) -> Iterator[TestClient]:
    with TestClient(federation.app()) as test_client:
        yield test_client
