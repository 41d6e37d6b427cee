"""The pinned public surface of ``wire`` (CONVENTIONS §2) and the stable reason codes (§3)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import wire
import wire.errors as errors

PUBLIC = [
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

#: DESIGN §6, in the order the document lists them.
DESIGN_REASON_CODES = (
    "malformed",
    "payload_too_large",
    "unsupported_alg",
    "wrong_type",
    "unknown_issuer",
    "unknown_key",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "invalid_disclosure",
    "disclosure_mismatch",
    "holder_binding_missing",
    "holder_binding_invalid",
    "stale_presentation",
    "replayed",
    "wrong_audience",
    "revoked",
    "suspended",
    "status_unavailable",
    "status_invalid",
    "insufficient_disclosure",
)


def test_all_is_pinned() -> None:
    assert wire.__all__ == PUBLIC


def test_every_public_name_resolves_to_its_module_object() -> None:
    from wire import credential, encoding, jwk, presentation, profiles, verify

    for name in PUBLIC:
        assert hasattr(wire, name), name
    assert wire.issue_credential is credential.issue_credential
    assert wire.b64u_decode is encoding.b64u_decode
    assert wire.thumbprint is jwk.thumbprint
    assert wire.create_presentation is presentation.create_presentation
    assert wire.load_profiles is profiles.load_profiles
    assert wire.check_presentation is verify.check_presentation
    assert wire.VerificationError is errors.VerificationError


def test_reason_codes_are_exactly_design_section_6() -> None:
    assert errors.REASON_CODES == DESIGN_REASON_CODES


def test_each_reason_code_has_exactly_one_error_class() -> None:
    classes = [
        cls
        for name in errors.__all__
        if isinstance(cls := getattr(errors, name), type)
        and issubclass(cls, errors.VerificationError)
        and cls is not errors.VerificationError
    ]
    assert sorted(cls.code for cls in classes) == sorted(DESIGN_REASON_CODES)
    for cls in classes:
        error = cls()
        assert isinstance(error, errors.PermitError)
        assert error.message == cls.default_message
        assert errors.http_status(error) == (413 if cls.code == "payload_too_large" else 400)


def test_configuration_error_is_not_a_verification_failure() -> None:
    assert not issubclass(errors.ConfigurationError, errors.VerificationError)
    assert errors.ConfigurationError.code == "configuration_error"


def test_importing_wire_stays_light() -> None:
    """``import wire`` pulls in no web framework, ORM, HTTP client or JWT library."""
    code = (
        "import json, sys, wire\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    loaded = set(json.loads(output))
    heavy = {
        "fastapi",
        "starlette",
        "pydantic",
        "sqlmodel",
        "sqlalchemy",
        "httpx",
        "jwt",
        "redis",
        "qrcode",
        "PIL",
        "click",
        "rich",
        "issuer",
        "verifier",
        "wallet_api",
        "keys",
        "permit_cli",
    }
    assert loaded & heavy == set()
    assert "cryptography" in loaded


def test_reason_code_document_is_complete_and_names_real_tests() -> None:
    """docs/reason-codes.md maps checks to codes to tests; keep it honest."""
    here = Path(__file__).resolve().parent
    document = (here.parents[1] / "docs" / "reason-codes.md").read_text("utf-8")
    for code in DESIGN_REASON_CODES:
        assert f"`{code}`" in document, code
    defined = {
        name
        for path in here.glob("test_*.py")
        for name in re.findall(r"^def (test_\w+)\(", path.read_text("utf-8"), re.MULTILINE)
    }
    referenced = set(re.findall(r"::(test_\w+)", document))
    assert len(referenced) > 50
    assert referenced - defined == set()
