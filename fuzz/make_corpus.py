"""Write the seed corpora of the atheris targets to ``fuzz/corpus/<target>/``.

Seeds are genuine inputs — presentations of every shape, status tokens, protocol messages, a
trust list — in each target's input format (a mode byte, then the input), so coverage-guided
mutation starts from everything a parser accepts rather than from nothing. They are built from
the fixed world of ``fuzz_world`` and checked before they are written: a presentation seed that
does not verify is a bug here, not a finding. Small on purpose (at most ~40 files per target);
what the fuzzer discovers goes to ``var/fuzz/<target>/corpus`` and is not committed.

Run from the repository root: ``fuzz/run corpus`` (or ``PYTHONPATH=. .venv/bin/python
fuzz/make_corpus.py``).
"""

from __future__ import annotations

import json
import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

from fuzz_world import (
    HOLDER_ES256_FLAG,
    HOLDERS,
    ISSUER_EDDSA_FLAG,
    ISSUERS,
    NOW,
    PROFILE_NAMES,
    STATUS_URI,
    TRUST_LIST,
    credential,
    decode_signed_case,
    encode_signed_case,
    kid_of,
    presentation,
    verify_case,
)

from wire.base45 import b45decode
from wire.encoding import b64u_decode, json_dumps
from wire.errors import Malformed
from wire.oid4vci import (
    PRE_AUTH_GRANT,
    CredentialOffer,
    CredentialRequest,
    CredentialResponse,
    NonceResponse,
    TokenResponse,
    TxCode,
    authorization_server_metadata,
    build_proof_jwt,
    issuer_metadata,
)
from wire.qrcodec import PREFIX, ZDICT, encode_qr_payload
from wire.statuslist import StatusList, build_status_list_token
from wire.vprequest import VerifierRequest, vp_token_form

CORPUS = Path(__file__).resolve().parent / "corpus"
Seeds = Iterator[tuple[str, bytes]]


def _presentations() -> Iterator[tuple[str, int, int, str, bool]]:
    """(label, profile index, signing flags, text, valid) for three credentials × profiles."""
    bases = (
        ("es256-eddsa", ISSUERS[0], HOLDERS[0], 0),
        ("eddsa-es256", ISSUERS[1], HOLDERS[1], ISSUER_EDDSA_FLAG | HOLDER_ES256_FLAG),
        ("paper", ISSUERS[0], None, 0),
    )
    for seed, (label, issuer_key, holder, flags) in enumerate(bases):
        issued = credential(issuer_key, holder, seed)
        for index, profile in enumerate(PROFILE_NAMES):
            valid = holder is not None or profile in ("landlord", "school")
            text = presentation(issued, profile, holder)
            yield f"{label}-{profile}", index, flags, text, valid


def pipeline() -> Seeds:
    for label, index, flags, text, valid in _presentations():
        assert verify_case(text, index, 0).valid == valid, label
        signed = encode_signed_case(text, profile=index, flags=flags)
        resigned, profile, status = decode_signed_case(signed)
        assert verify_case(resigned, profile, status).valid == valid, label
        yield f"raw-{label}", bytes([0, index]) + text.encode()
        yield f"signed-{label}", b"\x01" + signed
        if index == 0:
            yield f"qr-{label}", bytes([0, index]) + encode_qr_payload(text).encode()


def encoding() -> Seeds:
    texts = [text for *_, text, _ in _presentations()][:2]
    for number, text in enumerate(texts):
        issuer_jwt, *disclosures, kb_jwt = text.split("~")
        header, payload, signature = issuer_jwt.split(".")
        for part in (header, payload):
            yield f"json-{number}-{len(part)}", b"\x00" + b64u_decode(part, Malformed)
        yield f"b64u-{number}", b"\x01" + signature.encode()
        yield f"jws-{number}", b"\x03" + issuer_jwt.encode()
        yield f"kb-{number}", b"\x03" + kb_jwt.encode()
        for d_number, disclosure in enumerate(disclosures[:4]):
            yield f"disclosure-{number}-{d_number}", b"\x04" + disclosure.encode()
    for number, document in enumerate(
        (
            b'{"a":[1,2.5,-0,1e3,"\\u00e9\\ud83d\\ude00",true,false,null]}',
            b"[[[[[]]]]]",
            b' {"" :{}} ',
        )
    ):
        yield f"json-extra-{number}", b"\x00" + document
        yield f"depth-{number}", b"\x02\x05" + document


def _packed(payload: str) -> bytes:
    """The packed-mode input of ``fuzz_qrcodec``: skeleton, ``\\xff\\xff``, side table."""
    body = b45decode(payload[len(PREFIX) :], Malformed)
    inflater = zlib.decompressobj(-15, ZDICT)
    skeleton = inflater.decompress(body[1:])
    return skeleton + b"\xff\xff" + inflater.unused_data


def qrcodec() -> Seeds:
    for label, _, _, text, _ in list(_presentations())[::2]:
        payload = encode_qr_payload(text)
        yield f"text-{label}", b"\x00\x00" + payload.encode()
        yield f"packed-{label}", b"\x02\x00" + _packed(payload)
        yield f"deflate-{label}", b"\x03\x00" + text.encode()
        yield f"base45-{label}", b"\x04" + payload[len(PREFIX) : len(PREFIX) + 90].encode()
    yield "text-short", b"\x00\x00" + encode_qr_payload("a~b~").encode()


def statuslist() -> Seeds:
    for bits in (1, 2, 4, 8):
        entries = {idx: (idx % (1 << bits)) for idx in range(0, 200, 7)}
        status_list = StatusList.from_entries(256, bits, entries)
        compressed = zlib.compress(status_list.to_bytes(), 9)
        yield f"lst-{bits}", bytes([0, (1, 2, 4, 8).index(bits)]) + compressed
        yield f"claim-{bits}", b"\x01" + json_dumps(status_list.to_json())
        token = build_status_list_token(
            status_list=status_list,
            sub=STATUS_URI,
            iat=NOW - 60,
            exp=NOW + 3600,
            ttl=300,
            key=ISSUERS[bits % 2],
            kid=kid_of(ISSUERS[bits % 2]),
            iss="https://permits.sh.example/issuer",
        )
        yield f"token-{bits}", b"\x02" + token.encode()
        header, payload, _ = token.split(".")
        signed = b64u_decode(header, Malformed) + b"\x00" + b64u_decode(payload, Malformed)
        yield f"signed-{bits}", bytes([3, bits % 2]) + signed
    for number, idx in enumerate((b"3", b"5", b"-1", b"true", b"1e2", b"99999999999999999999")):
        yield f"index-{number}", b"\x04" + idx


ISSUER = "https://permits.sh.example/issuer"
OID_NOW = 1_750_000_000
OID_NONCE = "c-nonce-0000000001"


def oid4vci() -> Seeds:
    offer = CredentialOffer(ISSUER, "pre-auth-code-1", TxCode("numeric", 6, "短信验证码"))
    proofs = [
        build_proof_jwt(holder_key=holder, audience=ISSUER, nonce=OID_NONCE, iat=OID_NOW)
        for holder in HOLDERS
    ]
    request = VerifierRequest(
        "https://bank.example/v1/requests/r1/response", "n" * 24, "r1", "bank", ("name",)
    )
    token_form = {"grant_type": PRE_AUTH_GRANT, "pre-authorized_code": "c", "tx_code": "123456"}
    documents: list[tuple[str, int, bytes]] = [
        ("offer-uri", 0, offer.to_uri().encode()),
        ("offer-json-text", 0, json_dumps(offer.to_json())),
        ("offer-json", 1, json_dumps(offer.to_json())),
        ("token-form", 2, urlencode(token_form).encode()),
        ("token-response", 3, json_dumps(TokenResponse("tok", 300).to_json())),
        ("nonce-response", 4, json_dumps(NonceResponse(OID_NONCE).to_json())),
        ("credential-response", 5, json_dumps(CredentialResponse(("a~", "b~")).to_json())),
        ("credential-request", 6, json_dumps(CredentialRequest(tuple(proofs)).to_json())),
        (
            "issuer-metadata",
            7,
            json_dumps(
                issuer_metadata(
                    credential_issuer=ISSUER,
                    credential_endpoint=ISSUER + "/credential",
                    nonce_endpoint=ISSUER + "/nonce",
                    batch_size=4,
                )
            ),
        ),
        (
            "as-metadata",
            8,
            json_dumps(authorization_server_metadata(issuer=ISSUER, token_endpoint=ISSUER + "/t")),
        ),
        ("proofs", 9, "\x00".join(proofs).encode()),
        ("vp-request", 11, request.to_uri().encode()),
        ("vp-token-form", 12, urlencode(vp_token_form("a~b~", "r1")).encode()),
    ]
    for label, mode, body in documents:
        yield label, bytes([mode]) + body
    for number, proof in enumerate(proofs):
        header, claims, _ = proof.split(".")
        signed = b64u_decode(header, Malformed) + b"\x00" + b64u_decode(claims, Malformed)
        yield f"signed-proof-{number}", bytes([10, number]) + signed


def trust() -> Seeds:
    document = TRUST_LIST.to_json()
    yield "trust-list", b"\x00" + json_dumps(document)
    yield "trust-list-spaced", b"\x00" + json.dumps(document, indent=1).encode()
    jwks = document["issuers"][0]["jwks"]
    yield "jwks", b"\x01" + json_dumps(jwks)
    for number, key in enumerate(jwks["keys"]):
        yield f"jwk-{number}", b"\x02" + json_dumps(key)
    for number, uri in enumerate(
        (
            STATUS_URI,
            "https://permits.sh.example/status/a/b",
            "https://PERMITS.sh.example:443/status/x",
        )
    ):
        yield f"uri-{number}", b"\x03" + uri.encode()


TARGETS = {
    "encoding": encoding,
    "pipeline": pipeline,
    "qrcodec": qrcodec,
    "statuslist": statuslist,
    "oid4vci": oid4vci,
    "trust": trust,
}


def main() -> None:
    for name, seeds in TARGETS.items():
        directory = CORPUS / name
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        count = 0
        for count, (label, data) in enumerate(seeds(), start=1):
            (directory / f"{count:02d}-{label}").write_bytes(data)
        print(f"{name}: {count} seeds")


if __name__ == "__main__":
    main()
