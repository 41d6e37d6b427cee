"""Several workers, one verifier: replay cache and requests shared in Redis (127.0.0.1:6379).

Two app instances in this process, each with its own Redis connection, stand for two workers
or machines; one test runs ``permit serve verifier --workers 2`` for real. Every test uses its
own key prefix and removes its keys afterwards.
"""

from __future__ import annotations

import http.client
import json
import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis

from tests.redis_service import REDIS_URL, needs_redis
from tests.verifier.service.conftest import Federation, TestClient
from tests.verifier.service.process import verifier_process
from tests.verifier.service.test_requests_api import bound_presentation, wallet_view
from wire.vprequest import vp_token_form

pytestmark = needs_redis()


@pytest.fixture
def prefix() -> Iterator[str]:
    prefix = f"test:verifier:{secrets.token_hex(6)}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def workers(federation: Federation, prefix: str) -> Iterator[tuple[TestClient, TestClient]]:
    settings: dict[str, Any] = {"redis_url": REDIS_URL, "redis_prefix": prefix}
    with (
        TestClient(federation.app(**settings)) as first,
        TestClient(federation.app(**settings)) as second,
    ):
        yield first, second


def verify(client: TestClient, fed: Federation, presentation: str) -> dict[str, Any]:
    response = client.post(
        "/v1/verify", json={"presentation": presentation}, headers=fed.auth("landlord")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_qr_accepted_by_one_worker_is_replayed_at_another(
    workers: tuple[TestClient, TestClient], federation: Federation
) -> None:
    first, second = workers
    presentation = federation.present()
    assert verify(first, federation, presentation)["valid"] is True
    assert verify(second, federation, presentation)["reason"] == "replayed"
    assert verify(first, federation, presentation)["reason"] == "replayed"
    assert verify(second, federation, federation.present())["valid"] is True


def test_racing_workers_accept_a_qr_once(
    workers: tuple[TestClient, TestClient], federation: Federation
) -> None:
    presentations = [federation.present() for _ in range(10)]
    results: list[bool] = []
    lock = threading.Lock()

    def run(client: TestClient) -> None:
        for presentation in presentations:
            valid = verify(client, federation, presentation)["valid"]
            with lock:
                results.append(bool(valid))

    threads = [threading.Thread(target=run, args=(client,)) for client in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == len(presentations)
    assert len(results) == 2 * len(presentations)


def test_a_request_created_at_one_worker_is_answered_at_another(
    workers: tuple[TestClient, TestClient], federation: Federation
) -> None:
    first, second = workers
    body = first.post("/v1/requests", headers=federation.auth("bank")).json()
    request = wallet_view(body)
    presentation = bound_presentation(federation, request)
    path = urlsplit(request.response_uri).path
    assert second.post(path, data=vp_token_form(presentation, request.state)).status_code == 200
    replay = first.post(path, data=vp_token_form(presentation, request.state))
    assert replay.json()["reason"] == "replayed"
    view = first.get(body["status_url"], headers=federation.auth("bank")).json()
    assert view["status"] == "valid"
    assert view["result"]["claims"]["name"] == "王小明"


@pytest.mark.slow
def test_two_uvicorn_workers_share_the_replay_cache(federation: Federation, prefix: str) -> None:
    """``permit serve verifier --workers 2``: each presentation is sent twice on fresh
    connections (either worker may take either); exactly one of the two is accepted."""
    redis_env = {"PERMIT_VERIFIER_REDIS_URL": REDIS_URL, "PERMIT_VERIFIER_REDIS_PREFIX": prefix}
    with verifier_process(federation, "--workers", "2", env=redis_env) as verifier:
        accepted = []
        for _ in range(8):
            federation.clock.now = int(time.time())
            presentation = federation.present()
            outcomes = []
            for _attempt in range(2):
                connection = http.client.HTTPConnection("127.0.0.1", verifier.port, timeout=10)
                try:  # a new connection each time: either worker may accept it
                    connection.request(
                        "POST",
                        "/v1/verify",
                        body=json.dumps({"presentation": presentation}),
                        headers={**federation.auth("landlord"), "Content-Type": "application/json"},
                    )
                    outcomes.append(json.loads(connection.getresponse().read())["reason"])
                finally:
                    connection.close()
            accepted.append(sorted(outcomes, key=str))
        assert all(outcome == [None, "replayed"] for outcome in accepted), accepted


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_a_replay_is_reported_before_later_failures(
    federation: Federation, prefix: str, backend: str
) -> None:
    """DESIGN §6 order: ``replayed`` (holder binding) comes before profile sufficiency and
    status, with one Redis round trip per verification as with the memory cache."""
    settings: dict[str, Any] = {"redis_url": REDIS_URL, "redis_prefix": prefix}
    app = federation.app(**settings) if backend == "redis" else federation.app()
    federation.publish("sh", 0, ttl=60)
    with TestClient(app) as client:
        presentation = federation.present("school")
        headers = federation.auth("school")
        first = client.post("/v1/verify", json={"presentation": presentation}, headers=headers)
        assert first.json()["valid"] is True
        # Shown again to a landlord: sufficient there, but replayed.
        again = verify(client, federation, presentation)
        assert again["reason"] == "replayed"
        # Shown to a school after the permit was suspended: replayed, not suspended.
        federation.publish("sh", 2, ttl=60)
        federation.clock.advance(61)
        late = client.post("/v1/verify", json={"presentation": presentation}, headers=headers)
        assert late.json()["reason"] == "replayed"
        # A fresh presentation is suspended (the nonce check did not get in the way).
        fresh = federation.present("school")
        body = client.post("/v1/verify", json={"presentation": fresh}, headers=headers).json()
        assert body["reason"] == "suspended"
        # ... and, not accepted, its nonce was not burnt: once reinstated it is valid.
        federation.publish("sh", 0, ttl=60)
        federation.clock.advance(61)
        body = client.post("/v1/verify", json={"presentation": fresh}, headers=headers).json()
        assert body["valid"] is True
