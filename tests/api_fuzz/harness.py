"""Schemathesis over one service's OpenAPI document, operation by operation (issue 7 §3).

Every operation of a :class:`FuzzTarget` gets schemathesis' coverage cases (boundaries, and
the methods the document does not list), then generated requests twice: schema-conforming
(``positive``) and schema-violating (``negative``) ones, all sent in-process through the ASGI
transport to the app a test client has started, with the credentials the operation
declares (an officer session opened with TOTP, an employer key, a holder session, a verifier
account key), and, in about half of the positive ones, the ids of records the target created,
so requests get past the lookup to the code behind it. :func:`fuzz_links` adds sequences
along the links schemathesis infers. Generation is derandomized: the same code and the same
``examples`` send the same requests.

Checks: no 5xx and no unhandled exception (``not_a_server_error``); status code, content type,
documented headers and body schema as documented; negative requests refused
(``negative_data_rejection``, ``missing_required_header``); an undeclared method answered 405
(``unsupported_method``). An operation that declares
credentials has one accepted request replayed without them and with a forged token: 401
problem+json (:func:`probe_auth`). Nothing is raised mid-run, so one broken operation does not
hide another and the long run (``bin/api-fuzz``) counts every 5xx. Checks deliberately not run,
and why: docs/api-fuzzing.md.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeAlias, cast

import hypothesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition, Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response
from schemathesis.python.asgi import ASGIClient
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from tests.api_fuzz.documents import Operation, load_schema, negatable, operations, secured
from tests.api_fuzz.report import LINKED, Finding, OperationReport

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

__all__ = [
    "NEGATIVE_CHECKS",
    "POSITIVE_CHECKS",
    "AnyCase",
    "CredentialsFor",
    "FuzzTarget",
    "KnownValuesFor",
    "fuzz_links",
    "fuzz_operation",
    "fuzz_shard",
    "probe_auth",
]

POSITIVE_CHECKS: Final[tuple[CheckFunction, ...]] = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)
NEGATIVE_CHECKS: Final[tuple[CheckFunction, ...]] = (
    *POSITIVE_CHECKS,
    negative_data_rejection,
    missing_required_header,
)
#: Forged credentials every secured operation must refuse with 401.
FORGED_BEARER: Final = "Bearer eyJhbGciOiJub25lIn0.e30.forged-by-api-fuzz"
_MAX_REPRO: Final = 700

AnyCase: TypeAlias = Case[Any]
#: Header sets to send with an operation's requests (credentials; ``{}`` for none), the
#: first one the usual caller: generated requests pick one, linked sequences use the first.
CredentialsFor = Callable[[Operation], Sequence[dict[str, str]]]
#: Real values for an operation's path and header parameters, by name: ids the target
#: created, the status token of its application.
KnownValuesFor = Callable[[Operation], Mapping[str, Sequence[str]]]


def _nothing_known(_operation: Operation) -> Mapping[str, Sequence[str]]:
    return {}


@dataclass(frozen=True)
class FuzzTarget:
    """One running service: its loaded schema (``schema.app`` set), an in-process client,
    the credentials per operation and the ids worth aiming at."""

    service: str
    schema: BaseSchema
    session: ASGIClient
    credentials_for: CredentialsFor
    known_values_for: KnownValuesFor = _nothing_known
    #: Operations that answer an unknown bearer token like a valid one by design (logout is
    #: idempotent, RFC 7009 §2.2 style); they must still refuse a request without one.
    idempotent_with_any_token: frozenset[str] = frozenset()
    #: ``(operation, check)`` pairs whose failures are explained deviations, not findings
    #: (each is named, with the reason, where the target is built and in docs/api-fuzzing.md).
    tolerated: frozenset[tuple[str, str]] = frozenset()
    #: Operations left out of the linked sequences (fuzzed alone all the same): ones that
    #: destroy what other links lead to, which makes hypothesis' replay of a sequence diverge.
    unlinked: frozenset[str] = frozenset()

    @classmethod
    def serving(
        cls,
        service: str,
        client: TestClient,
        credentials_for: CredentialsFor,
        known_values_for: KnownValuesFor = _nothing_known,
        idempotent_with_any_token: frozenset[str] = frozenset(),
        tolerated: frozenset[tuple[str, str]] = frozenset(),
        unlinked: frozenset[str] = frozenset(),
    ) -> FuzzTarget:
        """The app behind ``client`` (started: its lifespan runs in the test client)."""
        return cls(
            service,
            load_schema(client),
            ASGIClient(cast(Any, client.app)),
            credentials_for,
            known_values_for,
            idempotent_with_any_token,
            tolerated,
            unlinked,
        )


def _repro(case: AnyCase) -> str:
    try:
        text = case.as_curl_command()
    except (ValueError, TypeError, UnicodeError) as exc:  # a body curl cannot spell
        text = f"{case.method} {case.formatted_path} (no curl form: {type(exc).__name__})"
    return text if len(text) <= _MAX_REPRO else text[:_MAX_REPRO] + " …"


def _send(target: FuzzTarget, case: AnyCase, report: OperationReport) -> Response | None:
    """Send ``case``; an exception escaping the app is recorded as a server error."""
    report.requests += 1
    try:
        response = case.call(session=target.session)
    except Exception as exc:  # noqa: BLE001 - whatever escapes the app is the finding itself
        report.record(
            Finding(f"exception:{type(exc).__name__}", None, str(exc)[:200], _repro(case))
        )
        return None
    report.statuses[response.status_code] += 1
    return response


def _validate(
    target: FuzzTarget,
    case: AnyCase,
    response: Response,
    checks: Sequence[CheckFunction],
    report: OperationReport,
) -> None:
    try:
        case.validate_response(response, checks=list(checks))
    except FailureGroup as group:
        for failure in group.exceptions:
            name = failure.checks[0] if failure.checks else type(failure).__name__
            if (case.operation.label, name) not in target.tolerated:
                report.record(Finding(name, response.status_code, failure.title, _repro(case)))


def _strategies(
    target: FuzzTarget, operation: Operation, mode: GenerationMode
) -> st.SearchStrategy[AnyCase]:
    """Generated cases with the target's credentials; in about half of the positive ones each
    path (or header) parameter with a known value gets one, so requests get past the lookup."""
    headers = {
        p["name"].lower()
        for p in operation.definition.raw.get("parameters", ())
        if p.get("in") == "header"
    }
    real = {
        name: st.one_of(st.none(), st.sampled_from(list(values)))
        for name, values in target.known_values_for(operation).items()
        if values
        and (f"{{{name}}}" in operation.path or name.lower() in headers)
        and mode is GenerationMode.POSITIVE
    }

    def prepare(drawn: tuple[AnyCase, dict[str, str], dict[str, str | None]]) -> AnyCase:
        case, credentials, known = drawn
        case.headers.update(credentials)
        for name, value in known.items():
            if value is None:
                continue
            if f"{{{name}}}" in operation.path:
                case.path_parameters = {**(case.path_parameters or {}), name: value}
            else:
                case.headers[name] = value
        return case

    return st.tuples(
        operation.as_strategy(generation_mode=mode),
        st.sampled_from(list(target.credentials_for(operation))),
        st.fixed_dictionaries(real),
    ).map(prepare)


def _settings(examples: int, seed: int | None, **extra: Any) -> settings:
    """Derandomized (the same requests every run) unless a ``seed`` picks another series."""
    return settings(
        max_examples=examples,
        derandomize=seed is None,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
        **extra,
    )


def _run_mode(
    target: FuzzTarget,
    operation: Operation,
    mode: GenerationMode,
    *,
    examples: int,
    seed: int | None,
    report: OperationReport,
) -> AnyCase | None:
    """Send ``examples`` cases of ``mode``; the first one answered 2xx, for :func:`probe_auth`."""
    checks = POSITIVE_CHECKS if mode is GenerationMode.POSITIVE else NEGATIVE_CHECKS
    accepted: list[AnyCase] = []

    @given(case=_strategies(target, operation, mode))
    @_settings(examples, seed)
    def run(case: AnyCase) -> None:
        response = _send(target, case, report)
        if response is None:
            return
        _validate(target, case, response, checks, report)
        if not accepted and response.status_code < 300:
            accepted.append(case)

    if seed is not None:
        run = hypothesis.seed(seed)(run)
    # Unsatisfiable: no way to violate the schema (nothing to send), not a finding.
    with contextlib.suppress(Unsatisfiable):
        run()
    return accepted[0] if accepted else None


def _run_coverage(target: FuzzTarget, operation: Operation, report: OperationReport) -> None:
    """Schemathesis' coverage phase: a fixed set of boundary cases per parameter (lengths and
    values at and past each limit, missing required parts, wrong types) and the methods the
    document does not list for the path, which must answer 405 with ``Allow``."""
    schema = target.schema
    config = schema.config.generation_for(operation=operation, phase="coverage")
    for case in schema.iter_coverage_cases(
        operation, generation_modes=list(GenerationMode), generation_config=config
    ):
        case.headers.update(target.credentials_for(operation)[0])
        response = _send(target, case, report)
        if response is not None:
            negative = case.meta is not None and case.meta.generation.mode.is_negative
            checks = NEGATIVE_CHECKS if negative else POSITIVE_CHECKS
            _validate(target, case, response, (*checks, unsupported_method), report)


def fuzz_operation(
    target: FuzzTarget, operation: Operation, *, examples: int, seed: int | None = None
) -> OperationReport:
    """The coverage phase, then ``examples`` positive and ``examples`` negative requests
    against ``operation``; a secured operation then has one accepted request replayed without
    valid credentials."""
    report = OperationReport(target.service, operation.label)
    started = time.perf_counter()
    _run_coverage(target, operation, report)
    modes = [GenerationMode.POSITIVE]
    if negatable(operation):
        modes.append(GenerationMode.NEGATIVE)
    accepted = [
        _run_mode(target, operation, mode, examples=examples, seed=seed, report=report)
        for mode in modes
    ]
    if secured(operation) and accepted[0] is not None:
        forged = operation.label not in target.idempotent_with_any_token
        probe_auth(target, accepted[0], report, forged=forged)
    report.seconds = time.perf_counter() - started
    return report


def probe_auth(target: FuzzTarget, case: AnyCase, report: OperationReport, *, forged: bool) -> None:
    """Replay an accepted ``case`` without credentials (and with forged ones): 401 problem+json."""
    kept = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    probes = [("no credentials", kept)]
    if forged:
        probes.append(("forged bearer token", {**kept, "Authorization": FORGED_BEARER}))
    for what, headers in probes:
        probe = case.operation.Case(
            method=case.method,
            path_parameters=case.path_parameters,
            headers=headers,
            cookies=case.cookies,
            query=case.query,
            body=case.body,
            media_type=case.media_type,
        )
        response = _send(target, probe, report)
        if response is None:
            continue
        content_type = response.headers.get("content-type", [""])[0]
        if response.status_code != 401 or not content_type.startswith("application/problem+json"):
            report.record(
                Finding("auth_enforced", response.status_code, f"{what} not refused", _repro(probe))
            )


def fuzz_links(target: FuzzTarget, *, examples: int, steps: int = 6) -> OperationReport:
    """Sequences of up to ``steps`` calls that feed one response's ids into the next request,
    along the links schemathesis infers from the document (FastAPI declares none): list the
    permits, read one, suspend it, reinstate it, ... Every response gets the checks of its mode.
    """
    report = OperationReport(target.service, LINKED)
    started = time.perf_counter()
    linked = target.schema.exclude(lambda ctx: ctx.operation.label in target.unlinked)
    base = linked.as_state_machine()

    class Sequences(base):  # type: ignore[valid-type, misc]
        def before_call(self, case: AnyCase) -> None:
            case.headers.update(target.credentials_for(case.operation)[0])

        def call(self, case: AnyCase, **_kwargs: Any) -> Response | None:
            return _send(target, case, report)

        def validate_response(
            self, response: Response | None, case: AnyCase, *_args: Any, **_kwargs: Any
        ) -> None:
            if response is not None:
                negative = case.meta is not None and case.meta.generation.mode.is_negative
                checks = NEGATIVE_CHECKS if negative else POSITIVE_CHECKS
                _validate(target, case, response, checks, report)

    # Always derandomized: hypothesis' state-machine runner takes no seed.
    try:
        Sequences.run(settings=_settings(examples, None, stateful_step_count=steps))
    except FlakyStrategyDefinition:
        # The service's state, not the generator, changed which rule could run next (a permit
        # deleted, a session ended): hypothesis cannot replay such a sequence and ends the run.
        # The requests made so far were checked; this is not a finding about the API.
        report.stopped_early = True
    report.seconds = time.perf_counter() - started
    return report


def fuzz_shard(
    target: FuzzTarget, *, shard: int, shards: int, examples: int, seed: int | None = None
) -> list[OperationReport]:
    """Fuzz every ``shards``-th operation of the document, starting at ``shard``."""
    chosen = operations(target.schema)[shard::shards]
    return [fuzz_operation(target, op, examples=examples, seed=seed) for op in chosen]
