"""Token, Nonce and Credential Endpoint messages (OpenID4VCI 1.0 §6, §7, §8).

Server-side parsers (``TokenRequest.from_form``, ``CredentialRequest.from_json``) raise the
OAuth error the endpoint must answer with; client-side parsers (``TokenResponse.from_json``,
``NonceResponse.from_json``, ``CredentialResponse.from_json``) raise
:class:`~wire.oid4vci.InvalidIssuerResponse`. Unknown parameters are ignored, as §6.1, §8.2 and
§8.3 require, except the pre-1.0 ``proof`` and ``format`` forms, which are refused with a
message that says what to send instead: silently ignoring them would turn a version mismatch
into a confusing "proofs missing".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from wire.oid4vci._base import (
    CONFIGURATION_ID,
    JWT_PROOF_TYPE,
    MAX_PARAM_CHARS,
    MAX_PROOF_CHARS,
    PRE_AUTH_GRANT,
    InvalidCredentialRequest,
    InvalidEncryptionParameters,
    InvalidIssuerResponse,
    InvalidProof,
    InvalidRequest,
    UnknownCredentialConfiguration,
    UnknownCredentialIdentifier,
    UnsupportedGrantType,
    is_int,
    is_text,
    load_message,
)

__all__ = [
    "CredentialRequest",
    "CredentialResponse",
    "NonceResponse",
    "TokenRequest",
    "TokenResponse",
]

_TOKEN_PARAMS: Final = ("grant_type", "pre-authorized_code", "tx_code", "client_id")
MAX_TX_CODE_CHARS: Final = 64


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """Token Request of the Pre-Authorized Code Flow (OpenID4VCI 1.0 §6.1).

    Sent as ``application/x-www-form-urlencoded``. ``client_id`` is absent for anonymous
    access (``pre-authorized_grant_anonymous_access_supported``, §12.3). Whether ``tx_code`` is
    right is for the issuer's store to decide; whether it is *present* as the offer demanded is
    :meth:`check_tx_code_presence`.
    """

    pre_authorized_code: str
    tx_code: str | None = None
    client_id: str | None = None

    def __post_init__(self) -> None:
        if not is_text(self.pre_authorized_code):
            raise ValueError("pre-authorized_code must be 1 to 1024 characters")
        if self.tx_code is not None and not is_text(self.tx_code, MAX_TX_CODE_CHARS):
            raise ValueError("tx_code must be 1 to 64 characters")
        if self.client_id is not None and not is_text(self.client_id):
            raise ValueError("client_id must be 1 to 1024 characters")

    def to_form(self) -> dict[str, str]:
        """Form fields for the wallet's POST to the token endpoint."""
        form = {"grant_type": PRE_AUTH_GRANT, "pre-authorized_code": self.pre_authorized_code}
        if self.tx_code is not None:
            form["tx_code"] = self.tx_code
        if self.client_id is not None:
            form["client_id"] = self.client_id
        return form

    @classmethod
    def from_form(cls, fields: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> TokenRequest:
        """Parse form fields: a mapping, or ``(name, value)`` pairs so that repeats are caught
        (with Starlette, pass ``form.multi_items()``; ``FormData.items()`` hides repeats).

        RFC 6749 §3.1: a parameter sent without a value is treated as omitted, and none may be
        sent twice (``invalid_request``). A grant type other than the pre-authorized code is
        ``unsupported_grant_type`` (RFC 6749 §5.2).
        """
        pairs = list(fields.items()) if isinstance(fields, Mapping) else list(fields)
        values: dict[str, str] = {}
        for name, value in pairs:
            if name not in _TOKEN_PARAMS:
                continue  # §6.1: unrecognised parameters are ignored
            if name in values:
                raise InvalidRequest("a token request parameter is repeated")
            if not isinstance(value, str):
                raise InvalidRequest("token request parameters must be text")
            if value:
                values[name] = value
        grant_type = values.get("grant_type")
        if grant_type is None:
            raise InvalidRequest("grant_type is missing")
        if grant_type != PRE_AUTH_GRANT:
            raise UnsupportedGrantType()
        code = values.get("pre-authorized_code")
        if code is None:
            raise InvalidRequest("pre-authorized_code is missing")
        if len(code) > MAX_PARAM_CHARS:
            raise InvalidRequest("pre-authorized_code is too long")
        tx_code = values.get("tx_code")
        if tx_code is not None and len(tx_code) > MAX_TX_CODE_CHARS:
            raise InvalidRequest("tx_code is too long")
        client_id = values.get("client_id")
        if client_id is not None and len(client_id) > MAX_PARAM_CHARS:
            raise InvalidRequest("client_id is too long")
        return cls(pre_authorized_code=code, tx_code=tx_code, client_id=client_id)

    def check_tx_code_presence(self, *, required: bool) -> None:
        """``invalid_request`` if ``tx_code`` is sent but not expected, or expected but missing.

        OpenID4VCI 1.0 §6.3. A wrong value is ``invalid_grant``, decided by the issuer's store.
        """
        if required and self.tx_code is None:
            raise InvalidRequest("tx_code is required for this offer")
        if not required and self.tx_code is not None:
            raise InvalidRequest("this offer does not use a tx_code")


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """Successful Token Response (RFC 6749 §5.1, OpenID4VCI 1.0 §6.2); served ``no-store``.

    OpenID4VCI 1.0 no longer returns ``c_nonce`` here: the wallet asks the Nonce Endpoint.
    """

    access_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the RFC 6750 token type name, not a secret

    def __post_init__(self) -> None:
        if not is_text(self.access_token):
            raise ValueError("access_token must be 1 to 1024 characters")
        if not is_int(self.expires_in) or self.expires_in <= 0:
            raise ValueError("expires_in must be a positive integer")
        if self.token_type.lower() != "bearer":
            raise ValueError("only Bearer tokens are supported")

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
        }

    @classmethod
    def from_json(cls, data: bytes | str | Mapping[str, Any]) -> TokenResponse:
        """Wallet side. ``token_type`` compares case-insensitively (RFC 6749 §7.1); DPoP-bound
        tokens are not supported; unknown members, e.g. ``authorization_details``, are ignored."""
        obj = load_message(data, InvalidIssuerResponse, "token response")
        token, token_type, expires_in = (
            obj.get("access_token"),
            obj.get("token_type"),
            obj.get("expires_in"),
        )
        if not is_text(token):
            raise InvalidIssuerResponse("access_token is missing or too long")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise InvalidIssuerResponse("token_type must be Bearer")
        if not is_int(expires_in) or expires_in <= 0:
            raise InvalidIssuerResponse("expires_in must be a positive integer")
        return cls(access_token=token, expires_in=expires_in, token_type=token_type)


@dataclass(frozen=True, slots=True)
class NonceResponse:
    """Nonce Response (OpenID4VCI 1.0 §7.2), answer to an unauthenticated ``POST`` to the
    Nonce Endpoint; served with ``Cache-Control: no-store``."""

    c_nonce: str

    def __post_init__(self) -> None:
        if not is_text(self.c_nonce, 256):
            raise ValueError("c_nonce must be 1 to 256 characters")

    def to_json(self) -> dict[str, Any]:
        return {"c_nonce": self.c_nonce}

    @classmethod
    def from_json(cls, data: bytes | str | Mapping[str, Any]) -> NonceResponse:
        obj = load_message(data, InvalidIssuerResponse, "nonce response")
        nonce = obj.get("c_nonce")
        if not is_text(nonce, 256):
            raise InvalidIssuerResponse("c_nonce must be a string of 1 to 256 characters")
        return cls(nonce)


@dataclass(frozen=True, slots=True)
class CredentialRequest:
    """Credential Request of OpenID4VCI 1.0 §8.2 with ``jwt`` key proofs (Appendix F.1).

    One proof per credential wanted: a batch of N proofs for N holder keys yields N copies of
    the permit, each bound to its own key, so presentations at different verifiers cannot be
    linked through ``cnf`` (§3.3.2 "Batch Credential Issuance").
    """

    proofs: tuple[str, ...]
    credential_configuration_id: str = CONFIGURATION_ID

    def __post_init__(self) -> None:
        if not isinstance(self.proofs, tuple) or not self.proofs:
            raise ValueError("proofs must be a non-empty tuple")
        if not all(is_text(p, MAX_PROOF_CHARS) for p in self.proofs):
            raise ValueError("each proof must be a JWT string")
        if not is_text(self.credential_configuration_id, 256):
            raise ValueError("credential_configuration_id must be 1 to 256 characters")

    def to_json(self) -> dict[str, Any]:
        return {
            "credential_configuration_id": self.credential_configuration_id,
            "proofs": {JWT_PROOF_TYPE: list(self.proofs)},
        }

    @classmethod
    def from_json(
        cls,
        data: bytes | str | Mapping[str, Any],
        *,
        batch_size: int,
        configuration_ids: Collection[str] = (CONFIGURATION_ID,),
    ) -> CredentialRequest:
        """Parse a Credential Request body, raising the §8.3.1.2 error it deserves.

        ``batch_size`` is the most proofs accepted (the metadata's ``batch_size``, or 1 without
        batch issuance). Only the shape is checked here; each proof is then verified with
        :func:`~wire.oid4vci.verify_proofs`.
        """
        if not is_int(batch_size) or batch_size < 1:
            raise ValueError("batch_size must be a positive integer")
        obj = load_message(data, InvalidCredentialRequest, "credential request")
        if "format" in obj:
            raise InvalidCredentialRequest(
                "format-based requests of pre-1.0 drafts are not supported; "
                "send credential_configuration_id"
            )
        if "proof" in obj:
            raise InvalidCredentialRequest(
                "the single proof parameter of pre-1.0 drafts is not supported; "
                "send proofs with a jwt array"
            )
        if "credential_response_encryption" in obj:
            raise InvalidEncryptionParameters()
        config_id = obj.get("credential_configuration_id")
        if "credential_identifier" in obj:
            if config_id is not None:
                raise InvalidCredentialRequest(
                    "credential_identifier and credential_configuration_id are exclusive"
                )
            raise UnknownCredentialIdentifier()  # this issuer never hands out identifiers
        if not is_text(config_id, 256):
            raise InvalidCredentialRequest("credential_configuration_id is missing")
        if config_id not in configuration_ids:
            raise UnknownCredentialConfiguration()
        return cls(
            proofs=_parse_proofs(obj.get("proofs"), batch_size),
            credential_configuration_id=config_id,
        )


def _parse_proofs(proofs: object, batch_size: int) -> tuple[str, ...]:
    if proofs is None:
        raise InvalidProof("proofs is missing")
    if not isinstance(proofs, dict) or len(proofs) != 1:
        raise InvalidProof("proofs must be an object with exactly one proof type")
    if JWT_PROOF_TYPE not in proofs:
        raise InvalidProof("only the jwt proof type is supported")
    jwts = proofs[JWT_PROOF_TYPE]
    if not isinstance(jwts, list) or not jwts:
        raise InvalidProof("proofs.jwt must be a non-empty array")
    if len(jwts) > batch_size:
        raise InvalidProof("proofs.jwt holds more proofs than batch_size allows")
    if not all(is_text(jwt, MAX_PROOF_CHARS) for jwt in jwts):
        raise InvalidProof("each proof must be a JWT string")
    if len(set(jwts)) != len(jwts):
        raise InvalidProof("the same proof is sent twice")
    return tuple(jwts)


@dataclass(frozen=True, slots=True)
class CredentialResponse:
    """Immediate Credential Response (OpenID4VCI 1.0 §8.3): one SD-JWT VC per accepted proof,
    each a string that is not re-encoded (Appendix A.3.4). Served ``no-store``."""

    credentials: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.credentials, tuple) or not self.credentials:
            raise ValueError("credentials must be a non-empty tuple")
        if not all(isinstance(c, str) and c for c in self.credentials):
            raise ValueError("each credential must be a non-empty string")

    def to_json(self) -> dict[str, Any]:
        return {"credentials": [{"credential": c} for c in self.credentials]}

    @classmethod
    def from_json(
        cls, data: bytes | str | Mapping[str, Any], *, max_credentials: int | None = None
    ) -> CredentialResponse:
        """Wallet side. Deferred issuance (``transaction_id``) is not supported; more
        credentials than proofs sent (``max_credentials``) is refused (§8.3)."""
        obj = load_message(data, InvalidIssuerResponse, "credential response")
        if "transaction_id" in obj:
            raise InvalidIssuerResponse("deferred issuance is not supported")
        items = obj.get("credentials")
        if not isinstance(items, list) or not items:
            raise InvalidIssuerResponse("credentials must be a non-empty array")
        if max_credentials is not None and len(items) > max_credentials:
            raise InvalidIssuerResponse("more credentials than proofs were returned")
        out: list[str] = []
        for item in items:
            credential = item.get("credential") if isinstance(item, dict) else None
            if not isinstance(credential, str) or not credential:
                raise InvalidIssuerResponse("each credentials entry needs a credential string")
            out.append(credential)
        return cls(tuple(out))
