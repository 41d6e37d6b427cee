"""The verifier service losing Redis mid-service answers the same 503 as the issuer and the
wallet losing their database (issue 7 §4): ``service_unavailable`` with ``Retry-After``,
nothing about the cache's address in the body, never an accept without replay protection —
and it verifies again once Redis is back, without a restart.

``tests/verifier/service/test_failures.py`` covers a Redis that was never there; here the real
Redis at 127.0.0.1:6379 is reached through a cuttable proxy and disappears while in use.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
import redis

from tests.faults.outage import assert_unavailable
from tests.faults.proxy import CuttableProxy, cuttable_proxy
from tests.redis_service import REDIS_ADDRESS, needs_redis
from tests.verifier.service.conftest import Federation, TestClient

pytestmark = needs_redis()


@pytest.fixture
def redis_proxy() -> Iterator[CuttableProxy]:
    with cuttable_proxy(REDIS_ADDRESS) as proxy:
        yield proxy


@pytest.fixture
def prefix() -> Iterator[str]:
    prefix = f"test:faults:{secrets.token_hex(6)}:"
    yield prefix
    client = redis.Redis(*REDIS_ADDRESS)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_redis_cut_off_is_a_clean_503_and_the_service_recovers(
    federation: Federation, redis_proxy: CuttableProxy, prefix: str
) -> None:
    url = f"redis://127.0.0.1:{redis_proxy.port}/0"
    app = federation.app(redis_url=url, redis_prefix=prefix)
    with TestClient(app) as client:

        def verify() -> httpx.Response:
            response: httpx.Response = client.post(
                "/v1/verify",
                json={"presentation": federation.present()},
                headers=federation.auth("landlord"),
            )
            return response

        first = verify()
        assert first.status_code == 200, first.text
        redis_proxy.cut()
        down = verify()
        assert_unavailable(down, str(redis_proxy.port))
        created = client.post("/v1/requests", headers=federation.auth("bank"))
        assert_unavailable(created, str(redis_proxy.port))
        redis_proxy.restore()
        again = verify()
        assert again.status_code == 200, again.text
        assert again.json()["valid"] is True
