"""OpenID4VCI 1.0 §12 metadata: credential issuer, authorization server and JWT VC issuer
metadata as the issuer publishes and the wallet reads them, and the well-known URLs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import wire.oid4vci as oid4vci
from tests.wire.oid4vci_helpers import EC_KEY, ISSUER
from wire.credential import ADDRESS_CLAIMS, CLAIM_NAMES, VCT
from wire.encoding import json_dumps
from wire.jwk import public_jwk, thumbprint
from wire.oid4vci import (
    CONFIGURATION_ID,
    PRE_AUTH_GRANT,
    AuthorizationServerMetadata,
    InvalidIssuerResponse,
    IssuerMetadata,
    authorization_server_metadata,
    issuer_metadata,
    jwt_vc_issuer_metadata,
    well_known_url,
)


def _issuer_metadata(**changes: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "credential_issuer": ISSUER,
        "credential_endpoint": f"{ISSUER}/credential",
        "nonce_endpoint": f"{ISSUER}/nonce",
    }
    options.update(changes)
    return issuer_metadata(**options)


def test_issuer_metadata_has_the_required_members() -> None:
    metadata = _issuer_metadata(display=[{"name": "上海市公安局", "locale": "zh-CN"}])
    assert metadata["credential_issuer"] == ISSUER
    assert metadata["credential_endpoint"] == f"{ISSUER}/credential"
    assert metadata["nonce_endpoint"] == f"{ISSUER}/nonce"
    assert metadata["batch_credential_issuance"] == {"batch_size": oid4vci.DEFAULT_BATCH_SIZE}
    assert metadata["display"] == [{"name": "上海市公安局", "locale": "zh-CN"}]
    config = metadata["credential_configurations_supported"][CONFIGURATION_ID]
    assert config["format"] == "dc+sd-jwt"
    assert config["vct"] == VCT
    assert config["cryptographic_binding_methods_supported"] == ["jwk"]
    assert config["credential_signing_alg_values_supported"] == ["ES256"]
    assert config["proof_types_supported"] == {
        "jwt": {"proof_signing_alg_values_supported": ["ES256", "EdDSA"]}
    }
    display = config["credential_metadata"]["display"]
    assert {d["locale"] for d in display} == {"zh-CN", "en"}
    assert all(d["name"] for d in display)
    json_dumps(metadata)  # serialisable as it stands


def test_issuer_metadata_claims_follow_the_credential() -> None:
    config = _issuer_metadata()["credential_configurations_supported"][CONFIGURATION_ID]
    paths = [c["path"] for c in config["credential_metadata"]["claims"]]
    assert [p[0] for p in paths if len(p) == 1] == list(CLAIM_NAMES)
    assert [p[1] for p in paths if len(p) == 2] == list(ADDRESS_CLAIMS)
    for claim in config["credential_metadata"]["claims"]:
        assert claim["mandatory"] is True
        assert {d["locale"] for d in claim["display"]} == {"zh-CN", "en"}


def test_batch_issuance_is_omitted_below_two() -> None:
    assert "batch_credential_issuance" not in _issuer_metadata(batch_size=1)
    assert _issuer_metadata(batch_size=2)["batch_credential_issuance"] == {"batch_size": 2}


@pytest.mark.parametrize(
    "changes",
    [
        {"credential_issuer": "http://issuer.example"},
        {"credential_issuer": f"{ISSUER}?tenant=1"},
        {"nonce_endpoint": "ftp://issuer.example/nonce"},
        {"batch_size": 0},
        {"credential_signing_algs": ["none"]},
        {"proof_signing_algs": []},
        {"proof_signing_algs": ["ES256", "ES256"]},
        {"display": [{"name": "a", "locale": "en"}, {"name": "b", "locale": "en"}]},
    ],
)
def test_issuer_metadata_refuses_bad_configuration(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        _issuer_metadata(**changes)


def test_wallet_reads_issuer_metadata() -> None:
    parsed = IssuerMetadata.from_json(json_dumps(_issuer_metadata()), credential_issuer=ISSUER)
    assert parsed == IssuerMetadata(
        credential_issuer=ISSUER,
        credential_endpoint=f"{ISSUER}/credential",
        nonce_endpoint=f"{ISSUER}/nonce",
        batch_size=oid4vci.DEFAULT_BATCH_SIZE,
        proof_signing_algs=("ES256", "EdDSA"),
    )
    assert parsed.authorization_server == ISSUER
    single = IssuerMetadata.from_json(_issuer_metadata(batch_size=1), credential_issuer=ISSUER)
    assert single.batch_size == 1


def _tampered_metadata(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    metadata = _issuer_metadata()
    change(metadata)
    return metadata


def _config(metadata: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = metadata["credential_configurations_supported"][CONFIGURATION_ID]
    return config


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.update(credential_issuer=ISSUER + "/"),
        lambda m: m.update(credential_endpoint="http://issuer.example/credential"),
        lambda m: m.pop("credential_endpoint"),
        lambda m: m.update(batch_credential_issuance={"batch_size": 1}),
        lambda m: m.update(authorization_servers=[]),
        lambda m: m.update(credential_configurations_supported={}),
        lambda m: _config(m).update(format="mso_mdoc"),
        lambda m: _config(m).update(vct="urn:other"),
        lambda m: _config(m).update(cryptographic_binding_methods_supported=["cose_key"]),
        lambda m: _config(m).update(proof_types_supported={"attestation": {}}),
        lambda m: _config(m)["proof_types_supported"]["jwt"].update(
            proof_signing_alg_values_supported=[]
        ),
    ],
)
def test_wallet_refuses_unusable_issuer_metadata(change: Callable[[dict[str, Any]], None]) -> None:
    with pytest.raises(InvalidIssuerResponse):
        IssuerMetadata.from_json(_tampered_metadata(change), credential_issuer=ISSUER)


def test_authorization_server_metadata_round_trip() -> None:
    metadata = authorization_server_metadata(issuer=ISSUER, token_endpoint=f"{ISSUER}/token")
    assert metadata == {
        "issuer": ISSUER,
        "token_endpoint": f"{ISSUER}/token",
        "grant_types_supported": [PRE_AUTH_GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
        "token_endpoint_auth_methods_supported": ["none"],
    }
    parsed = AuthorizationServerMetadata.from_json(json_dumps(metadata), issuer=ISSUER)
    assert parsed == AuthorizationServerMetadata(ISSUER, f"{ISSUER}/token", anonymous_access=True)
    with pytest.raises(InvalidIssuerResponse, match="issuer"):
        AuthorizationServerMetadata.from_json(metadata, issuer="https://other.example")
    no_grant = dict(metadata, grant_types_supported=["authorization_code"])
    with pytest.raises(InvalidIssuerResponse, match="pre-authorized"):
        AuthorizationServerMetadata.from_json(no_grant, issuer=ISSUER)
    minimal = {"issuer": ISSUER, "token_endpoint": f"{ISSUER}/token"}
    assert not AuthorizationServerMetadata.from_json(minimal, issuer=ISSUER).anonymous_access
    closed = authorization_server_metadata(
        issuer=ISSUER, token_endpoint=f"{ISSUER}/token", anonymous_access=False
    )
    assert "token_endpoint_auth_methods_supported" not in closed


def test_jwt_vc_issuer_metadata() -> None:
    key = dict(public_jwk(EC_KEY), kid=thumbprint(public_jwk(EC_KEY)))
    assert jwt_vc_issuer_metadata(ISSUER, {"keys": [key]}) == {
        "issuer": ISSUER,
        "jwks": {"keys": [key]},
    }
    bad: list[dict[str, Any]] = [
        {"keys": []},
        {"keys": [dict(key, d="AAAA")]},
        {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AA"}]},
        {},
    ]
    for jwks in bad:
        with pytest.raises(ValueError):
            jwt_vc_issuer_metadata(ISSUER, jwks)


@pytest.mark.parametrize(
    ("identifier", "suffix", "url"),
    [
        # OpenID4VCI 1.0 §12.2.2 examples.
        (
            "https://issuer.example.com/tenant",
            oid4vci.CREDENTIAL_ISSUER_SUFFIX,
            "https://issuer.example.com/.well-known/openid-credential-issuer/tenant",
        ),
        (
            "https://tenant.issuer.example.com",
            oid4vci.CREDENTIAL_ISSUER_SUFFIX,
            "https://tenant.issuer.example.com/.well-known/openid-credential-issuer",
        ),
        # SD-JWT VC, JWT VC Issuer Metadata Request example; a terminating "/" is removed.
        (
            "https://example.com/tenant/1234/",
            oid4vci.JWT_VC_ISSUER_SUFFIX,
            "https://example.com/.well-known/jwt-vc-issuer/tenant/1234",
        ),
        (
            "http://127.0.0.1:8000/",
            oid4vci.AS_METADATA_SUFFIX,
            "http://127.0.0.1:8000/.well-known/oauth-authorization-server",
        ),
    ],
)
def test_well_known_urls(identifier: str, suffix: str, url: str) -> None:
    assert well_known_url(identifier, suffix) == url
