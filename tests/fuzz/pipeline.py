"""The verifier deployment of the pipeline fuzz properties: tests/wire's trusted issuer.

One in-memory verifier (the trusted issuer of tests/wire/conftest.py with an ES256 and an
Ed25519 key, a status stub, the prefix URI policy) around
:func:`tests.fuzz.reference.check_against_reference`, which asserts the DESIGN §6 contract.
"""

from __future__ import annotations

from tests.fuzz.reference import check_against_reference
from tests.wire.conftest import PROFILES, prefix_policy, trusted_directory
from wire.verify import VerificationResult

__all__ = ["check"]

_DIRECTORY = trusted_directory()


def check(
    text: str,
    profile: str,
    *,
    now: int,
    status: int = 0,
    audience: str | None = None,
    nonce: str | None = None,
) -> VerificationResult:
    """Verify ``text`` once and assert the contract; return the result."""
    return check_against_reference(
        text,
        PROFILES[profile],
        directory=_DIRECTORY,
        uri_allowed=prefix_policy,
        now=now,
        status=status,
        audience=audience,
        nonce=nonce,
    )
