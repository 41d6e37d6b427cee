"""The permit credential as an SD-JWT VC (DESIGN §2): shape, disclosures, decoys, validation."""

from __future__ import annotations

import copy
import random
from datetime import date
from typing import Any

import jwt as pyjwt
import pytest

from tests.wire.conftest import (
    CLAIMS,
    EXP,
    HOLDER_EDDSA,
    HOLDER_ES256,
    ISSUER,
    ISSUER_EDDSA,
    ISSUER_ES256,
    NOW,
    STATUS_IDX,
    STATUS_URI,
    decode_jwt,
    issue,
    kid_of,
)
from wire.credential import (
    ADDRESS_CLAIMS,
    CLAIM_NAMES,
    VCT,
    end_of_day,
    issue_credential,
    validate_permit_claims,
)
from wire.encoding import b64u_encode
from wire.errors import HolderBindingInvalid
from wire.jwk import public_jwk
from wire.sdjwt import process_payload, split_presentation


@pytest.mark.parametrize(("key", "alg"), [(ISSUER_ES256, "ES256"), (ISSUER_EDDSA, "EdDSA")])
def test_header(key: Any, alg: str) -> None:
    header, _ = decode_jwt(issue(signing_key=key).issuer_jwt)
    assert header == {"alg": alg, "typ": "dc+sd-jwt", "kid": kid_of(key)}


def test_always_visible_claims() -> None:
    _, payload = decode_jwt(issue().issuer_jwt)
    assert list(payload) == ["iss", "iat", "exp", "vct", "_sd_alg", "cnf", "status", "_sd"]
    assert payload["iss"] == ISSUER
    assert (payload["iat"], payload["exp"]) == (NOW - 86_400, EXP)
    assert payload["vct"] == VCT == "urn:residence-permit:cn:v1"
    assert payload["_sd_alg"] == "sha-256"
    assert payload["cnf"] == {"jwk": public_jwk(HOLDER_EDDSA)}
    assert payload["status"] == {"status_list": {"idx": STATUS_IDX, "uri": STATUS_URI}}


def test_no_personal_data_in_the_clear() -> None:
    credential = issue()
    _, payload = decode_jwt(credential.issuer_jwt)
    assert not set(payload) & set(CLAIM_NAMES)
    assert "张三丰" not in str(payload)


def test_every_claim_is_its_own_disclosure_with_decoys() -> None:
    credential = issue()
    _, payload = decode_jwt(credential.issuer_jwt)
    names = [d.name for d in credential.disclosures]
    assert sorted(names, key=str) == sorted([*CLAIM_NAMES, *ADDRESS_CLAIMS])
    assert len(credential.disclosures) == 16
    top = payload["_sd"]
    assert top == sorted(top)
    assert 13 + 1 <= len(top) <= 13 + 3
    address = next(d for d in credential.disclosures if d.name == "residence_address")
    assert set(address.value) == {"_sd"}
    assert 3 + 1 <= len(address.value["_sd"]) <= 3 + 2
    assert address.value["_sd"] == sorted(address.value["_sd"])


def test_decoy_counts_cover_their_ranges() -> None:
    seen_top, seen_address = set(), set()
    for seed in range(40):
        credential = issue(signing_key=ISSUER_EDDSA, seed=seed)
        _, payload = decode_jwt(credential.issuer_jwt)
        address = next(d for d in credential.disclosures if d.name == "residence_address")
        seen_top.add(len(payload["_sd"]) - 13)
        seen_address.add(len(address.value["_sd"]) - 3)
    assert seen_top == {1, 2, 3}
    assert seen_address == {1, 2}


def test_processing_all_disclosures_gives_the_claims() -> None:
    credential = issue()
    parts = split_presentation(credential.serialized)
    assert parts.kb_jwt is None
    assert credential.serialized.endswith("~")
    _, payload = decode_jwt(credential.issuer_jwt)
    processed, _ = process_payload(payload, parts.disclosures)
    user = {k: v for k, v in processed.items() if k in CLAIM_NAMES}
    assert user == CLAIMS


def test_paper_credential_has_no_cnf() -> None:
    _, payload = decode_jwt(issue(holder=None).issuer_jwt)
    assert "cnf" not in payload


def test_es256_holder_key_in_cnf() -> None:
    _, payload = decode_jwt(issue(holder=HOLDER_ES256).issuer_jwt)
    assert payload["cnf"]["jwk"] == public_jwk(HOLDER_ES256)


def test_injected_randomness_makes_issuance_reproducible() -> None:
    # Ed25519 signatures are deterministic, so the whole credential is.
    first = issue(signing_key=ISSUER_EDDSA, seed=3).serialized
    assert issue(signing_key=ISSUER_EDDSA, seed=3).serialized == first
    assert issue(signing_key=ISSUER_EDDSA, seed=4).serialized != first


def test_default_randomness_gives_fresh_salts() -> None:
    arguments: dict[str, Any] = {
        "claims": CLAIMS,
        "issuer": ISSUER,
        "signing_key": ISSUER_EDDSA,
        "holder_jwk": public_jwk(HOLDER_EDDSA),
        "status_uri": STATUS_URI,
        "status_idx": 1,
        "iat": NOW,
        "exp": EXP,
    }
    one, two = issue_credential(**arguments), issue_credential(**arguments)
    assert {d.salt for d in one.disclosures}.isdisjoint({d.salt for d in two.disclosures})


@pytest.mark.parametrize(("key", "alg"), [(ISSUER_ES256, "ES256"), (ISSUER_EDDSA, "EdDSA")])
def test_issuer_jwt_verifies_with_a_general_jwt_library(key: Any, alg: str) -> None:
    token = issue(signing_key=key).issuer_jwt
    decoded = pyjwt.decode(
        token,
        key.public_key(),
        algorithms=[alg],
        options={"verify_exp": False, "verify_iat": False},
    )
    assert decoded["iss"] == ISSUER


def test_end_of_day_is_china_standard_time() -> None:
    assert end_of_day(date(2027, 3, 1)) == 1_803_916_799  # 2027-03-01T23:59:59+08:00
    assert end_of_day(date(2027, 3, 2)) - end_of_day(date(2027, 3, 1)) == 86_400


# --- validation before signing ---------------------------------------------------------


def _with(path: str, value: Any) -> dict[str, Any]:
    claims = copy.deepcopy(CLAIMS)
    *parents, leaf = path.split(".")
    node = claims
    for name in parents:
        node = node[name]
    if value is KeyError:
        del node[leaf]
    else:
        node[leaf] = value
    return claims


BAD_CLAIMS = [
    ("name", KeyError),
    ("name", ""),
    ("name", 1),
    ("nickname", "小名"),
    ("sex", "X"),
    ("id_number", "11010519491231002"),
    ("id_number", 110105194912310020),
    ("birth_date", "1990-5-1"),
    ("birth_date", "1990-02-30"),
    ("first_issued", "2024/03/01"),
    ("endorsed_until", None),
    ("permit_class", "gold"),
    ("age_over_18", 1),
    ("age_over_60", "false"),
    ("residence_address", "上海市"),
    ("residence_address.region_code", "31011"),
    ("residence_address.region_code", "３１０１１５"),
    ("residence_address.district", ""),
    ("residence_address.street", KeyError),
    ("residence_address.floor", "3"),
]


@pytest.mark.parametrize(("path", "value"), BAD_CLAIMS, ids=[f"{p}={v!r}" for p, v in BAD_CLAIMS])
def test_claims_are_validated_without_echoing_values(path: str, value: Any) -> None:
    claims = _with(path, value)
    with pytest.raises(ValueError) as info:
        validate_permit_claims(claims)
    if isinstance(value, str) and len(value) >= 2:
        assert value not in str(info.value)  # messages name the claim, never its value
    with pytest.raises(ValueError):
        issue(claims=claims)


def test_valid_claims_pass_validation() -> None:
    validate_permit_claims(CLAIMS)


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": EXP + 86_400},  # endorsed_until is no longer the date of exp
        {"exp": EXP - 86_400},
        {"iat": EXP},
        {"iat": -1},
        {"status_idx": -1},
        {"status_idx": True},
        {"iat": True},
        {"iat": float(NOW)},
        {"exp": float(EXP)},
    ],
    ids=repr,
)
def test_times_and_index_are_checked(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        issue(**overrides)


@pytest.mark.parametrize(
    "x",
    [
        bytes(32),
        bytes([1]) + bytes(31),
        bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    ],
)
def test_weak_holder_keys_are_refused(x: bytes) -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(x)}
    with pytest.raises(HolderBindingInvalid):
        issue(holder_jwk=jwk)


def test_private_holder_jwk_is_refused() -> None:
    with pytest.raises(HolderBindingInvalid):
        issue(holder_jwk={**public_jwk(HOLDER_EDDSA), "d": b64u_encode(bytes(32))})


def test_decoy_rng_is_used() -> None:
    class Fixed(random.Random):
        def randint(self, a: int, b: int) -> int:
            return b

    _, payload = decode_jwt(issue(decoy_rng=Fixed()).issuer_jwt)
    assert len(payload["_sd"]) == 16
