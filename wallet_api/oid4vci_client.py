"""The wallet's OpenID4VCI 1.0 client (Pre-Authorized Code Flow), over :class:`Outbound`.

Every message is built and parsed by :mod:`wire.oid4vci`, the same code the issuer runs; this
module only moves bytes: discovery (§12.2, §12.3 and the SD-JWT VC JWT VC Issuer Metadata for
the issuer's public keys), token (§6), nonce (§7) and credential (§8) requests. An
``invalid_nonce`` answer is retried once with a fresh ``c_nonce`` (§8.3.1.2).

The paper-permit request (DESIGN §3: a credential without ``cnf``) is this project's extension,
specified in docs/wallet.md: the issuer metadata names a ``paper_credential_endpoint``, and the
wallet POSTs a presentation of one of its bound copies, KB-JWT ``aud`` = the Credential Issuer
Identifier and ``nonce`` = a fresh ``c_nonce``, answered in the Credential Response shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from wallet_api.errors import IssuerRefused, IssuerUnavailable
from wallet_api.outbound import Outbound, Reply, UrlRefused
from wire.encoding import loads_object
from wire.errors import Malformed
from wire.jwk import PrivateKey
from wire.oid4vci import (
    AS_METADATA_SUFFIX,
    CREDENTIAL_ISSUER_SUFFIX,
    ERROR_CLASSES,
    JWT_VC_ISSUER_SUFFIX,
    AuthorizationServerMetadata,
    CredentialOffer,
    CredentialRequest,
    CredentialResponse,
    InvalidIssuerResponse,
    IssuerMetadata,
    NonceResponse,
    TokenRequest,
    TokenResponse,
    build_proof_jwt,
    well_known_url,
)

__all__ = ["PAPER_ENDPOINT_MEMBER", "Discovery", "IssuerClient"]

#: Issuer-metadata member naming the paper-credential endpoint (our extension, docs/wallet.md).
PAPER_ENDPOINT_MEMBER: Final = "paper_credential_endpoint"
_JSON: Final = {"Accept": "application/json"}
_MESSAGES: Final = {
    "invalid_grant": "the offer was not accepted: wrong PIN, expired or already used",
    "invalid_request": "the issuer refused the request (is a PIN required for this offer?)",
    "credential_request_denied": "the issuer refused to issue the credential",
    "invalid_proof": "the issuer refused the wallet's key proof",
    "invalid_nonce": "the issuer refused the wallet's key proof nonce",
    "invalid_token": "the issuer refused the access token",
}


@dataclass(frozen=True, slots=True)
class Discovery:
    """What the wallet learned about one Credential Issuer."""

    metadata: IssuerMetadata
    authorization: AuthorizationServerMetadata
    #: The issuer's public signing keys (JWT VC Issuer Metadata ``jwks``).
    jwks: dict[str, Any]
    paper_endpoint: str | None


def _object(reply: Reply, what: str) -> dict[str, Any]:
    if reply.media_type != "application/json":
        raise InvalidIssuerResponse(f"{what} is not application/json")
    try:
        return loads_object(reply.body, Malformed, max_depth=12)
    except Malformed:
        raise InvalidIssuerResponse(f"{what} is not a strict JSON object") from None


class IssuerClient:
    """One client per request; stateless apart from the injected :class:`Outbound`."""

    def __init__(self, outbound: Outbound, *, allow_insecure_loopback: bool) -> None:
        self._outbound = outbound
        self._loopback = allow_insecure_loopback

    def _send(self, method: str, url: str, what: str, **kwargs: Any) -> dict[str, Any]:
        try:
            reply = self._outbound.request(method, url, **kwargs)
        except UrlRefused:
            raise IssuerUnavailable("the issuer names a URL the wallet may not contact") from None
        except Outbound.Unreachable:
            raise IssuerUnavailable() from None
        if reply.status == 200:
            return _object(reply, what)
        if 400 <= reply.status < 500 and reply.media_type == "application/json":
            try:
                body = loads_object(reply.body, Malformed, max_depth=4)
            except Malformed:
                body = {}
            error = body.get("error")
            if isinstance(error, str) and error in ERROR_CLASSES:
                message = _MESSAGES.get(error, IssuerRefused.default_message)
                raise IssuerRefused(message, issuer_error=error)
        raise IssuerUnavailable()

    def discover(self, credential_issuer: str) -> Discovery:
        """Credential Issuer Metadata, its Authorization Server's metadata and its keys."""
        url = well_known_url(credential_issuer, CREDENTIAL_ISSUER_SUFFIX)
        raw = self._send("GET", url, "credential issuer metadata", headers=_JSON)
        metadata = IssuerMetadata.from_json(
            raw, credential_issuer=credential_issuer, allow_insecure_loopback=self._loopback
        )
        server = metadata.authorization_server
        as_raw = self._send(
            "GET", well_known_url(server, AS_METADATA_SUFFIX), "AS metadata", headers=_JSON
        )
        authorization = AuthorizationServerMetadata.from_json(
            as_raw, issuer=server, allow_insecure_loopback=self._loopback
        )
        vc_raw = self._send(
            "GET",
            well_known_url(credential_issuer, JWT_VC_ISSUER_SUFFIX),
            "JWT VC issuer metadata",
            headers=_JSON,
        )
        jwks = vc_raw.get("jwks")
        if vc_raw.get("issuer") != credential_issuer or not isinstance(jwks, dict):
            raise InvalidIssuerResponse("JWT VC issuer metadata does not match the issuer")
        paper = raw.get(PAPER_ENDPOINT_MEMBER)
        if paper is not None:
            try:
                paper = self._outbound.check_url(paper)
            except UrlRefused:
                raise InvalidIssuerResponse("paper_credential_endpoint is not allowed") from None
        return Discovery(metadata, authorization, jwks, paper)

    def token(
        self, discovery: Discovery, offer: CredentialOffer, tx_code: str | None
    ) -> TokenResponse:
        """Redeem the pre-authorized code (and the PIN when the offer asks for one)."""
        request = TokenRequest(offer.pre_authorized_code, tx_code=tx_code)
        body = self._send(
            "POST", discovery.authorization.token_endpoint, "token response", data=request.to_form()
        )
        return TokenResponse.from_json(body)

    def nonce(self, discovery: Discovery) -> str:
        endpoint = discovery.metadata.nonce_endpoint
        if endpoint is None:
            raise InvalidIssuerResponse("the issuer has no nonce endpoint")
        return NonceResponse.from_json(self._send("POST", endpoint, "nonce response")).c_nonce

    def credentials(
        self,
        discovery: Discovery,
        access_token: str,
        keys: Sequence[PrivateKey],
        *,
        now: int,
    ) -> tuple[str, ...]:
        """One credential per holder key (§8.2, batch), each proof signed by its own key."""
        retried = False
        while True:
            nonce = self.nonce(discovery)
            proofs = tuple(
                build_proof_jwt(
                    holder_key=key,
                    audience=discovery.metadata.credential_issuer,
                    nonce=nonce,
                    iat=now,
                )
                for key in keys
            )
            request = CredentialRequest(proofs)
            try:
                body = self._send(
                    "POST",
                    discovery.metadata.credential_endpoint,
                    "credential response",
                    headers={**_JSON, "Authorization": f"Bearer {access_token}"},
                    json_body=request.to_json(),
                )
            except IssuerRefused as refused:
                if refused.issuer_error == "invalid_nonce" and not retried:
                    retried = True
                    continue
                raise
            return CredentialResponse.from_json(body, max_credentials=len(keys)).credentials

    def paper_credential(self, discovery: Discovery, present: Callable[[str], str]) -> str:
        """A paper credential (no ``cnf``): ``present(c_nonce)`` returns the proof presentation."""
        endpoint = discovery.paper_endpoint
        if endpoint is None:
            raise InvalidIssuerResponse("the issuer does not offer paper credentials")
        body = self._send(
            "POST",
            endpoint,
            "paper credential response",
            headers=_JSON,
            json_body={"presentation": present(self.nonce(discovery))},
        )
        return CredentialResponse.from_json(body, max_credentials=1).credentials[0]
