"""Facts.from_mapping: strict types, every field required, unknown fields refused."""

from __future__ import annotations

from typing import Any

import pytest

from issuer.eligibility import FACT_SPECS, Facts
from wire.errors import InvalidInput

from .test_eligibility import NOTHING

INT_FACTS = [name for name, spec in FACT_SPECS.items() if spec.kind == "int"]
BOOL_FACTS = [name for name, spec in FACT_SPECS.items() if spec.kind == "bool"]
ENUM_FACTS = [name for name, spec in FACT_SPECS.items() if spec.kind == "enum"]


def refused(obj: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        Facts.from_mapping(obj)
    return info.value


def test_valid_facts_round_trip() -> None:
    facts = Facts.from_mapping(NOTHING)
    assert facts.to_dict() == NOTHING
    assert Facts.from_mapping(facts.to_dict()) == facts


def test_schema_covers_exactly_the_dataclass_fields() -> None:
    assert list(FACT_SPECS) == list(NOTHING)
    assert list(Facts.from_mapping(NOTHING).to_dict()) == list(FACT_SPECS)


@pytest.mark.parametrize("name", list(FACT_SPECS))
def test_missing_fact_is_named(name: str) -> None:
    obj = {k: v for k, v in NOTHING.items() if k != name}
    error = refused(obj)
    assert error.field == name
    assert error.code == "invalid_input"


def test_unknown_fact_is_refused_and_named() -> None:
    error = refused({**NOTHING, "salary": 1})
    assert error.field == "salary"


def test_unknown_fact_is_reported_before_the_missing_one_it_misspells() -> None:
    obj = {k: v for k, v in NOTHING.items() if k != "residence_months"}
    obj["residence_month"] = 6
    assert refused(obj).field == "residence_month"


def test_overlong_unknown_key_is_not_echoed_in_full() -> None:
    error = refused({**NOTHING, "x" * 500: 1})
    assert error.field is not None
    assert len(error.field) < 100


@pytest.mark.parametrize("name", INT_FACTS)
@pytest.mark.parametrize("value", [True, False, 6.0, "6", None, [6]])
def test_int_facts_refuse_other_types_including_bool(name: str, value: object) -> None:
    assert refused({**NOTHING, name: value}).field == name


@pytest.mark.parametrize("name", INT_FACTS)
def test_int_facts_refuse_negative(name: str) -> None:
    assert refused({**NOTHING, name: -1}).field == name


@pytest.mark.parametrize("name", INT_FACTS)
def test_int_facts_accept_zero(name: str) -> None:
    assert Facts.from_mapping({**NOTHING, name: 0}).get(name) == 0


def test_last_24_is_at_most_24() -> None:
    assert Facts.from_mapping({**NOTHING, "social_insurance_months_last_24": 24})
    error = refused({**NOTHING, "social_insurance_months_last_24": 25})
    assert error.field == "social_insurance_months_last_24"


@pytest.mark.parametrize("name", BOOL_FACTS)
@pytest.mark.parametrize("value", [0, 1, "true", None])
def test_bool_facts_refuse_non_bool(name: str, value: object) -> None:
    assert refused({**NOTHING, name: value}).field == name


@pytest.mark.parametrize("name", ENUM_FACTS)
@pytest.mark.parametrize("value", ["Owned", "CONTRACT", "", " none", 1, None, True])
def test_enum_facts_are_exact(name: str, value: object) -> None:
    assert refused({**NOTHING, name: value}).field == name


@pytest.mark.parametrize(
    ("name", "value"),
    [(name, choice) for name in ENUM_FACTS for choice in FACT_SPECS[name].choices],
)
def test_every_enum_value_is_accepted(name: str, value: str) -> None:
    assert Facts.from_mapping({**NOTHING, name: value}).get(name) == value


@pytest.mark.parametrize("obj", [None, [], "facts", 3])
def test_facts_must_be_an_object(obj: object) -> None:
    error = refused(obj)
    assert error.field is None


def test_messages_never_echo_the_value() -> None:
    secret = "110101199003077777"
    for name in FACT_SPECS:
        error = refused({**NOTHING, name: secret})
        assert secret not in error.message
        assert error.field == name


def test_get_refuses_unknown_names() -> None:
    facts = Facts.from_mapping(NOTHING)
    with pytest.raises(KeyError):
        facts.get("salary")


def test_facts_are_frozen() -> None:
    facts: Any = Facts.from_mapping(NOTHING)
    with pytest.raises(AttributeError):
        facts.residence_months = 7
