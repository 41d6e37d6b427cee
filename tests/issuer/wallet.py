"""A minimal test wallet and verifier around the issuer's HTTP API.

The wallet side uses only :mod:`wire.oid4vci` (what a real wallet runs); the verifier side builds
a trust list from the issuer's published JWKS (``/.well-known/jwt-vc-issuer/issuer``) and
fetches status lists through the same test client, then runs the real
:func:`wire.verify.check_presentation` pipeline, so the tests are end to end.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.clock import FakeClock
from tests.issuer.helpers import application_body
from wire.jwk import PrivateKey, PublicKey
from wire.jws import ALGORITHMS
from wire.oid4vci import CredentialOffer, TokenRequest, build_proof_jwt, parse_offer_uri
from wire.presentation import create_presentation
from wire.profiles import Profile
from wire.statuslist import status_at, verify_status_list_token
from wire.trust import TrustList, status_uri_allowed
from wire.verify import IssuerTrust, VerificationResult, check_presentation

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from tests.issuer.conftest import OfficerFactory, Sessions

ISSUER = "http://127.0.0.1:8000/issuer"
STATUS_PREFIX = "http://127.0.0.1:8000/status/"
ANY = Profile("any", (), paper=False, verifier_bound=False)
STATUS_MEDIA_TYPE = "application/statuslist+jwt"


def holder_key(alg: str = "ES256") -> PrivateKey:
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


@dataclass
class Approved:
    """An approved application: its id, status token and the officer's view of the offer."""

    application_id: str
    status_token: str
    offer: dict[str, Any]
    headers: dict[str, str] = field(repr=False)

    @property
    def wire_offer(self) -> CredentialOffer:
        return offer_of(self.offer["offer_uri"])


def offer_of(uri: str) -> CredentialOffer:
    parsed = parse_offer_uri(uri, allow_insecure_loopback=True)
    assert isinstance(parsed, CredentialOffer)
    return parsed


def submit(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/applications", json=application_body(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def approve(
    client: TestClient,
    sessions: Sessions,
    make_officer: OfficerFactory,
    **overrides: Any,
) -> Approved:
    receipt = submit(client, **overrides)
    jurisdiction = overrides.get("jurisdiction", "shanghai")
    headers = sessions.headers(make_officer("clerk", jurisdiction))
    response = client.post(
        f"/v1/applications/{receipt['application_id']}/approve",
        headers=headers,
        json={"reason": "documents verified at the counter"},
    )
    assert response.status_code == 200, response.text
    return Approved(
        receipt["application_id"], receipt["status_token"], response.json()["offer"], headers
    )


def redeem(client: TestClient, code: str, tx_code: str | None) -> Any:
    form = TokenRequest(code, tx_code=tx_code).to_form()
    return client.post("/issuer/token", data=form)


def access_token(client: TestClient, offer: dict[str, Any]) -> str:
    response = redeem(client, offer_of(offer["offer_uri"]).pre_authorized_code, offer["tx_code"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    token: str = response.json()["access_token"]
    return token


def c_nonce(client: TestClient) -> str:
    response = client.post("/issuer/nonce")
    assert response.status_code == 200, response.text
    nonce: str = response.json()["c_nonce"]
    return nonce


def proof(key: PrivateKey, nonce: str, clock: FakeClock, *, aud: str = ISSUER, age: int = 0) -> str:
    return build_proof_jwt(
        holder_key=key, audience=aud, nonce=nonce, iat=int(clock().timestamp()) - age
    )


def credential_request(client: TestClient, token: str, proofs: list[str]) -> Any:
    body = {"credential_configuration_id": "residence_permit_sd_jwt", "proofs": {"jwt": proofs}}
    return client.post(
        "/issuer/credential", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def obtain(
    client: TestClient, offer: dict[str, Any], keys: list[PrivateKey], clock: FakeClock
) -> list[str]:
    """The whole wallet side: token, nonce, one proof per key, credentials."""
    token = access_token(client, offer)
    nonce = c_nonce(client)
    response = credential_request(client, token, [proof(key, nonce, clock) for key in keys])
    assert response.status_code == 200, response.text
    return [item["credential"] for item in response.json()["credentials"]]


def trust_list(client: TestClient) -> TrustList:
    """A trust list for this issuer built from what it publishes (DESIGN §5)."""
    metadata = client.get("/.well-known/jwt-vc-issuer/issuer").json()
    entry = {
        "iss": metadata["issuer"],
        "name": "上海市公安局",
        "region_code": "310000",
        "jwks": metadata["jwks"],
        "status_list_prefixes": [STATUS_PREFIX],
    }
    return TrustList.from_json({"version": 1, "issuers": [entry]}, allow_insecure_loopback=True)


class ClientStatusLookup:
    """Fetches status list tokens through the test client and verifies them (DESIGN §4)."""

    def __init__(self, client: TestClient) -> None:
        self._client = client

    def __call__(self, issuer: IssuerTrust, *, uri: str, idx: int, now: int) -> int:
        response = self._client.get(urlsplit(uri).path)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == STATUS_MEDIA_TYPE

        def resolve(kid: str) -> PublicKey | None:
            return issuer.key(kid)

        token = verify_status_list_token(
            response.text,
            resolve_key=resolve,
            expected_sub=uri,
            now=now,
            algorithms=ALGORITHMS,
            max_bytes=1 << 20,
            issuer=issuer.iss,
        )
        return status_at(token, idx)


def verify(
    client: TestClient,
    credential: str,
    key: PrivateKey,
    clock: FakeClock,
    *,
    paths: tuple[str, ...] = ("name", "permit_no", "endorsed_until", "residence_address"),
) -> VerificationResult:
    now = int(clock().timestamp())
    presentation = create_presentation(
        credential, list(paths), holder_key=key, nonce=uuid.uuid4().hex, iat=now
    )
    return check_presentation(
        presentation,
        profile=ANY,
        directory=trust_list(client),
        now=now,
        status_lookup=ClientStatusLookup(client),
        uri_allowed=lambda uri, prefixes: status_uri_allowed(
            uri, prefixes, allow_insecure_loopback=True
        ),
    )


@dataclass
class Issued:
    """A permit issued through the whole flow, with its holder keys and credentials."""

    approved: Approved
    permit_id: str
    keys: list[PrivateKey]
    credentials: list[str]

    @property
    def status_ref(self) -> tuple[str, int]:
        return status_ref(self.credentials[0])


def status_ref(credential: str) -> tuple[str, int]:
    """``(uri, idx)`` of a credential's status entry."""
    import json

    from wire.encoding import b64u_decode
    from wire.errors import Malformed

    payload = json.loads(b64u_decode(credential.split("~", maxsplit=1)[0].split(".")[1], Malformed))
    reference = payload["status"]["status_list"]
    return reference["uri"], reference["idx"]


def issue_permit(
    client: TestClient,
    sessions: Sessions,
    make_officer: OfficerFactory,
    clock: FakeClock,
    *,
    copies: int = 1,
    **overrides: Any,
) -> Issued:
    approved = approve(client, sessions, make_officer, **overrides)
    keys = [holder_key() for _ in range(copies)]
    credentials = obtain(client, approved.offer, keys, clock)
    listing = client.get("/v1/permits", headers=approved.headers, params={"limit": 200})
    assert listing.status_code == 200, listing.text
    [permit] = [p for p in listing.json() if p["application_id"] == approved.application_id]
    return Issued(approved, permit["id"], keys, credentials)


def served_status(client: TestClient, uri: str, idx: int, now: int) -> int:
    """The status at ``idx`` in the token the issuer serves now (signature checked)."""
    response = client.get(urlsplit(uri).path)
    assert response.status_code == 200, response.text
    ring = client.app.state.signing_ring  # type: ignore[attr-defined]
    token = verify_status_list_token(
        response.text,
        resolve_key=ring.public_key,
        expected_sub=uri,
        now=now,
        algorithms=ALGORITHMS,
        max_bytes=1 << 20,
    )
    return status_at(token, idx)


#: A Chengdu application the rules answer with ``temporary_permit`` (a 60-day stay).
CHENGDU_TEMPORARY: dict[str, Any] = {
    "jurisdiction": "chengdu",
    "birth_date": "1960-03-01",
    "sex": "M",
    "residence_address": {"region_code": "510104", "district": "锦江区", "street": "春熙路1号"},
    "facts": {
        "residence_months": 1,
        "intended_stay_days": 60,
        "housing": "none",
        "has_residence_proof": False,
        "employment": "none",
        "has_business_license": False,
        "social_insurance_months_continuous": 0,
        "social_insurance_months_last_24": 0,
        "studying": False,
        "joining_hukou_relative": False,
        "meets_settlement_conditions": False,
        "minor_child_of_holder": False,
    },
}


MakeClient = Callable[..., "TestClient"]


def oauth_error(response: Any, status: int, error: str) -> None:
    """``response`` is an OAuth error (RFC 6749 §5.2): not problem+json, never cached."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == error
    assert set(body) == {"error", "error_description"}


def payload_of(credential: str) -> dict[str, Any]:
    """The issuer JWT's payload with every disclosure applied (the holder's full view)."""
    import json

    from wire.encoding import b64u_decode
    from wire.errors import Malformed
    from wire.sdjwt import process_payload, split_presentation

    parts = split_presentation(credential)
    payload = json.loads(b64u_decode(parts.issuer_jwt.split(".")[1], Malformed))
    claims, _ = process_payload(payload, parts.disclosures)
    return claims
