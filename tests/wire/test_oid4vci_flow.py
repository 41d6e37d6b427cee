"""The whole OpenID4VCI pre-authorized code flow, issuer and wallet sides, with only
wire.oid4vci's messages in between: the pieces the other modules pin one by one fit together.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from tests.wire.oid4vci_helpers import ALGS, ISSUER, NOW, NonceStore
from wire.credential import end_of_day, issue_credential
from wire.encoding import json_dumps
from wire.errors import Malformed
from wire.jwk import PrivateKey, public_jwk
from wire.jws import parse_compact
from wire.oid4vci import (
    CredentialOffer,
    CredentialRequest,
    CredentialResponse,
    NonceResponse,
    TokenRequest,
    TokenResponse,
    TxCode,
    build_proof_jwt,
    hash_secret,
    hash_tx_code,
    new_access_token,
    new_c_nonce,
    new_pre_authorized_code,
    new_tx_code,
    parse_offer_uri,
    secret_matches,
    verify_proofs,
)

CLAIMS: dict[str, Any] = {
    "permit_no": "310104202500001",
    "name": "张三",
    "sex": "M",
    "birth_date": "1990-01-01",
    "id_number": "11010519900101123X",
    "hukou_address": "北京市西城区",
    "residence_address": {"region_code": "310104", "district": "徐汇区", "street": "漕溪北路1号"},
    "permit_class": "standard",
    "issuing_authority": "上海市公安局徐汇分局",
    "first_issued": "2025-06-01",
    "endorsed_until": "2026-06-14",
    "age_over_18": True,
    "age_over_60": False,
}


def test_pre_authorized_flow_end_to_end() -> None:
    # Issuer: the officer approved; make an offer and remember only hashes.
    code, tx = new_pre_authorized_code(), new_tx_code()
    stored = {"code": hash_secret(code), "tx": hash_tx_code(tx, pre_authorized_code=code)}
    uri = CredentialOffer(ISSUER, code, TxCode("numeric", 6, "短信验证码")).to_uri()

    # Wallet: scan, ask the user for the tx_code, redeem the code.
    offer = parse_offer_uri(uri)
    assert isinstance(offer, CredentialOffer)
    form = TokenRequest(offer.pre_authorized_code, tx_code=tx).to_form()

    # Issuer token endpoint.
    request = TokenRequest.from_form(form)
    request.check_tx_code_presence(required=True)
    assert secret_matches(request.pre_authorized_code, stored["code"])
    assert request.tx_code is not None
    assert (
        hash_tx_code(request.tx_code, pre_authorized_code=request.pre_authorized_code)
        == (stored["tx"])
    )
    token = TokenResponse(access_token=new_access_token(), expires_in=300)

    # Wallet: token, nonce, three holder keys, three proofs.
    assert TokenResponse.from_json(json_dumps(token.to_json())) == token
    c_nonce = NonceResponse.from_json(json_dumps(NonceResponse(new_c_nonce()).to_json())).c_nonce
    keys: list[PrivateKey] = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]
    proofs = tuple(
        build_proof_jwt(holder_key=k, audience=offer.credential_issuer, nonce=c_nonce, iat=NOW)
        for k in keys
    )
    body = json_dumps(CredentialRequest(proofs).to_json())

    # Issuer credential endpoint: parse, verify, bind one copy per key.
    credential_request = CredentialRequest.from_json(body, batch_size=5)
    holder_jwks = verify_proofs(
        credential_request.proofs,
        audience=ISSUER,
        now=NOW + 5,
        nonce_valid=NonceStore(c_nonce),
        algorithms=ALGS,
    )
    signing_key = ec.generate_private_key(ec.SECP256R1())
    issued = [
        issue_credential(
            claims=CLAIMS,
            issuer=ISSUER,
            signing_key=signing_key,
            holder_jwk=jwk,
            status_uri="https://permits.sh.example/status/1",
            status_idx=i,
            iat=NOW,
            exp=end_of_day(date(2026, 6, 14)),
        ).serialized
        for i, jwk in enumerate(holder_jwks)
    ]
    response_body = json_dumps(CredentialResponse(tuple(issued)).to_json())

    # Wallet: three credentials, each bound to its own key.
    response = CredentialResponse.from_json(response_body, max_credentials=len(proofs))
    for credential, key in zip(response.credentials, keys, strict=True):
        payload = parse_compact(credential.split("~")[0], Malformed).payload
        assert payload["cnf"] == {"jwk": public_jwk(key)}
