"""The verifier as a fuzz target: the federation of ``tests/verifier/service``.

Three cities with signed trust list and status lists on a real loopback status server, one
account per profile, an injected clock; landlord and school are also open to anonymous callers
(as in ``permit serve all``), so anonymous requests reach the pipeline too. Requests carry one of
the account keys or none; verifier-bound requests created by the bank and the agency give the
fuzzer real request ids.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api_fuzz.documents import Operation
from tests.api_fuzz.harness import FuzzTarget
from tests.verifier.conftest import status_server
from tests.verifier.service.conftest import Federation, TestClient, federation

__all__ = ["federation", "status_server", "verifier_client", "verifier_target"]

OPEN_PROFILES = ("landlord", "school")


@pytest.fixture
def verifier_client(federation: Federation) -> Iterator[TestClient]:
    with TestClient(federation.app(open_profiles=OPEN_PROFILES)) as client:
        yield client


@pytest.fixture
def verifier_target(verifier_client: TestClient, federation: Federation) -> FuzzTarget:
    client = verifier_client
    requests = []
    for profile in ("bank", "agency"):
        response = client.post("/v1/requests", headers=federation.auth(profile))
        assert response.status_code == 201, response.text
        requests.append(response.json()["id"])
    callers: list[dict[str, str]] = [{}] + [
        federation.auth(profile) for profile in sorted(federation.keys)
    ]

    def credentials_for(operation: Operation) -> list[dict[str, str]]:
        if operation.path.startswith("/v1/requests"):
            # The bank first and twice as often as any other caller: the requests are the
            # bank's and the agency's, and every other account (or none) is refused.
            return [federation.auth("bank"), *callers]
        return callers

    def known_values_for(_operation: Operation) -> dict[str, tuple[str, ...]]:
        return {"request_id": tuple(requests)}

    return FuzzTarget.serving(
        "verifier",
        client,
        credentials_for=credentials_for,
        known_values_for=known_values_for,
    )
