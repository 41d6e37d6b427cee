"""The sd-jwt-python reference test cases (YAML, ``!sd`` tags), run on our code.

How each case is issued, presented and verified: :mod:`tests.conformance.testcase_harness`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.harness import assert_json_equal
from tests.conformance.testcase_harness import (
    HOLDER_JWK,
    ISS,
    JS_DIR,
    JSON_SKIP,
    PY_DIR,
    Holder,
    frame_from_tagged,
    framed_object_paths,
    full_verify,
    issue,
    load_python_case,
    present,
    verify_generic,
)

# --- the YAML translation ------------------------------------------------------------------------


def test_yaml_translation_example() -> None:
    """The translation on a case with every shape: keys, elements, recursion, nested arrays."""
    claims, frame = frame_from_tagged(load_python_case("recursions")["user_claims"])
    assert claims["qux"] == [["blue", "yellow"]]
    assert claims["animals"]["snake"] == {"name": "python", "age": 10}
    assert frame == {
        "foo": {"_sd": [0, 1]},
        "bar": {"_sd": ["red", "green"]},
        "qux": {"0": {"_sd": [0, 1]}, "_sd": [0]},
        "baz": {"0": {"_sd": [0, 1]}, "1": {"_sd": [0, 1]}, "_sd": [0, 1]},
        "animals": {
            "snake": {"_sd": ["name", "age"]},
            "bird": {"_sd": ["name", "age"]},
            "_sd": ["snake", "bird"],
        },
    }
    data_types, _ = frame_from_tagged(load_python_case("array_data_types")["user_claims"])
    assert_json_equal(
        data_types, {"data_types": [None, 42, 3.14, "foo", True, ["Test"], {"foo": "bar"}]}
    )


# --- sd-jwt-python cases ------------------------------------------------------------------------


def _python_params() -> list[Any]:
    params = []
    for directory in sorted(p for p in PY_DIR.iterdir() if p.is_dir()):
        case = load_python_case(directory.name)
        json_form = case.get("serialization_format", "compact") == "json"
        marks = [pytest.mark.skip(reason=JSON_SKIP)] if json_form else []
        params.append(pytest.param(directory.name, marks=marks, id=directory.name))
    return params


PYTHON_CASES = _python_params()


def test_python_cases_are_all_there() -> None:
    assert len(PYTHON_CASES) == 17


@pytest.mark.parametrize("name", PYTHON_CASES)
def test_python_case(name: str) -> None:
    """Upstream ``tests/test_e2e_testcases.py``: ``iss`` is added to the claims, ``cnf`` when
    ``key_binding`` is set, and the verified payload must equal the expected claims plus
    those two. ``extra_header_parameters`` go into the issuer JWT header."""
    case = load_python_case(name)
    key_binding = bool(case.get("key_binding", False))
    claims, frame = frame_from_tagged(case["user_claims"])
    extra_header = case.get("extra_header_parameters", {})
    decoys = (
        dict.fromkeys(framed_object_paths(claims, frame), 3)
        if case.get("add_decoy_claims")
        else None
    )
    issued = issue(
        claims,
        frame,
        header={"typ": "example+sd-jwt", **extra_header},
        visible={"iss": ISS},
        key_binding=key_binding,
        decoys=decoys,
    )
    holder = Holder(issued.disclosures)
    holder.python(issued.payload, case["holder_disclosed_claims"])
    header, verified = verify_generic(
        present(issued, holder.chosen, key_binding=key_binding), key_binding=key_binding
    )
    expected = {**case["expect_verified_user_claims"], "iss": ISS}
    if key_binding:
        expected["cnf"] = {"jwk": {name: HOLDER_JWK[name] for name in ("kty", "crv", "x", "y")}}
    assert_json_equal(verified, expected)
    assert {k: header[k] for k in extra_header} == extra_header


#: Python cases the full verifier must refuse, and why.
PYTHON_FULL_REFUSED = {
    # The case sets the header "kid" to the integer 42. Keys are chosen by a string kid only
    # (DESIGN §5), so the credential is signed by an unknown key.
    "header_mod": "unknown_key",
}


@pytest.mark.parametrize("name", PYTHON_CASES)
def test_python_case_through_the_full_verifier(name: str) -> None:
    case = load_python_case(name)
    claims, frame = frame_from_tagged(case["user_claims"])
    result = full_verify(
        claims,
        frame,
        lambda holder, payload: holder.python(payload, case["holder_disclosed_claims"]),
        key_binding=bool(case.get("key_binding", False)),
        extra_header=case.get("extra_header_parameters"),
    )
    if name in PYTHON_FULL_REFUSED:
        assert (result.valid, result.reason) == (False, PYTHON_FULL_REFUSED[name])
        return
    assert (result.valid, result.reason, result.status) == (True, None, "valid")
    assert_json_equal(result.claims, case["expect_verified_user_claims"])


def test_vectors_dir_layout() -> None:
    """Both sources are present (a missing directory would otherwise yield zero cases)."""
    assert PY_DIR.is_dir()
    assert JS_DIR.is_dir()
