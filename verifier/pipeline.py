"""The verifier's one pipeline, shared by ``permit verify`` and the verifier service.

It adds to :func:`wire.verify.verify_presentation` what a deployed verifier has: the QR
transport decoding, the trust list, profiles by name, the status resolver and the replay cache.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from wire.errors import ConfigurationError, VerificationError
from wire.profiles import Profile
from wire.qrcodec import is_qr_payload, presentation_from_transport
from wire.trust import TrustList, status_uri_allowed
from wire.verify import (
    NonceCache,
    StatusLookup,
    VerificationResult,
    VerifyPolicy,
    verify_presentation,
)

__all__ = ["Verifier"]


@functools.lru_cache(maxsize=4096)
def _uri_allowed(uri: str, prefixes: tuple[str, ...], allow_insecure_loopback: bool) -> bool:
    """Memoised DESIGN §5 URI policy: a verifier sees the same few status-list URIs all day."""
    return status_uri_allowed(uri, prefixes, allow_insecure_loopback=allow_insecure_loopback)


def _from_transport(text: str) -> str:
    """Decode the compact QR form; plain text is passed on untouched.

    DESIGN §6 ignores exactly one trailing LF or CRLF of the input. For plain text
    :func:`wire.verify.verify_presentation` does that itself; the compact form is stripped here
    so that a second newline is never silently dropped.
    """
    if not is_qr_payload(text):  # stripping a line ending cannot make text start with the prefix
        return text
    single = text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text
    if is_qr_payload(single):
        return presentation_from_transport(single)
    return text


@dataclass(frozen=True)
class Verifier:
    """Everything needed to verify presentations for one relying party."""

    trust_list: TrustList
    profiles: Mapping[str, Profile]
    status_lookup: StatusLookup
    nonce_cache: NonceCache | None
    policy: VerifyPolicy = field(default_factory=VerifyPolicy)
    allow_insecure_loopback: bool = False

    def profile(self, name: str) -> Profile:
        """The named profile; an unknown name is a usage error, not a rejection."""
        try:
            return self.profiles[name]
        except KeyError:
            raise ConfigurationError(f"unknown profile {name!r}") from None

    def _uri_allowed(self, uri: str, prefixes: Sequence[str]) -> bool:
        return _uri_allowed(uri, tuple(prefixes), self.allow_insecure_loopback)

    def verify(
        self,
        text: str,
        *,
        profile: str,
        now: int,
        audience: str | None = None,
        nonce: str | None = None,
    ) -> VerificationResult:
        """Verify plain or QR-transport text; DESIGN §6 result (usage errors raise)."""
        chosen = self.profiles.get(profile) or self.profile(profile)  # the latter raises
        if chosen.verifier_bound and (audience is None or nonce is None):
            raise ConfigurationError(
                f"profile {profile!r} is verifier-bound: the expected audience and nonce are needed"
            )
        try:
            presentation = _from_transport(text)
            verified = verify_presentation(
                presentation,
                directory=self.trust_list,
                profile=chosen,
                now=now,
                status_lookup=self.status_lookup,
                uri_allowed=self._uri_allowed,
                audience=audience,
                nonce=nonce,
                nonce_cache=self.nonce_cache,
                policy=self.policy,
            )
        except VerificationError as error:
            status = error.code if error.code in ("revoked", "suspended") else None
            return VerificationResult(False, error.code, None, chosen.name, {}, status)
        return VerificationResult(
            True, None, verified.issuer, chosen.name, verified.claims, verified.status
        )
