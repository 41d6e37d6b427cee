"""Issuer-side secrets: Pre-Authorized Codes, Transaction Codes, access tokens and ``c_nonce``s.

All come from the OS CSPRNG; tests inject a deterministic source as a parameter (CONVENTIONS
§6). The issuer stores only SHA-256 hashes, so a copy of its database does not let anyone
redeem an offer or a token: the values are 256-bit random strings, infeasible to recover from
their hashes. A 6-digit Transaction Code alone would be brute-forced from its hash in
milliseconds, so :func:`hash_tx_code` binds it to its Pre-Authorized Code — recovering it then
needs the code, which only the holder's QR carries (OpenID4VCI 1.0 §13, "Pre-Authorized
Code Flow"). Online guessing is for the token endpoint's attempt limit to stop.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Final

from wire.encoding import b64u_encode, json_dumps

__all__ = [
    "RandomBelow",
    "RandomBytes",
    "hash_secret",
    "hash_tx_code",
    "new_access_token",
    "new_c_nonce",
    "new_pre_authorized_code",
    "new_secret",
    "new_tx_code",
    "secret_matches",
]

#: ``n -> n random bytes``, like :func:`secrets.token_bytes`.
RandomBytes = Callable[[int], bytes]
#: ``n -> uniform integer in [0, n)``, like :func:`secrets.randbelow`.
RandomBelow = Callable[[int], int]

SECRET_BYTES: Final = 32
MIN_SECRET_BYTES: Final = 16


def new_secret(*, nbytes: int = SECRET_BYTES, randbytes: RandomBytes = secrets.token_bytes) -> str:
    """``nbytes`` (at least 16) random bytes as unpadded base64url: URL-, form- and QR-safe."""
    if nbytes < MIN_SECRET_BYTES:
        raise ValueError("secrets need at least 128 bits")
    raw = randbytes(nbytes)
    if len(raw) != nbytes:
        raise ValueError("the random source returned the wrong number of bytes")
    return b64u_encode(raw)


def new_pre_authorized_code(*, randbytes: RandomBytes = secrets.token_bytes) -> str:
    """A Pre-Authorized Code (§4.1.1: short-lived and single use; the issuer enforces both)."""
    return new_secret(randbytes=randbytes)


def new_access_token(*, randbytes: RandomBytes = secrets.token_bytes) -> str:
    """An opaque Bearer access token (RFC 6750); the issuer keeps only its hash."""
    return new_secret(randbytes=randbytes)


def new_c_nonce(*, randbytes: RandomBytes = secrets.token_bytes) -> str:
    """A ``c_nonce`` for the Nonce Endpoint (§7.2: new values MUST be unpredictable)."""
    return new_secret(randbytes=randbytes)


def new_tx_code(*, length: int = 6, randbelow: RandomBelow = secrets.randbelow) -> str:
    """A numeric Transaction Code, every digit uniform (``input_mode`` ``numeric``, §4.1.1)."""
    if not 4 <= length <= 12:
        raise ValueError("tx_code length must be 4 to 12 digits")
    digits = []
    for _ in range(length):
        digit = randbelow(10)
        if not 0 <= digit < 10:
            raise ValueError("the random source returned a value out of range")
        digits.append(str(digit))
    return "".join(digits)


def hash_secret(value: str) -> str:
    """SHA-256 hex of a secret's UTF-8 bytes: the form in which the issuer stores it."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def hash_tx_code(tx_code: str, *, pre_authorized_code: str) -> str:
    """SHA-256 hex of a Transaction Code bound to its Pre-Authorized Code (see module doc)."""
    return hashlib.sha256(json_dumps(["tx_code", pre_authorized_code, tx_code])).hexdigest()


def secret_matches(value: str, stored_hash: str) -> bool:
    """Constant-time comparison of ``hash_secret(value)`` with a stored hash."""
    return hmac.compare_digest(hash_secret(value), stored_hash)
