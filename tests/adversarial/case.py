"""A case of the adversarial catalogue is data: an id, a category, the answer and a builder.

The builder turns a :class:`~tests.adversarial.world.Ctx` into the presentation text (built
fresh for every surface, so each gets its own nonce and status list); the expected answer is a
DESIGN §6 reason code, or None for a *control* case — a boundary that must still verify, which
proves the neighbouring attack fails for the reason claimed and not for another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.adversarial.world import PROFILES, Ctx

__all__ = [
    "ALL_TEXT",
    "CLI",
    "PIPELINE",
    "SERVICE",
    "TRANSPORT",
    "WORKERS",
    "Builder",
    "Case",
]

PIPELINE = "pipeline"  # wire.verify.check_presentation
SERVICE = "service"  # POST /v1/verify (or the verifier-bound request flow)
CLI = "cli"  # permit verify --json
WORKERS = "workers"  # two service instances sharing Redis (replay cases only)
ALL_TEXT = frozenset({PIPELINE, SERVICE, CLI})
#: The compact ``RP1:`` QR form is decoded by the verifier, not by the wire pipeline.
TRANSPORT = frozenset({SERVICE, CLI})

Builder = Callable[[Ctx], str]


@dataclass(frozen=True, slots=True)
class Case:
    """One attack (or control) and what every surface must answer."""

    id: str
    category: str
    #: DESIGN §6 reason code; None: a control case that must be valid.
    reason: str | None
    build: Builder
    profile: str = "landlord"
    surfaces: frozenset[str] = ALL_TEXT
    #: Whether the case's own status list is fetched (exactly once); if not, no connection
    #: may be made at all. Default: only when the verification gets to the status step.
    fetch: bool | None = None
    #: Verified first with the same context (must be valid): the attack is a replay of it.
    prime: Builder | None = None
    #: (HTTP status, problem+json ``code``) when the service's HTTP layer answers before the
    #: pipeline does; None: the service answers 200 with the DESIGN §6 JSON.
    http: tuple[int, str] | None = None

    @property
    def fetches(self) -> bool:
        if self.fetch is not None:
            return self.fetch
        return self.reason in (None, "revoked", "suspended") or self.prime is not None

    @property
    def bound(self) -> bool:
        """Verifier-bound profile: the KB-JWT must answer the verifier's own request."""
        return PROFILES[self.profile].verifier_bound
