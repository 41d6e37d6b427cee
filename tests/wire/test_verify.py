"""verify_presentation / check_presentation: accepted presentations, result shape, usage errors,
input framing, the order of checks (DESIGN §6) and a single-character mutation sweep.

The per-check negative tests live beside this file: test_verify_structure.py (size, parsing,
header, issuer, key, signature), test_verify_disclosures.py, test_verify_holder_binding.py
(times, KB-JWT, audience, freshness, replay) and test_verify_status.py (profile, status).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.wire.conftest import (
    BANK,
    CLAIMS,
    EXP,
    HOLDER_EDDSA,
    HOLDER_ES256,
    ISSUER,
    ISSUER_EDDSA,
    ISSUER_ES256,
    NOW,
    PROFILES,
    HostileIssuer,
    MemoryNonceCache,
    StubStatus,
    Verifier,
    changed,
    issue,
    present,
    trusted_directory,
)
from wire.credential import IssuedCredential
from wire.errors import ConfigurationError, StatusUnavailable
from wire.presentation import QR_AUDIENCE
from wire.profiles import filter_claims
from wire.verify import VerificationResult, VerifyPolicy, check_presentation, verify_presentation

LANDLORD_CLAIMS = {
    "name": "张三丰",
    "permit_class": "standard",
    "residence_address": {"district": "浦东新区"},
    "endorsed_until": "2027-03-01",
}
BOUND = ("bank", "hospital", "agency")


def bound_kwargs(profile: str, nonce: str = "verifier-nonce-1") -> dict[str, Any]:
    """Audience and nonce a verifier-bound verifier expects (empty for the others)."""
    return {"audience": BANK, "nonce": nonce} if PROFILES[profile].verifier_bound else {}


def presentation_for(credential: IssuedCredential, profile: str, nonce: str = "n-1") -> str:
    if PROFILES[profile].verifier_bound:
        return present(credential, profile, audience=BANK, nonce=nonce)
    return present(credential, profile, nonce=nonce)


# --- accepted presentations -----------------------------------------------------------------


@pytest.mark.parametrize("issuer_key", [ISSUER_ES256, ISSUER_EDDSA], ids=["ES256", "EdDSA"])
@pytest.mark.parametrize("holder_key", [HOLDER_ES256, HOLDER_EDDSA], ids=["ES256", "EdDSA"])
def test_accepts_every_issuer_and_holder_key_type(
    verifier: Verifier, issuer_key: Any, holder_key: Any
) -> None:
    credential = issue(signing_key=issuer_key, holder=holder_key)
    result = verifier.check(present(credential, holder=holder_key))
    assert result == VerificationResult(True, None, ISSUER, "landlord", LANDLORD_CLAIMS, "valid")


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_accepts_each_profile_with_exactly_its_claims(
    verifier: Verifier, credential: IssuedCredential, profile: str
) -> None:
    result = verifier.check(
        presentation_for(credential, profile), profile, **bound_kwargs(profile, "n-1")
    )
    assert result.valid, result.reason
    # The wallet disclosed exactly the profile's claims; "any" asks for (and gets) none.
    expected = filter_claims(CLAIMS, PROFILES[profile]) if PROFILES[profile].claims else {}
    assert result.claims == expected
    assert result.profile == profile
    assert result.issuer == ISSUER


def test_expected_claims_of_the_landlord_and_agency_profiles(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    assert verifier.check(present(credential)).claims == LANDLORD_CLAIMS
    agency = verifier.check(
        presentation_for(credential, "agency"), "agency", **bound_kwargs("agency", "n-1")
    )
    assert agency.claims == CLAIMS


def test_any_profile_returns_whatever_was_disclosed(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    assert verifier.check(present(credential, "any"), "any").claims == {}
    everything = present(credential, "agency", nonce="n-2")
    assert verifier.check(everything, "any").claims == CLAIMS


def test_returns_only_the_profile_claims_even_when_more_were_disclosed(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    result = verifier.check(present(credential, "agency"), "landlord")
    assert result.valid
    assert result.claims == LANDLORD_CLAIMS
    verified = verify_presentation(
        present(credential, "agency", nonce="n-2"),
        profile=PROFILES["hospital"],
        **verifier.kwargs(),
        audience=QR_AUDIENCE,
        nonce="n-2",
    )
    assert verified.claims == {k: CLAIMS[k] for k in ("name", "id_number", "endorsed_until")}
    assert verified.all_claims == CLAIMS
    assert verified.holder_thumbprint is not None
    assert verified.expires_at == EXP


@pytest.mark.parametrize("profile", ["landlord", "school"])
def test_paper_credential_accepted_where_the_profile_allows_paper(
    verifier: Verifier, paper_credential: IssuedCredential, profile: str
) -> None:
    text = present(paper_credential, profile, holder=None)
    assert text.endswith("~")
    result = verifier.check(text, profile)
    assert result.valid
    assert result.claims == filter_claims(CLAIMS, PROFILES[profile])
    verified = verify_presentation(text, profile=PROFILES[profile], **verifier.kwargs())
    assert verified.holder_thumbprint is None
    assert verifier.cache.entries == {}  # nothing to replay-protect without a KB-JWT


@pytest.mark.parametrize("profile", ["bank", "hospital", "agency", "any"])
def test_paper_credential_refused_for_profiles_without_paper(
    verifier: Verifier, paper_credential: IssuedCredential, profile: str
) -> None:
    text = present(paper_credential, profile, holder=None)
    assert verifier.reason(text, profile, **bound_kwargs(profile)) == "holder_binding_missing"


# --- result shape -----------------------------------------------------------------------------


def test_result_json_shape(verifier: Verifier, credential: IssuedCredential) -> None:
    assert verifier.check(present(credential)).to_json() == {
        "valid": True,
        "reason": None,
        "issuer": ISSUER,
        "profile": "landlord",
        "claims": LANDLORD_CLAIMS,
        "status": "valid",
    }


def test_rejected_result_carries_no_claims(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    verifier.status.value = 1
    result = verifier.check(present(credential))
    assert result.to_json() == {
        "valid": False,
        "reason": "revoked",
        "issuer": None,
        "profile": "landlord",
        "claims": {},
        "status": "revoked",
    }


# --- usage errors -------------------------------------------------------------------------


@pytest.mark.parametrize("profile", BOUND)
@pytest.mark.parametrize(
    "given", [{}, {"audience": BANK}, {"nonce": "n-1"}], ids=["none", "audience", "nonce"]
)
def test_verifier_bound_profile_needs_audience_and_nonce(
    verifier: Verifier, credential: IssuedCredential, profile: str, given: dict[str, str]
) -> None:
    text = presentation_for(credential, profile)
    with pytest.raises(ConfigurationError):
        verifier.check(text, profile, **given)
    with pytest.raises(ConfigurationError):
        verifier.check("not even a presentation", profile, **given)


def test_missing_status_lookup_is_a_usage_error(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    with pytest.raises(ConfigurationError):
        verifier.check(present(credential), status_lookup=None)


def test_policy_refuses_algorithms_outside_the_allow_list() -> None:
    for algorithms in (frozenset(), frozenset({"none"}), frozenset({"ES256", "HS256"})):
        with pytest.raises(ValueError, match="algorithms"):
            VerifyPolicy(algorithms=algorithms)


# --- input framing ------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_one_trailing_line_ending_is_ignored(
    verifier: Verifier,
    credential: IssuedCredential,
    paper_credential: IssuedCredential,
    ending: str,
) -> None:
    assert verifier.check(present(credential) + ending).valid
    assert verifier.check(present(paper_credential, holder=None) + ending).valid


@pytest.mark.parametrize("ending", ["\n\n", "\r\n\r\n", "\n\r\n", "\r", " ", "\t", "\r\n "])
def test_other_trailing_whitespace_is_rejected(
    verifier: Verifier,
    credential: IssuedCredential,
    paper_credential: IssuedCredential,
    ending: str,
) -> None:
    # The leftover is part of the last component, the KB-JWT position (DESIGN §6).
    assert verifier.reason(present(credential) + ending) == "holder_binding_invalid"
    assert verifier.reason(present(paper_credential, holder=None) + ending) == (
        "holder_binding_invalid"
    )


def test_leading_line_ending_is_not_ignored(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    assert verifier.reason("\n" + present(credential)) == "malformed"


# --- order of checks (DESIGN §6): the earlier check decides -------------------------------


def _order_case(hostile: HostileIssuer, verifier: Verifier, case: str) -> str | None:
    """Build a presentation failing two checks; return its reason."""
    p = hostile.payload
    if case == "size+malformed":
        return verifier.reason("%" * 20_000)
    if case == "invalid_disclosure+unknown_issuer":
        # Disclosures are parsed in the parsing step, before any issuer lookup (DESIGN §6).
        payload = changed(p, iss="https://evil.example")
        return verifier.reason(hostile.present(payload=payload, disclosures=["e30"]))
    if case == "kb_unparseable+wrong_type":
        text = hostile.present(header={**hostile.header, "typ": "JWT"}, kb=False)
        return verifier.reason(text + "not-a-jwt")
    if case == "malformed+wrong_type":
        return verifier.reason(hostile.present(payload=changed(p, iat=True), header={"typ": "JWT"}))
    if case == "wrong_type+unsupported_alg":
        return verifier.reason(
            hostile.present(header={**hostile.header, "typ": "JWT", "alg": "HS256"})
        )
    if case == "unsupported_alg+unknown_issuer":
        return verifier.reason(
            hostile.present(
                payload=changed(p, iss="https://x"), header={**hostile.header, "alg": "none"}
            )
        )
    if case == "unknown_issuer+disclosure_digests":
        return verifier.reason(
            hostile.present(payload=changed(p, iss="https://evil.example", _sd=["AAAA"]))
        )
    if case == "unknown_key+bad_signature":
        jwt = hostile.issuer_jwt(header={**hostile.header, "kid": "nope"}, signature=bytes(64))
        return verifier.reason(hostile.present(jwt=jwt))
    if case == "bad_signature+expired":
        jwt = hostile.issuer_jwt(changed(p, exp=NOW - 10_000), signature=os.urandom(64))
        return verifier.reason(hostile.present(jwt=jwt))
    if case == "disclosure_mismatch+expired":
        return verifier.reason(hostile.present(payload=changed(p, exp=NOW - 10_000, _sd=[])))
    if case == "expired+holder_binding_missing":
        return verifier.reason(hostile.present(payload=changed(p, exp=NOW - 10_000), kb=False))
    if case == "not_yet_valid+holder_binding_invalid":
        return verifier.reason(hostile.present(payload=changed(p, iat=NOW + 10_000), nonce=""))
    if case == "holder_binding_invalid+wrong_audience":
        return verifier.reason(hostile.present(aud="https://other.example", sd_hash="x"))
    if case == "nonce+wrong_audience":
        text = hostile.present(aud="https://other.example", nonce="attacker-chosen")
        return verifier.reason(text, "bank", audience=BANK, nonce="issued-nonce")
    if case == "wrong_audience+stale":
        return verifier.reason(hostile.present(aud="https://other.example", iat=NOW - 10_000))
    if case == "stale+replayed":
        text = hostile.present()
        assert verifier.check(text).valid
        # Still in the replay cache (ttl = window + 2 x leeway) but outside the window.
        return verifier.reason(text, now=NOW + 121)
    if case == "holder_binding+insufficient":
        return verifier.reason(hostile.present(disclosures=hostile.disclosures[:1], kb=False))
    assert case == "insufficient+revoked"
    verifier.status.value = 1
    reason = verifier.reason(hostile.present(disclosures=hostile.disclosures[:1]))
    assert verifier.status.calls == []
    return reason


ORDER = [
    ("size+malformed", "payload_too_large"),
    ("invalid_disclosure+unknown_issuer", "invalid_disclosure"),
    ("kb_unparseable+wrong_type", "holder_binding_invalid"),
    ("malformed+wrong_type", "malformed"),
    ("wrong_type+unsupported_alg", "wrong_type"),
    ("unsupported_alg+unknown_issuer", "unsupported_alg"),
    ("unknown_issuer+disclosure_digests", "unknown_issuer"),
    ("unknown_key+bad_signature", "unknown_key"),
    ("bad_signature+expired", "bad_signature"),
    ("disclosure_mismatch+expired", "disclosure_mismatch"),
    ("expired+holder_binding_missing", "expired"),
    ("not_yet_valid+holder_binding_invalid", "not_yet_valid"),
    ("holder_binding_invalid+wrong_audience", "holder_binding_invalid"),
    ("nonce+wrong_audience", "holder_binding_invalid"),
    ("wrong_audience+stale", "wrong_audience"),
    ("stale+replayed", "stale_presentation"),
    ("holder_binding+insufficient", "holder_binding_missing"),
    ("insufficient+revoked", "insufficient_disclosure"),
]


@pytest.mark.parametrize(("case", "expected"), ORDER, ids=[case for case, _ in ORDER])
def test_order_of_checks(
    hostile: HostileIssuer, verifier: Verifier, case: str, expected: str
) -> None:
    assert _order_case(hostile, verifier, case) == expected


# --- replay bookkeeping: the nonce is recorded only after every check --------------------


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ({"error": StatusUnavailable()}, "status_unavailable"),
        ({"value": 1}, "revoked"),
        ({"value": 2}, "suspended"),
        ({"value": 3}, "status_invalid"),
    ],
)
def test_failure_at_status_does_not_burn_the_nonce(
    verifier: Verifier, credential: IssuedCredential, broken: dict[str, Any], reason: str
) -> None:
    text = present(credential, nonce="once-only")
    for name, value in broken.items():
        setattr(verifier.status, name, value)
    assert verifier.reason(text) == reason
    assert verifier.cache.entries == {}
    verifier.status.value, verifier.status.error = 0, None
    assert verifier.check(text).valid
    assert len(verifier.cache.entries) == 1
    assert verifier.reason(text) == "replayed"


def test_failure_at_profile_or_audience_does_not_burn_the_nonce(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    text = present(credential, "landlord", nonce="once-only")
    assert verifier.reason(text, "school") == "insufficient_disclosure"
    assert verifier.reason(text, audience="https://other.example") == "wrong_audience"
    assert verifier.cache.entries == {}
    assert verifier.check(text).valid


# --- mutation sweep ----------------------------------------------------------------------

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~."


def _mutant(text: str, position: int) -> str:
    """``text`` with the character at ``position`` replaced by a different one, chosen
    deterministically and varied across positions."""
    current = ALPHABET.index(text[position])
    step = 1 + (position * 7919) % (len(ALPHABET) - 1)
    return text[:position] + ALPHABET[(current + step) % len(ALPHABET)] + text[position + 1 :]


def test_every_single_character_change_is_rejected(credential: IssuedCredential) -> None:
    text = present(credential)
    assert set(text) <= set(ALPHABET)
    verifier = Verifier(trusted_directory(), StubStatus(), MemoryNonceCache())
    assert verifier.check(text, nonce_cache=MemoryNonceCache()).valid
    accepted, reasons = [], set()
    for position in range(len(text)):
        result = verifier.check(_mutant(text, position), nonce_cache=MemoryNonceCache())
        reasons.add(result.reason)
        if result.valid:
            accepted.append(position)
    assert accepted == []
    # The sweep reaches every part: issuer JWT, disclosures, KB-JWT, and the separators.
    assert {"malformed", "bad_signature", "invalid_disclosure", "holder_binding_invalid"} <= reasons


def test_mutation_helper_changes_exactly_one_character() -> None:
    text = "abc~d.e"
    for position in range(len(text)):
        mutant = _mutant(text, position)
        assert len(mutant) == len(text)
        assert [i for i in range(len(text)) if mutant[i] != text[i]] == [position]


def test_check_presentation_matches_verify_presentation(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    text = present(credential)
    result = check_presentation(text, profile=PROFILES["landlord"], **verifier.kwargs())
    verified = verify_presentation(
        text, profile=PROFILES["landlord"], **verifier.kwargs(nonce_cache=MemoryNonceCache())
    )
    assert (result.issuer, result.claims, result.status) == (
        verified.issuer,
        verified.claims,
        verified.status,
    )
