"""What the services' OpenAPI documents say, as the fuzz harness and tests read them.

The document is loaded from the running app with a schemathesis configuration that counts 413
as a refusal of schema-violating input; the helpers name the operations, whether one declares
credentials, whether a schema-violating request for it can exist at all, and whether its
documented errors are what the services' error handlers answer.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import schemathesis
from schemathesis import Config
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation, BaseSchema

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

__all__ = [
    "NEGATIVE_EXPECTED",
    "Operation",
    "load_schema",
    "negatable",
    "operations",
    "secured",
    "undocumented_problems",
]

Operation: TypeAlias = APIOperation[Any, Any, Any, Any]
#: A schema-violating request must get one of these (schemathesis' default list plus 413: a
#: value over a ``maxLength`` can make the whole body exceed the services' body limit first).
NEGATIVE_EXPECTED: Final = (
    "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx",
)  # fmt: skip
_CONFIG: Final = Config.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": list(NEGATIVE_EXPECTED)}}}
)


def load_schema(client: TestClient) -> BaseSchema:
    """The OpenAPI document the app serves at ``/openapi.json``, bound to the app in-process.

    Fetched through the test client that runs the app's lifespan (``from_asgi`` would start a
    second one, and keep it until the interpreter exits).
    """
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    schema = schemathesis.openapi.from_dict(response.json(), config=_CONFIG)
    schema.app = client.app
    return schema


def operations(schema: BaseSchema) -> list[Operation]:
    """Every operation of the document, in document order (an unloadable one is an error)."""
    found = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        found.append(result.ok())
    return found


def secured(operation: Operation) -> bool:
    """Whether the operation declares a security requirement."""
    return bool(operation.definition.raw.get("security"))


def negatable(operation: Operation) -> bool:
    """Whether a schema-violating request can exist: a body, a credential, or a parameter
    with a constraint to break. Otherwise hypothesis spends its whole invalid-example budget
    (about a thousand draws) learning that it cannot, so the negative phase is skipped."""
    raw = operation.definition.raw
    if raw.get("requestBody") or raw.get("security"):
        return True
    for parameter in raw.get("parameters", ()):
        schema = parameter.get("schema", {})
        if parameter.get("in") != "path" or schema.get("type") != "string":
            return True
        if set(schema) - {"type", "title", "description"}:
            return True
    return False


def undocumented_problems(schema: BaseSchema, *, oauth: Collection[str] = ()) -> list[str]:
    """Operations whose documented errors are not the problem+json the handlers answer (nor,
    for the ``oauth`` operations, OAuth-style JSON), or that declare credentials without 401."""
    wrong = []
    for operation in operations(schema):
        responses = operation.definition.raw["responses"]
        oauth_style = operation.label in oauth
        for status, response in responses.items():
            types = set(response.get("content", {}))
            if status.startswith(("4", "5")) and not (
                types == {"application/problem+json"}
                or (oauth_style and "application/json" in types)
            ):
                wrong.append(f"{operation.label}: {status} is {sorted(types)}")
        if secured(operation) and "401" not in responses:
            wrong.append(f"{operation.label}: credentials without 401")
    return wrong
