"""Discovery documents: Credential Issuer, OAuth Authorization Server and JWT VC Issuer metadata.

Builders serve the issuer (OpenID4VCI 1.0 §12.2, §12.3; RFC 8414; draft-ietf-oauth-sd-jwt-vc
"JWT VC Issuer Metadata"); the parsers serve the wallet, which must refuse a document whose
identifier differs from the one it asked for (OpenID4VCI §12.2.4, RFC 8414 §3.3).
The issuer is its own Authorization Server, so ``authorization_servers`` is omitted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from wire.credential import VCT
from wire.errors import Malformed
from wire.jwk import load_public_jwk
from wire.jws import ALGORITHMS
from wire.oid4vci._base import (
    CONFIGURATION_ID,
    FORMAT,
    JWT_PROOF_TYPE,
    PRE_AUTH_GRANT,
    PRIVATE_JWK_MEMBERS,
    InvalidIssuerResponse,
    check_url,
    is_int,
    load_message,
)

__all__ = [
    "AS_METADATA_SUFFIX",
    "CREDENTIAL_ISSUER_SUFFIX",
    "DEFAULT_BATCH_SIZE",
    "JWT_VC_ISSUER_SUFFIX",
    "AuthorizationServerMetadata",
    "IssuerMetadata",
    "authorization_server_metadata",
    "credential_configuration",
    "issuer_metadata",
    "jwt_vc_issuer_metadata",
    "well_known_url",
]

#: Well-known URI suffixes (OpenID4VCI 1.0 §12.2.2, RFC 8414 §3, SD-JWT VC).
CREDENTIAL_ISSUER_SUFFIX: Final = "openid-credential-issuer"
AS_METADATA_SUFFIX: Final = "oauth-authorization-server"
JWT_VC_ISSUER_SUFFIX: Final = "jwt-vc-issuer"
#: Copies per Credential Request: enough for one unlinkable copy per kind of verifier.
DEFAULT_BATCH_SIZE: Final = 5

_CREDENTIAL_DISPLAY: Final = (
    {
        "name": "居住证",
        "locale": "zh-CN",
        "description": "电子居住证",
        "background_color": "#12355b",
        "text_color": "#ffffff",
    },
    {
        "name": "Residence Permit",
        "locale": "en",
        "description": "Electronic residence permit (juzhuzheng)",
        "background_color": "#12355b",
        "text_color": "#ffffff",
    },
)
#: Display names per claim path, (zh-CN, en), in DESIGN §2 order.
_CLAIM_LABELS: Final[tuple[tuple[tuple[str, ...], str, str], ...]] = (
    (("permit_no",), "居住证号码", "Permit number"),
    (("name",), "姓名", "Name"),
    (("sex",), "性别", "Sex"),
    (("birth_date",), "出生日期", "Date of birth"),
    (("id_number",), "公民身份号码", "Citizen ID number"),
    (("hukou_address",), "常住户口所在地", "Registered household (hukou) address"),
    (("residence_address",), "居住地住址", "Residence address"),
    (("residence_address", "region_code"), "行政区划代码", "Administrative region code"),
    (("residence_address", "district"), "区县", "District"),
    (("residence_address", "street"), "街道地址", "Street address"),
    (("permit_class",), "居住证类别", "Permit class"),
    (("issuing_authority",), "签发机关", "Issuing authority"),
    (("first_issued",), "首次签发日期", "First issued"),
    (("endorsed_until",), "签注有效期至", "Endorsed until"),
    (("age_over_18",), "年满18周岁", "Aged 18 or over"),
    (("age_over_60",), "年满60周岁", "Aged 60 or over"),
)


def well_known_url(identifier: str, suffix: str) -> str:
    """Insert ``/.well-known/<suffix>`` between host and path (OpenID4VCI §12.2.2, RFC 8414 §3.1).

    ``https://permits.sh.example/issuer`` → ``https://permits.sh.example/.well-known/
    openid-credential-issuer/issuer``. A terminating ``/`` of the path is removed first.
    """
    parts = urlsplit(identifier)
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, f"/.well-known/{suffix}{path}", "", ""))


def _algs(values: Sequence[str], what: str) -> list[str]:
    algs = list(values)
    if not algs or len(set(algs)) != len(algs) or not set(algs) <= ALGORITHMS:
        raise ValueError(f"{what} must be distinct values out of ES256 and EdDSA")
    return algs


def credential_configuration(
    *, credential_signing_algs: Sequence[str], proof_signing_algs: Sequence[str]
) -> dict[str, Any]:
    """The permit's entry in ``credential_configurations_supported`` (§12.2.4, Appendix A.3.2).

    Every claim is ``mandatory`` because the issuer always includes it (DESIGN §2); the
    ``claims`` array fixes the order wallets display them in (Appendix B.2, B.3).
    """
    return {
        "format": FORMAT,
        "vct": VCT,
        "cryptographic_binding_methods_supported": ["jwk"],
        "credential_signing_alg_values_supported": _algs(
            credential_signing_algs, "credential_signing_algs"
        ),
        "proof_types_supported": {
            JWT_PROOF_TYPE: {
                "proof_signing_alg_values_supported": _algs(
                    proof_signing_algs, "proof_signing_algs"
                )
            }
        },
        "credential_metadata": {
            "display": [dict(d) for d in _CREDENTIAL_DISPLAY],
            "claims": [
                {
                    "path": list(path),
                    "mandatory": True,
                    "display": [{"name": zh, "locale": "zh-CN"}, {"name": en, "locale": "en"}],
                }
                for path, zh, en in _CLAIM_LABELS
            ],
        },
    }


def issuer_metadata(
    *,
    credential_issuer: str,
    credential_endpoint: str,
    nonce_endpoint: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    credential_signing_algs: Sequence[str] = ("ES256",),
    proof_signing_algs: Sequence[str] = ("ES256", "EdDSA"),
    display: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Credential Issuer Metadata (OpenID4VCI 1.0 §12.2.4), served unsigned as JSON at
    :func:`well_known_url` ``(credential_issuer, CREDENTIAL_ISSUER_SUFFIX)``.

    ``nonce_endpoint`` is required: this issuer always demands a ``c_nonce`` in key proofs.
    ``batch_credential_issuance`` appears only for ``batch_size >= 2`` (the spec's minimum).
    ``display`` is the issuer's own display objects, e.g. ``{"name": "上海市公安局",
    "locale": "zh-CN"}``; ``ValueError`` on any bad argument (a configuration mistake).
    """
    for url, query in (
        (credential_issuer, False),
        (credential_endpoint, True),
        (nonce_endpoint, True),
    ):
        check_url(url, allow_insecure_loopback=True, query=query)
    if not is_int(batch_size) or batch_size < 1:
        raise ValueError("batch_size must be a positive integer")
    locales = [d.get("locale") for d in display]
    if len(set(locales)) != len(locales) or not all(
        isinstance(d.get("name"), str) for d in display
    ):
        raise ValueError("display needs a name per entry and one entry per locale")
    metadata: dict[str, Any] = {
        "credential_issuer": credential_issuer,
        "credential_endpoint": credential_endpoint,
        "nonce_endpoint": nonce_endpoint,
    }
    if batch_size >= 2:
        metadata["batch_credential_issuance"] = {"batch_size": batch_size}
    if display:
        metadata["display"] = [dict(d) for d in display]
    metadata["credential_configurations_supported"] = {
        CONFIGURATION_ID: credential_configuration(
            credential_signing_algs=credential_signing_algs,
            proof_signing_algs=proof_signing_algs,
        )
    }
    return metadata


def authorization_server_metadata(
    *, issuer: str, token_endpoint: str, anonymous_access: bool = True
) -> dict[str, Any]:
    """OAuth 2.0 Authorization Server Metadata (RFC 8414 §2, OpenID4VCI 1.0 §12.3).

    Only the Pre-Authorized Code grant is listed (the RFC 8414 default would claim
    ``authorization_code`` and ``implicit``). There is no authorization endpoint, so
    ``response_types_supported`` is omitted, as §12.2.4 allows. With anonymous access the
    wallet sends no ``client_id`` and does not authenticate (``none``).
    """
    check_url(issuer, allow_insecure_loopback=True)
    check_url(token_endpoint, allow_insecure_loopback=True, query=True)
    metadata: dict[str, Any] = {
        "issuer": issuer,
        "token_endpoint": token_endpoint,
        "grant_types_supported": [PRE_AUTH_GRANT],
        "pre-authorized_grant_anonymous_access_supported": anonymous_access,
    }
    if anonymous_access:
        metadata["token_endpoint_auth_methods_supported"] = ["none"]
    return metadata


def jwt_vc_issuer_metadata(issuer: str, jwks: Mapping[str, Any]) -> dict[str, Any]:
    """JWT VC Issuer Metadata (draft-ietf-oauth-sd-jwt-vc, "JWT VC Issuer Metadata").

    Served at :func:`well_known_url` ``(issuer, JWT_VC_ISSUER_SUFFIX)`` with ``jwks`` by value.
    Every key is validated as a public key; a private member anywhere is a ``ValueError``, so a
    mix-up of key files cannot publish a signing key. Verifiers of this project still trust
    keys only through the trust list (DESIGN §5); this document serves other SD-JWT VC tools.
    """
    check_url(issuer, allow_insecure_loopback=True)
    keys = jwks.get("keys")
    if not isinstance(keys, list) or not keys:
        raise ValueError("jwks must hold a non-empty keys array")
    for key in keys:
        if not isinstance(key, Mapping) or PRIVATE_JWK_MEMBERS & key.keys():
            raise ValueError("jwks must contain public keys only")
        try:
            load_public_jwk(dict(key), Malformed)
        except Malformed as exc:
            raise ValueError("jwks contains an invalid key") from exc
    return {"issuer": issuer, "jwks": {"keys": [dict(key) for key in keys]}}


# --- wallet side ------------------------------------------------------------------------------


def _url(obj: Mapping[str, Any], name: str, *, allow_insecure_loopback: bool) -> str:
    try:
        return check_url(obj.get(name), allow_insecure_loopback=allow_insecure_loopback, query=True)
    except ValueError as exc:
        raise InvalidIssuerResponse(f"{name} must be an https URL") from exc


def _alg_list(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidIssuerResponse(f"{what} must be a non-empty array of strings")
    return tuple(value)


@dataclass(frozen=True, slots=True)
class IssuerMetadata:
    """What a wallet needs from Credential Issuer Metadata (§12.2.4) for one configuration."""

    credential_issuer: str
    credential_endpoint: str
    nonce_endpoint: str | None
    batch_size: int
    proof_signing_algs: tuple[str, ...]
    authorization_servers: tuple[str, ...] = ()

    @property
    def authorization_server(self) -> str:
        """The AS to use: the first listed one, or the issuer itself when none is (§12.2.4)."""
        return (
            self.authorization_servers[0] if self.authorization_servers else self.credential_issuer
        )

    @classmethod
    def from_json(
        cls,
        data: bytes | str | Mapping[str, Any],
        *,
        credential_issuer: str,
        configuration_id: str = CONFIGURATION_ID,
        allow_insecure_loopback: bool = False,
    ) -> IssuerMetadata:
        """Parse unsigned metadata. ``credential_issuer`` must be identical to the identifier
        the document was fetched for (§12.2.4), and the configuration must be an SD-JWT VC of
        this project's ``vct`` with ``jwk`` binding and ``jwt`` proofs."""
        obj = load_message(data, InvalidIssuerResponse, "credential issuer metadata")
        if obj.get("credential_issuer") != credential_issuer:
            raise InvalidIssuerResponse("credential_issuer differs from the requested identifier")
        endpoint = _url(obj, "credential_endpoint", allow_insecure_loopback=allow_insecure_loopback)
        nonce_endpoint = None
        if "nonce_endpoint" in obj:
            nonce_endpoint = _url(
                obj, "nonce_endpoint", allow_insecure_loopback=allow_insecure_loopback
            )
        batch_size = 1
        if "batch_credential_issuance" in obj:
            batch = obj["batch_credential_issuance"]
            size = batch.get("batch_size") if isinstance(batch, dict) else None
            if not is_int(size) or size < 2:
                raise InvalidIssuerResponse("batch_size must be an integer of at least 2")
            batch_size = size
        servers: tuple[str, ...] = ()
        if "authorization_servers" in obj:
            listed = obj["authorization_servers"]
            if not isinstance(listed, list) or not listed:
                raise InvalidIssuerResponse("authorization_servers must be a non-empty array")
            try:
                servers = tuple(
                    check_url(s, allow_insecure_loopback=allow_insecure_loopback) for s in listed
                )
            except ValueError as exc:
                raise InvalidIssuerResponse("authorization_servers must be https URLs") from exc
        configs = obj.get("credential_configurations_supported")
        config = configs.get(configuration_id) if isinstance(configs, dict) else None
        if not isinstance(config, dict):
            raise InvalidIssuerResponse("the credential configuration is not offered")
        if config.get("format") != FORMAT or config.get("vct") != VCT:
            raise InvalidIssuerResponse("the configuration is not a residence permit SD-JWT VC")
        if "jwk" not in _alg_list(
            config.get("cryptographic_binding_methods_supported"), "binding methods"
        ):
            raise InvalidIssuerResponse("the configuration does not bind to a jwk")
        proof_types = config.get("proof_types_supported")
        jwt_type = proof_types.get(JWT_PROOF_TYPE) if isinstance(proof_types, dict) else None
        if not isinstance(jwt_type, dict):
            raise InvalidIssuerResponse("the configuration does not accept jwt proofs")
        algs = _alg_list(jwt_type.get("proof_signing_alg_values_supported"), "proof algorithms")
        return cls(
            credential_issuer=credential_issuer,
            credential_endpoint=endpoint,
            nonce_endpoint=nonce_endpoint,
            batch_size=batch_size,
            proof_signing_algs=algs,
            authorization_servers=servers,
        )


@dataclass(frozen=True, slots=True)
class AuthorizationServerMetadata:
    """What a wallet needs from RFC 8414 metadata for the Pre-Authorized Code Flow."""

    issuer: str
    token_endpoint: str
    anonymous_access: bool

    @classmethod
    def from_json(
        cls,
        data: bytes | str | Mapping[str, Any],
        *,
        issuer: str,
        allow_insecure_loopback: bool = False,
    ) -> AuthorizationServerMetadata:
        """``issuer`` must be identical to the one the document was fetched for (RFC 8414
        §3.3); a ``grant_types_supported`` that lacks the pre-authorized code is refused."""
        obj = load_message(data, InvalidIssuerResponse, "authorization server metadata")
        if obj.get("issuer") != issuer:
            raise InvalidIssuerResponse("issuer differs from the requested identifier")
        token_endpoint = _url(
            obj, "token_endpoint", allow_insecure_loopback=allow_insecure_loopback
        )
        grants = obj.get("grant_types_supported")
        if grants is not None and (not isinstance(grants, list) or PRE_AUTH_GRANT not in grants):
            raise InvalidIssuerResponse("the pre-authorized code grant is not supported")
        anonymous = obj.get("pre-authorized_grant_anonymous_access_supported", False)
        if not isinstance(anonymous, bool):
            raise InvalidIssuerResponse(
                "pre-authorized_grant_anonymous_access_supported must be a boolean"
            )
        return cls(issuer=issuer, token_endpoint=token_endpoint, anonymous_access=anonymous)
