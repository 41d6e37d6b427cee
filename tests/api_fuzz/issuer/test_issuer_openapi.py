"""Schemathesis against the issuer's OpenAPI document: no 5xx, responses as documented."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.api_fuzz.conftest import PARTS, FuzzRunner
from tests.api_fuzz.documents import load_schema, undocumented_problems
from tests.api_fuzz.harness import FuzzTarget

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@pytest.mark.parametrize("part", PARTS)
def test_every_operation_conforms_without_server_errors(
    issuer_target: FuzzTarget, run_fuzz: FuzzRunner, part: int | str
) -> None:
    run_fuzz(issuer_target, part)


def test_errors_are_documented_as_the_handlers_answer_them(client: TestClient) -> None:
    # The OpenID4VCI endpoints answer OAuth's {"error", "error_description"} (RFC 6749 §5.2).
    oauth = {"POST /issuer/token", "POST /issuer/credential", "POST /issuer/paper-credential"}
    assert undocumented_problems(load_schema(client), oauth=oauth) == []
