"""The three ways a presentation reaches the verifier, each answering with an :class:`Outcome`.

* :class:`PipelineSurface` — ``wire.verify.check_presentation`` with the real trust list, the
  real status resolver (fetching from the loopback server) and a memory replay cache.
* :class:`ServiceSurface` — the verifier service in-process (FastAPI ``TestClient``):
  ``POST /v1/verify`` under the case's account, or for a verifier-bound profile the whole
  request flow (``POST /v1/requests``, the wallet's ``direct_post``, the desk's poll). With two
  clients it is the ``workers`` surface: a replay's first presentation goes to one instance,
  the replay to the other, and only Redis connects them.
* :class:`CliSurface` — ``permit verify --json`` in-process through click's ``CliRunner``, with
  a cache directory of its own per case.

Each surface builds the case with a fresh :class:`~tests.adversarial.world.Ctx`; a case's
``prime`` is verified first (and must be valid) with the same context and caches.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from click.testing import CliRunner, Result

from permit_cli.main import cli
from tests.adversarial.case import Case
from tests.adversarial.world import BANK, PROFILES, Ctx, World
from tests.verifier.service.conftest import TestClient
from verifier.replay import MemoryNonceCache
from verifier.status import MemoryStatusCache, StatusResolver
from wire.jws import ALGORITHMS
from wire.presentation import QR_AUDIENCE
from wire.trust import status_uri_allowed
from wire.verify import check_presentation
from wire.vprequest import parse_request_uri, vp_token_form

__all__ = ["CliSurface", "Outcome", "PipelineSurface", "ServiceSurface"]


@dataclass
class Outcome:
    """What a surface answered, reduced to what every case asserts."""

    valid: bool
    reason: str | None
    #: None when the surface answered without a ``claims`` member (an HTTP problem, or the
    #: wallet's 400 answer in the verifier-bound flow).
    claims: dict[str, Any] | None
    issuer: str | None = None
    status: str | None = None
    http_status: int | None = None
    exit_code: int | None = None
    #: Everything the surface sent back (bodies, CLI output): checked for personal data.
    emitted: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, result: dict[str, Any], **extra: Any) -> Outcome:
        return cls(
            result["valid"],
            result["reason"],
            result["claims"],
            result["issuer"],
            result["status"],
            **extra,
        )


def _uri_allowed(uri: str, prefixes: Sequence[str]) -> bool:
    return status_uri_allowed(uri, prefixes, allow_insecure_loopback=True)


class PipelineSurface:
    """``check_presentation`` as the wire tests call it, with real collaborators."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.http = httpx.Client(timeout=5.0, follow_redirects=False, trust_env=False)

    def close(self) -> None:
        self.http.close()

    def run(self, case: Case) -> tuple[Outcome, Ctx]:
        ctx = self.world.ctx(case.profile, audience=BANK if case.bound else QR_AUDIENCE)
        resolver = StatusResolver(
            client=self.http, cache=MemoryStatusCache(), algorithms=ALGORITHMS
        )
        cache = MemoryNonceCache()
        bound = {"audience": ctx.audience, "nonce": ctx.nonce} if case.bound else {}

        def check(text: str) -> dict[str, Any]:
            result = check_presentation(
                text,
                profile=PROFILES[case.profile],
                directory=self.world.trust_list,
                now=ctx.now,
                status_lookup=resolver,
                uri_allowed=_uri_allowed,
                nonce_cache=cache,
                **bound,
            )
            return result.to_json()

        if case.prime is not None:
            ctx.primed = case.prime(ctx)
            first = check(ctx.primed)
            assert first["valid"], f"the replayed presentation was not accepted: {first}"
        result = check(case.build(ctx))
        return Outcome.of(result, emitted=[json.dumps(result, ensure_ascii=False)]), ctx


class ServiceSurface:
    """The verifier service; several clients share Redis (the ``workers`` surface)."""

    def __init__(self, world: World, clients: Sequence[TestClient]) -> None:
        self.world = world
        self.first, self.last = clients[0], clients[-1]

    def run(self, case: Case) -> tuple[Outcome, Ctx]:
        if case.bound:
            return self._request_flow(case)
        ctx = self.world.ctx(case.profile)
        if case.prime is not None:
            ctx.primed = case.prime(ctx)
            first = self._post(self.first, ctx.primed, case.profile)
            assert first.json().get("valid") is True, first.text
        response = self._post(self.last, case.build(ctx), case.profile)
        return self._outcome(response), ctx

    def _post(self, client: TestClient, text: str, profile: str) -> httpx.Response:
        # Serialised here, ASCII-escaped: a lone surrogate must reach the service, not break
        # the test's own JSON encoder.
        body = json.dumps({"presentation": text})
        headers = {**self.world.auth(profile), "Content-Type": "application/json"}
        response: httpx.Response = client.post("/v1/verify", content=body, headers=headers)
        return response

    @staticmethod
    def _outcome(response: httpx.Response) -> Outcome:
        body = response.json()
        extra: dict[str, Any] = {"http_status": response.status_code, "emitted": [response.text]}
        if response.status_code == 200:
            return Outcome.of(body, **extra)
        return Outcome(False, body.get("code"), None, **extra)

    def image(self, data: bytes, profile: str = "landlord") -> Outcome:
        response = self.first.post(
            "/v1/verify/image",
            files={"image": ("photo", data, "application/octet-stream")},
            headers=self.world.auth(profile),
        )
        return self._outcome(response)

    def _request_flow(self, case: Case) -> tuple[Outcome, Ctx]:
        """DESIGN §3: the desk's request, the wallet's answer to it, the desk's poll."""
        auth = self.world.auth(case.profile)
        created = self.first.post("/v1/requests", headers=auth)
        assert created.status_code == 201, created.text
        request = parse_request_uri(created.json()["request_uri"], allow_insecure_loopback=True)
        ctx = self.world.ctx(case.profile, audience=request.client_id, nonce=request.nonce)
        path = urlsplit(request.response_uri).path

        def answer(client: TestClient, text: str) -> httpx.Response:
            response: httpx.Response = client.post(path, data=vp_token_form(text, request.state))
            return response

        if case.prime is not None:
            ctx.primed = case.prime(ctx)
            first = answer(self.first, ctx.primed)
            assert first.json() == {"status": "accepted"}, first.text
        reply = answer(self.last, case.build(ctx))
        view = self.first.get(created.json()["status_url"], headers=auth).json()
        if reply.status_code == 200:
            assert view["status"] == "valid", view
            return Outcome.of(view["result"], http_status=200, emitted=[reply.text]), ctx
        body = reply.json()
        assert set(body) == {"error", "reason"}, body  # never claims to the wallet
        outcome = Outcome(False, body["reason"], None, http_status=reply.status_code)
        outcome.emitted = [reply.text]
        if case.prime is None:  # the desk sees the same rejection, without claims
            assert view["status"] == "rejected", view
            assert (view["result"]["reason"], view["result"]["claims"]) == (body["reason"], {})
            outcome.emitted.append(json.dumps(view, ensure_ascii=False))
        else:  # the first, valid answer stands (the desk's own page shows its claims)
            assert (view["status"], view["attempts"]) == ("valid", 2), view
        return outcome, ctx


class CliSurface:
    """``permit verify --json`` through click's runner; ``tmp`` is the case's own directory."""

    def __init__(self, world: World, tmp: Path) -> None:
        self.world = world
        self.tmp = tmp

    def _args(self, case_profile: str, ctx: Ctx, bound: bool) -> list[str]:
        args = [
            "--trust-list",
            str(self.world.trust_path),
            "--profile",
            case_profile,
            "--now",
            str(ctx.now),
            "--cache-dir",
            str(self.tmp / "cache"),
            "--allow-insecure-loopback",
            "--json",
        ]
        if bound:
            args += ["--audience", ctx.audience, "--nonce", ctx.nonce]
        return args

    def invoke(self, source: str, args: list[str]) -> Result:
        # "--" so that INPUT is never taken for an option, whatever it starts with.
        result = CliRunner().invoke(cli, ["verify", *args, "--", source])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError("an exception escaped permit verify") from result.exception
        return result

    @staticmethod
    def _outcome(result: Result) -> Outcome:
        emitted = [result.stdout, result.stderr]
        if result.exit_code == 2:
            return Outcome(False, None, None, exit_code=2, emitted=emitted)
        outcome = Outcome.of(json.loads(result.stdout), exit_code=result.exit_code)
        outcome.emitted = emitted
        return outcome

    def run(self, case: Case) -> tuple[Outcome, Ctx]:
        ctx = self.world.ctx(case.profile, audience=BANK if case.bound else QR_AUDIENCE)
        args = self._args(case.profile, ctx, case.bound)
        if case.prime is not None:
            ctx.primed = case.prime(ctx)
            first = self.invoke(ctx.primed, args)
            assert first.exit_code == 0, first.stdout + first.stderr
        return self._outcome(self.invoke(case.build(ctx), args)), ctx

    def image(self, data: bytes, ctx: Ctx) -> Outcome:
        path = self.tmp / "photo"
        path.write_bytes(data)
        return self._outcome(self.invoke(str(path), self._args("landlord", ctx, False)))
