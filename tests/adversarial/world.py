"""The verifier deployment every adversarial case runs against, built once per session.

Two trusted issuers on one loopback status server (:class:`tests.verifier.conftest.StatusServer`):
Shanghai (``sh``: an ES256 and an Ed25519 key) and Suzhou (``sz``), so cross-issuer attacks
(another city's key, list or prefix) have a real target. The same trust-list file, accounts and
clock serve all three surfaces (the pipeline, the HTTP service and the CLI), so one case means
the same bytes everywhere.

Each verification gets a :class:`Ctx` of its own: a fresh nonce and a status list path nobody
else uses, so caches (status, replay) never make one case depend on another, and the status
server's request log tells exactly which fetches a case caused.
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from keys.trustlist import build_trust_list
from tests.hostile import HOLDER_EDDSA, ISSUER_ES256, NOW, HostileIssuer, changed, jws
from tests.verifier.conftest import StatusServer
from tests.verifier.conftest import serve_status as serve_status_on
from tests.verifier.service.conftest import CANARIES as SERVICE_CANARIES
from tests.wire.conftest import CLAIMS, issue
from verifier.service.accounts import hash_key, new_account_key
from wire.credential import IssuedCredential
from wire.jwk import PrivateKey, alg_for_key, public_jwk, thumbprint
from wire.presentation import QR_AUDIENCE, create_presentation
from wire.profiles import load_profiles
from wire.sdjwt import split_presentation
from wire.statuslist import STATUS_LIST_TYP, StatusList
from wire.trust import TrustList

__all__ = [
    "ATTACKER",
    "BANK",
    "CANARIES",
    "HOLDER_ES256",
    "IDX",
    "NOW",
    "SH_EDDSA",
    "SH_ES256",
    "STATUS_SIZE",
    "SZ_ES256",
    "Ctx",
    "World",
    "kid",
    "serve_status",
]

PROFILES = load_profiles()
SH_ES256 = ISSUER_ES256
SH_EDDSA = ed25519.Ed25519PrivateKey.generate()
SZ_ES256 = ec.generate_private_key(ec.SECP256R1())
ATTACKER = ec.generate_private_key(ec.SECP256R1())
HOLDER_ES256 = ec.generate_private_key(ec.SECP256R1())
#: The audience a verifier-bound pipeline or CLI check expects (the service issues its own).
BANK = "https://bank.example.cn/verifier"
STATUS_SIZE = 1024
IDX = 42
#: Personal data of the test credential that must never leave a failed check or reach a log.
CANARIES: tuple[str, ...] = (
    CLAIMS["name"],
    CLAIMS["id_number"],
    CLAIMS["permit_no"],
    CLAIMS["hukou_address"],
    CLAIMS["residence_address"]["street"],
    *SERVICE_CANARIES,
)


def kid(key: PrivateKey) -> str:
    """RFC 7638 thumbprint of ``key``: its ``kid`` in the trust list."""
    return thumbprint(public_jwk(key))


@contextmanager
def serve_status() -> Iterator[tuple[StatusServer, int]]:
    """A session-long loopback status server (the verifier tests' one is per test).

    The same server as the function-scoped fixture in ``tests/verifier/conftest.py``, started
    once per session: building a service per case would cost more than the whole suite may.
    """
    state = StatusServer()
    with serve_status_on(state) as base:
        state.base = base
        port = urlsplit(base).port
        assert port is not None
        yield state, port


@dataclass
class World:
    """Trust list, accounts and credentials around one status server."""

    server: StatusServer
    port: int
    tmp: Path
    account_keys: dict[str, str] = field(default_factory=dict)
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        entries = [
            self._entry("sh", "上海市公安局", "310000", (SH_ES256, SH_EDDSA)),
            self._entry("sz", "苏州市公安局", "320500", (SZ_ES256,)),
        ]
        document = build_trust_list(entries, allow_insecure_loopback=True)
        self.trust_path.write_text(json.dumps(document))
        self.trust_list = TrustList.from_json(document, allow_insecure_loopback=True)
        accounts = []
        for profile in PROFILES:
            key = new_account_key()
            self.account_keys[profile] = key
            accounts.append(
                {"id": f"{profile}-1", "name": f"{profile} desk", "profile": profile}
                | {"key_sha256": hash_key(key)}
            )
        self.accounts_path.write_text(json.dumps({"version": 1, "accounts": accounts}))
        placeholder = self.prefix("sh") + "0"
        self.credentials: dict[str, IssuedCredential] = {
            "sh": issue(issuer=self.iss("sh"), status_uri=placeholder, status_idx=IDX),
            "paper": issue(issuer=self.iss("sh"), status_uri=placeholder, holder=None),
            "es256-holder": issue(
                issuer=self.iss("sh"), status_uri=placeholder, holder=HOLDER_ES256
            ),
            "sz": issue(
                issuer=self.iss("sz"), status_uri=placeholder, signing_key=SZ_ES256, seed=8
            ),
        }

    def _entry(
        self, code: str, name: str, region: str, keys: tuple[PrivateKey, ...]
    ) -> dict[str, Any]:
        return {
            "iss": self.iss(code),
            "name": name,
            "region_code": region,
            "jwks": {"keys": [public_jwk(k) | {"kid": kid(k)} for k in keys]},
            "status_list_prefixes": [self.prefix(code)],
        }

    @property
    def trust_path(self) -> Path:
        return self.tmp / "trust-list.json"

    @property
    def accounts_path(self) -> Path:
        return self.tmp / "accounts.json"

    def iss(self, code: str) -> str:
        return f"{self.server.base}{code}/issuer"

    def prefix(self, code: str) -> str:
        return f"{self.server.base}{code}/status/"

    def auth(self, profile: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.account_keys[profile]}"}

    def requests_since(self, mark: int) -> list[str]:
        return list(self.server.requests[mark:])

    def ctx(
        self, profile: str = "landlord", *, audience: str = QR_AUDIENCE, nonce: str | None = None
    ) -> Ctx:
        """A fresh context: its own nonce and its own (published, valid) status list."""
        number = next(self._numbers)
        ctx = Ctx(
            world=self,
            profile=profile,
            audience=audience,
            nonce=nonce or secrets.token_urlsafe(16),
            status_path=f"/sh/status/{number}",
        )
        ctx.publish()
        return ctx


@dataclass
class Ctx:
    """What a case builder needs: the expected audience and nonce, and its own status list."""

    world: World
    #: The profile the verifier checks for: builders disclose what it needs (landlord's
    #: claims for ``any``).
    profile: str
    audience: str
    nonce: str
    status_path: str
    now: int = NOW
    #: The presentation a replay case's ``prime`` built (and the verifier accepted).
    primed: str | None = None

    @property
    def status_uri(self) -> str:
        return self.world.server.base + self.status_path.lstrip("/")

    @property
    def status_claim(self) -> dict[str, Any]:
        return {"status_list": {"idx": IDX, "uri": self.status_uri}}

    def hostile(
        self,
        base: str = "sh",
        *,
        key: PrivateKey | None = None,
        holder: PrivateKey | None = HOLDER_EDDSA,
    ) -> HostileIssuer:
        """A hostile issuer over credential ``base`` whose status points at this context's list.

        ``key`` signs (default: the trusted key of that credential's issuer)."""
        signer = key or (SZ_ES256 if base == "sz" else SH_ES256)
        holders = {"paper": None, "es256-holder": HOLDER_ES256}
        h = HostileIssuer(
            self.world.credentials[base], key=signer, holder=holders.get(base, holder)
        )
        h.payload = changed(h.payload, status=self.status_claim)
        if self.profile not in ("landlord", "any"):
            paths = PROFILES[self.profile].claims
            chosen = create_presentation(h.base.serialized, paths, holder_key=None)
            h.disclosures = split_presentation(chosen).disclosures
        return h

    def present(self, h: HostileIssuer | None = None, **kwargs: Any) -> str:
        """``h.present(**kwargs)`` with the KB-JWT's iat, aud and nonce this context expects."""
        builder = h or self.hostile()
        defaults: dict[str, Any] = {"iat": self.now, "aud": self.audience, "nonce": self.nonce}
        return builder.present(**(defaults | kwargs))

    # --- the status list this context's credential points at --------------------------------

    def serve(self, code: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.world.server.routes[self.status_path] = (code, dict(headers or {}), body)

    def status_token(
        self,
        value: int = 0,
        *,
        key: PrivateKey = SH_ES256,
        header: Mapping[str, Any] | None = None,
        lst: Mapping[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A status list token for this context's list; ``claims`` override (``DROP`` removes),
        ``header`` replaces the header, ``lst`` the ``status_list`` claim."""
        status = StatusList.from_entries(STATUS_SIZE, 2, {IDX: value})
        base_claims = {
            "sub": self.status_uri,
            "iat": self.now,
            "exp": self.now + 3600,
            "ttl": 300,
            "status_list": status.to_json() if lst is None else dict(lst),
        }
        head = {"alg": alg_for_key(key), "typ": STATUS_LIST_TYP, "kid": kid(key)}
        return jws(head if header is None else header, changed(base_claims, **claims), key)

    def publish(self, value: int = 0, **token: Any) -> None:
        content_type = token.pop("content_type", "application/statuslist+jwt")
        self.serve(200, self.status_token(value, **token).encode(), {"Content-Type": content_type})
