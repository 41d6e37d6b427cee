"""Pure wire-format core shared by issuer, wallet and verifier (DESIGN §1).

SD-JWT VC credentials (DESIGN §2), presentations with KB-JWT (§3), the verification pipeline and
its reason codes (§6) and relying-party profiles (§7). No I/O and no web framework: importing
``wire`` costs the standard library plus ``cryptography``.

The names below are the public surface, pinned by ``tests/wire/test_public_api.py``; the
submodules (``wire.sdjwt``, ``wire.jws``, ``wire.statuslist``, ``wire.trust``, ...) hold the
lower-level pieces for the parties that need them.
"""

from __future__ import annotations

from wire.credential import VCT, IssuedCredential, end_of_day, issue_credential
from wire.encoding import b64u_decode, b64u_encode
from wire.errors import REASON_CODES, ConfigurationError, PermitError, VerificationError
from wire.jwk import PrivateKey, PublicKey, load_public_jwk, public_jwk, thumbprint
from wire.presentation import QR_AUDIENCE, create_presentation
from wire.profiles import Profile, load_profiles
from wire.verify import (
    IssuerDirectory,
    IssuerTrust,
    NonceCache,
    StatusLookup,
    UriPolicy,
    VerificationResult,
    VerifiedPresentation,
    VerifyPolicy,
    check_presentation,
    verify_presentation,
)

__all__ = [
    "QR_AUDIENCE",
    "REASON_CODES",
    "VCT",
    "ConfigurationError",
    "IssuedCredential",
    "IssuerDirectory",
    "IssuerTrust",
    "NonceCache",
    "PermitError",
    "PrivateKey",
    "Profile",
    "PublicKey",
    "StatusLookup",
    "UriPolicy",
    "VerificationError",
    "VerificationResult",
    "VerifiedPresentation",
    "VerifyPolicy",
    "b64u_decode",
    "b64u_encode",
    "check_presentation",
    "create_presentation",
    "end_of_day",
    "issue_credential",
    "load_profiles",
    "load_public_jwk",
    "public_jwk",
    "thumbprint",
    "verify_presentation",
]
