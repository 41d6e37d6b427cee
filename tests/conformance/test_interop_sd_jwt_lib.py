"""Interop with ``sd-jwt`` 0.10.4 (``sd_jwt``), the reference implementation behind the RFC's
examples; it uses jwcrypto keys.

Direction (a): permits issued by :func:`wire.credential.issue_credential` and presented by
:func:`wire.presentation.create_presentation` verify with ``sd_jwt.verifier.SDJWTVerifier``
(DESIGN §2: "any conforming SD-JWT library can verify them"). Direction (b): a permit built
by ``sd_jwt.issuer.SDJWTIssuer`` with our claim set verifies with :mod:`wire.verify`.

Only the positive direction is tested: the library follows the drafts loosely (it does not
check ``typ``, ``exp``/``iat``, KB-JWT freshness or unreferenced disclosures), so its
rejections prove nothing about ours. Each direction has one control showing that the library
check used is live.

Adaptations, none of them to our wire format:

* No KB-JWT adaptation is needed. 0.10.4 already uses ``typ: kb+jwt`` and ``sd_hash`` over
  everything up to the last ``~`` (RFC 9901 §4.3), not the older ``_sd_hash``/``kb+jwt``
  variants; our KB-JWT is accepted byte for byte.
* The library verifies every KB-JWT as ``ES256`` (``SDJWTVerifier`` passes no ``sign_alg`` to
  ``_verify_key_binding_jwt``), so direction (a) uses ES256 holder keys; an Ed25519 holder's
  KB-JWT is refused by the library with ``"alg" mismatch``. The issuer key may be ES256 or
  EdDSA (jwcrypto checks the header ``alg``).
* ``SDJWTIssuer`` writes ``typ: example+sd-jwt`` and no ``kid`` unless told: (b) passes
  ``extra_header_parameters={"typ": "dc+sd-jwt", "kid": <RFC 7638 thumbprint>}``; jwcrypto's
  ``JWK.thumbprint()`` equals :func:`wire.jwk.thumbprint`.
* ``SDJWTHolder`` stamps its KB-JWT with the wall clock (``int(time())``, not injectable),
  so the test that uses it pins the verifier's ``now`` to the ``iat`` read from that KB-JWT
  and issues a permit valid until 2099; the other (b) tests present with our holder.
* Differences the verifier tolerates, so no adaptation: the library serialises JSON with
  spaces and ``\\uXXXX`` escapes, and with ``add_decoy_claims=True`` it puts decoy ``_sd``
  arrays into *every* object, including the always-visible ``status`` and
  ``status.status_list`` (DESIGN §2 shows them without ``_sd``). The verifier reads ``idx``
  and ``uri`` from the signed payload, where they stay visible, and processing removes the
  decoys.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from tests.conformance.harness import (
    StaticDirectory,
    StaticIssuer,
    StatusStub,
    assert_json_equal,
    uri_allowed,
)
from tests.permit_claims import permit_claims
from wire.credential import (
    ADDRESS_CLAIMS,
    CLAIM_NAMES,
    CREDENTIAL_TYP,
    VCT,
    end_of_day,
    issue_credential,
)
from wire.errors import HolderBindingInvalid, Malformed
from wire.jwk import PrivateKey, load_public_jwk, public_jwk, thumbprint
from wire.jws import parse_compact
from wire.presentation import create_presentation
from wire.profiles import Profile, load_profiles
from wire.sdjwt import process_payload, split_presentation
from wire.verify import VerifiedPresentation, verify_presentation

ISS = "https://permits.sh.example/issuer"
STATUS_URI = "https://permits.sh.example/status/1"
STATUS_PREFIXES = ("https://permits.sh.example/status/",)
VERIFIER = "https://bank.example/verifier"
NOW = 1_790_000_000
ENDORSED_UNTIL = date(2027, 12, 31)
CLAIMS: dict[str, Any] = permit_claims(ENDORSED_UNTIL)
PROFILES = load_profiles()


def _jwcrypto_public(key: PrivateKey) -> JWK:
    return JWK(**public_jwk(key))


def _b64u_json(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _expected_claims(paths: Sequence[str]) -> dict[str, Any]:
    """The claims that disclosing ``paths`` reveals (``a.b`` reveals ``a`` with only ``b``)."""
    expected: dict[str, Any] = {}
    for path in paths:
        name, _, part = path.partition(".")
        if part:
            expected.setdefault(name, {})[part] = CLAIMS[name][part]
        else:
            expected[name] = CLAIMS[name]
    return expected


# --- (a) our credential, the library's verifier ---------------------------------------------


def _issue_ours(
    issuer_key: PrivateKey, holder_key: PrivateKey | None, *, status_idx: int = 42
) -> str:
    return issue_credential(
        claims=CLAIMS,
        issuer=ISS,
        signing_key=issuer_key,
        holder_jwk=public_jwk(holder_key) if holder_key is not None else None,
        status_uri=STATUS_URI,
        status_idx=status_idx,
        iat=NOW - 86_400,
        exp=end_of_day(ENDORSED_UNTIL),
    ).serialized


def _library_verify(
    presentation: str, issuer_key: PrivateKey, *, aud: str | None, nonce: str | None
) -> dict[str, Any]:
    seen: list[tuple[str, dict[str, Any]]] = []

    def issuer_key_for(iss: str, header: dict[str, Any]) -> JWK:
        seen.append((iss, dict(header)))
        return _jwcrypto_public(issuer_key)

    verifier = SDJWTVerifier(presentation, issuer_key_for, aud, nonce)
    payload: dict[str, Any] = verifier.get_verified_payload()
    assert seen == [
        (
            ISS,
            {
                "alg": "ES256" if isinstance(issuer_key, ec.EllipticCurvePrivateKey) else "EdDSA",
                "typ": CREDENTIAL_TYP,
                "kid": thumbprint(public_jwk(issuer_key)),
            },
        )
    ]
    return payload


def _visible(holder_key: PrivateKey | None, status_idx: int = 42) -> dict[str, Any]:
    visible: dict[str, Any] = {
        "iss": ISS,
        "iat": NOW - 86_400,
        "exp": end_of_day(ENDORSED_UNTIL),
        "vct": VCT,
        "status": {"status_list": {"idx": status_idx, "uri": STATUS_URI}},
    }
    if holder_key is not None:
        visible["cnf"] = {"jwk": public_jwk(holder_key)}
    return visible


ISSUER_KEYS = {
    "ES256-issuer": lambda: ec.generate_private_key(ec.SECP256R1()),
    "EdDSA-issuer": ed25519.Ed25519PrivateKey.generate,
}


@pytest.mark.parametrize("make_issuer_key", ISSUER_KEYS.values(), ids=ISSUER_KEYS.keys())
@pytest.mark.parametrize("profile_name", ["landlord", "bank", "agency"])
def test_our_presentation_verifies_with_the_library(
    make_issuer_key: Any, profile_name: str
) -> None:
    """(a) A key-bound presentation of each profile's claims: the library checks the issuer
    signature, the KB-JWT (``typ``, ES256 signature by ``cnf``, ``aud``, ``nonce``,
    ``sd_hash``) and returns the same processed payload as our own processing."""
    issuer_key = make_issuer_key()
    holder_key = ec.generate_private_key(ec.SECP256R1())
    credential = _issue_ours(issuer_key, holder_key)
    paths = PROFILES[profile_name].claims
    presentation = create_presentation(
        credential, paths, holder_key=holder_key, audience=VERIFIER, nonce="nonce-a", iat=NOW
    )
    payload = _library_verify(presentation, issuer_key, aud=VERIFIER, nonce="nonce-a")

    parts = split_presentation(presentation)
    ours, _ = process_payload(parse_compact(parts.issuer_jwt, Malformed).payload, parts.disclosures)
    assert_json_equal(payload, ours)
    assert_json_equal(payload, {**_visible(holder_key), **_expected_claims(paths)})


def test_paper_credential_verifies_with_the_library() -> None:
    """(a) A paper permit (no ``cnf``) presented without KB-JWT, every claim disclosed."""
    issuer_key = ec.generate_private_key(ec.SECP256R1())
    credential = _issue_ours(issuer_key, None)
    presentation = create_presentation(credential, list(CLAIM_NAMES), holder_key=None)
    assert presentation.endswith("~")
    payload = _library_verify(presentation, issuer_key, aud=None, nonce=None)
    assert_json_equal(payload, {**_visible(None), **CLAIMS})


def test_control_the_library_really_checks_our_kb_jwt() -> None:
    issuer_key = ec.generate_private_key(ec.SECP256R1())
    holder_key = ec.generate_private_key(ec.SECP256R1())
    presentation = create_presentation(
        _issue_ours(issuer_key, holder_key),
        ["name"],
        holder_key=holder_key,
        audience=VERIFIER,
        nonce="nonce-a",
        iat=NOW,
    )
    with pytest.raises(ValueError, match="Invalid nonce"):
        _library_verify(presentation, issuer_key, aud=VERIFIER, nonce="nonce-b")


# --- (b) the library's credential, our verifier ---------------------------------------------


def _library_user_claims(status_idx: int, *, iat: int, until: date) -> dict[Any, Any]:
    """Our claim set in the library's input format: ``SDObj`` keys are disclosable, the rest
    visible. ``residence_address`` is recursive, as in :data:`wire.credential._FRAME`; ``exp``
    is the end of ``endorsed_until`` in China Standard Time, as DESIGN §2 requires."""
    user_claims: dict[Any, Any] = {
        "iss": ISS,
        "iat": iat,
        "exp": end_of_day(until),
        "vct": VCT,
        "status": {"status_list": {"idx": status_idx, "uri": STATUS_URI}},
    }
    for name in CLAIM_NAMES:
        value = until.isoformat() if name == "endorsed_until" else CLAIMS[name]
        if name == "residence_address":
            value = {SDObj(part): CLAIMS[name][part] for part in ADDRESS_CLAIMS}
        user_claims[SDObj(name)] = value
    return user_claims


def _library_issue(
    *, status_idx: int = 7, iat: int = NOW - 86_400, until: date = ENDORSED_UNTIL
) -> tuple[str, JWK, JWK]:
    issuer_jwk = JWK.generate(kty="EC", crv="P-256")
    holder_jwk = JWK.generate(kty="EC", crv="P-256")
    kid = issuer_jwk.thumbprint()
    assert kid == thumbprint(issuer_jwk.export_public(as_dict=True))  # RFC 7638 both sides
    issuer = SDJWTIssuer(
        _library_user_claims(status_idx, iat=iat, until=until),
        issuer_jwk,
        holder_jwk,
        add_decoy_claims=True,
        extra_header_parameters={"typ": CREDENTIAL_TYP, "kid": kid},
    )
    credential: str = issuer.sd_jwt_issuance
    return credential, issuer_jwk, holder_jwk


def _holder_private(holder_jwk: JWK) -> ec.EllipticCurvePrivateKey:
    d = base64.urlsafe_b64decode(holder_jwk.export_private(as_dict=True)["d"] + "==")
    return ec.derive_private_key(int.from_bytes(d, "big"), ec.SECP256R1())


def _our_verify(
    presentation: str,
    issuer_jwk: JWK,
    profile: Profile,
    *,
    now: int = NOW,
    status: StatusStub | None = None,
    audience: str | None = None,
    nonce: str | None = None,
) -> VerifiedPresentation:
    issuer_key = load_public_jwk(issuer_jwk.export_public(as_dict=True), Malformed)
    directory = StaticDirectory(
        [StaticIssuer(ISS, {issuer_jwk.thumbprint(): issuer_key}, STATUS_PREFIXES)]
    )
    return verify_presentation(
        presentation,
        directory=directory,
        profile=profile,
        now=now,
        status_lookup=status or StatusStub(value=0),
        uri_allowed=uri_allowed,
        audience=audience,
        nonce=nonce,
    )


def test_library_credential_has_our_wire_shape() -> None:
    """What the library produced, against DESIGN §2 (before any verification)."""
    credential, issuer_jwk, holder_jwk = _library_issue()
    issuer_jwt = credential.split("~")[0]
    header = _b64u_json(issuer_jwt.split(".")[0])
    payload = _b64u_json(issuer_jwt.split(".")[1])
    assert header == {"alg": "ES256", "typ": CREDENTIAL_TYP, "kid": issuer_jwk.thumbprint()}
    assert payload["_sd_alg"] == "sha-256"
    assert payload["cnf"] == {"jwk": holder_jwk.export_public(as_dict=True)}
    assert (payload["iss"], payload["vct"]) == (ISS, VCT)
    # The one visible difference: decoy digests inside the always-visible status objects.
    assert set(payload["status"]) == {"status_list", "_sd"}
    assert set(payload["status"]["status_list"]) == {"idx", "uri", "_sd"}
    assert len(split_presentation(credential).disclosures) == len(CLAIM_NAMES) + len(ADDRESS_CLAIMS)


@pytest.mark.parametrize(
    "profile_name", ["any", "landlord", "school", "bank", "hospital", "agency"]
)
def test_library_credential_verifies_with_our_pipeline(profile_name: str) -> None:
    """(b) Presented with our holder for each default profile (DESIGN §7)."""
    credential, issuer_jwk, holder_jwk = _library_issue(status_idx=7)
    profile = PROFILES[profile_name]
    paths = profile.claims or CLAIM_NAMES
    presentation = create_presentation(
        credential,
        paths,
        holder_key=_holder_private(holder_jwk),
        audience=VERIFIER,
        nonce="nonce-b",
        iat=NOW,
    )
    status = StatusStub(value=0)
    result = _our_verify(
        presentation, issuer_jwk, profile, status=status, audience=VERIFIER, nonce="nonce-b"
    )
    assert (result.issuer, result.profile, result.status) == (ISS, profile_name, "valid")
    assert result.holder_thumbprint == holder_jwk.thumbprint()
    assert result.expires_at == end_of_day(ENDORSED_UNTIL)
    assert_json_equal(result.all_claims, _expected_claims(paths))
    assert status.calls == [(ISS, STATUS_URI, 7)]


def test_library_holder_presentation_verifies_with_our_pipeline() -> None:
    """(b) The library's own holder: its KB-JWT carries the wall-clock ``iat``, so ``now`` is
    pinned to that value (read from the token, never asserted) and the permit runs from 2020
    to 2099, so the test holds whenever it runs."""
    until = date(2099, 12, 31)
    credential, issuer_jwk, holder_jwk = _library_issue(iat=1_600_000_000, until=until)
    holder = SDJWTHolder(credential)
    holder.create_presentation(
        {
            "name": True,
            "permit_class": True,
            "residence_address": {"district": True},
            "endorsed_until": True,
        },
        "nonce-c",
        VERIFIER,
        holder_jwk,
    )
    presentation: str = holder.sd_jwt_presentation
    kb_iat = _b64u_json(presentation.rsplit("~", maxsplit=1)[-1].split(".")[1])["iat"]
    result = _our_verify(
        presentation,
        issuer_jwk,
        PROFILES["landlord"],
        now=kb_iat,
        audience=VERIFIER,
        nonce="nonce-c",
    )
    assert result.claims == {
        "name": CLAIMS["name"],
        "permit_class": CLAIMS["permit_class"],
        "residence_address": {"district": CLAIMS["residence_address"]["district"]},
        "endorsed_until": until.isoformat(),
    }
    assert result.expires_at == end_of_day(until)
    assert result.all_claims == result.claims  # the library holder disclosed nothing else


def test_control_our_verifier_checks_the_library_credential() -> None:
    """The same library presentation with the holder's nonce changed in transit fails."""
    credential, issuer_jwk, holder_jwk = _library_issue()
    presentation = create_presentation(
        credential,
        ["name"],
        holder_key=_holder_private(holder_jwk),
        audience=VERIFIER,
        nonce="nonce-d",
        iat=NOW,
    )
    with pytest.raises(HolderBindingInvalid):
        _our_verify(presentation, issuer_jwk, PROFILES["bank"], audience=VERIFIER, nonce="other")
