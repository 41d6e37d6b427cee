"""The verifier service's one object: the shared pipeline plus what the routes decide with.

:class:`VerifierService` owns the :class:`~verifier.pipeline.Verifier` (the same pipeline as
``permit verify``) and rebuilds it whenever the trust list changes; the status resolver, the
replay cache and the request store are shared by every request of the process. Routes stay
thin: they parse, call one method here or in :mod:`verifier.service.bound`, and answer.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Mapping
from typing import Final

import redis
from starlette.concurrency import run_in_threadpool

from verifier.pipeline import Verifier
from verifier.service.accounts import Account, AccountDirectory
from verifier.service.errors import VerifierBoundProfile
from verifier.service.records import Channel, record_verification
from verifier.service.replay import DeferredSeen, settle
from verifier.service.requests import RequestStore
from verifier.service.settings import VerifierSettings
from verifier.service.status_refresh import (
    StatusNotCached,
    StatusRefresher,
    TrackingStatusLookup,
)
from verifier.service.trust import TrustKeeper, TrustState
from wire.errors import AuthenticationRequired, Forbidden, InvalidInput, ServiceUnavailable
from wire.profiles import Profile
from wire.verify import NonceCache, VerificationResult, VerifyPolicy

__all__ = ["Clock", "VerifierService"]

Clock = Callable[[], int]
_log = logging.getLogger(__name__)
_BEARER: Final = "bearer "


class VerifierService:
    """Everything a request of the verifier service needs, built once per process."""

    def __init__(
        self,
        *,
        settings: VerifierSettings,
        trust: TrustKeeper,
        profiles: Mapping[str, Profile],
        accounts: AccountDirectory,
        status_lookup: TrackingStatusLookup,
        refresher: StatusRefresher | None,
        nonce_cache: NonceCache,
        requests: RequestStore,
        clock: Clock,
        defer_seen: bool = False,
    ) -> None:
        """``defer_seen``: the replay cache is remote (Redis); ask it once per verification
        (:mod:`verifier.service.replay`)."""
        self.settings = settings
        self.trust = trust
        self.profiles = profiles
        self.accounts = accounts
        self.status_lookup = status_lookup
        self.refresher = refresher
        self.nonce_cache = nonce_cache
        self.requests = requests
        self.clock = clock
        self.defer_seen = defer_seen
        self.policy = VerifyPolicy(
            leeway=settings.leeway_seconds, kb_window=settings.kb_window_seconds
        )
        #: (trust state, full pipeline, pipeline that only reads fresh in-memory status lists)
        self._built: tuple[TrustState, Verifier, Verifier] | None = None

    # --- who asks, and for which profile --------------------------------------------------

    def authenticate(self, authorization: str | None) -> Account | None:
        """The account of ``Authorization: Bearer <key>``; None without the header."""
        if authorization is None:
            return None
        if authorization[: len(_BEARER)].lower() != _BEARER:
            raise AuthenticationRequired("use Authorization: Bearer <account key>")
        account = self.accounts.find(authorization[len(_BEARER) :].strip())
        if account is None:
            raise AuthenticationRequired("unknown account key")
        return account

    def profile_for(self, account: Account | None, requested: str | None) -> Profile:
        """The profile a verification runs under (DESIGN §7: the account's, never more)."""
        if requested is not None and requested not in self.profiles:
            raise InvalidInput("profile: not a configured profile", field="profile")
        if account is not None:
            if requested is not None and requested != account.profile:
                raise Forbidden("this account verifies only for its own profile")
            return self.profiles[account.profile]
        open_profiles = self.settings.open_profiles
        if not open_profiles:
            raise AuthenticationRequired()
        name = requested if requested is not None else open_profiles[0]
        if name not in open_profiles:
            raise AuthenticationRequired("this profile needs an account key")
        return self.profiles[name]

    # --- verification ----------------------------------------------------------------------

    def verifier(self, now: int, *, cached_status: bool = False) -> Verifier:
        """The pipeline for the trust list in force (rebuilt after a refresh changed it).

        ``cached_status`` gives the variant whose status lookup never blocks: it serves fresh
        in-memory lists and raises :class:`StatusNotCached` otherwise.
        """
        trust_list = self.trust.trust_list(now)  # raises once an expired list was not replaced
        state = self.trust.current
        built = self._built
        if built is None or built[0] is not state:
            full = Verifier(
                trust_list=trust_list,
                profiles=self.profiles,
                status_lookup=self.status_lookup,
                nonce_cache=self.nonce_cache,
                policy=self.policy,
                allow_insecure_loopback=self.settings.allow_insecure_loopback,
            )
            fast = dataclasses.replace(full, status_lookup=self.status_lookup.cached)
            built = self._built = (state, full, fast)
        return built[2] if cached_status else built[1]

    def verify(
        self,
        text: str,
        *,
        profile: Profile,
        account: Account | None,
        channel: Channel,
        now: int,
        audience: str | None = None,
        nonce: str | None = None,
        record: bool = True,
        cached_status: bool = False,
    ) -> VerificationResult:
        """DESIGN §6 result for ``text``; unless ``record`` is False, one record is logged."""
        if profile.verifier_bound and (audience is None or nonce is None):
            raise VerifierBoundProfile()
        verifier = self.verifier(now, cached_status=cached_status)
        deferred = DeferredSeen(self.nonce_cache) if self.defer_seen else None
        if deferred is not None:
            verifier = dataclasses.replace(verifier, nonce_cache=deferred)
        try:
            result = verifier.verify(
                text, profile=profile.name, now=now, audience=audience, nonce=nonce
            )
            if deferred is not None:
                result = settle(result, deferred)
        except redis.RedisError as exc:
            _log.error("replay cache unavailable: %s", type(exc).__name__)
            raise ServiceUnavailable("the replay cache is unavailable") from None
        if record:
            record_verification(
                result, channel=channel, account=account.id if account else None, now=now
            )
        return result

    async def verify_async(
        self,
        text: str,
        *,
        profile: Profile,
        account: Account | None,
        channel: Channel,
        now: int,
    ) -> VerificationResult:
        """:meth:`verify` on the event loop when the status list is fresh in memory — the
        common case, with no thread hand-off (whose GIL contention costs more than the
        verification) — else in a worker thread, where fetching the list may block.
        Offline, status comes from the resolver's own rules, always in a thread."""
        call = functools.partial(
            self.verify, text, profile=profile, account=account, channel=channel, now=now
        )
        if not self.settings.offline:
            try:
                return call(cached_status=True)
            except StatusNotCached:
                pass
        return await run_in_threadpool(call)

    # --- background work -------------------------------------------------------------------

    def refresh_trust(self) -> bool:
        """Reload the trust list now; True if it changed (then due status lists are checked)."""
        now = self.clock()
        changed = self.trust.refresh(now)
        if changed:
            self.refresh_status(now)
        return changed

    def refresh_status(self, now: int | None = None) -> int:
        """Fetch the status lists whose ``ttl`` is about to run out; the number fetched."""
        if self.refresher is None:
            return 0
        at = self.clock() if now is None else now
        return self.refresher.refresh_due(self.trust.current.trust_list, at)
