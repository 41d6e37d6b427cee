"""Status lists in the service (DESIGN §4–§5): shared cache, ttl, background refresh, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.verifier.service.conftest import Federation, TestClient
from tests.verifier.service.test_reason_codes_api import hostile, kb
from tests.wire.conftest import changed
from verifier.service.core import VerifierService
from verifier.status import MemoryStatusCache, StatusResolver
from wire.errors import StatusUnavailable
from wire.jws import ALGORITHMS


def verify(
    client: TestClient, fed: Federation, presentation: str | None = None
) -> dict[str, object]:
    response = client.post(
        "/v1/verify",
        json={"presentation": presentation or fed.present()},
        headers=fed.auth("landlord"),
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def service_of(client: TestClient) -> VerifierService:
    service: VerifierService = client.app.state.service  # type: ignore[attr-defined]
    return service


def test_no_fetch_inside_ttl_and_a_revocation_is_seen_after_it(
    client: TestClient, federation: Federation
) -> None:
    assert verify(client, federation)["valid"] is True
    assert federation.fetches() == 1
    federation.clock.advance(100)
    assert verify(client, federation)["valid"] is True
    federation.publish("sh", 1)  # revoked at the issuer
    federation.clock.advance(199)  # 299 s after the fetch: ttl 300 not yet over
    assert verify(client, federation)["valid"] is True
    assert federation.fetches() == 1
    federation.clock.advance(2)
    body = verify(client, federation)
    assert (body["reason"], body["status"]) == ("revoked", "revoked")
    assert federation.fetches() == 2


def test_a_lists_exp_ends_its_use_before_ttl(client: TestClient, federation: Federation) -> None:
    federation.publish("sh", ttl=3600, exp_in=120)
    assert verify(client, federation)["valid"] is True
    federation.clock.advance(121)
    federation.publish("sh", 2)
    assert verify(client, federation)["reason"] == "suspended"
    assert federation.fetches() == 2


def test_the_background_refresh_fetches_before_ttl_runs_out(
    client: TestClient, federation: Federation
) -> None:
    service = service_of(client)
    assert verify(client, federation)["valid"] is True
    assert service.refresh_status() == 0  # nothing due yet
    federation.clock.advance(275)  # within the 30 s margin before ttl 300 ends
    federation.publish("sh", 2)
    assert service.refresh_status() == 1
    assert federation.fetches() == 2
    # Requests now see the suspension from the cache, and no request waits for a fetch.
    federation.clock.advance(30)
    assert verify(client, federation)["reason"] == "suspended"
    assert federation.fetches() == 2


def test_the_refresher_forgets_an_issuer_removed_from_the_trust_list(
    client: TestClient, federation: Federation
) -> None:
    service = service_of(client)
    assert verify(client, federation, federation.present(city="sz"))["valid"] is True
    federation.write_trust_list("sh", "hz")
    service.refresh_trust()
    federation.clock.advance(290)
    assert service.refresh_status() == 0
    assert federation.fetches("sz") == 1


def test_status_lists_are_fetched_only_under_the_issuers_prefixes(
    client: TestClient, federation: Federation
) -> None:
    h = hostile(federation)
    base = federation.server.base
    sz_idx = federation.cities["sz"].idx
    for uri in (f"{base}sz/status/1", f"{base}sh/status-evil/1", f"{base}sh/status/../x"):
        payload = changed(h.payload, status={"status_list": {"idx": sz_idx, "uri": uri}})
        assert (
            verify(client, federation, h.present(payload=payload, **kb(federation)))["reason"]
            == "status_invalid"
        )
    assert federation.fetches("sz") == 0
    assert not any("evil" in path or ".." in path for path in federation.server.requests)


def test_a_list_signed_by_another_issuer_or_expired_is_status_invalid(
    client: TestClient, federation: Federation
) -> None:
    federation.publish("sh", signer=federation.cities["sz"].ring)
    assert verify(client, federation)["reason"] == "status_invalid"
    federation.publish("sh", exp_in=-1)
    assert verify(client, federation)["reason"] == "status_invalid"


def test_a_list_for_another_uri_is_status_invalid(
    client: TestClient, federation: Federation
) -> None:
    """The token's ``sub`` must be the URI it was fetched from (DESIGN §4)."""
    federation.publish("sh", sub=federation.cities["sh"].status_uri.replace("/1", "/2"))
    assert verify(client, federation)["reason"] == "status_invalid"


def test_offline_mode_verifies_from_the_cache_up_to_the_maximum_age(
    federation: Federation, tmp_path: Path
) -> None:
    cache = tmp_path / "status-cache"
    with TestClient(federation.app(status_cache_dir=cache)) as online:
        assert verify(online, federation)["valid"] is True
    fetches = federation.fetches()
    offline_app = federation.app(status_cache_dir=cache, offline=True, max_offline_age_seconds=600)
    with TestClient(offline_app) as offline:
        federation.clock.advance(500)  # past ttl (300), within the offline maximum age
        assert verify(offline, federation)["valid"] is True
        federation.clock.advance(101)
        body = verify(offline, federation)
        assert (body["valid"], body["reason"]) == (False, "status_unavailable")
        assert verify(offline, federation, federation.present(city="sz"))["reason"] == (
            "status_unavailable"  # never cached
        )
    assert federation.fetches() == fetches  # offline never touched the network


def test_offline_an_expired_cached_list_is_status_invalid(
    federation: Federation, tmp_path: Path
) -> None:
    cache = tmp_path / "status-cache"
    federation.publish("sh", exp_in=400)
    with TestClient(federation.app(status_cache_dir=cache)) as online:
        assert verify(online, federation)["valid"] is True
    app = federation.app(status_cache_dir=cache, offline=True, max_offline_age_seconds=86_400)
    with TestClient(app) as offline:
        federation.clock.advance(401)
        assert verify(offline, federation)["reason"] == "status_invalid"


def test_an_offline_resolver_has_nothing_to_refresh(federation: Federation) -> None:
    """``StatusResolver.refresh`` (the background refresh) never fetches offline."""
    resolver = StatusResolver(
        client=None, cache=MemoryStatusCache(), algorithms=ALGORITHMS, offline=True
    )
    issuer = federation.cities["sh"]
    with pytest.raises(StatusUnavailable):
        resolver.refresh(_Issuer(issuer.iss), uri=issuer.status_uri, now=federation.clock.now)
    assert federation.fetches() == 0


class _Issuer:
    def __init__(self, iss: str) -> None:
        self.iss = iss
        self.status_list_prefixes: tuple[str, ...] = ()

    def key(self, kid: str) -> None:
        return None
