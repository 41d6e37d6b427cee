"""Locust users for ``python -m bench.combined_load``: issuer write path and verifier, at once.

Not meant to be started by hand: the harness prepares the stack and writes the configuration
this file reads (``PERMIT_COMBINED_LOAD_CONFIG``: hosts, the officers' open sessions, the
verifier pool's credentials and holder keys, user counts and pacing). Both classes have a
fixed user count and pace their tasks (``constant_pacing``), so the offered load is bounded
whatever the latency.

* :class:`IssuerUser` — a supervisor's desk plus the applicants' wallets: mostly the full
  issuance flow (:func:`bench.combined_flows.issue_permit`, a new holder key each time),
  sometimes the status list of a credential it issued (200, then 304 with ``If-None-Match``),
  and now and then a suspend and reinstate of an active permit (never one of the verifier
  pool's, never one another user of this process is moving).
* :class:`VerifierUser` — a landlord's account posting fresh presentations of the pool's
  credentials to ``/v1/verify``; every ``replay_every``-th request re-sends an accepted one on
  purpose and must get ``replayed``. Presentations come from :class:`PresentationPool`, kept
  about a second ahead of demand by a background greenlet: each is used once (the replay cache
  would answer ``replayed`` otherwise) and within the KB-JWT freshness window (120 s, so they
  cannot all be made before a three-minute run).

Every request's answer is checked (:mod:`bench.combined_flows`); a whole flow is also reported
as one request of type ``flow``, failed if any of its steps was.
"""

from __future__ import annotations

import sys
from pathlib import Path

# locust imports this file with its directory first on sys.path, where bench/issuer.py would
# shadow the issuer package; import the project's packages from the repository root instead.
sys.path.remove(str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools
import json
import os
import random
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric import ec
from locust import constant_pacing, task
from locust.contrib.fasthttp import FastHttpSession, FastHttpUser
from locust.env import Environment

from bench.combined_flows import (
    Holding,
    Issued,
    OfficerSession,
    active_permits,
    discover,
    fetch_status_list,
    issue_permit,
    suspend_and_reinstate,
    verify,
)
from bench.http_steps import FlowFailed, Reply, Request, Send

_CONFIG_ENV = "PERMIT_COMBINED_LOAD_CONFIG"
if _CONFIG_ENV not in os.environ:
    raise SystemExit(f"{_CONFIG_ENV} is not set: run `python -m bench.combined_load` instead")
CONFIG: dict[str, Any] = json.loads(Path(os.environ[_CONFIG_ENV]).read_text())
ISSUER: dict[str, Any] = CONFIG["issuer"]
VERIFIER: dict[str, Any] = CONFIG["verifier"]

#: One officer's open session per issuer user (a TOTP code opens one session only).
_SESSIONS: list[dict[str, Any]] = ISSUER["sessions"]
#: Applicant serials: each issuance submits a different applicant.
_SERIALS = itertools.count(ISSUER["serial_base"])
#: Permits whose credentials the verifier users present, and permits being moved right now.
_PROTECTED = frozenset(ISSUER["protected_permits"])
_MOVING: set[str] = set()


def locust_send(client: FastHttpSession, service: str) -> Send:
    """A :class:`~bench.http_steps.Send` over locust's client: the answer is checked inside
    the request's accounting, so a wrong one fails that request (named ``service: step``)."""

    @contextmanager
    def exchange(request: Request) -> Iterator[Reply]:
        headers = dict(request.headers or {})
        data = None
        if request.form is not None:
            data = urlencode(request.form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        failure: FlowFailed | None = None
        with client.request(
            request.method,
            request.path,
            name=f"{service}: {request.name}",
            data=data,
            json=request.json_body,
            headers=headers,
            catch_response=True,
        ) as response:
            etag = response.headers.get("etag") if response.headers else None
            try:
                yield Reply(response.status_code, response.content or b"", etag)
            except FlowFailed as exc:
                failure = exc
                response.failure(str(exc))
            else:
                response.success()
        if failure is not None:  # raised outside locust's block, which reported it already
            raise failure

    return Send(exchange)


@contextmanager
def reported_flow(environment: Environment, name: str) -> Iterator[None]:
    """Report the block as one ``flow`` request: its wall time, failed on :class:`FlowFailed`
    (the failing step was already counted; the flow stops there)."""
    started = time.perf_counter()
    failure: FlowFailed | None = None
    try:
        yield
    except FlowFailed as exc:
        failure = exc
    environment.events.request.fire(  # type: ignore[no-untyped-call]  # locust's EventHook
        request_type="flow",
        name=name,
        response_time=(time.perf_counter() - started) * 1000,
        response_length=0,
        exception=failure,
        context={},
    )


class IssuerUser(FastHttpUser):
    host = ISSUER["host"]
    fixed_count = int(ISSUER["users"])
    wait_time = constant_pacing(float(ISSUER["pacing_s"]))

    def on_start(self) -> None:
        self.send = locust_send(self.client, "issuer")
        self.officer = OfficerSession.from_json(self.send, _SESSIONS.pop())
        self.issued: deque[Issued] = deque(maxlen=8)
        self.endpoints = discover(self.send, ISSUER["credential_issuer"])

    @task(8)
    def issue(self) -> None:
        with reported_flow(self.environment, "issuer: issuance flow (5 requests)"):
            holder = ec.generate_private_key(ec.SECP256R1())
            issued = issue_permit(
                self.send, self.endpoints, self.officer, serial=next(_SERIALS), holder=holder
            )
            self.issued.append(issued)

    @task(2)
    def status_list(self) -> None:
        if not self.issued:
            return
        with reported_flow(self.environment, "issuer: status list read (2 requests)"):
            fetch_status_list(self.send, random.choice(self.issued).status_path)

    @task(1)
    def suspend_reinstate(self) -> None:
        try:
            permits = active_permits(self.send, self.officer)  # failed: counted as a request
        except FlowFailed:
            return
        candidates = [p for p in permits if p not in _PROTECTED and p not in _MOVING]
        if not candidates:  # early in the run: nothing issued by the load yet
            return
        permit = random.choice(candidates)
        _MOVING.add(permit)  # greenlets switch only on I/O: the check and the add are one step
        try:
            with reported_flow(self.environment, "issuer: suspend + reinstate (2 requests)"):
                suspend_and_reinstate(self.send, self.officer, permit)
        finally:
            _MOVING.discard(permit)


class PresentationPool:
    """Fresh single-use presentations, made about a second ahead of the verifier users."""

    def __init__(self, holdings: list[Holding], claims: tuple[str, ...], size: int) -> None:
        self._holdings = itertools.cycle(holdings)
        self._claims = claims
        self._size = size
        self._ready: deque[str] = deque()
        self._started = False

    def start(self, environment: Environment) -> None:
        """Start the filling greenlet once, in the runner's group (stopped with the test)."""
        if not self._started and environment.runner is not None:
            self._started = True
            environment.runner.greenlet.spawn(self._keep_filled)

    def take(self) -> str:
        return self._ready.popleft() if self._ready else self._make()

    def _make(self) -> str:
        return next(self._holdings).present(self._claims)

    def _keep_filled(self) -> None:
        """Runs as a greenlet; ``time.sleep`` is gevent's, so users run between batches."""
        while True:
            for _ in range(min(10, self._size - len(self._ready))):
                self._ready.append(self._make())
            time.sleep(0.02 if len(self._ready) >= self._size else 0)


_POOL = PresentationPool(
    [Holding.from_json(h) for h in VERIFIER["holdings"]],
    tuple(VERIFIER["claims"]),
    size=max(10, int(VERIFIER["users"] / float(VERIFIER["pacing_s"]))),
)
#: Recently accepted presentations (time, text): the replay requests re-send one of them.
_ACCEPTED: deque[tuple[float, str]] = deque(maxlen=64)
_VERIFICATIONS = itertools.count(1)


class VerifierUser(FastHttpUser):
    host = VERIFIER["host"]
    fixed_count = int(VERIFIER["users"])
    wait_time = constant_pacing(float(VERIFIER["pacing_s"]))

    def on_start(self) -> None:
        self.send = locust_send(self.client, "verifier")
        _POOL.start(self.environment)

    @task
    def verify(self) -> None:
        key = VERIFIER["account_key"]
        recent = [text for at, text in _ACCEPTED if time.time() - at < 60]
        if next(_VERIFICATIONS) % int(VERIFIER["replay_every"]) == 0 and recent:
            with reported_flow(self.environment, "verifier: replay refused (1 request)"):
                verify(
                    self.send,
                    key,
                    random.choice(recent),
                    name="POST /v1/verify (replayed on purpose)",
                    expect_reason="replayed",
                )
            return
        presentation = _POOL.take()
        with reported_flow(self.environment, "verifier: verification (1 request)"):
            verify(self.send, key, presentation, name="POST /v1/verify")
            _ACCEPTED.append((time.time(), presentation))
