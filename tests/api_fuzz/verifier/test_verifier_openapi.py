"""Schemathesis against the verifier's OpenAPI document: no 5xx, responses as documented."""

from __future__ import annotations

import pytest

from tests.api_fuzz.conftest import PARTS, FuzzRunner
from tests.api_fuzz.documents import operations, undocumented_problems
from tests.api_fuzz.harness import FuzzTarget
from verifier.service.routes_verify import VerifyBody


@pytest.mark.parametrize("part", PARTS)
def test_every_operation_conforms_without_server_errors(
    verifier_target: FuzzTarget, run_fuzz: FuzzRunner, part: int | str
) -> None:
    run_fuzz(verifier_target, part)


def test_errors_are_documented_as_the_handlers_answer_them(verifier_target: FuzzTarget) -> None:
    # The wallet's direct_post endpoint refuses OAuth-style: {"error", "reason"} (OpenID4VP §8.2).
    oauth = {"POST /v1/requests/{request_id}/response"}
    assert undocumented_problems(verifier_target.schema, oauth=oauth) == []


def test_the_plain_verify_route_and_the_account_key_are_documented(
    verifier_target: FuzzTarget,
) -> None:
    by_label = {op.label: op.definition.raw for op in operations(verifier_target.schema)}
    verify = by_label["POST /v1/verify"]
    body = verify["requestBody"]["content"]["application/json"]["schema"]
    assert body == VerifyBody.model_json_schema()
    assert {"200", "401", "403", "409", "413", "422", "503"} <= set(verify["responses"])
    for label in ("POST /v1/requests", "GET /v1/requests/{request_id}"):
        assert by_label[label]["security"] == [{"AccountKey": []}]
    assert "security" not in by_label["POST /v1/requests/{request_id}/response"]
