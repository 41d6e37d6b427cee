"""RFC 9457 bodies shared by the three services (wire.problem)."""

from __future__ import annotations

from typing import Any

from wire.problem import http_problem, problem_body, title, validation_problem


def test_problem_body_shape_and_extensions() -> None:
    body = problem_body(status=409, code="conflict", detail="d", field="x")
    assert body == {
        "type": "urn:residence-permit:problem:conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "d",
        "code": "conflict",
        "field": "x",
    }
    assert title(418) == "Error"


def test_validation_problem_names_fields_never_values() -> None:
    errors: list[dict[str, Any]] = [
        {"loc": ("body", "facts", "residence_months"), "msg": "Value error, too big", "input": 9},
        {"loc": ("form", "password"), "msg": "Field required", "input": "s3cret"},
    ]
    body = validation_problem(errors)
    assert body["status"] == 422
    assert body["code"] == "invalid_input"
    assert body["field"] == "facts.residence_months"
    assert body["detail"] == "facts.residence_months: too big"
    assert body["errors"][1] == {"field": "password", "message": "Field required"}
    assert "s3cret" not in repr(body)


def test_long_and_empty_locations() -> None:
    long = validation_problem([{"loc": ("body", "x" * 100), "msg": "bad"}])
    assert long["field"] == "x" * 64 + "…"
    assert validation_problem([])["field"] == "body"
    assert validation_problem([{"loc": ("body",), "msg": "bad"}])["field"] == "body"


def test_http_problem_codes() -> None:
    assert http_problem(404, "Not Found")["code"] == "not_found"
    assert http_problem(405, None)["detail"] == "Method Not Allowed"
    assert http_problem(418, "teapot")["code"] == "http_error"
