"""Every DESIGN §6 reason code, through ``POST /v1/verify``.

Structural attacks are re-signed with the **trusted** Shanghai key (``HostileIssuer`` of
``tests/wire/conftest.py``) so that each reaches the check it targets; KB-JWT attacks are signed
by the genuine holder key unless the signature is the point. Status failures come from the
issuer's real status endpoint on loopback.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.verifier.service.conftest import Federation, TestClient
from tests.wire.conftest import HostileIssuer, changed, kid_of
from wire.errors import REASON_CODES

ATTACKER = ec.generate_private_key(ec.SECP256R1())


def hostile(fed: Federation, key: Any = None) -> HostileIssuer:
    city = fed.cities["sh"]
    return HostileIssuer(fed.credential("sh"), key=key or city.ring.active_key, holder=fed.holder)


def kb(fed: Federation, **claims: Any) -> dict[str, Any]:
    """KB-JWT claims for now, with a fresh nonce; ``claims`` override."""
    return {"iat": fed.clock.now, "nonce": secrets.token_urlsafe(12), **claims}


def _unsupported_alg(fed: Federation) -> str:
    h = hostile(fed)
    return h.present(header=changed(h.header, alg="ES384"), **kb(fed))


def _wrong_type(fed: Federation) -> str:
    h = hostile(fed)
    return h.present(header=changed(h.header, typ="jwt"), **kb(fed))


def _unknown_issuer(fed: Federation) -> str:
    h = hostile(fed)
    return h.present(
        payload=changed(h.payload, iss="https://permits.evil.example/issuer"), **kb(fed)
    )


def _unknown_key(fed: Federation) -> str:
    h = hostile(fed, ATTACKER)
    return h.present(header=changed(h.header, kid=kid_of(ATTACKER)), **kb(fed))


def _bad_signature(fed: Federation) -> str:
    return hostile(fed, ATTACKER).present(**kb(fed))  # the trusted kid, another key's signature


def _expired(fed: Federation) -> str:
    h = hostile(fed)
    return h.present(payload=changed(h.payload, exp=fed.clock.now - 3600), **kb(fed))


def _not_yet_valid(fed: Federation) -> str:
    h = hostile(fed)
    return h.present(payload=changed(h.payload, iat=fed.clock.now + 3600), **kb(fed))


def _invalid_disclosure(fed: Federation) -> str:
    h = hostile(fed)
    return h.present(disclosures=[*h.disclosures[:-1], h.disclosures[-1] + "="], **kb(fed))


def _disclosure_mismatch(fed: Federation) -> str:
    h = hostile(fed)
    return h.present(disclosures=[*h.disclosures, h.disclosures[0]], **kb(fed))


def _holder_binding_missing(fed: Federation) -> str:
    return hostile(fed).present(kb=False)


def _holder_binding_invalid(fed: Federation) -> str:
    return hostile(fed).present(kb_key=ATTACKER, **kb(fed))


def _stale(fed: Federation) -> str:
    return fed.present(iat=fed.clock.now - 600)


def _wrong_audience(fed: Federation) -> str:
    return fed.present(audience="https://another-verifier.example")


def _revoked(fed: Federation) -> str:
    fed.publish("sh", 1)
    return fed.present()


def _suspended(fed: Federation) -> str:
    fed.publish("sh", 2)
    return fed.present()


def _status_unavailable(fed: Federation) -> str:
    fed.server.routes[fed.cities["sh"].status_path] = (503, {}, b"")
    return fed.present()


def _status_invalid(fed: Federation) -> str:
    fed.publish("sh", 0, content_type="application/json")
    return fed.present()


def _insufficient(fed: Federation) -> str:
    return fed.present(paths=("name", "permit_class", "endorsed_until"))


CASES: dict[str, Callable[[Federation], str]] = {
    "malformed": lambda _fed: "this is not a presentation",
    "payload_too_large": lambda _fed: "a" * (16 * 1024 + 1) + "~",
    "unsupported_alg": _unsupported_alg,
    "wrong_type": _wrong_type,
    "unknown_issuer": _unknown_issuer,
    "unknown_key": _unknown_key,
    "bad_signature": _bad_signature,
    "expired": _expired,
    "not_yet_valid": _not_yet_valid,
    "invalid_disclosure": _invalid_disclosure,
    "disclosure_mismatch": _disclosure_mismatch,
    "holder_binding_missing": _holder_binding_missing,
    "holder_binding_invalid": _holder_binding_invalid,
    "stale_presentation": _stale,
    "wrong_audience": _wrong_audience,
    "revoked": _revoked,
    "suspended": _suspended,
    "status_unavailable": _status_unavailable,
    "status_invalid": _status_invalid,
    "insufficient_disclosure": _insufficient,
}


def post(client: TestClient, fed: Federation, presentation: str) -> dict[str, Any]:
    response = client.post(
        "/v1/verify", json={"presentation": presentation}, headers=fed.auth("landlord")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_every_reason_code_is_covered() -> None:
    assert set(CASES) | {"replayed"} == set(REASON_CODES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_reason_code_over_http(client: TestClient, federation: Federation, code: str) -> None:
    body = post(client, federation, CASES[code](federation))
    status = code if code in ("revoked", "suspended") else None
    assert body == {
        "valid": False,
        "reason": code,
        "issuer": None,
        "profile": "landlord",
        "claims": {},
        "status": status,
    }


def test_replayed_over_http(client: TestClient, federation: Federation) -> None:
    presentation = federation.present()
    assert post(client, federation, presentation)["valid"] is True
    federation.clock.advance(30)
    body = post(client, federation, presentation)
    assert (body["valid"], body["reason"], body["claims"]) == (False, "replayed", {})


def test_a_failed_presentation_does_not_burn_its_nonce(
    client: TestClient, federation: Federation
) -> None:
    """DESIGN §3: the nonce is recorded only after every other check passed, so the same
    presentation is accepted once the permit is reinstated."""
    federation.publish("sh", 2, ttl=60)
    presentation = federation.present()
    assert post(client, federation, presentation)["reason"] == "suspended"
    federation.publish("sh", 0, ttl=60)
    federation.clock.advance(61)  # past the cached list's ttl, inside the 120 s KB window
    assert post(client, federation, presentation)["valid"] is True
