"""OpenID4VCI 1.0 Appendix F.1 ``jwt`` key proofs: round trips, the spec example, every
failure (none of which consumes the nonce) and batches of proofs.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.wire.oid4vci_helpers import (
    ALGS,
    EC_KEY,
    ED_KEY,
    ISSUER,
    NONCE,
    NOW,
    OTHER_EC_KEY,
    NonceStore,
)
from wire.encoding import b64u_encode, json_dumps
from wire.errors import Malformed
from wire.jwk import PrivateKey, public_jwk
from wire.jws import parse_compact
from wire.oid4vci import (
    PROOF_TYP,
    InvalidNonce,
    InvalidProof,
    build_proof_jwt,
    verify_proof_jwt,
    verify_proofs,
)


def _sign_raw(header: dict[str, Any], payload: dict[str, Any], key: PrivateKey) -> str:
    """Compact JWS with the header exactly as given (sign_compact would fix ``alg``)."""
    signing_input = f"{b64u_encode(json_dumps(header))}.{b64u_encode(json_dumps(payload))}"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        sig = key.sign(signing_input.encode())
    return f"{signing_input}.{b64u_encode(sig)}"


def _header(key: PrivateKey = EC_KEY, **changes: Any) -> dict[str, Any]:
    alg = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "EdDSA"
    header: dict[str, Any] = {"alg": alg, "typ": PROOF_TYP, "jwk": public_jwk(key)}
    header.update(changes)
    return {k: v for k, v in header.items() if v is not None}


def _claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {"aud": ISSUER, "iat": NOW, "nonce": NONCE}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _verify(token: str, store: NonceStore | None = None, **kwargs: Any) -> dict[str, str]:
    options: dict[str, Any] = {
        "audience": ISSUER,
        "now": NOW,
        "nonce_valid": store or NonceStore(),
        "algorithms": ALGS,
    }
    options.update(kwargs)
    return verify_proof_jwt(token, **options)


@pytest.mark.parametrize("key", [EC_KEY, ED_KEY], ids=["ES256", "EdDSA"])
def test_proof_round_trip(key: PrivateKey) -> None:
    token = build_proof_jwt(holder_key=key, audience=ISSUER, nonce=NONCE, iat=NOW)
    jws = parse_compact(token, Malformed)
    assert jws.header == {
        "alg": "ES256" if key is EC_KEY else "EdDSA",
        "typ": PROOF_TYP,
        "jwk": public_jwk(key),
    }
    assert "d" not in jws.header["jwk"]
    assert jws.payload == {"aud": ISSUER, "iat": NOW, "nonce": NONCE}
    store = NonceStore()
    assert _verify(token, store) == public_jwk(key)
    assert store.calls == [NONCE]


def test_proof_with_client_id_carries_iss() -> None:
    token = build_proof_jwt(
        holder_key=EC_KEY, audience=ISSUER, nonce=NONCE, iat=NOW, client_id="wallet-1"
    )
    assert _verify(token, client_id="wallet-1") == public_jwk(EC_KEY)
    with pytest.raises(InvalidProof, match="iss"):
        _verify(token)  # anonymous access: iss MUST be omitted (Appendix F.1)
    with pytest.raises(InvalidProof, match="iss"):
        _verify(token, client_id="wallet-2")


def test_spec_example_proof_verifies() -> None:
    # OpenID4VCI 1.0 Appendix F.1, the jwt proof example, line breaks removed.
    token = (
        "eyJ0eXAiOiJvcGVuaWQ0dmNpLXByb29mK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwi"
        "Y3J2IjoiUC0yNTYiLCJ4IjoiblVXQW9BdjNYWml0aDhFN2kxOU9kYXhPTFlGT3dNLVoyRXVNMDJUaXJUNCIs"
        "InkiOiJIc2tIVThCalVpMVU5WHFpN1N3bWo4Z3dBS18weGtjRGpFV183MVNvc0VZIn19.eyJhdWQiOiJodHRw"
        "czovL2NyZWRlbnRpYWwtaXNzdWVyLmV4YW1wbGUuY29tIiwiaWF0IjoxNzAxOTYwNDQ0LCJub25jZSI6Ikxh"
        "clJHU2JtVVBZdFJZTzZCUTR5bjgifQ.-a3EDsxClUB4O3LeDD5DVGEnNMT01FCQW4P6-2-BNBqc_Zxf0Qw4CW"
        "ayLEpqkAomlkLb9zioZoipdP-jvh1WlA"
    )
    jwk = verify_proof_jwt(
        token,
        audience="https://credential-issuer.example.com",
        now=1701960444,
        nonce_valid=NonceStore("LarRGSbmUPYtRYO6BQ4yn8"),
        algorithms={"ES256"},
    )
    assert jwk == {
        "kty": "EC",
        "crv": "P-256",
        "x": "nUWAoAv3XZith8E7i19OdaxOLYFOwM-Z2EuM02TirT4",
        "y": "HskHU8BjUi1U9Xqi7Swmj8gwAK_0xkcDjEW_71SosEY",
    }


def test_media_type_spelling_of_typ_is_accepted() -> None:
    # RFC 7515 §4.1.9: "application/" may be omitted and media types compare case-insensitively.
    for typ in ("application/openid4vci-proof+jwt", "OpenID4VCI-Proof+JWT"):
        assert _verify(_sign_raw(_header(typ=typ), _claims(), EC_KEY)) == public_jwk(EC_KEY)


def test_iat_window_edges_are_inclusive() -> None:
    assert _verify(_sign_raw(_header(), _claims(iat=NOW - 300), EC_KEY))
    assert _verify(_sign_raw(_header(), _claims(iat=NOW + 60), EC_KEY))
    assert _verify(_sign_raw(_header(), _claims(iat=NOW - 10), EC_KEY), max_age=10, leeway=0)


def _hs256_token() -> str:
    header = {"alg": "HS256", "typ": PROOF_TYP, "jwk": public_jwk(EC_KEY)}
    signing_input = f"{b64u_encode(json_dumps(header))}.{b64u_encode(json_dumps(_claims()))}"
    mac = hmac.new(b"k" * 32, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64u_encode(mac)}"


def _none_token() -> str:
    header = {"alg": "none", "typ": PROOF_TYP, "jwk": public_jwk(EC_KEY)}
    return f"{b64u_encode(json_dumps(header))}.{b64u_encode(json_dumps(_claims()))}.AA"


def _tampered_signature() -> str:
    token = _sign_raw(_header(), _claims(), EC_KEY)
    head, _, sig = token.rpartition(".")
    flipped = bytearray(sig.encode())
    flipped[5] = ord("A") if flipped[5] != ord("A") else ord("B")
    return f"{head}.{flipped.decode()}"


def _swapped_payload() -> str:
    good = _sign_raw(_header(), _claims(), EC_KEY).split(".")
    other = _sign_raw(_header(), _claims(nonce="other"), EC_KEY).split(".")
    return f"{good[0]}.{other[1]}.{good[2]}"


_ZERO_X = b64u_encode(bytes(32))  # small-order Ed25519 point (order 4)
_IDENTITY_X = b64u_encode(b"\x01" + bytes(31))  # the neutral element
_OFF_CURVE = dict(public_jwk(EC_KEY), y=public_jwk(OTHER_EC_KEY)["y"])

PROOF_FAILURES: list[tuple[str, Callable[[], str], str]] = [
    ("typ JWT", lambda: _sign_raw(_header(typ="JWT"), _claims(), EC_KEY), "typ"),
    ("typ kb+jwt", lambda: _sign_raw(_header(typ="kb+jwt"), _claims(), EC_KEY), "typ"),
    ("typ missing", lambda: _sign_raw(_header(typ=None), _claims(), EC_KEY), "typ"),
    ("alg none", _none_token, "alg"),
    ("alg HS256", _hs256_token, "alg"),
    ("alg missing", lambda: _sign_raw(_header(alg=None), _claims(), EC_KEY), "alg"),
    ("crit", lambda: _sign_raw(_header(crit=["exp"]), _claims(), EC_KEY), "critical"),
    ("jwk missing", lambda: _sign_raw(_header(jwk=None), _claims(), EC_KEY), "no jwk"),
    ("jwk not an object", lambda: _sign_raw(_header(jwk="k"), _claims(), EC_KEY), "no jwk"),
    (
        "jwk with d",
        lambda: _sign_raw(_header(jwk=dict(public_jwk(EC_KEY), d="AAAA")), _claims(), EC_KEY),
        "private",
    ),
    (
        "small-order Ed25519 x",
        lambda: _sign_raw(
            _header(ED_KEY, jwk={"kty": "OKP", "crv": "Ed25519", "x": _ZERO_X}), _claims(), ED_KEY
        ),
        "acceptable public key",
    ),
    (
        "identity Ed25519 x",
        lambda: _sign_raw(
            _header(ED_KEY, jwk={"kty": "OKP", "crv": "Ed25519", "x": _IDENTITY_X}),
            _claims(),
            ED_KEY,
        ),
        "acceptable public key",
    ),
    (
        "EC point off the curve",
        lambda: _sign_raw(_header(jwk=_OFF_CURVE), _claims(), EC_KEY),
        "acceptable",
    ),
    (
        "RSA jwk",
        lambda: _sign_raw(_header(jwk={"kty": "RSA", "n": "AQAB", "e": "AQAB"}), _claims(), EC_KEY),
        "acceptable",
    ),
    (
        "kid instead of jwk",
        lambda: _sign_raw(_header(jwk=None, kid="did:example:123#key-1"), _claims(), EC_KEY),
        "jwk only",
    ),
    ("kid and jwk", lambda: _sign_raw(_header(kid="key-1"), _claims(), EC_KEY), "jwk only"),
    ("x5c", lambda: _sign_raw(_header(x5c=["MIIB"]), _claims(), EC_KEY), "jwk only"),
    (
        "trust_chain",
        lambda: _sign_raw(_header(trust_chain=["e.y.J"]), _claims(), EC_KEY),
        "jwk only",
    ),
    (
        "key_attestation",
        lambda: _sign_raw(_header(key_attestation="a.b.c"), _claims(), EC_KEY),
        "jwk only",
    ),
    (
        "jwk alg differs",
        lambda: _sign_raw(_header(jwk=dict(public_jwk(EC_KEY), alg="EdDSA")), _claims(), EC_KEY),
        "signature algorithm",
    ),
    (
        "key type does not match alg",
        lambda: _sign_raw(_header(ED_KEY, alg="ES256"), _claims(), ED_KEY),
        "signature",
    ),
    (
        "signed by another key",
        lambda: _sign_raw(_header(jwk=public_jwk(OTHER_EC_KEY)), _claims(), EC_KEY),
        "signature",
    ),
    ("bad signature", _tampered_signature, "signature"),
    ("payload swapped", _swapped_payload, "signature"),
    ("wrong aud", lambda: _sign_raw(_header(), _claims(aud="https://evil.example"), EC_KEY), "aud"),
    ("aud array", lambda: _sign_raw(_header(), _claims(aud=[ISSUER]), EC_KEY), "aud"),
    ("aud missing", lambda: _sign_raw(_header(), _claims(aud=None), EC_KEY), "aud"),
    ("stale iat", lambda: _sign_raw(_header(), _claims(iat=NOW - 301), EC_KEY), "too old"),
    ("future iat", lambda: _sign_raw(_header(), _claims(iat=NOW + 61), EC_KEY), "future"),
    ("iat missing", lambda: _sign_raw(_header(), _claims(iat=None), EC_KEY), "iat"),
    ("iat a string", lambda: _sign_raw(_header(), _claims(iat=str(NOW)), EC_KEY), "iat"),
    ("iat a boolean", lambda: _sign_raw(_header(), _claims(iat=True), EC_KEY), "iat"),
    ("expired", lambda: _sign_raw(_header(), _claims(exp=NOW - 61), EC_KEY), "expired"),
    ("not yet valid", lambda: _sign_raw(_header(), _claims(nbf=NOW + 61), EC_KEY), "not yet"),
    ("nonce missing", lambda: _sign_raw(_header(), _claims(nonce=None), EC_KEY), "no nonce"),
    ("nonce empty", lambda: _sign_raw(_header(), _claims(nonce=""), EC_KEY), "no nonce"),
    ("nonce a number", lambda: _sign_raw(_header(), _claims(nonce=7), EC_KEY), "no nonce"),
    ("not a JWS", lambda: "not-a-jwt", "compact JWS"),
    ("two parts", lambda: "eyJhIjoxfQ.eyJhIjoxfQ", "compact JWS"),
    ("padded base64", lambda: _sign_raw(_header(), _claims(), EC_KEY) + "=", "compact JWS"),
    ("too long", lambda: "a" * 9000, "size"),
]


@pytest.mark.parametrize(
    ("make", "message"),
    [(m, msg) for _, m, msg in PROOF_FAILURES],
    ids=[n for n, _, _ in PROOF_FAILURES],
)
def test_proof_failures_are_invalid_proof(make: Callable[[], str], message: str) -> None:
    store = NonceStore()
    with pytest.raises(InvalidProof, match=message) as info:
        _verify(make(), store)
    assert info.value.error == "invalid_proof"
    assert store.calls == []  # a failed proof never consumes the nonce


def test_alg_outside_the_callers_allow_list() -> None:
    token = build_proof_jwt(holder_key=ED_KEY, audience=ISSUER, nonce=NONCE, iat=NOW)
    with pytest.raises(InvalidProof, match="alg"):
        _verify(token, algorithms={"ES256"})


def test_nonce_refused_by_the_store_is_invalid_nonce() -> None:
    token = build_proof_jwt(holder_key=EC_KEY, audience=ISSUER, nonce="used-nonce", iat=NOW)
    store = NonceStore()
    with pytest.raises(InvalidNonce) as info:
        _verify(token, store)
    assert info.value.error == "invalid_nonce"
    assert store.calls == ["used-nonce"]


@pytest.mark.parametrize(
    "options",
    [
        {"algorithms": {"ES256", "none"}},
        {"algorithms": {"HS256"}},
        {"algorithms": set()},
        {"max_age": -1},
        {"leeway": -1},
    ],
)
def test_verifier_settings_are_checked(options: dict[str, Any]) -> None:
    token = build_proof_jwt(holder_key=EC_KEY, audience=ISSUER, nonce=NONCE, iat=NOW)
    with pytest.raises(ValueError):
        _verify(token, **options)


def test_build_proof_refuses_missing_values() -> None:
    with pytest.raises(ValueError):
        build_proof_jwt(holder_key=EC_KEY, audience=ISSUER, nonce="", iat=NOW)


def test_batch_of_proofs_checks_the_shared_nonce_once() -> None:
    keys: list[PrivateKey] = [EC_KEY, ED_KEY, OTHER_EC_KEY]
    tokens = [build_proof_jwt(holder_key=k, audience=ISSUER, nonce=NONCE, iat=NOW) for k in keys]
    store = NonceStore()
    jwks = verify_proofs(tokens, audience=ISSUER, now=NOW, nonce_valid=store, algorithms=ALGS)
    assert jwks == [public_jwk(k) for k in keys]
    assert store.calls == [NONCE]


def test_batch_refuses_a_key_twice_and_fails_whole() -> None:
    first = build_proof_jwt(holder_key=EC_KEY, audience=ISSUER, nonce=NONCE, iat=NOW)
    again = build_proof_jwt(holder_key=EC_KEY, audience=ISSUER, nonce=NONCE, iat=NOW - 1)
    store = NonceStore()
    with pytest.raises(InvalidProof, match="same key"):
        verify_proofs([first, again], audience=ISSUER, now=NOW, nonce_valid=store, algorithms=ALGS)
    bad = _sign_raw(_header(ED_KEY), _claims(aud="https://evil.example"), ED_KEY)
    with pytest.raises(InvalidProof, match="aud"):
        verify_proofs([first, bad], audience=ISSUER, now=NOW, nonce_valid=store, algorithms=ALGS)
    with pytest.raises(InvalidProof):
        verify_proofs([], audience=ISSUER, now=NOW, nonce_valid=store, algorithms=ALGS)
    with pytest.raises(TypeError):
        verify_proofs(first, audience=ISSUER, now=NOW, nonce_valid=store, algorithms=ALGS)
    assert store.calls == []
