"""OpenID4VCI 1.0 §8: credential requests (each refusal gets the spec's error code) and
credential responses.
"""

from __future__ import annotations

from typing import Any

import pytest

from wire.credential import VCT
from wire.encoding import json_dumps
from wire.oid4vci import (
    CONFIGURATION_ID,
    CredentialRequest,
    CredentialResponse,
    InvalidCredentialRequest,
    InvalidEncryptionParameters,
    InvalidIssuerResponse,
    InvalidProof,
    Oid4vciError,
    UnknownCredentialConfiguration,
    UnknownCredentialIdentifier,
)


def test_credential_request_round_trip_and_shape() -> None:
    request = CredentialRequest(proofs=("a.b.c", "d.e.f"))
    assert request.to_json() == {
        "credential_configuration_id": CONFIGURATION_ID,
        "proofs": {"jwt": ["a.b.c", "d.e.f"]},
    }
    assert CredentialRequest.from_json(json_dumps(request.to_json()), batch_size=5) == request
    extra = dict(request.to_json(), future_parameter=True)  # §8.2: unknown ones are ignored
    assert CredentialRequest.from_json(extra, batch_size=2) == request


def _request(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "credential_configuration_id": CONFIGURATION_ID,
        "proofs": {"jwt": ["a.b.c"]},
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (b"[]", InvalidCredentialRequest, "JSON object"),
        (b"{", InvalidCredentialRequest, "JSON object"),
        (b" " * 70_000, InvalidCredentialRequest, "too large"),
        (_request(proof={"proof_type": "jwt", "jwt": "a.b.c"}), InvalidCredentialRequest, "proofs"),
        (
            {"format": "vc+sd-jwt", "vct": VCT, "proof": {"proof_type": "jwt", "jwt": "a.b.c"}},
            InvalidCredentialRequest,
            "credential_configuration_id",
        ),
        (_request(format="dc+sd-jwt"), InvalidCredentialRequest, "pre-1.0"),
        (
            _request(credential_response_encryption={"enc": "A128GCM"}),
            InvalidEncryptionParameters,
            None,
        ),
        (_request(credential_identifier="x"), InvalidCredentialRequest, "exclusive"),
        (
            _request(credential_identifier="x", credential_configuration_id=None),
            UnknownCredentialIdentifier,
            None,
        ),
        (_request(credential_configuration_id=None), InvalidCredentialRequest, "missing"),
        (_request(credential_configuration_id=5), InvalidCredentialRequest, "missing"),
        (_request(credential_configuration_id="mDL"), UnknownCredentialConfiguration, None),
        (_request(proofs=None), InvalidProof, "missing"),
        (_request(proofs=["a.b.c"]), InvalidProof, "exactly one"),
        (_request(proofs={}), InvalidProof, "exactly one"),
        (_request(proofs={"jwt": ["a.b.c"], "di_vp": [{}]}), InvalidProof, "exactly one"),
        (_request(proofs={"attestation": ["a.b.c"]}), InvalidProof, "only the jwt"),
        (_request(proofs={"jwt": []}), InvalidProof, "non-empty"),
        (_request(proofs={"jwt": "a.b.c"}), InvalidProof, "non-empty"),
        (_request(proofs={"jwt": ["a.b.c", 5]}), InvalidProof, "JWT string"),
        (_request(proofs={"jwt": ["a.b.c", ""]}), InvalidProof, "JWT string"),
        (_request(proofs={"jwt": ["x" * 9000]}), InvalidProof, "JWT string"),
        (_request(proofs={"jwt": ["a.b.c", "a.b.c"]}), InvalidProof, "twice"),
        (_request(proofs={"jwt": ["1.1.1", "2.2.2", "3.3.3"]}), InvalidProof, "batch_size"),
    ],
)
def test_bad_credential_requests_get_the_spec_error(
    body: Any, error: type[Oid4vciError], message: str | None
) -> None:
    with pytest.raises(error, match=message):
        CredentialRequest.from_json(body, batch_size=2)


def test_credential_request_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        CredentialRequest.from_json(_request(), batch_size=0)


def test_credential_response_round_trip() -> None:
    response = CredentialResponse(("eyJ...~d1~", "eyJ...~d2~"))
    assert response.to_json() == {
        "credentials": [{"credential": "eyJ...~d1~"}, {"credential": "eyJ...~d2~"}]
    }
    assert (
        CredentialResponse.from_json(json_dumps(response.to_json()), max_credentials=2) == response
    )


@pytest.mark.parametrize(
    "body",
    [
        {"transaction_id": "8xLOxBtZp8", "interval": 3600},
        {"credentials": []},
        {"credentials": "x"},
        {"credentials": ["x"]},
        {"credentials": [{"credential": {"a": 1}}]},
        {"credentials": [{"credential": "a"}, {"credential": "b"}, {"credential": "c"}]},
    ],
)
def test_bad_credential_responses(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidIssuerResponse):
        CredentialResponse.from_json(body, max_credentials=2)
