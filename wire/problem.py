"""RFC 9457 problem details, shared by the issuer, wallet and verifier services.

The bodies are data, so they live here without a web framework; each service wraps them in its
own response type and adds only its own headers. Nothing a client submitted is echoed: request
validation problems name the field (truncated) and carry the validator's fixed message, never
the input value (CONVENTIONS §4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from wire.errors import InvalidInput

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "PROBLEM_SCHEMA",
    "http_problem",
    "problem_body",
    "problem_responses",
    "title",
    "validation_problem",
]

PROBLEM_CONTENT_TYPE: Final = "application/problem+json"
_TYPE_PREFIX: Final = "urn:residence-permit:problem:"
_MAX_FIELD_ECHO: Final = 64
#: Where FastAPI says a value came from; clients name the field without it.
_LOC_SOURCES: Final = frozenset({"body", "query", "path", "header", "cookie", "form"})
_TITLES: Final = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
#: JSON Schema of a problem body (RFC 9457 §3 members, our ``code``, the validation extensions),
#: for the services' OpenAPI documents; other extensions (``issuer_error``, ...) are allowed.
PROBLEM_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "field": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
#: Codes for errors raised by the framework itself (unknown route, wrong method, ...).
_HTTP_CODES: Final = {401: "unauthenticated", 404: "not_found", 405: "method_not_allowed"}


def title(status: int) -> str:
    """The short human title of an HTTP status (RFC 9110 reason phrase)."""
    return _TITLES.get(status, "Error")


def problem_body(*, status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    """A problem+json body; ``extra`` members are RFC 9457 extensions (``field``, ...)."""
    return {
        "type": _TYPE_PREFIX + code,
        "title": title(status),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI response objects (FastAPI's ``responses=``) for statuses answered with a problem.

    The services declare with this what their one error handler can answer, so the document a
    client reads matches the wire (checked by schemathesis in ``tests/api_fuzz``).
    """
    return {
        status: {
            "description": title(status),
            "content": {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


def _field_name(loc: Iterable[int | str]) -> str:
    parts = tuple(loc)
    if parts and parts[0] in _LOC_SOURCES:
        parts = parts[1:]
    name = ".".join(str(part) for part in parts) or "body"
    # An unknown key is caller input: do not reflect a pathological one verbatim.
    return name if len(name) <= _MAX_FIELD_ECHO else name[:_MAX_FIELD_ECHO] + "…"


def validation_problem(errors: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The 422 body for request-validation errors (pydantic's ``errors()`` list)."""
    listed = [
        {
            "field": _field_name(err.get("loc", ())),
            # pydantic's messages and ours are fixed text; err["input"] is never included.
            "message": str(err.get("msg", "")).removeprefix("Value error, "),
        }
        for err in errors
    ]
    first = listed[0] if listed else {"field": "body", "message": "invalid request"}
    return problem_body(
        status=422,
        code=InvalidInput.code,
        detail=f"{first['field']}: {first['message']}",
        field=first["field"],
        errors=listed,
    )


def http_problem(status: int, detail: object) -> dict[str, Any]:
    """The body for an error the framework raised (unknown route, wrong method, ...)."""
    text = detail if isinstance(detail, str) else title(status)
    return problem_body(status=status, code=_HTTP_CODES.get(status, "http_error"), detail=text)
