"""wire.trust's trust list model (DESIGN §5): loading a valid list, and every validation rule
refusing the whole list.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any, cast

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

import wire.trust
from wire.encoding import b64u_encode
from wire.errors import ConfigurationError
from wire.jwk import PrivateKey, public_jwk, thumbprint
from wire.trust import MAX_TRUST_LIST_BYTES, TrustedIssuer, TrustList, load_jwks

ISS = "https://permits.sh.example/issuer"
PREFIX = "https://permits.sh.example/status/"

_EC_KEY = ec.generate_private_key(ec.SECP256R1())
_ED_KEY = ed25519.Ed25519PrivateKey.generate()
_OTHER_KEY = ec.generate_private_key(ec.SECP256R1())


def jwk_of(key: PrivateKey, **extra: Any) -> dict[str, Any]:
    jwk: dict[str, Any] = public_jwk(key)
    return {**jwk, "kid": thumbprint(jwk), **extra}


def issuer_entry(iss: str = ISS, **overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "iss": iss,
        "name": "上海市公安局",
        "region_code": "310000",
        "jwks": {"keys": [jwk_of(_EC_KEY, alg="ES256", use="sig"), jwk_of(_ED_KEY)]},
        "status_list_prefixes": [PREFIX],
    }
    entry.update(overrides)
    return entry


def valid_list() -> dict[str, Any]:
    second = issuer_entry(
        "https://permits.bj.example/issuer",
        name="北京市公安局",
        region_code="110000",
        jwks={"keys": [jwk_of(_OTHER_KEY)]},
        status_list_prefixes=["https://permits.bj.example/status/"],
    )
    return {"version": 1, "issuers": [issuer_entry(), second]}


def test_valid_list_loads_with_imported_keys() -> None:
    trust_list = TrustList.from_json(valid_list())
    issuer = trust_list.issuer(ISS)
    assert issuer is not None
    assert (issuer.name, issuer.region_code) == ("上海市公安局", "310000")
    assert issuer.status_list_prefixes == (PREFIX,)
    ec_kid = thumbprint(public_jwk(_EC_KEY))
    ed_kid = thumbprint(public_jwk(_ED_KEY))
    assert set(issuer.keys) == {ec_kid, ed_kid}
    assert isinstance(issuer.key(ec_kid), ec.EllipticCurvePublicKey)
    assert isinstance(issuer.key(ed_kid), ed25519.Ed25519PublicKey)
    assert issuer.key(thumbprint(public_jwk(_OTHER_KEY))) is None
    assert len(trust_list.issuers) == 2


@pytest.mark.parametrize(
    "iss",
    [
        ISS + "/",
        "https://PERMITS.sh.example/issuer",
        "https://permits.sh.example:443/issuer",
        "https://permits.sh.example/Issuer",
        "",
    ],
)
def test_issuer_lookup_is_exact_string_match(iss: str) -> None:
    assert TrustList.from_json(valid_list()).issuer(iss) is None


def test_model_is_immutable() -> None:
    issuer = TrustList.from_json(valid_list()).issuers[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        issuer.iss = "https://evil.example"  # type: ignore[misc]
    with pytest.raises(TypeError):
        issuer.keys["x"] = issuer.keys[next(iter(issuer.keys))]  # type: ignore[index]


def test_input_mutation_after_loading_does_not_change_the_list() -> None:
    obj = valid_list()
    trust_list = TrustList.from_json(obj)
    obj["issuers"][0]["status_list_prefixes"].append("https://evil.example/")
    obj["issuers"][0]["jwks"]["keys"].clear()
    issuer = trust_list.issuer(ISS)
    assert issuer is not None
    assert issuer.status_list_prefixes == (PREFIX,)
    assert len(issuer.keys) == 2


def test_to_json_round_trips_and_normalises_keys() -> None:
    trust_list = TrustList.from_json(valid_list())
    exported = trust_list.to_json()
    assert TrustList.from_json(exported).to_json() == exported
    for issuer in exported["issuers"]:
        for jwk in issuer["jwks"]["keys"]:
            assert jwk["kid"] == thumbprint(jwk)
            assert jwk["use"] == "sig"
            assert jwk["alg"] == ("ES256" if jwk["kty"] == "EC" else "EdDSA")
            assert "d" not in jwk


def test_loopback_http_needs_the_flag() -> None:
    obj = {
        "version": 1,
        "issuers": [
            issuer_entry(
                "http://127.0.0.1:8000/issuer",
                status_list_prefixes=["http://127.0.0.1:8000/status/"],
            )
        ],
    }
    with pytest.raises(ConfigurationError):
        TrustList.from_json(obj)
    trust_list = TrustList.from_json(obj, allow_insecure_loopback=True)
    issuer = trust_list.issuer("http://127.0.0.1:8000/issuer")
    assert issuer is not None
    assert issuer.allows_status_uri("http://127.0.0.1:8000/status/7", allow_insecure_loopback=True)
    assert not issuer.allows_status_uri(
        "http://127.0.0.1:8000/status/7", allow_insecure_loopback=False
    )


def test_from_bytes_parses_strict_json() -> None:
    data = json.dumps(valid_list()).encode()
    assert TrustList.from_bytes(data).issuer(ISS) is not None


@pytest.mark.parametrize(
    "data",
    [
        b'{"version": 1, "version": 1, "issuers": []}',
        b"\xff\xfe",
        b"[]",
        b'{"version": NaN}',
        b" " * (MAX_TRUST_LIST_BYTES + 1),
    ],
    ids=["duplicate-member", "not-utf8", "not-object", "nan", "too-large"],
)
def test_from_bytes_refuses_non_strict_json(data: bytes) -> None:
    with pytest.raises(ConfigurationError):
        TrustList.from_bytes(data)


# --- every validation rule refuses the whole list ---------------------------------------------


def _small_order_ed25519() -> dict[str, str]:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(b"\x01" + bytes(31))}
    return {**jwk, "kid": thumbprint(jwk)}


def _off_curve_ec() -> dict[str, str]:
    jwk = public_jwk(_EC_KEY)
    jwk["y"] = b64u_encode(bytes(31) + b"\x01")
    return {**jwk, "kid": thumbprint(jwk)}


Mutation = Callable[[dict[str, Any]], Any]


def _first(obj: dict[str, Any]) -> dict[str, Any]:
    return cast(dict[str, Any], obj["issuers"][0])


def _first_key(obj: dict[str, Any]) -> dict[str, Any]:
    return cast(dict[str, Any], _first(obj)["jwks"]["keys"][0])


def _set_first(member: str, value: Any) -> Mutation:
    return lambda obj: _first(obj).__setitem__(member, value)


def _set_key(member: str, value: Any) -> Mutation:
    return lambda obj: _first_key(obj).__setitem__(member, value)


def _set_prefix(value: Any) -> Mutation:
    return _set_first("status_list_prefixes", [value])


INVALID: dict[str, Mutation] = {
    "version-missing": lambda obj: obj.pop("version"),
    "version-2": lambda obj: obj.__setitem__("version", 2),
    "version-string": lambda obj: obj.__setitem__("version", "1"),
    "version-true": lambda obj: obj.__setitem__("version", True),
    "version-float": lambda obj: obj.__setitem__("version", 1.0),
    "extra-top-level-member": lambda obj: obj.__setitem__("issuer", []),
    "issuers-missing": lambda obj: obj.pop("issuers"),
    "issuers-empty": lambda obj: obj.__setitem__("issuers", []),
    "issuers-object": lambda obj: obj.__setitem__("issuers", {"a": 1}),
    "issuer-not-object": lambda obj: obj["issuers"].append("https://x.example"),
    "issuer-missing-iss": lambda obj: _first(obj).pop("iss"),
    "issuer-missing-name": lambda obj: _first(obj).pop("name"),
    "issuer-missing-region": lambda obj: _first(obj).pop("region_code"),
    "issuer-missing-jwks": lambda obj: _first(obj).pop("jwks"),
    "issuer-missing-prefixes": lambda obj: _first(obj).pop("status_list_prefixes"),
    "issuer-extra-member": _set_first("status_list_prefix", [PREFIX]),
    "iss-http": _set_first("iss", "http://permits.sh.example/issuer"),
    "iss-http-loopback-without-flag": _set_first("iss", "http://127.0.0.1:8000/issuer"),
    "iss-userinfo": _set_first("iss", "https://user:pw@permits.sh.example/issuer"),
    "iss-query": _set_first("iss", "https://permits.sh.example/issuer?x=1"),
    "iss-fragment": _set_first("iss", "https://permits.sh.example/issuer#x"),
    "iss-relative": _set_first("iss", "/issuer"),
    "iss-not-string": _set_first("iss", 42),
    "iss-empty": _set_first("iss", ""),
    "iss-whitespace": _set_first("iss", " https://permits.sh.example/issuer"),
    "iss-duplicate": lambda obj: obj["issuers"].append(issuer_entry()),
    "name-not-string": _set_first("name", 1),
    "name-empty": _set_first("name", "  "),
    "region-5-digits": _set_first("region_code", "31000"),
    "region-7-digits": _set_first("region_code", "3100000"),
    "region-int": _set_first("region_code", 310000),
    "region-fullwidth-digits": _set_first("region_code", "３１００００"),
    "region-letters": _set_first("region_code", "31000A"),
    "jwks-not-object": _set_first("jwks", [jwk_of(_EC_KEY)]),
    "jwks-extra-member": lambda obj: _first(obj)["jwks"].__setitem__("x", 1),
    "jwks-keys-empty": _set_first("jwks", {"keys": []}),
    "jwks-keys-not-list": _set_first("jwks", {"keys": jwk_of(_EC_KEY)}),
    "jwk-not-object": _set_first("jwks", {"keys": ["k"]}),
    "jwk-kid-missing": lambda obj: _first_key(obj).pop("kid"),
    "jwk-kid-not-thumbprint": _set_key("kid", thumbprint(public_jwk(_OTHER_KEY))),
    "jwk-kid-not-string": _set_key("kid", 7),
    "jwk-duplicate-kid": lambda obj: _first(obj)["jwks"]["keys"].append(jwk_of(_EC_KEY)),
    "jwk-alg-mismatch-ec": _set_key("alg", "EdDSA"),
    "jwk-alg-rs256": _set_key("alg", "RS256"),
    "jwk-alg-mismatch-okp": lambda obj: _first(obj)["jwks"]["keys"][1].__setitem__("alg", "ES256"),
    "jwk-private-d": _set_key("d", b64u_encode(bytes(32))),
    "jwk-private-k": _set_key("k", "AAAA"),
    "jwk-use-enc": _set_key("use", "enc"),
    "jwk-key-ops-sign": _set_key("key_ops", ["sign"]),
    "jwk-key-ops-empty": _set_key("key_ops", []),
    "jwk-off-curve": _set_first("jwks", {"keys": [_off_curve_ec()]}),
    "jwk-small-order-ed25519": _set_first("jwks", {"keys": [_small_order_ed25519()]}),
    "jwk-rsa": _set_first("jwks", {"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}),
    "jwk-p384": _set_key("crv", "P-384"),
    "jwk-padded-coordinate": _set_key("x", public_jwk(_EC_KEY)["x"] + "="),
    "prefixes-empty": _set_first("status_list_prefixes", []),
    "prefixes-string": _set_first("status_list_prefixes", PREFIX),
    "prefix-not-string": _set_prefix(1),
    "prefix-no-trailing-slash": _set_prefix("https://permits.sh.example/status"),
    "prefix-http": _set_prefix("http://permits.sh.example/status/"),
    "prefix-http-loopback-without-flag": _set_prefix("http://127.0.0.1:8000/status/"),
    "prefix-query": _set_prefix("https://permits.sh.example/status/?a=/"),
    "prefix-fragment": _set_prefix("https://permits.sh.example/status/#/"),
    "prefix-userinfo": _set_prefix("https://u@permits.sh.example/status/"),
    "prefix-dot-segment": _set_prefix("https://permits.sh.example/a/../status/"),
    "prefix-encoded-dot": _set_prefix("https://permits.sh.example/%2e%2e/status/"),
    "prefix-no-host": _set_prefix("https:///status/"),
    "prefix-duplicate": _set_first("status_list_prefixes", [PREFIX, PREFIX]),
}


def test_valid_fixture_is_valid() -> None:
    TrustList.from_json(valid_list())


@pytest.mark.parametrize("mutate", list(INVALID.values()), ids=list(INVALID))
def test_every_invalid_entry_refuses_the_whole_list(mutate: Mutation) -> None:
    obj = valid_list()
    mutate(obj)
    with pytest.raises(ConfigurationError):
        TrustList.from_json(obj)


@pytest.mark.parametrize("obj", [None, [], "trust list", 1])
def test_non_object_is_refused(obj: object) -> None:
    with pytest.raises(ConfigurationError):
        TrustList.from_json(obj)


def test_error_messages_never_echo_the_input() -> None:
    obj = valid_list()
    _first(obj)["iss"] = "https://alice:hunter2@permits.sh.example/issuer"
    with pytest.raises(ConfigurationError) as info:
        TrustList.from_json(obj)
    assert "hunter2" not in str(info.value)
    assert "issuers[0].iss" in str(info.value)


def test_direct_construction_refuses_duplicate_issuers() -> None:
    issuer = TrustList.from_json(valid_list()).issuers[0]
    with pytest.raises(ConfigurationError):
        TrustList((issuer, issuer))
    with pytest.raises(ConfigurationError):
        TrustList(())


def test_load_jwks_returns_keys_by_thumbprint() -> None:
    keys = load_jwks({"keys": [jwk_of(_EC_KEY), jwk_of(_ED_KEY)]})
    assert set(keys) == {thumbprint(public_jwk(_EC_KEY)), thumbprint(public_jwk(_ED_KEY))}


def test_trusted_issuer_jwks_has_only_public_members() -> None:
    issuer = TrustList.from_json(valid_list()).issuers[0]
    assert isinstance(issuer, TrustedIssuer)
    for jwk in issuer.jwks()["keys"]:
        assert set(jwk) <= {"kty", "crv", "x", "y", "kid", "alg", "use"}


def test_public_surface_is_pinned() -> None:
    assert sorted(wire.trust.__all__) == [
        "MAX_TRUST_LIST_BYTES",
        "MAX_URL_LENGTH",
        "TRUST_LIST_VERSION",
        "TrustList",
        "TrustedIssuer",
        "load_jwks",
        "status_uri_allowed",
    ]


@settings(max_examples=40)
@given(st.integers(min_value=1, max_value=5), st.data())
def test_one_bad_entry_anywhere_refuses_the_whole_list(count: int, data: st.DataObject) -> None:
    entries = [issuer_entry(f"https://permits{n}.example/issuer") for n in range(count)]
    bad = issuer_entry("https://bad.example/issuer", region_code="31000")
    position = data.draw(st.integers(min_value=0, max_value=count))
    entries.insert(position, bad)
    with pytest.raises(ConfigurationError) as info:
        TrustList.from_json({"version": 1, "issuers": entries})
    assert f"issuers[{position}]" in str(info.value)
