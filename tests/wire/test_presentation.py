"""Holder side (DESIGN §3): disclosures chosen by claim path, and the KB-JWT."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.wire.conftest import (
    HOLDER_EDDSA,
    HOLDER_ES256,
    NOW,
    PROFILES,
    decode_jwt,
    issue,
)
from wire.credential import IssuedCredential
from wire.disclosures import parse_disclosure
from wire.encoding import b64u_encode
from wire.errors import Malformed
from wire.jwk import public_jwk
from wire.jws import parse_compact, verify_signature
from wire.presentation import (
    KB_TYP,
    QR_AUDIENCE,
    create_presentation,
    disclosure_tree,
    sd_hash,
    select_disclosures,
)
from wire.sdjwt import split_presentation


def _names(credential: IssuedCredential, paths: list[str]) -> list[str | None]:
    return [parse_disclosure(d).name for d in select_disclosures(credential.serialized, paths)]


def test_sd_hash_is_sha256_of_the_ascii_text() -> None:
    text = "eyJ.eyJ.sig~WyJ~"
    assert sd_hash(text) == b64u_encode(hashlib.sha256(text.encode()).digest())


def test_leaf_path_discloses_the_container_and_that_leaf(credential: IssuedCredential) -> None:
    assert sorted(_names(credential, ["residence_address.district"]), key=str) == [
        "district",
        "residence_address",
    ]


def test_object_path_discloses_every_sub_claim(credential: IssuedCredential) -> None:
    assert sorted(_names(credential, ["residence_address"]), key=str) == [
        "district",
        "region_code",
        "residence_address",
        "street",
    ]


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_profiles_disclose_exactly_their_claims(credential: IssuedCredential, profile: str) -> None:
    paths = list(PROFILES[profile].claims)
    names = set(_names(credential, paths))
    expected = {p.split(".")[-1] for p in paths} | {p.split(".")[0] for p in paths}
    if "residence_address" in paths:
        expected |= {"region_code", "district", "street"}
    assert names == expected


def test_selection_keeps_credential_order_without_duplicates(
    credential: IssuedCredential,
) -> None:
    chosen = select_disclosures(
        credential.serialized, ["endorsed_until", "name", "residence_address", "name"]
    )
    order = [d.encoded for d in credential.disclosures]
    assert chosen == sorted(set(chosen), key=order.index)


@pytest.mark.parametrize("path", ["nickname", "name.first", "residence_address.floor", ""])
def test_unknown_path_raises_key_error(credential: IssuedCredential, path: str) -> None:
    with pytest.raises(KeyError):
        select_disclosures(credential.serialized, [path])


def test_disclosure_tree(credential: IssuedCredential) -> None:
    _, payload = decode_jwt(credential.issuer_jwt)
    tree = disclosure_tree(payload, credential.disclosures)
    assert set(tree) == {
        "permit_no",
        "name",
        "sex",
        "birth_date",
        "id_number",
        "hukou_address",
        "residence_address",
        "permit_class",
        "issuing_authority",
        "first_issued",
        "endorsed_until",
        "age_over_18",
        "age_over_60",
    }
    assert set(tree["residence_address"][1]) == {"region_code", "district", "street"}
    assert tree["name"][1] == {}


@pytest.mark.parametrize(("holder", "alg"), [(HOLDER_EDDSA, "EdDSA"), (HOLDER_ES256, "ES256")])
def test_kb_jwt(holder: Any, alg: str) -> None:
    credential = issue(holder=holder)
    text = create_presentation(
        credential.serialized,
        ["name"],
        holder_key=holder,
        audience="https://bank.example.cn/verifier",
        nonce="随机-nonce",
        iat=NOW,
    )
    parts = split_presentation(text)
    assert parts.kb_jwt is not None
    kb = parse_compact(parts.kb_jwt, Malformed)
    assert kb.header == {"alg": alg, "typ": KB_TYP}
    assert kb.payload == {
        "iat": NOW,
        "aud": "https://bank.example.cn/verifier",
        "nonce": "随机-nonce",
        "sd_hash": sd_hash(parts.without_kb),
    }
    assert verify_signature(kb, holder.public_key(), alg)
    assert public_jwk(holder) == decode_jwt(parts.issuer_jwt)[1]["cnf"]["jwk"]


def test_default_audience_is_the_qr_audience(credential: IssuedCredential) -> None:
    text = create_presentation(
        credential.serialized, ["name"], holder_key=HOLDER_EDDSA, nonce="n", iat=NOW
    )
    kb = parse_compact(split_presentation(text).kb_jwt or "", Malformed)
    assert kb.payload["aud"] == QR_AUDIENCE == "urn:residence-permit:qr"


def test_paper_presentation_has_no_kb_jwt(paper_credential: IssuedCredential) -> None:
    text = create_presentation(paper_credential.serialized, ["name"], holder_key=None)
    assert text.endswith("~")
    parts = split_presentation(text)
    assert parts.kb_jwt is None
    assert [parse_disclosure(d).name for d in parts.disclosures] == ["name"]


@pytest.mark.parametrize("missing", [{"nonce": None}, {"iat": None}])
def test_key_bound_presentation_needs_nonce_and_iat(
    credential: IssuedCredential, missing: dict[str, Any]
) -> None:
    arguments: dict[str, Any] = {"nonce": "n", "iat": NOW, **missing}
    with pytest.raises(ValueError):
        create_presentation(credential.serialized, ["name"], holder_key=HOLDER_EDDSA, **arguments)


def test_presentation_never_contains_undisclosed_values(credential: IssuedCredential) -> None:
    text = create_presentation(
        credential.serialized, ["residence_address.district"], holder_key=None
    )
    decoded = "".join(str(parse_disclosure(d).value) for d in split_presentation(text).disclosures)
    assert "浦东新区" in decoded
    assert "世纪大道100号" not in decoded
    assert "张三丰" not in decoded
    assert len(split_presentation(text).disclosures) == 2
