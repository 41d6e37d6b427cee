"""Password hashing for the services with password logins: the issuer's officers, the wallet's
holders.

Both store Argon2id hashes (argon2-cffi, PHC string format) made with the deployment's cost
parameters (:class:`~servicekit.settings.PasswordSettings`, whose validator enforces the OWASP
minimum outside development and test), and both must not let response time tell which
usernames exist. So this is one class, not two copies that could drift: a login for an unknown
name is verified against a dummy hash and costs the same Argon2 run as a real one. What the
services do around it — throttling, TOTP, sessions — stays with each service.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from servicekit.settings import PasswordSettings

__all__ = ["Passwords"]


class Passwords:
    """Argon2id hashing with the deployment's cost parameters."""

    def __init__(self, settings: PasswordSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        # Verified against when the username is unknown, so both paths cost one Argon2 run and
        # response time does not reveal which usernames exist.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        """A PHC-format Argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; a missing or malformed hash never matches.

        ``None`` (no such account) is checked against the dummy hash, so it costs what a real
        check costs.
        """
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when the hash was made with other parameters than the current ones (or is not
        an Argon2 hash at all): rehash it at the next successful login."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True
