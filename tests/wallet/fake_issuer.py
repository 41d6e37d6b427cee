"""An in-process OpenID4VCI issuer (and a verifier response endpoint) built from ``wire``.

The wallet's client is tested against this, not against ``issuer/``: every message is built
and parsed by :mod:`wire.oid4vci`, exactly as the real issuer does, so the tests do not depend
on the issuer service's progress. It also serves the Token Status List of its credentials, the
JWT VC Issuer Metadata with its key, and the paper-credential extension of docs/wallet.md.
Test-only code: its state lives on the instance, one per test.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from keys.generate import generate_private_key
from wire.credential import end_of_day, issue_credential
from wire.errors import HolderBindingInvalid, PermitError
from wire.jwk import PrivateKey, public_jwk, thumbprint
from wire.jws import parse_compact
from wire.oid4vci import (
    AS_METADATA_SUFFIX,
    CREDENTIAL_ISSUER_SUFFIX,
    JWT_VC_ISSUER_SUFFIX,
    CredentialOffer,
    CredentialRequest,
    CredentialResponse,
    InvalidGrant,
    InvalidProof,
    InvalidToken,
    NonceResponse,
    Oid4vciError,
    TokenRequest,
    TokenResponse,
    TxCode,
    authorization_server_metadata,
    issuer_metadata,
    jwt_vc_issuer_metadata,
    verify_proofs,
    well_known_url,
)
from wire.profiles import Profile, load_profiles
from wire.qrcodec import presentation_from_transport
from wire.sdjwt import split_presentation
from wire.statuslist import StatusList, build_status_list_token
from wire.trust import TrustList
from wire.verify import VerifiedPresentation, verify_presentation

BASE = "http://127.0.0.1:9000"
ISSUER = f"{BASE}/issuer"
STATUS_URI = f"{BASE}/status/1"
RESPONSE_URI = f"{BASE}/verifier/response"
PROFILES = load_profiles()
_PROOF = Profile("paper-proof", ("permit_no",), paper=False, verifier_bound=True)


def sample_claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "permit_no": "310104202600000001",
        "name": "李梅",
        "sex": "F",
        "birth_date": "1990-03-07",
        "id_number": "310104199003071229",
        "hukou_address": "安徽省合肥市蜀山区长江西路100号",
        "residence_address": {
            "region_code": "310104",
            "district": "徐汇区",
            "street": "漕溪北路88号",
        },
        "permit_class": "standard",
        "issuing_authority": "上海市公安局",
        "first_issued": "2026-03-02",
        "endorsed_until": "2027-03-02",
        "age_over_18": True,
        "age_over_60": False,
    }
    claims.update(overrides)
    return claims


@dataclass
class _Offer:
    code: str
    tx_code: str | None
    claims: dict[str, Any]
    redeemed: bool = False


@dataclass
class FakeIssuer:
    """State of the fake issuer; ``clock()`` gives the current aware datetime."""

    clock: Any
    batch_size: int = 5
    paper: bool = True
    key: PrivateKey = field(default_factory=generate_private_key)
    offers: dict[str, _Offer] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    nonces: set[str] = field(default_factory=set)
    status: StatusList = field(default_factory=lambda: StatusList(1024, 2))
    issued: list[tuple[int, dict[str, Any], bool]] = field(default_factory=list)
    verifier_posts: list[dict[str, str]] = field(default_factory=list)
    verifier_answer: int = 200
    fail_nonce_once: bool = False
    status_fetches: int = 0
    broken_metadata: bool = False

    def now(self) -> int:
        return int(self.clock().timestamp())

    # --- control ---------------------------------------------------------------------------

    def offer(self, *, pin: bool = True, **claims: Any) -> tuple[str, str | None]:
        """A new offer (URI) for a permit with these claims, and its PIN."""
        code = secrets.token_urlsafe(32)
        tx = f"{secrets.randbelow(10**6):06d}" if pin else None
        self.offers[code] = _Offer(code, tx, sample_claims(**claims))
        spec = TxCode("numeric", 6, "PIN") if pin else None
        return CredentialOffer(ISSUER, code, spec).to_uri(), tx

    def set_status(self, value: int) -> None:
        for idx, _, _ in self.issued:
            self.status.set(idx, value)

    def trust_list(self) -> TrustList:
        return TrustList.from_json(
            {
                "version": 1,
                "issuers": [
                    {
                        "iss": ISSUER,
                        "name": "fake",
                        "region_code": "310000",
                        "jwks": {"keys": [self.jwk()]},
                        "status_list_prefixes": [f"{BASE}/status/"],
                    }
                ],
            },
            allow_insecure_loopback=True,
        )

    def jwk(self) -> dict[str, str]:
        jwk = public_jwk(self.key)
        return {**jwk, "kid": thumbprint(jwk)}

    # --- protocol --------------------------------------------------------------------------

    def _issue(self, claims: dict[str, Any], holder_jwk: dict[str, Any] | None) -> str:
        idx = secrets.randbelow(1024)
        while any(idx == used for used, _, _ in self.issued):
            idx = secrets.randbelow(1024)
        self.issued.append((idx, claims, holder_jwk is None))
        return issue_credential(
            claims=claims,
            issuer=ISSUER,
            signing_key=self.key,
            holder_jwk=holder_jwk,
            status_uri=STATUS_URI,
            status_idx=idx,
            iat=self.now(),
            exp=end_of_day(date.fromisoformat(claims["endorsed_until"])),
        ).serialized

    def token(self, pairs: list[tuple[str, str]]) -> TokenResponse:
        request = TokenRequest.from_form(pairs)
        offer = self.offers.get(request.pre_authorized_code)
        if offer is None or offer.redeemed:
            raise InvalidGrant()
        request.check_tx_code_presence(required=offer.tx_code is not None)
        if offer.tx_code is not None and request.tx_code != offer.tx_code:
            raise InvalidGrant("the transaction code is wrong")
        offer.redeemed = True
        token = secrets.token_urlsafe(32)
        self.tokens[token] = {"claims": offer.claims, "used": False}
        return TokenResponse(token, 300)

    def nonce(self) -> NonceResponse:
        value = secrets.token_urlsafe(32)
        self.nonces.add(value)
        return NonceResponse(value)

    def _use_nonce(self, nonce: str) -> bool:
        if self.fail_nonce_once:
            self.fail_nonce_once = False
            self.nonces.discard(nonce)
            return False
        if nonce in self.nonces:
            self.nonces.discard(nonce)
            return True
        return False

    def credential(self, authorization: str | None, body: bytes) -> CredentialResponse:
        token = (authorization or "").removeprefix("Bearer ").strip()
        grant = self.tokens.get(token)
        if grant is None or grant["used"]:
            raise InvalidToken()
        request = CredentialRequest.from_json(body, batch_size=self.batch_size)
        jwks = verify_proofs(
            request.proofs,
            audience=ISSUER,
            now=self.now(),
            nonce_valid=self._use_nonce,
            algorithms={"ES256", "EdDSA"},
        )
        grant["used"] = True
        return CredentialResponse(tuple(self._issue(grant["claims"], dict(j)) for j in jwks))

    def paper_credential(self, body: bytes) -> CredentialResponse:
        presentation = json.loads(body)["presentation"]
        kb = split_presentation(presentation).kb_jwt
        if kb is None:
            raise InvalidProof("a key-bound presentation is required")
        try:
            nonce = parse_compact(kb, HolderBindingInvalid).payload.get("nonce")
        except HolderBindingInvalid:
            raise InvalidProof("the key binding JWT does not parse") from None
        if not isinstance(nonce, str) or not self._use_nonce(nonce):
            raise InvalidProof("nonce")
        try:
            verified = verify_presentation(
                presentation,
                directory=self.trust_list(),
                profile=_PROOF,
                now=self.now(),
                status_lookup=lambda issuer, *, uri, idx, now: self.status.get(idx),
                uri_allowed=lambda uri, prefixes: True,
                audience=ISSUER,
                nonce=nonce,
            )
        except PermitError:
            raise InvalidProof("the presentation does not verify") from None
        claims = next(
            c for _, c, _ in reversed(self.issued) if c["permit_no"] == verified.claims["permit_no"]
        )
        return CredentialResponse((self._issue(claims, None),))

    def status_token(self) -> str:
        self.status_fetches += 1
        jwk = self.jwk()
        now = self.now()
        return build_status_list_token(
            status_list=self.status,
            sub=STATUS_URI,
            iat=now,
            exp=now + 3600,
            ttl=300,
            key=self.key,
            kid=jwk["kid"],
        )

    def metadata(self) -> dict[str, Any]:
        if self.broken_metadata:
            return {"credential_issuer": "https://evil.example/issuer"}
        document = issuer_metadata(
            credential_issuer=ISSUER,
            credential_endpoint=f"{ISSUER}/credential",
            nonce_endpoint=f"{ISSUER}/nonce",
            batch_size=self.batch_size,
        )
        if self.paper:
            document["paper_credential_endpoint"] = f"{ISSUER}/paper-credential"
        return document


def _oauth(exc: Oid4vciError) -> JSONResponse:
    return JSONResponse(exc.to_json(), status_code=exc.status, headers=exc.headers())


def build_app(fake: FakeIssuer) -> FastAPI:
    """The fake issuer and verifier response endpoint as one ASGI app on ``BASE``."""
    app = FastAPI()

    def path(url: str) -> str:
        return url.removeprefix(BASE)

    @app.get(path(well_known_url(ISSUER, CREDENTIAL_ISSUER_SUFFIX)))
    def metadata() -> dict[str, Any]:
        return fake.metadata()

    @app.get(path(well_known_url(ISSUER, AS_METADATA_SUFFIX)))
    def as_metadata() -> dict[str, Any]:
        return authorization_server_metadata(issuer=ISSUER, token_endpoint=f"{ISSUER}/token")

    @app.get(path(well_known_url(ISSUER, JWT_VC_ISSUER_SUFFIX)))
    def vc_metadata() -> dict[str, Any]:
        return jwt_vc_issuer_metadata(ISSUER, {"keys": [fake.jwk()]})

    @app.post("/issuer/token")
    async def token(request: Request) -> Response:
        pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True)
        try:
            return JSONResponse(fake.token(pairs).to_json())
        except Oid4vciError as exc:
            return _oauth(exc)

    @app.post("/issuer/nonce")
    def nonce() -> dict[str, Any]:
        return fake.nonce().to_json()

    @app.post("/issuer/credential")
    async def credential(request: Request) -> Response:
        try:
            answer = fake.credential(request.headers.get("authorization"), await request.body())
        except Oid4vciError as exc:
            return _oauth(exc)
        return JSONResponse(answer.to_json())

    @app.post("/issuer/paper-credential")
    async def paper(request: Request) -> Response:
        try:
            return JSONResponse(fake.paper_credential(await request.body()).to_json())
        except Oid4vciError as exc:
            return _oauth(exc)

    @app.get("/status/1")
    def status() -> Response:
        return Response(fake.status_token(), media_type="application/statuslist+jwt")

    @app.post("/verifier/response")
    async def verifier(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        fake.verifier_posts.append(form)
        return JSONResponse({}, status_code=fake.verifier_answer)

    return app


def verify_with(
    fake: FakeIssuer,
    qr_text: str,
    profile: str,
    *,
    audience: str | None = None,
    nonce: str | None = None,
) -> VerifiedPresentation:
    """Verify a presentation as a verifier would (trust list of the fake, its status list)."""
    return verify_presentation(
        presentation_from_transport(qr_text),
        directory=fake.trust_list(),
        profile=PROFILES[profile],
        now=fake.now(),
        status_lookup=lambda issuer, *, uri, idx, now: fake.status.get(idx),
        uri_allowed=lambda uri, prefixes: True,
        audience=audience,
        nonce=nonce,
    )
