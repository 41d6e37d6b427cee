"""Verifier checks after the disclosures (DESIGN §6): credential type and validity times, then
holder binding — missing, invalid (KB-JWT, ``cnf`` key, nonce), audience, freshness, replay."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.wire.conftest import (
    BANK,
    DROP,
    EXP,
    HOLDER_EDDSA,
    HOLDER_ES256,
    NOW,
    HostileIssuer,
    MemoryNonceCache,
    Verifier,
    changed,
    issue,
    kb_jwt,
    present,
)
from wire.credential import IssuedCredential
from wire.encoding import b64u_encode
from wire.jwk import public_jwk
from wire.presentation import sd_hash
from wire.sdjwt import split_presentation
from wire.verify import VerifyPolicy

# --- credential type and validity times ---------------------------------------------------


@pytest.mark.parametrize(
    "vct", [DROP, "urn:residence-permit:cn:v2", "URN:RESIDENCE-PERMIT:CN:V1", ""]
)
def test_wrong_vct(hostile: HostileIssuer, verifier: Verifier, vct: Any) -> None:
    assert verifier.reason(hostile.present(payload=changed(hostile.payload, vct=vct))) == (
        "wrong_type"
    )


def test_expiry_boundary_with_the_default_60_s_leeway(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    last_ok = EXP + 59
    assert verifier.check(present(credential, iat=last_ok), now=last_ok).valid
    first_bad = EXP + 60
    assert verifier.reason(present(credential, iat=first_bad), now=first_bad) == "expired"
    assert verifier.reason(present(credential, iat=EXP + 10**6), now=EXP + 10**6) == "expired"


def test_expiry_uses_the_policy_leeway(verifier: Verifier, credential: IssuedCredential) -> None:
    text = present(credential, iat=EXP + 1)
    assert verifier.reason(text, now=EXP + 1, policy=VerifyPolicy(leeway=0)) == "expired"


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_not_yet_valid_beyond_the_leeway(
    hostile: HostileIssuer, verifier: Verifier, claim: str
) -> None:
    at_limit = hostile.present(payload=changed(hostile.payload, **{claim: NOW + 60}))
    assert verifier.check(at_limit).valid
    beyond = hostile.present(payload=changed(hostile.payload, **{claim: NOW + 61}), nonce="n-2")
    assert verifier.reason(beyond) == "not_yet_valid"


def test_past_nbf_is_fine(hostile: HostileIssuer, verifier: Verifier) -> None:
    assert verifier.check(hostile.present(payload=changed(hostile.payload, nbf=NOW - 1))).valid


# --- holder binding missing ---------------------------------------------------------------


@pytest.mark.parametrize("profile", ["landlord", "school", "any"])
def test_key_bound_credential_without_kb_jwt(
    verifier: Verifier, credential: IssuedCredential, profile: str
) -> None:
    """Stripping the KB-JWT does not turn a phone QR into a paper permit (DESIGN §3)."""
    stripped = present(credential, profile, holder=None)
    assert verifier.reason(stripped, profile) == "holder_binding_missing"


# --- holder binding invalid: the KB-JWT itself ---------------------------------------------


def test_kb_jwt_on_a_credential_without_cnf(
    verifier: Verifier, paper_credential: IssuedCredential
) -> None:
    body = present(paper_credential, holder=None)
    assert verifier.reason(body + kb_jwt(body)) == "holder_binding_invalid"


@pytest.mark.parametrize(
    "kb",
    ["x", "a.b", "a.b.c", "a.b.c.d", "..", "eyJ9.e30.AA", "e30.e30.", "e30.e30.AA=", "e30.W10.AA"],
    ids=repr,
)
def test_kb_jwt_that_does_not_parse(
    verifier: Verifier, credential: IssuedCredential, kb: str
) -> None:
    assert verifier.reason(present(credential, holder=None) + kb) == "holder_binding_invalid"


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "EdDSA"},
        {"alg": "EdDSA", "typ": "JWT"},
        {"alg": "EdDSA", "typ": "KB+JWT"},
        {"alg": "EdDSA", "typ": "dc+sd-jwt"},
        {"alg": "EdDSA", "typ": "kb+jwt", "crit": ["x"]},
        {"alg": "none", "typ": "kb+jwt"},
        {"alg": "HS256", "typ": "kb+jwt"},
        {"alg": "eddsa", "typ": "kb+jwt"},
        {"alg": "ES256", "typ": "kb+jwt"},  # wrong for an Ed25519 holder key
        {"typ": "kb+jwt"},
        b'{"alg":"EdDSA","typ":"kb+jwt","typ":"kb+jwt"}',
    ],
    ids=repr,
)
def test_kb_jwt_header(hostile: HostileIssuer, verifier: Verifier, header: Any) -> None:
    assert verifier.reason(hostile.present(kb_header=header)) == "holder_binding_invalid"


def test_kb_jwt_signed_by_another_key(hostile: HostileIssuer, verifier: Verifier) -> None:
    assert verifier.reason(hostile.present(kb_key=HOLDER_ES256)) == "holder_binding_invalid"
    other = ed25519.Ed25519PrivateKey.generate()
    assert verifier.reason(hostile.present(kb_key=other)) == "holder_binding_invalid"


@pytest.mark.parametrize("value", [DROP, "", "x", 1, None, b64u_encode(bytes(32))], ids=repr)
def test_sd_hash_mismatch(hostile: HostileIssuer, verifier: Verifier, value: Any) -> None:
    assert verifier.reason(hostile.present(sd_hash=value)) == "holder_binding_invalid"


def test_kb_jwt_moved_to_another_selection_of_disclosures(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    """A KB-JWT covers exactly the disclosures it was made for (sd_hash)."""
    full = split_presentation(present(credential, "agency"))
    fewer = "~".join([full.issuer_jwt, *full.disclosures[:-1], full.kb_jwt or ""])
    assert verifier.reason(fewer, "any") == "holder_binding_invalid"


@pytest.mark.parametrize("iat", [DROP, True, float(NOW), str(NOW), None])
def test_kb_iat_must_be_an_integer(hostile: HostileIssuer, verifier: Verifier, iat: Any) -> None:
    assert verifier.reason(hostile.present(iat=iat)) == "holder_binding_invalid"


@pytest.mark.parametrize("nonce", [DROP, "", None, 7, ["n"], "n" * 257], ids=repr)
def test_kb_nonce_missing_or_invalid(
    hostile: HostileIssuer, verifier: Verifier, nonce: Any
) -> None:
    assert verifier.reason(hostile.present(nonce=nonce)) == "holder_binding_invalid"


def test_kb_nonce_of_256_characters_is_accepted(hostile: HostileIssuer, verifier: Verifier) -> None:
    assert verifier.check(hostile.present(nonce="n" * 256)).valid


@pytest.mark.parametrize("aud", [DROP, None, ["urn:residence-permit:qr"], 1])
def test_kb_aud_missing_or_not_a_string(
    hostile: HostileIssuer, verifier: Verifier, aud: Any
) -> None:
    assert verifier.reason(hostile.present(aud=aud)) == "holder_binding_invalid"


def test_kb_payload_with_lone_surrogate_nonce(hostile: HostileIssuer, verifier: Verifier) -> None:
    """A holder-signed ``"\\ud800"`` nonce is refused, not a crash in the replay key."""
    body = split_presentation(hostile.present()).without_kb
    raw = b'{"iat":%d,"aud":"urn:residence-permit:qr","nonce":"\\ud800","sd_hash":"%s"}' % (
        NOW,
        sd_hash(body).encode(),
    )
    assert verifier.reason(hostile.present(kb_payload=raw)) == "holder_binding_invalid"


# --- holder binding invalid: the cnf key ------------------------------------------------------

SMALL_ORDER_ED25519 = {
    "zero x (order 4)": bytes(32),
    "identity": bytes([1]) + bytes(31),
    "order 2": bytes.fromhex("ec" + "ff" * 30 + "7f"),
    "order 8": bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    "order 8 (other sign)": bytes.fromhex(
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"
    ),
    "non-canonical y = p": bytes.fromhex("ed" + "ff" * 30 + "7f"),
}
BAD_CNF: dict[str, Any] = {
    **{
        name: {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(raw)}}
        for name, raw in SMALL_ORDER_ED25519.items()
    },
    "no jwk": {},
    "jwk not an object": {"jwk": "key"},
    "EC point off the curve": {
        "jwk": {**public_jwk(HOLDER_ES256), "y": b64u_encode((5).to_bytes(32, "big"))}
    },
    "EC short coordinate": {"jwk": {**public_jwk(HOLDER_ES256), "x": b64u_encode(bytes(31))}},
    "private member d": {"jwk": {**public_jwk(HOLDER_EDDSA), "d": b64u_encode(bytes(32))}},
    "RSA": {"jwk": {"kty": "RSA", "n": "sXch", "e": "AQAB"}},
    "X25519": {"jwk": {**public_jwk(HOLDER_EDDSA), "crv": "X25519"}},
    "jku instead of jwk": {"jku": "https://evil.example/jwks"},
}


@pytest.mark.parametrize("cnf", BAD_CNF.values(), ids=BAD_CNF.keys())
def test_invalid_or_weak_cnf_key(hostile: HostileIssuer, verifier: Verifier, cnf: Any) -> None:
    # The KB-JWT is the genuine holder's: only the cnf key is wrong.
    payload = changed(hostile.payload, cnf=cnf)
    assert verifier.reason(hostile.present(payload=payload)) == "holder_binding_invalid"


def test_es256_holder_key(verifier: Verifier) -> None:
    credential = issue(holder=HOLDER_ES256)
    assert verifier.check(present(credential, holder=HOLDER_ES256)).valid
    assert verifier.reason(present(credential, holder=HOLDER_EDDSA, nonce="n-2")) == (
        "holder_binding_invalid"
    )


# --- nonce and audience ---------------------------------------------------------------------


def test_verifier_bound_nonce_must_be_the_issued_one(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    text = present(credential, "bank", audience=BANK, nonce="issued-by-bank")
    expected = {"audience": BANK, "nonce": "issued-by-bank"}
    assert verifier.reason(text, "bank", **{**expected, "nonce": "another"}) == (
        "holder_binding_invalid"
    )
    assert verifier.check(text, "bank", **expected).valid


@pytest.mark.parametrize(
    "aud", ["https://other.example/verifier", "urn:residence-permit:QR", BANK + "/"]
)
def test_wrong_audience(verifier: Verifier, credential: IssuedCredential, aud: str) -> None:
    assert verifier.reason(present(credential, audience=aud)) == "wrong_audience"


def test_qr_presentation_at_a_verifier_bound_counter(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    """A QR made for the shared audience cannot be used at a bank, even with its nonce."""
    text = present(credential, "bank", nonce="n-1")
    assert verifier.reason(text, "bank", audience=BANK, nonce="n-1") == "wrong_audience"


# --- freshness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (-120, None),
        (-121, "stale_presentation"),
        (-86_400, "stale_presentation"),
        (60, None),
        (61, "stale_presentation"),
        (10**9, "stale_presentation"),
    ],
)
def test_kb_iat_window(
    verifier: Verifier, credential: IssuedCredential, offset: int, reason: str | None
) -> None:
    assert verifier.reason(present(credential, iat=NOW + offset)) == reason


def test_kb_window_is_configurable(verifier: Verifier, credential: IssuedCredential) -> None:
    text = present(credential, iat=NOW - 200)
    assert verifier.reason(text) == "stale_presentation"
    assert verifier.check(text, policy=VerifyPolicy(kb_window=300)).valid


# --- replay --------------------------------------------------------------------------------


def test_replayed_presentation(verifier: Verifier, credential: IssuedCredential) -> None:
    text = present(credential)
    assert verifier.check(text).valid
    assert verifier.reason(text) == "replayed"
    assert verifier.reason(text, now=NOW + 30) == "replayed"
    # A new presentation with the same nonce (new disclosures, same holder key) is a replay.
    assert verifier.reason(present(credential, "school")) == "replayed"
    assert verifier.check(present(credential, nonce="fresh")).valid


def test_replay_key_is_per_holder_key(verifier: Verifier) -> None:
    mine = issue(holder=HOLDER_EDDSA)
    theirs = issue(holder=HOLDER_ES256, seed=8)
    assert verifier.check(present(mine, nonce="shared")).valid
    assert verifier.check(present(theirs, holder=HOLDER_ES256, nonce="shared")).valid


def test_nonce_is_recorded_with_the_replay_window(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    assert verifier.check(present(credential)).valid
    (expires,) = verifier.cache.entries.values()
    assert expires >= NOW + 120 + 60  # outlives every iat the window could still accept


class RacingCache(MemoryNonceCache):
    """Another worker records the same nonce between ``seen`` and ``add``."""

    def add(self, key: str, *, now: int, ttl: int) -> bool:
        return False


def test_atomic_add_decides_a_race(verifier: Verifier, credential: IssuedCredential) -> None:
    assert verifier.reason(present(credential), nonce_cache=RacingCache()) == "replayed"


def test_no_nonce_cache_means_no_replay_check(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    text = present(credential)
    assert verifier.check(text, nonce_cache=None).valid
    assert verifier.check(text, nonce_cache=None).valid
