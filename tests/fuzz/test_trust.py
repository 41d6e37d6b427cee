"""Fuzzing trust-list loading (wire/trust.py).

A trust list arrives as a file or, signed, from the trust-list endpoint; any defect must refuse
the whole list with :class:`~wire.errors.ConfigurationError` (DESIGN §5) and never surface as
another exception that would stop a verifier from starting or reloading. What loads must
survive its own normalised form unchanged.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import JSON_VALUES, attempt, fuzz_settings, hostile_json, mutated
from tests.wire.conftest import HOLDER_EDDSA, HOLDER_ES256, ISSUER_EDDSA, ISSUER_ES256
from wire.encoding import json_dumps
from wire.errors import ConfigurationError, PermitError
from wire.jwk import PrivateKey, public_jwk, thumbprint
from wire.trust import TrustList, load_jwks


def _jwk(key: PrivateKey, **extra: Any) -> dict[str, Any]:
    jwk: dict[str, Any] = public_jwk(key)
    return {**jwk, "kid": thumbprint(jwk), **extra}


_LIST: dict[str, Any] = {
    "version": 1,
    "issuers": [
        {
            "iss": "https://permits.sh.example/issuer",
            "name": "上海市公安局",
            "region_code": "310000",
            "jwks": {"keys": [_jwk(ISSUER_ES256, alg="ES256", use="sig"), _jwk(ISSUER_EDDSA)]},
            "status_list_prefixes": ["https://permits.sh.example/status/"],
        },
        {
            "iss": "http://127.0.0.1:8000/issuer",
            "name": "北京市公安局",
            "region_code": "110000",
            "jwks": {"keys": [_jwk(HOLDER_ES256, key_ops=["verify"])]},
            "status_list_prefixes": ["http://127.0.0.1:8000/status/"],
        },
    ],
}
_NAMES = ("iss", "name", "region_code", "jwks", "keys", "kid", "alg", "use", "key_ops", "d", "x")
_VALUES = JSON_VALUES | st.sampled_from(
    [
        _jwk(HOLDER_EDDSA),
        {**_jwk(HOLDER_EDDSA), "d": "AA"},
        {**_jwk(HOLDER_EDDSA), "kid": "other"},
        "https://permits.sh.example/status",
        "https://permits.sh.example/../status/",
        "https://user@permits.sh.example/status/",
        "http://localhost/status/",
        "HTTPS://Permits.SH.example/status/",
        "31000",
        "310000",
        ["verify", "sign"],
        1,
        True,
    ]
)
_LISTS = mutated(_LIST, names=_NAMES, values=_VALUES)


@fuzz_settings(150)
@given(_LISTS, st.booleans())
def test_from_json_loads_or_refuses_the_whole_list(document: Any, loopback: bool) -> None:
    trust_list = attempt(lambda: TrustList.from_json(document, allow_insecure_loopback=loopback))
    if isinstance(trust_list, PermitError):
        assert type(trust_list) is ConfigurationError
        return
    normalised = trust_list.to_json()
    assert TrustList.from_json(normalised, allow_insecure_loopback=loopback) == trust_list
    # Each issuer keeps exactly the keys the document gave, under their thumbprints.
    for issuer, entry in zip(trust_list.issuers, document["issuers"], strict=True):
        assert set(issuer.keys) == {jwk["kid"] for jwk in entry["jwks"]["keys"]}


@fuzz_settings(150)
@given(_LISTS.map(lambda d: json_dumps(d) if isinstance(d, dict | list) else b"0") | hostile_json())
def test_from_bytes_loads_or_refuses_with_configuration_error(data: bytes) -> None:
    trust_list = attempt(lambda: TrustList.from_bytes(data, allow_insecure_loopback=True))
    if isinstance(trust_list, PermitError):
        assert type(trust_list) is ConfigurationError
    else:
        assert trust_list.issuers


@fuzz_settings(100)
@given(mutated(_LIST["issuers"][0]["jwks"], names=_NAMES, values=_VALUES) | JSON_VALUES)
def test_load_jwks_refuses_anything_but_public_thumbprint_keyed_keys(jwks: Any) -> None:
    keys = attempt(lambda: load_jwks(jwks))
    if isinstance(keys, PermitError):
        assert type(keys) is ConfigurationError
        return
    assert keys
    for kid, key in keys.items():
        assert kid == thumbprint(public_jwk(key))
