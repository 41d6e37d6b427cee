"""The two flows of the combined load test, written once for any HTTP client.

The harness (:mod:`bench.combined_load`) runs them with httpx to set up and check the stack;
the load generator (``bench/locustfile.py``) runs the same steps with locust's client, so a
step checks the same things in both places (each request is a :class:`bench.http_steps.Send`).

* Issuer write path (:func:`issue_permit`): an applicant submits an application, a supervisor
  (password + TOTP session) approves it, and the holder's wallet redeems the credential offer
  over OpenID4VCI (token with PIN → ``c_nonce`` → credential with a holder key proof).
* Lifecycle (:func:`suspend_and_reinstate`) and status-list reads (:func:`fetch_status_list`).
* Verifier (:func:`verify`): a landlord's account posts a presentation; anything but the
  expected answer fails.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import pyotp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bench.applicants import application_json
from bench.http_steps import FlowFailed, Reply, Send, checked, json_object
from issuer.security import TOTP_PERIOD
from wire.errors import Malformed
from wire.jws import parse_compact
from wire.oid4vci import (
    AS_METADATA_SUFFIX,
    CREDENTIAL_ISSUER_SUFFIX,
    AuthorizationServerMetadata,
    CredentialOffer,
    CredentialRequest,
    CredentialResponse,
    IssuerMetadata,
    NonceResponse,
    TokenRequest,
    TokenResponse,
    build_proof_jwt,
    parse_offer_uri,
    well_known_url,
)
from wire.presentation import create_presentation
from wire.sdjwt import split_presentation

__all__ = [
    "Endpoints",
    "Holding",
    "Issued",
    "Officer",
    "OfficerSession",
    "active_permits",
    "discover",
    "fetch_status_list",
    "issue_permit",
    "suspend_and_reinstate",
    "verify",
]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where the wallet redeems offers (paths on the issuer's host)."""

    credential_issuer: str
    token: str
    nonce: str
    credential: str


def discover(send: Send, credential_issuer: str) -> Endpoints:
    """Credential Issuer and Authorization Server metadata (OpenID4VCI §12.2, RFC 8414)."""
    metadata = send(
        "GET",
        _path(well_known_url(credential_issuer, CREDENTIAL_ISSUER_SUFFIX)),
        name="metadata: credential issuer",
        parse=checked(
            lambda r: IssuerMetadata.from_json(
                r.body, credential_issuer=credential_issuer, allow_insecure_loopback=True
            )
        ),
    )
    server = metadata.authorization_server
    authorization = send(
        "GET",
        _path(well_known_url(server, AS_METADATA_SUFFIX)),
        name="metadata: authorization server",
        parse=checked(
            lambda r: AuthorizationServerMetadata.from_json(
                r.body, issuer=server, allow_insecure_loopback=True
            )
        ),
    )
    if metadata.nonce_endpoint is None:
        raise FlowFailed("the issuer has no nonce endpoint")
    return Endpoints(
        credential_issuer,
        _path(authorization.token_endpoint),
        _path(metadata.nonce_endpoint),
        _path(metadata.credential_endpoint),
    )


@dataclass(frozen=True, slots=True)
class Officer:
    username: str
    password: str
    totp_secret: str


class OfficerSession:
    """A supervisor's session opened with password and TOTP (``mfa``: may suspend), opened
    again a minute before it expires. A TOTP code is accepted once, so a new login uses the
    next step's code when the current one was spent (the issuer accepts ±1 step).

    :meth:`to_json` / :meth:`from_json` hand an open session to another process: officers log
    in once per shift, and an Argon2id login (64 MiB, ~0.3 s of CPU) is not part of the load.
    """

    def __init__(self, send: Send, officer: Officer) -> None:
        self._send = send
        self._officer = officer
        self._token: str | None = None
        self._renew_at = 0.0
        self._last_step = 0

    def headers(self) -> dict[str, str]:
        if self._token is None or time.time() >= self._renew_at:
            self._login()
        return {"Authorization": f"Bearer {self._token}"}

    def _login(self) -> None:
        now = time.time()
        step = max(int(now) // TOTP_PERIOD, self._last_step + 1)
        form = {
            "grant_type": "password",
            "username": self._officer.username,
            "password": self._officer.password,
            "totp": pyotp.TOTP(self._officer.totp_secret).at(step * TOTP_PERIOD),
        }
        body = self._send(
            "POST",
            "/v1/auth/token",
            name="POST /v1/auth/token",
            parse=checked(json_object),
            form=form,
        )
        if body.get("mfa") is not True or not isinstance(body.get("access_token"), str):
            raise FlowFailed("login did not open a TOTP session")
        self._token = body["access_token"]
        self._renew_at = now + float(body["expires_in"]) - 60
        self._last_step = step

    def to_json(self) -> dict[str, Any]:
        self.headers()  # open it if it is not
        return {
            "officer": asdict(self._officer),
            "token": self._token,
            "renew_at": self._renew_at,
            "last_step": self._last_step,
        }

    @classmethod
    def from_json(cls, send: Send, data: Mapping[str, Any]) -> OfficerSession:
        session = cls(send, Officer(**data["officer"]))
        session._token = data["token"]
        session._renew_at = float(data["renew_at"])
        session._last_step = int(data["last_step"])
        return session


@dataclass(frozen=True, slots=True)
class Issued:
    application_id: str
    credential: str
    #: Path of the status list the credential points to (its ``status`` claim).
    status_path: str


def _credential(reply: Reply) -> tuple[str, str]:
    """The one credential of the answer and the path of its status list."""
    credential = CredentialResponse.from_json(reply.body).credentials[0]
    payload = parse_compact(split_presentation(credential).issuer_jwt, Malformed).payload
    return credential, _path(payload["status"]["status_list"]["uri"])


def _approved_offer(reply: Reply) -> tuple[CredentialOffer, str | None]:
    body = json_object(reply)
    offer = parse_offer_uri(body["offer"]["offer_uri"], allow_insecure_loopback=True)
    if body.get("state") != "approved" or not isinstance(offer, CredentialOffer):
        raise FlowFailed("approval did not carry a credential offer")
    tx_code = body["offer"]["tx_code"]
    return offer, tx_code if isinstance(tx_code, str) else None


def issue_permit(
    send: Send,
    endpoints: Endpoints,
    officer: OfficerSession,
    *,
    serial: int,
    holder: ec.EllipticCurvePrivateKey,
) -> Issued:
    """Application → approval (+ offer) → token → ``c_nonce`` → credential: five requests."""

    def receipt(reply: Reply) -> str:
        body = json_object(reply)
        if body.get("outcome") != "permit" or body.get("state") != "submitted":
            raise FlowFailed("the application was not accepted for a permit")
        return str(uuid.UUID(body["application_id"]))

    application_id = send(
        "POST",
        "/v1/applications",
        name="POST /v1/applications",
        parse=checked(receipt),
        expect=(201,),
        json_body=application_json(serial),
    )
    offer, tx_code = send(
        "POST",
        f"/v1/applications/{application_id}/approve",
        name="POST /v1/applications/[id]/approve",
        parse=checked(_approved_offer),
        json_body={"reason": "load test"},
        headers=officer.headers(),
    )
    token = send(
        "POST",
        endpoints.token,
        name="POST token (pre-authorized code + PIN)",
        parse=checked(lambda r: TokenResponse.from_json(r.body)),
        form=TokenRequest(offer.pre_authorized_code, tx_code=tx_code).to_form(),
    )
    c_nonce = send(
        "POST",
        endpoints.nonce,
        name="POST nonce",
        parse=checked(lambda r: NonceResponse.from_json(r.body).c_nonce),
    )
    proof = build_proof_jwt(
        holder_key=holder,
        audience=endpoints.credential_issuer,
        nonce=c_nonce,
        iat=int(time.time()),
    )
    credential, status_path = send(
        "POST",
        endpoints.credential,
        name="POST credential (holder key proof)",
        parse=checked(_credential),
        json_body=CredentialRequest((proof,)).to_json(),
        headers={"Authorization": f"Bearer {token.access_token}"},
    )
    return Issued(application_id, credential, status_path)


def active_permits(send: Send, officer: OfficerSession) -> list[str]:
    """Ids of a page of active permits of the officer's jurisdiction."""

    def ids(reply: Reply) -> list[str]:
        rows = json.loads(reply.body)
        return [str(uuid.UUID(row["id"])) for row in rows if row["state"] == "active"]

    return send(
        "GET",
        "/v1/permits?state=active&limit=50",
        name="GET /v1/permits?state=active",
        parse=checked(ids),
        headers=officer.headers(),
    )


def suspend_and_reinstate(send: Send, officer: OfficerSession, permit_id: str) -> None:
    """``active → suspended → active``: two status moves, each republishing the status list."""
    for action, state in (("suspend", "suspended"), ("reinstate", "active")):

        def moved(reply: Reply, state: str = state) -> None:
            if json_object(reply).get("state") != state:
                raise FlowFailed(f"the permit is not {state}")

        send(
            "POST",
            f"/v1/permits/{permit_id}/{action}",
            name=f"POST /v1/permits/[id]/{action}",
            parse=checked(moved),
            json_body={"reason": "load test"},
            headers=officer.headers(),
        )


def fetch_status_list(send: Send, path: str) -> None:
    """GET the list as a verifier does, then again with its ETag: 304, or 200 with a new
    token and ETag when a status move republished the list in between."""

    def token(reply: Reply, known: str | None = None) -> str:
        if reply.status == 304 and known is not None:
            return known
        parse_compact(reply.body.decode("ascii"), Malformed)
        if reply.etag is None or reply.etag == known:
            raise FlowFailed("the status list came back whole under an unchanged ETag")
        return reply.etag

    etag = send("GET", path, name="GET /status/[id]", parse=checked(token))
    send(
        "GET",
        path,
        name="GET /status/[id] (If-None-Match)",
        parse=checked(lambda reply: token(reply, etag)),
        expect=(304, 200),
        headers={"If-None-Match": etag},
    )


@dataclass(frozen=True, slots=True)
class Holding:
    """A credential in a wallet and the key it is bound to."""

    credential: str
    holder: ec.EllipticCurvePrivateKey

    def present(self, claims: tuple[str, ...]) -> str:
        """A fresh presentation: a new nonce and ``iat`` now, as a wallet makes each time."""
        return create_presentation(
            self.credential,
            claims,
            holder_key=self.holder,
            nonce=uuid.uuid4().hex,
            iat=int(time.time()),
        )

    def to_json(self) -> dict[str, str]:
        pem = self.holder.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return {"credential": self.credential, "holder_pem": pem.decode("ascii")}

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> Holding:
        key = serialization.load_pem_private_key(data["holder_pem"].encode("ascii"), None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError("holder keys are P-256")
        return cls(data["credential"], key)


def verify(
    send: Send, key: str, presentation: str, *, name: str, expect_reason: str | None = None
) -> None:
    """``POST /v1/verify``: valid with status ``valid``, or rejected for ``expect_reason``."""

    def result(reply: Reply) -> None:
        body = json_object(reply)
        if expect_reason is None and (body.get("valid") is not True or body["status"] != "valid"):
            raise FlowFailed(f"not valid: {body.get('reason')}")
        if expect_reason is not None and body.get("reason") != expect_reason:
            raise FlowFailed(f"expected {expect_reason}, got {body.get('reason')}")

    send(
        "POST",
        "/v1/verify",
        name=name,
        parse=checked(result),
        json_body={"presentation": presentation},
        headers={"Authorization": f"Bearer {key}"},
    )
