"""One checked HTTP request of a benchmark flow, for any HTTP client.

A flow (:mod:`bench.combined_flows`) is written against :class:`Send`: send one request, and
let the step's ``parse`` turn the answer into what the next step needs — inside the client's
accounting, so that with locust a wrong answer fails the request that produced it, not only the
flow. :func:`httpx_send` is the plain client (setup and checks); the locust exchange lives in
``bench/locustfile.py`` so that nothing else imports locust (gevent patches what imports it).

Failures carry the step, the HTTP status and at most the problem's ``code`` — never a body,
which could hold a name or ID number.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from wire.errors import PermitError

__all__ = [
    "Exchange",
    "FlowFailed",
    "Reply",
    "Request",
    "Send",
    "checked",
    "httpx_send",
    "json_object",
    "problem_code",
]

T = TypeVar("T")
_PARSE_ERRORS = (PermitError, ValueError, KeyError, TypeError)


class FlowFailed(Exception):
    """A step got an answer it should not have; ``str()`` is safe to log."""


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes
    etag: str | None


@dataclass(frozen=True, slots=True)
class Request:
    """One request of a flow, as a :data:`Exchange` sends it."""

    method: str
    path: str
    #: The step's name (locust reports the request under it).
    name: str
    json_body: object = None
    form: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None


#: Sends a request and yields its reply; the block that judges the reply raises
#: :class:`FlowFailed` into it when the answer is wrong (locust counts the request as failed).
Exchange = Callable[[Request], AbstractContextManager[Reply]]


class Send:
    """Send one request; raise :class:`FlowFailed` (after counting the request as failed)
    when the status is not one of ``expect`` or ``parse`` raises :class:`FlowFailed`.

    The same checks over any client: only the :data:`Exchange` differs (plain httpx for the
    harness, locust's client under load, ``bench/locustfile.py``).
    """

    def __init__(self, exchange: Exchange) -> None:
        self._exchange = exchange

    def __call__(
        self,
        method: str,
        path: str,
        *,
        name: str,
        parse: Callable[[Reply], T],
        expect: tuple[int, ...] = (200,),
        json_body: object = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        try:
            with self._exchange(Request(method, path, name, json_body, form, headers)) as reply:
                if reply.status not in expect:
                    raise FlowFailed(f"HTTP {reply.status} ({problem_code(reply)})")
                return parse(reply)
        except FlowFailed as exc:
            raise FlowFailed(f"{name}: {exc}") from None


def problem_code(reply: Reply) -> str:
    """The problem's ``code`` or OAuth ``error`` member, if the body has one."""
    try:
        body = json.loads(reply.body)
    except ValueError:
        return "-"
    code = (body.get("code") or body.get("error")) if isinstance(body, dict) else None
    return code if isinstance(code, str) and len(code) <= 64 else "-"


def json_object(reply: Reply) -> dict[str, Any]:
    try:
        body = json.loads(reply.body)
    except ValueError:
        raise FlowFailed("the answer is not JSON") from None
    if not isinstance(body, dict):
        raise FlowFailed("the answer is not a JSON object")
    return body


def checked(parse: Callable[[Reply], T]) -> Callable[[Reply], T]:
    """``parse`` with every parse error turned into :class:`FlowFailed` (its class name only)."""

    def run(reply: Reply) -> T:
        try:
            return parse(reply)
        except _PARSE_ERRORS as exc:
            raise FlowFailed(f"unexpected answer ({type(exc).__name__})") from None

    return run


def httpx_send(client: httpx.Client) -> Send:
    """A :class:`Send` over an httpx client (the harness's setup and checks)."""

    @contextmanager
    def exchange(request: Request) -> Iterator[Reply]:
        form = dict(request.form) if request.form else None
        response = client.request(
            request.method, request.path, json=request.json_body, data=form, headers=request.headers
        )
        yield Reply(response.status_code, response.content, response.headers.get("etag"))

    return Send(exchange)
