"""Model split (CONVENTIONS §11): secrets live only on table models; wire models validate."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from issuer.models import (
    ApplicationCreate,
    ApplicationPublic,
    ApplicationStatusPublic,
    EmployerPublic,
    OfficerCreate,
    OfficerPublic,
)
from issuer.models.applications import id_number_checksum_ok
from tests.issuer.helpers import application_body, id_number

SECRETS = {"password", "password_hash", "totp_secret", "totp_last_step", "token_version"}


@pytest.mark.parametrize(
    ("model", "forbidden"),
    [
        (OfficerPublic, SECRETS),
        (EmployerPublic, {"api_key_hash"}),
        (ApplicationPublic, {"status_token_hash"}),
        (ApplicationStatusPublic, {"status_token_hash", "name", "id_number", "birth_date"}),
    ],
)
def test_public_models_carry_no_secrets(model: type[BaseModel], forbidden: set[str]) -> None:
    assert not forbidden & set(model.model_fields)


def test_id_number_checksum() -> None:
    assert id_number_checksum_ok("11010519491231002X")  # GB 11643-1999 example
    assert not id_number_checksum_ok("110105194912310021")
    assert not id_number_checksum_ok("11010519491231002x")
    assert id_number_checksum_ok(id_number("20010101", sex="M"))


def test_application_create_accepts_a_valid_body() -> None:
    data = ApplicationCreate.model_validate(application_body(id_number=id_number().lower()))
    assert data.id_number == id_number()  # trailing x normalised to X
    assert data.residence_address.district == "徐汇区"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sex": "X"}, "sex"),
        ({"birth_date": 0}, "birth_date"),
        ({"birth_date": "1990-3-7"}, "birth_date"),
        ({"birth_date": "1990-02-30"}, "birth_date"),
        ({"id_number": "110105194912310021"}, "id_number"),
        ({"id_number": "1101051949123100"}, "id_number"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"name": "a\u0000b"}, "name"),
        ({"hukou_address": ""}, "hukou_address"),
        (
            {"residence_address": {"region_code": "31010", "district": "d", "street": "s"}},
            "residence_address.region_code",
        ),
        (
            {"residence_address": {"region_code": "310104", "district": "d"}},
            "residence_address.street",
        ),
        (
            {
                "residence_address": {
                    "region_code": "310104",
                    "district": "d",
                    "street": "s",
                    "x": 1,
                }
            },
            "residence_address.x",
        ),
        ({"facts": []}, "facts"),
        ({"nickname": "x"}, "nickname"),
    ],
)
def test_application_create_names_the_bad_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ApplicationCreate.model_validate(application_body(**change))
    fields = {".".join(str(p) for p in err["loc"]) for err in caught.value.errors()}
    assert field in fields


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": "-bad"}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "ab"}, "username"),
        ({"role": "admin"}, "role"),
        ({"password": "short"}, "password"),
    ],
)
def test_officer_create_validation(change: dict[str, Any], field: str) -> None:
    body = {
        "username": "Alice.W",
        "role": "clerk",
        "jurisdiction": "shanghai",
        "password": "x" * 12,
    }
    assert OfficerCreate.model_validate(body).username == "alice.w"
    with pytest.raises(ValidationError) as caught:
        OfficerCreate.model_validate({**body, **change})
    assert caught.value.errors()[0]["loc"] == (field,)
