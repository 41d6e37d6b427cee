"""The last two verifier checks (DESIGN §6, §4, §7): profile sufficiency and credential status."""

from __future__ import annotations

from typing import Any

import pytest

from tests.wire.conftest import (
    BANK,
    CLAIMS,
    DROP,
    HOLDER_EDDSA,
    ISSUER,
    NOW,
    PROFILES,
    STATUS_IDX,
    STATUS_URI,
    HostileIssuer,
    Verifier,
    changed,
    present,
)
from wire.credential import IssuedCredential
from wire.errors import StatusInvalid, StatusUnavailable
from wire.presentation import create_presentation

# --- profile sufficiency -----------------------------------------------------------------


def _without(paths: tuple[str, ...], missing: str) -> list[str]:
    """The profile's paths with ``missing`` left out (an object path becomes its other parts)."""
    if missing.startswith("residence_address."):
        others = [f"residence_address.{c}" for c in ("region_code", "district", "street")]
        replacement = [p for p in others if p != missing]
        return [p for p in paths if p not in ("residence_address", missing)] + replacement
    return [p for p in paths if p != missing]


CASES = [
    (name, missing)
    for name, profile in sorted(PROFILES.items())
    for required in profile.claims
    for missing in (
        [required]
        if required != "residence_address"
        else [required, "residence_address.street", "residence_address.region_code"]
    )
]


@pytest.mark.parametrize(("profile", "missing"), CASES, ids=[f"{p}-{m}" for p, m in CASES])
def test_missing_required_claim(
    verifier: Verifier, credential: IssuedCredential, profile: str, missing: str
) -> None:
    paths = _without(PROFILES[profile].claims, missing)
    bound = PROFILES[profile].verifier_bound
    text = create_presentation(
        credential.serialized,
        paths,
        holder_key=HOLDER_EDDSA,
        audience=BANK if bound else "urn:residence-permit:qr",
        nonce="n-1",
        iat=NOW,
    )
    kwargs: dict[str, Any] = {"audience": BANK, "nonce": "n-1"} if bound else {}
    assert verifier.reason(text, profile, **kwargs) == "insufficient_disclosure"
    assert verifier.status.calls == []  # status is never fetched for an insufficient one


def test_every_profile_has_a_missing_claim_case() -> None:
    assert {p for p, _ in CASES} == {name for name, prof in PROFILES.items() if prof.claims}


def test_a_claim_signed_in_the_clear_counts_for_the_profile(
    hostile: HostileIssuer, verifier: Verifier
) -> None:
    # Our issuer never does this, but a name the trusted issuer signed in the clear is still
    # the credential's name claim: the profile is about what the verifier learns.
    payload = changed(hostile.payload, name="张三丰")
    text = hostile.present(payload=payload, disclosures=hostile.disclosures[1:])
    result = verifier.check(text)
    assert result.valid
    assert result.claims["name"] == "张三丰"


def test_registered_claims_are_never_returned(hostile: HostileIssuer, verifier: Verifier) -> None:
    result = verifier.check(hostile.present(payload=changed(hostile.payload, nbf=NOW)), "any")
    assert result.valid
    assert set(result.claims) == {"name", "permit_class", "residence_address", "endorsed_until"}


# --- status reference ------------------------------------------------------------------------

BAD_STATUS: dict[str, Any] = {
    "missing": DROP,
    "not an object": "revoked",
    "null": None,
    "no status_list": {"other": {}},
    "status_list not an object": {"status_list": [STATUS_IDX, STATUS_URI]},
    "idx missing": {"status_list": {"uri": STATUS_URI}},
    "idx negative": {"status_list": {"idx": -1, "uri": STATUS_URI}},
    "idx bool": {"status_list": {"idx": True, "uri": STATUS_URI}},
    "idx float": {"status_list": {"idx": 42.0, "uri": STATUS_URI}},
    "idx string": {"status_list": {"idx": "42", "uri": STATUS_URI}},
    "idx null": {"status_list": {"idx": None, "uri": STATUS_URI}},
    "uri missing": {"status_list": {"idx": STATUS_IDX}},
    "uri not a string": {"status_list": {"idx": STATUS_IDX, "uri": ["x"]}},
    "uri of another host": {"status_list": {"idx": 1, "uri": "https://evil.example/status/1"}},
    "uri outside the prefixes": {
        "status_list": {"idx": 1, "uri": "https://permits.sh.example/other/1"}
    },
}


@pytest.mark.parametrize("status", BAD_STATUS.values(), ids=BAD_STATUS.keys())
def test_invalid_status_reference(hostile: HostileIssuer, verifier: Verifier, status: Any) -> None:
    text = hostile.present(payload=changed(hostile.payload, status=status))
    assert verifier.reason(text) == "status_invalid"
    assert verifier.status.calls == []  # nothing is fetched on an invalid reference


def test_uri_policy_gets_the_issuer_prefixes(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    seen: list[tuple[str, tuple[str, ...]]] = []

    def policy(uri: str, prefixes: Any) -> bool:
        seen.append((uri, tuple(prefixes)))
        return False

    assert verifier.reason(present(credential), uri_allowed=policy) == "status_invalid"
    assert seen == [(STATUS_URI, ("https://permits.sh.example/status/",))]


def test_status_lookup_arguments(verifier: Verifier, credential: IssuedCredential) -> None:
    assert verifier.check(present(credential)).status == "valid"
    assert verifier.status.calls == [(ISSUER, STATUS_URI, STATUS_IDX, NOW)]


# --- status value ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason", "status"),
    [
        (1, "revoked", "revoked"),
        (2, "suspended", "suspended"),
        (3, "status_invalid", None),
        (15, "status_invalid", None),
        (-1, "status_invalid", None),
    ],
)
def test_status_values(
    verifier: Verifier,
    credential: IssuedCredential,
    value: int,
    reason: str,
    status: str | None,
) -> None:
    verifier.status.value = value
    result = verifier.check(present(credential))
    assert (result.valid, result.reason, result.status, result.claims) == (
        False,
        reason,
        status,
        {},
    )


@pytest.mark.parametrize(
    ("error", "reason"),
    [(StatusUnavailable(), "status_unavailable"), (StatusInvalid(), "status_invalid")],
)
def test_status_lookup_errors(
    verifier: Verifier, credential: IssuedCredential, error: Exception, reason: str
) -> None:
    verifier.status.error = error
    assert verifier.reason(present(credential)) == reason


def test_paper_credential_status_is_checked_too(
    verifier: Verifier, paper_credential: IssuedCredential
) -> None:
    verifier.status.value = 1
    assert verifier.reason(present(paper_credential, holder=None)) == "revoked"


def test_claims_of_a_valid_agency_presentation_keep_nesting(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    text = present(credential, "agency", audience=BANK, nonce="n-9")
    result = verifier.check(text, "agency", audience=BANK, nonce="n-9")
    assert result.claims == CLAIMS
    assert result.claims["residence_address"] == CLAIMS["residence_address"]
