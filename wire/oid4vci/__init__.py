"""OpenID for Verifiable Credential Issuance 1.0 (final), Pre-Authorized Code Flow, as pure code.

Shared by the issuer (server side) and the wallet (client side); no I/O and no web framework,
so both ends of every message are built and parsed by the same code and tested together.

Flow (docs/openid4vci.md): officer approval → Credential Offer (URI/QR, §4.1) → Token Request
with the Pre-Authorized Code and Transaction Code (§6) → ``c_nonce`` from the Nonce Endpoint
(§7) → Credential Request with ``jwt`` key proofs (§8.2, Appendix F.1) → one SD-JWT VC per
proof (§8.3, Appendix A.3). Metadata: §12.2, §12.3 and SD-JWT VC's JWT VC Issuer Metadata.

Modules are private; this module's ``__all__`` is the public surface (CONVENTIONS §2).
"""

from __future__ import annotations

from wire.oid4vci._base import (
    CONFIGURATION_ID,
    ERROR_CLASSES,
    FORMAT,
    JWT_PROOF_TYPE,
    MAX_BODY_BYTES,
    MAX_OFFER_CHARS,
    MAX_PROOF_CHARS,
    OFFER_SCHEME,
    PRE_AUTH_GRANT,
    PROOF_TYP,
    CredentialRequestDenied,
    InvalidClient,
    InvalidCredentialOffer,
    InvalidCredentialRequest,
    InvalidEncryptionParameters,
    InvalidGrant,
    InvalidIssuerResponse,
    InvalidNonce,
    InvalidProof,
    InvalidRequest,
    InvalidToken,
    Oid4vciError,
    UnknownCredentialConfiguration,
    UnknownCredentialIdentifier,
    UnsupportedGrantType,
)
from wire.oid4vci._messages import (
    CredentialRequest,
    CredentialResponse,
    NonceResponse,
    TokenRequest,
    TokenResponse,
)
from wire.oid4vci._metadata import (
    AS_METADATA_SUFFIX,
    CREDENTIAL_ISSUER_SUFFIX,
    DEFAULT_BATCH_SIZE,
    JWT_VC_ISSUER_SUFFIX,
    AuthorizationServerMetadata,
    IssuerMetadata,
    authorization_server_metadata,
    credential_configuration,
    issuer_metadata,
    jwt_vc_issuer_metadata,
    well_known_url,
)
from wire.oid4vci._offer import (
    CredentialOffer,
    CredentialOfferReference,
    TxCode,
    parse_offer_json,
    parse_offer_uri,
)
from wire.oid4vci._proof import build_proof_jwt, verify_proof_jwt, verify_proofs
from wire.oid4vci._secrets import (
    RandomBelow,
    RandomBytes,
    hash_secret,
    hash_tx_code,
    new_access_token,
    new_c_nonce,
    new_pre_authorized_code,
    new_secret,
    new_tx_code,
    secret_matches,
)

__all__ = [
    "AS_METADATA_SUFFIX",
    "CONFIGURATION_ID",
    "CREDENTIAL_ISSUER_SUFFIX",
    "DEFAULT_BATCH_SIZE",
    "ERROR_CLASSES",
    "FORMAT",
    "JWT_PROOF_TYPE",
    "JWT_VC_ISSUER_SUFFIX",
    "MAX_BODY_BYTES",
    "MAX_OFFER_CHARS",
    "MAX_PROOF_CHARS",
    "OFFER_SCHEME",
    "PRE_AUTH_GRANT",
    "PROOF_TYP",
    "AuthorizationServerMetadata",
    "CredentialOffer",
    "CredentialOfferReference",
    "CredentialRequest",
    "CredentialRequestDenied",
    "CredentialResponse",
    "InvalidClient",
    "InvalidCredentialOffer",
    "InvalidCredentialRequest",
    "InvalidEncryptionParameters",
    "InvalidGrant",
    "InvalidIssuerResponse",
    "InvalidNonce",
    "InvalidProof",
    "InvalidRequest",
    "InvalidToken",
    "IssuerMetadata",
    "NonceResponse",
    "Oid4vciError",
    "RandomBelow",
    "RandomBytes",
    "TokenRequest",
    "TokenResponse",
    "TxCode",
    "UnknownCredentialConfiguration",
    "UnknownCredentialIdentifier",
    "UnsupportedGrantType",
    "authorization_server_metadata",
    "build_proof_jwt",
    "credential_configuration",
    "hash_secret",
    "hash_tx_code",
    "issuer_metadata",
    "jwt_vc_issuer_metadata",
    "new_access_token",
    "new_c_nonce",
    "new_pre_authorized_code",
    "new_secret",
    "new_tx_code",
    "parse_offer_json",
    "parse_offer_uri",
    "secret_matches",
    "verify_proof_jwt",
    "verify_proofs",
    "well_known_url",
]
