"""Officer credentials: Argon2id passwords, TOTP second factor, short-lived session JWTs.

* Passwords are hashed with Argon2id (:class:`servicekit.passwords.Passwords`, shared with the
  wallet and re-exported here); the cost parameters come from the settings so tests run with
  cheap ones without touching globals.
* TOTP (RFC 6238) codes are accepted within one 30-second step either side, and never twice:
  the accepted time step is remembered per officer (RFC 6238 §5.2).
* Session tokens are HS256 JWTs (RFC 9068 shape, ``typ`` = ``at+jwt``) carrying the officer
  id, role, jurisdiction, ``token_version`` and whether a TOTP code was given (``mfa`` and
  ``amr``, RFC 8176). The clock is injected (CONVENTIONS §5), so PyJWT's own time checks are
  switched off and done here against ``now``.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import jwt
import pyotp

from issuer.settings import IssuerSettings
from servicekit.passwords import Passwords
from wire.errors import AuthenticationRequired

__all__ = [
    "OFFICER_TOKEN_AUDIENCE",
    "OFFICER_TOKEN_TYP",
    "TOTP_PERIOD",
    "OfficerToken",
    "Passwords",
    "decode_officer_token",
    "encode_officer_token",
    "new_totp_secret",
    "totp_provisioning_uri",
    "verify_totp",
]

OFFICER_TOKEN_AUDIENCE: Final = "urn:residence-permit:issuer:officer"  # noqa: S105 - an aud
OFFICER_TOKEN_TYP: Final = "at+jwt"  # noqa: S105 - a JOSE typ
_ALGORITHM: Final = "HS256"
#: Tolerated clock skew for ``iat`` in the future.
_IAT_LEEWAY: Final = timedelta(seconds=30)
TOTP_PERIOD: Final = 30
_TOTP_DIGITS: Final = 6
_REQUIRED_CLAIMS: Final = ("iss", "aud", "sub", "iat", "exp", "jti", "role", "jur", "tv", "mfa")


def new_totp_secret() -> str:
    """A fresh 160-bit base32 TOTP secret (RFC 4226 §4 recommends 160 bits)."""
    return str(pyotp.random_base32(length=32))


def totp_provisioning_uri(secret: str, *, username: str, issuer_name: str) -> str:
    """``otpauth://`` URI for authenticator apps; show it once, when the officer is created."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer_name))


def verify_totp(secret: str, code: str, *, now: datetime, last_step: int) -> int | None:
    """The time step ``code`` is valid for (now ± one step), or None.

    A step at or before ``last_step`` is refused, so an observed code cannot be replayed.
    """
    if len(code) != _TOTP_DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // TOTP_PERIOD
    for step in (current - 1, current, current + 1):
        expected = str(totp.generate_otp(step))
        if step > last_step and hmac.compare_digest(expected, code):
            return step
    return None


@dataclass(frozen=True, slots=True)
class OfficerToken:
    """The verified claims of an officer session token."""

    officer_id: uuid.UUID
    role: str
    jurisdiction: str
    token_version: int
    mfa: bool
    jti: str
    expires_at: datetime


def encode_officer_token(
    *,
    settings: IssuerSettings,
    officer_id: uuid.UUID,
    role: str,
    jurisdiction: str,
    token_version: int,
    mfa: bool,
    now: datetime,
) -> str:
    """Sign a session token valid for ``settings.officer_token_ttl_seconds``."""
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": settings.issuer_url,
        "aud": OFFICER_TOKEN_AUDIENCE,
        "sub": str(officer_id),
        "iat": issued,
        "exp": issued + settings.officer_token_ttl_seconds,
        "jti": secrets.token_urlsafe(16),
        "role": role,
        "jur": jurisdiction,
        "tv": token_version,
        "mfa": mfa,
        "amr": ["pwd", "otp"] if mfa else ["pwd"],
    }
    return jwt.encode(
        claims,
        settings.jwt_secret.get_secret_value(),
        algorithm=_ALGORITHM,
        headers={"typ": OFFICER_TOKEN_TYP},
    )


def decode_officer_token(token: str, *, settings: IssuerSettings, now: datetime) -> OfficerToken:
    """Verify signature, type, issuer, audience and times; :class:`AuthenticationRequired` else.

    Every failure looks the same from outside (CONVENTIONS §4).
    """
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[_ALGORITHM],
            audience=OFFICER_TOKEN_AUDIENCE,
            issuer=settings.issuer_url,
            options={
                "require": list(_REQUIRED_CLAIMS),
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError:
        raise AuthenticationRequired("invalid or expired session token") from None
    if header.get("typ") != OFFICER_TOKEN_TYP:
        raise AuthenticationRequired("invalid or expired session token")
    parsed = _parse_claims(claims)
    if parsed is None:
        raise AuthenticationRequired("invalid or expired session token")
    issued_at = datetime.fromtimestamp(claims["iat"], UTC)
    if parsed.expires_at <= now or issued_at > now + _IAT_LEEWAY:
        raise AuthenticationRequired("invalid or expired session token")
    return parsed


def _parse_claims(claims: dict[str, Any]) -> OfficerToken | None:
    def is_int(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if not (is_int(claims["iat"]) and is_int(claims["exp"]) and is_int(claims["tv"])):
        return None
    if not all(isinstance(claims[name], str) for name in ("sub", "role", "jur", "jti")):
        return None
    if not isinstance(claims["mfa"], bool):
        return None
    try:
        officer_id = uuid.UUID(claims["sub"])
    except ValueError:
        return None
    return OfficerToken(
        officer_id=officer_id,
        role=claims["role"],
        jurisdiction=claims["jur"],
        token_version=claims["tv"],
        mfa=claims["mfa"],
        jti=claims["jti"],
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
    )
