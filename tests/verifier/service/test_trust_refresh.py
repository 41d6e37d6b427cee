"""The trust list of a running verifier (DESIGN §5): signed, refreshed, rotation and removal."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from keys.trustlist import build_trust_list, sign_trust_list
from tests.verifier.service.conftest import Federation, TestClient
from verifier.service.core import VerifierService
from wire.errors import ConfigurationError


def reason(client: TestClient, fed: Federation, city: str = "sh") -> str | None:
    response = client.post(
        "/v1/verify",
        json={"presentation": fed.present(city=city)},
        headers=fed.auth("landlord"),
    )
    assert response.status_code == 200, response.text
    result: str | None = response.json()["reason"]
    return result


def service_of(client: TestClient) -> VerifierService:
    service: VerifierService = client.app.state.service  # type: ignore[attr-defined]
    return service


def test_a_removed_issuer_stops_verifying_at_the_next_refresh(
    client: TestClient, federation: Federation
) -> None:
    assert reason(client, federation, "sz") is None
    federation.write_trust_list("sh", "hz")
    assert reason(client, federation, "sz") is None  # the list in force until the refresh
    assert service_of(client).refresh_trust() is True
    assert reason(client, federation, "sz") == "unknown_issuer"
    assert reason(client, federation, "sh") is None
    assert reason(client, federation, "hz") is None
    assert service_of(client).refresh_trust() is False  # unchanged


def test_key_rotation_and_retirement_take_effect_at_the_next_refresh(
    client: TestClient, federation: Federation
) -> None:
    sh = federation.cities["sh"]
    old_credential = federation.credential("sh")
    old_kid = sh.ring.active_kid
    assert reason(client, federation) is None
    # The issuer rotates: new permits and status lists are signed by the new key.
    sh.ring = sh.ring.rotate(ec.generate_private_key(ec.SECP256R1()))
    sh.credential = federation.issue("sh")
    assert reason(client, federation) == "unknown_key"  # not in the list in force yet
    federation.write_trust_list()
    service_of(client).refresh_trust()
    assert reason(client, federation) is None
    sh.credential = old_credential
    assert reason(client, federation) is None  # the old key still verifies until retired
    # The issuer retires the old key; the cached status list signed by it is fetched again.
    sh.ring = sh.ring.retire(old_kid)
    federation.publish("sh")
    fetches = federation.fetches("sh")
    federation.write_trust_list()
    service_of(client).refresh_trust()
    assert federation.fetches("sh") == fetches + 1
    assert reason(client, federation) == "unknown_key"
    sh.credential = federation.issue("sh")
    assert reason(client, federation) is None


def test_a_failed_refresh_keeps_the_list_in_force(
    client: TestClient, federation: Federation, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="verifier")
    service = service_of(client)
    federation.trust_path.write_text("not a trust list")
    assert service.refresh_trust() is False
    assert reason(client, federation, "sz") is None
    # An unsigned list while an anchor is configured is refused too.
    plain = build_trust_list([federation.cities["sh"].entry()], allow_insecure_loopback=True)
    federation.trust_path.write_text(json.dumps(plain))
    assert service.refresh_trust() is False
    # So is a list signed by a key that is not the anchor.
    rogue = sign_trust_list(
        plain,
        ec.generate_private_key(ec.SECP256R1()),
        iat=federation.clock.now,
        exp=federation.clock.now + 3600,
        allow_insecure_loopback=True,
    )
    federation.trust_path.write_text(rogue)
    assert service.refresh_trust() is False
    assert reason(client, federation, "sz") is None
    messages = [r.getMessage() for r in caplog.records if "trust list refresh failed" in r.msg]
    assert len(messages) == 3
    assert not any("sz/issuer" in m or "eyJ" in m for m in messages)


def test_an_older_signed_list_cannot_roll_back_a_removal(
    client: TestClient, federation: Federation
) -> None:
    """Whoever can swap the file (or answer the URL) must not restore a removed issuer by
    serving an older, still unexpired, validly signed list."""
    old = federation.trust_path.read_text()
    federation.clock.advance(60)
    federation.write_trust_list("sh", "hz")
    assert service_of(client).refresh_trust() is True
    assert reason(client, federation, "sz") == "unknown_issuer"
    federation.trust_path.write_text(old)
    assert service_of(client).refresh_trust() is False
    assert reason(client, federation, "sz") == "unknown_issuer"


def test_an_expired_signed_list_stops_verification_until_a_new_one_loads(
    federation: Federation,
) -> None:
    federation.write_trust_list(exp_in=600)
    with TestClient(federation.app()) as client:
        assert reason(client, federation) is None
        federation.clock.advance(601)
        response = client.post(
            "/v1/verify",
            json={"presentation": federation.present()},
            headers=federation.auth("landlord"),
        )
        assert response.status_code == 503
        assert response.json()["code"] == "trust_list_expired"
        federation.write_trust_list()
        service_of(client).refresh_trust()
        federation.publish("sh")
        assert reason(client, federation) is None


def test_an_unusable_trust_list_refuses_to_start(federation: Federation) -> None:
    federation.trust_path.write_text("{}")
    with pytest.raises(ConfigurationError):
        federation.app()
    with pytest.raises(ConfigurationError):
        federation.app(trust_anchor_path=None)  # a signed list needs its anchor


def test_the_background_task_refreshes_on_schedule(federation: Federation) -> None:
    with TestClient(federation.app(trust_refresh_seconds=1)) as client:
        assert reason(client, federation, "sz") is None
        federation.write_trust_list("sh")
        deadline = time.monotonic() + 20
        while reason(client, federation, "sz") is None:
            assert time.monotonic() < deadline, "the trust list was not refreshed"
            time.sleep(0.05)
        assert reason(client, federation, "sz") == "unknown_issuer"


def _serve_list(fed: Federation, *codes: str) -> None:
    fed.write_trust_list(*codes)
    fed.server.routes["/federation/trust-list.jwt"] = (
        200,
        {"Content-Type": "application/trustlist+jwt"},
        fed.trust_path.read_bytes(),
    )


def test_a_trust_list_from_a_url(federation: Federation) -> None:
    _serve_list(federation)
    url = f"{federation.server.base}federation/trust-list.jwt"
    settings: dict[str, Any] = {"trust_list_path": None, "trust_list_url": url}
    with TestClient(federation.app(**settings)) as client:
        assert reason(client, federation, "hz") is None
        _serve_list(federation, "sh", "sz")
        assert service_of(client).refresh_trust() is True
        assert reason(client, federation, "hz") == "unknown_issuer"
        federation.server.routes["/federation/trust-list.jwt"] = (503, {}, b"")
        assert service_of(client).refresh_trust() is False
        assert reason(client, federation, "sz") is None


def test_a_trust_list_url_is_not_followed_through_redirects(federation: Federation) -> None:
    _serve_list(federation)
    federation.server.routes["/moved"] = (
        302,
        {"Location": f"{federation.server.base}federation/trust-list.jwt"},
        b"",
    )
    with pytest.raises(ConfigurationError):
        federation.app(trust_list_path=None, trust_list_url=f"{federation.server.base}moved")
    with pytest.raises(ConfigurationError, match="must be https"):
        federation.app(
            trust_list_path=None,
            trust_list_url=f"{federation.server.base}federation/trust-list.jwt",
            allow_insecure_loopback=False,
        )
