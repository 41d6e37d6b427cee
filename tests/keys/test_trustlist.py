"""keys.trustlist: building, signing, verifying and loading trust lists (DESIGN §5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from keys.generate import KEY_ALGS, KeyAlg, generate_private_key
from keys.ring import KeyRing
from keys.trustlist import (
    MAX_CLOCK_SKEW,
    TRUST_LIST_TYP,
    build_trust_list,
    load_trust_list_file,
    sign_trust_list,
    verify_trust_list,
)
from wire.encoding import b64u_encode, json_dumps
from wire.errors import ConfigurationError, Malformed
from wire.jwk import PrivateKey, public_jwk, thumbprint
from wire.jws import parse_compact, sign_compact
from wire.trust import MAX_TRUST_LIST_BYTES, TrustList

NOW = 1_750_000_000
DAY = 86_400
ISS = "https://permits.sh.example/issuer"

ISSUER_RING = KeyRing.generate().rotate(generate_private_key("EdDSA"))
ANCHOR = generate_private_key()
OTHER_ANCHOR = generate_private_key()


def entry(iss: str = ISS, **overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "iss": iss,
        "name": "上海市公安局",
        "region_code": "310000",
        "jwks": ISSUER_RING.jwks(),
        "status_list_prefixes": ["https://permits.sh.example/status/"],
    }
    value.update(overrides)
    return value


def trust_list() -> dict[str, Any]:
    return build_trust_list([entry()])


def anchor_jwks(key: PrivateKey) -> dict[str, Any]:
    jwk = public_jwk(key)
    return {"keys": [{**jwk, "kid": thumbprint(jwk)}]}


def signed(key: PrivateKey = ANCHOR, *, iat: int = NOW, exp: int = NOW + 30 * DAY) -> str:
    return sign_trust_list(trust_list(), key, iat=iat, exp=exp)


def forge(header: dict[str, Any], payload: dict[str, Any], key: PrivateKey = ANCHOR) -> str:
    """Sign arbitrary header/payload with a real anchor key (alg is set from the key)."""
    return sign_compact(header, payload, key)


def anchor_header(key: PrivateKey = ANCHOR, **extra: Any) -> dict[str, Any]:
    return {"typ": TRUST_LIST_TYP, "kid": thumbprint(public_jwk(key)), **extra}


def payload(**claims: Any) -> dict[str, Any]:
    return {**trust_list(), "iat": NOW, "exp": NOW + DAY, **claims}


# --- build ------------------------------------------------------------------------------------


def test_build_validates_and_normalises() -> None:
    built = build_trust_list([entry(), entry("https://permits.bj.example/issuer")])
    assert built["version"] == 1
    assert [issuer["iss"] for issuer in built["issuers"]] == [
        ISS,
        "https://permits.bj.example/issuer",
    ]
    assert built["issuers"][0]["jwks"] == ISSUER_RING.jwks()
    assert TrustList.from_json(built).to_json() == built


def test_build_refuses_instead_of_dropping_an_entry() -> None:
    with pytest.raises(ConfigurationError, match=r"issuers\[1\]"):
        build_trust_list([entry(), entry("https://x.example/issuer", status_list_prefixes=[])])


def test_build_loopback_needs_the_flag() -> None:
    local = entry(
        "http://127.0.0.1:8000/issuer", status_list_prefixes=["http://127.0.0.1:8000/status/"]
    )
    with pytest.raises(ConfigurationError):
        build_trust_list([local])
    assert build_trust_list([local], allow_insecure_loopback=True)["issuers"][0]["iss"] == (
        "http://127.0.0.1:8000/issuer"
    )


# --- sign -------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", KEY_ALGS)
def test_sign_produces_a_trustlist_jwt(alg: KeyAlg) -> None:
    key = generate_private_key(alg)
    jws = parse_compact(signed(key), Malformed)
    assert jws.header == {"alg": alg, "typ": TRUST_LIST_TYP, "kid": thumbprint(public_jwk(key))}
    assert jws.payload == {**trust_list(), "iat": NOW, "exp": NOW + 30 * DAY}


def test_sign_refuses_exp_not_after_iat() -> None:
    with pytest.raises(ConfigurationError):
        signed(iat=NOW, exp=NOW)


def test_sign_refuses_an_invalid_list() -> None:
    broken = trust_list()
    broken["issuers"][0]["region_code"] = "31"
    with pytest.raises(ConfigurationError):
        sign_trust_list(broken, ANCHOR, iat=NOW, exp=NOW + DAY)


# --- verify: success --------------------------------------------------------------------------


@pytest.mark.parametrize("alg", KEY_ALGS)
def test_verify_with_key_objects_and_with_a_jwks(alg: KeyAlg) -> None:
    key = generate_private_key(alg)
    token = signed(key)
    by_key = verify_trust_list(
        token, anchor_keys=[OTHER_ANCHOR.public_key(), key.public_key()], now=NOW
    )
    by_jwks = verify_trust_list(token, anchor_keys=anchor_jwks(key), now=NOW)
    assert by_key.to_json() == by_jwks.to_json() == trust_list()
    issuer = by_key.issuer(ISS)
    assert issuer is not None
    assert set(issuer.keys) == set(ISSUER_RING.kids)


def test_verify_accepts_an_aware_datetime() -> None:
    now = datetime.fromtimestamp(NOW, tz=UTC)
    assert verify_trust_list(signed(), anchor_keys=[ANCHOR.public_key()], now=now).issuers


def test_verify_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone"):
        verify_trust_list(signed(), anchor_keys=[ANCHOR.public_key()], now=datetime(2025, 1, 1))


def test_exp_is_optional_and_string_claims_are_ignored() -> None:
    body = {**trust_list(), "iat": NOW, "iss": "https://anchor.example", "jti": "1"}
    token = forge(anchor_header(), body)
    assert verify_trust_list(token, anchor_keys=[ANCHOR.public_key()], now=NOW + 9999 * DAY)


# --- verify: every failure is a ConfigurationError --------------------------------------------


def _tamper_payload(token: str) -> str:
    header, _, signature = token.split(".")
    changed = trust_list()
    changed["issuers"][0]["name"] = "伪造"
    return ".".join([header, b64u_encode(json_dumps({**changed, "iat": NOW})), signature])


def _tamper_signature(token: str) -> str:
    head, _, signature = token.rpartition(".")
    flipped = "A" if signature[0] != "A" else "B"
    return f"{head}.{flipped}{signature[1:]}"


def _unsigned(header: dict[str, Any]) -> str:
    return f"{b64u_encode(json_dumps(header))}.{b64u_encode(json_dumps(payload()))}."


REFUSED: dict[str, str] = {
    "wrong-anchor": signed(OTHER_ANCHOR),
    "tampered-payload": _tamper_payload(signed()),
    "tampered-signature": _tamper_signature(signed()),
    "signature-from-other-key-same-kid": forge(anchor_header(ANCHOR), payload(), OTHER_ANCHOR),
    "wrong-typ": forge(anchor_header(typ="JWT"), payload()),
    "typ-statuslist": forge(anchor_header(typ="statuslist+jwt"), payload()),
    "missing-typ": forge({"kid": thumbprint(public_jwk(ANCHOR))}, payload()),
    "missing-kid": forge({"typ": TRUST_LIST_TYP}, payload()),
    "kid-not-string": forge(anchor_header(kid=["x"]), payload()),
    "crit": forge(anchor_header(crit=["exp"]), payload()),
    "alg-none": _unsigned({"alg": "none", **anchor_header()}),
    "alg-hs256": _unsigned({"alg": "HS256", **anchor_header()}) + "AAAA",
    "alg-list": _unsigned({"alg": ["ES256"], **anchor_header()}) + "AAAA",
    "expired": forge(anchor_header(), payload(exp=NOW)),
    "expired-long-ago": forge(anchor_header(), payload(exp=NOW - DAY)),
    "exp-string": forge(anchor_header(), payload(exp=str(NOW + DAY))),
    "exp-bool": forge(anchor_header(), payload(exp=True)),
    "exp-float": forge(anchor_header(), payload(exp=NOW + DAY + 0.5)),
    "iat-in-future": forge(anchor_header(), payload(iat=NOW + MAX_CLOCK_SKEW + 1)),
    "nbf-in-future": forge(anchor_header(), payload(nbf=NOW + MAX_CLOCK_SKEW + 1)),
    "iss-not-string": forge(anchor_header(), payload(iss=1)),
    "unknown-claim": forge(anchor_header(), payload(aud="x")),
    "invalid-list-inside": forge(anchor_header(), payload(version=2)),
    "not-a-jws": "not a token",
    "two-parts": "a.b",
    "padded-base64": signed() + "=",
    "empty": "",
    "too-large": "A" * (MAX_TRUST_LIST_BYTES + 1),
}


def test_fixture_forgery_is_valid_when_untampered() -> None:
    assert verify_trust_list(
        forge(anchor_header(), payload()), anchor_keys=[ANCHOR.public_key()], now=NOW
    )


@pytest.mark.parametrize("token", list(REFUSED.values()), ids=list(REFUSED))
def test_verify_refuses(token: str) -> None:
    with pytest.raises(ConfigurationError):
        verify_trust_list(token, anchor_keys=[ANCHOR.public_key()], now=NOW)


def test_alg_must_match_the_anchor_key_type() -> None:
    ed_anchor = generate_private_key("EdDSA")
    token = signed(ed_anchor)
    _header, body, signature = token.split(".")
    lying = {"alg": "ES256", **anchor_header(ed_anchor)}
    forged = ".".join([b64u_encode(json_dumps(lying)), body, signature])
    with pytest.raises(ConfigurationError):
        verify_trust_list(forged, anchor_keys=[ed_anchor.public_key()], now=NOW)


def test_valid_until_exp() -> None:
    token = signed(exp=NOW + DAY)
    assert verify_trust_list(token, anchor_keys=[ANCHOR.public_key()], now=NOW + DAY - 1)
    with pytest.raises(ConfigurationError, match="expired"):
        verify_trust_list(token, anchor_keys=[ANCHOR.public_key()], now=NOW + DAY)


@pytest.mark.parametrize(
    "anchors",
    [[], {"keys": []}, {"keys": [{**public_jwk(ANCHOR), "kid": "wrong"}]}, {"keys": "x"}],
    ids=["empty-list", "empty-jwks", "kid-not-thumbprint", "malformed-jwks"],
)
def test_invalid_anchor_configuration_is_refused(anchors: Any) -> None:
    with pytest.raises(ConfigurationError):
        verify_trust_list(signed(), anchor_keys=anchors, now=NOW)


def test_header_key_material_is_never_used() -> None:
    attacker = generate_private_key()
    header = anchor_header(attacker, jwk=public_jwk(attacker))
    with pytest.raises(ConfigurationError, match="anchor"):
        verify_trust_list(
            forge(header, payload(), attacker), anchor_keys=[ANCHOR.public_key()], now=NOW
        )


# --- load_trust_list_file ---------------------------------------------------------------------


def test_plain_file_without_anchor_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "trust-list.json"
    path.write_text("\n" + json.dumps(trust_list(), ensure_ascii=False, indent=2) + "\n")
    assert load_trust_list_file(path, now=NOW).issuer(ISS) is not None


def test_plain_file_with_anchor_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "trust-list.json"
    path.write_text(json.dumps(trust_list()))
    with pytest.raises(ConfigurationError, match="not signed"):
        load_trust_list_file(path, anchor=[ANCHOR.public_key()], now=NOW)


def test_signed_file_needs_an_anchor(tmp_path: Path) -> None:
    path = tmp_path / "trust-list.jwt"
    path.write_text(signed() + "\n")
    with pytest.raises(ConfigurationError, match="anchor"):
        load_trust_list_file(path, now=NOW)
    loaded = load_trust_list_file(path, anchor=anchor_jwks(ANCHOR), now=NOW)
    assert loaded.issuer(ISS) is not None


def test_signed_file_is_fully_verified(tmp_path: Path) -> None:
    path = tmp_path / "trust-list.jwt"
    path.write_text(signed(OTHER_ANCHOR))
    with pytest.raises(ConfigurationError):
        load_trust_list_file(path, anchor=[ANCHOR.public_key()], now=NOW)
    path.write_text(signed())
    with pytest.raises(ConfigurationError, match="expired"):
        load_trust_list_file(path, anchor=[ANCHOR.public_key()], now=NOW + 31 * DAY)


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe garbage", b"", b"{not json", b"[1, 2]", b" " * (MAX_TRUST_LIST_BYTES + 1)],
    ids=["binary", "empty", "bad-json", "array", "too-large"],
)
def test_unusable_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "trust-list"
    path.write_bytes(content)
    with pytest.raises(ConfigurationError):
        load_trust_list_file(path, now=NOW)
    with pytest.raises(ConfigurationError):
        load_trust_list_file(path, anchor=[ANCHOR.public_key()], now=NOW)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_trust_list_file(tmp_path / "absent.json", now=NOW)
