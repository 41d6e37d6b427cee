"""Shared pieces of the conformance harness: vector loading, strict JSON comparison, stubs.

The vectors (``tests/fixtures/vectors``, a copy of ``shared/vectors``; see its README) carry the
specs' published example keys and issuers that are not in any trust list, so the full verifier
is driven through small stubs of its protocols (:class:`~wire.verify.IssuerDirectory`,
:class:`~wire.verify.StatusLookup`) rather than through ``wire.trust.TrustList``: the spec keys
use ``kid`` values such as ``doc-signer-05-25-2022`` and ``12``, which a real trust list refuses
(DESIGN §5 wants the RFC 7638 thumbprint).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import ec

from tests.vectors import vectors_dir
from wire.disclosures import RESERVED_NAMES, digest, parse_disclosure
from wire.encoding import b64u_decode
from wire.errors import HolderBindingInvalid, InvalidDisclosure, Malformed
from wire.jwk import PrivateKey, PublicKey, load_public_jwk
from wire.jws import CompactJWS, parse_compact, sign_compact, verify_signature
from wire.presentation import KB_TYP, sd_hash
from wire.profiles import Profile
from wire.sdjwt import SdJwtParts, join_presentation, split_presentation
from wire.trust import status_uri_allowed
from wire.verify import IssuerTrust

__all__ = [
    "PUBLIC_MEMBERS",
    "StaticDirectory",
    "StaticIssuer",
    "StatusStub",
    "assert_json_equal",
    "canonical_json",
    "check_disclosure_vector",
    "check_key_binding",
    "example_id",
    "load_vector_json",
    "load_vector_yaml",
    "private_key_from_jwk",
    "profile",
    "public_key_from_jwk",
    "reserved_disclosure",
    "resign",
    "section_ids",
    "uri_allowed",
    "verified_issuer_jwt",
]

#: The members of an EC public JWK; the vector files add ``kid``/``alg``/``use`` or ``d``.
PUBLIC_MEMBERS = ("kty", "crv", "x", "y")

#: The verifier's production URI policy, without the loopback exception.
uri_allowed = functools.partial(status_uri_allowed, allow_insecure_loopback=False)


def load_vector_json(relative: str) -> Any:
    """Parse one JSON file below ``tests/fixtures/vectors``."""
    return json.loads((vectors_dir() / relative).read_text("utf-8"))


def load_vector_yaml(relative: str) -> Any:
    """Parse one plain YAML file (no ``!sd`` tags) below ``tests/fixtures/vectors``."""
    return yaml.safe_load((vectors_dir() / relative).read_text("utf-8"))


def canonical_json(value: Any) -> str:
    """Key-order-independent JSON text that tells ``true`` from ``1`` and ``1`` from ``1.0``."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)


def assert_json_equal(actual: Any, expected: Any) -> None:
    """JSON equality: key order is irrelevant, value types are not.

    Plain ``==`` gives pytest's readable diff but lets ``True == 1`` and ``1 == 1.0`` pass, so
    the canonical texts are compared as well.
    """
    assert actual == expected
    assert canonical_json(actual) == canonical_json(expected)


def example_id(example: Mapping[str, Any]) -> str:
    """The test id of a spec example: its ``id`` in the vector file."""
    return str(example["id"])


def section_ids(vectors: Sequence[Mapping[str, Any]]) -> list[str]:
    """Test ids of disclosure vectors: position and spec section (``03-4.2.1``)."""
    return [f"{i:02d}-{v['section'].split()[0]}" for i, v in enumerate(vectors)]


def reserved_disclosure(vector: Mapping[str, Any]) -> bool:
    """The vector discloses a claim under a name our rules keep out of disclosures."""
    decoded = vector["decoded"]
    return len(decoded) == 3 and decoded[1] in RESERVED_NAMES


def check_disclosure_vector(vector: Mapping[str, Any]) -> None:
    """A disclosure vector (``disclosure``, ``sha256_digest``, ``decoded``): its digest, and
    that it decodes to the published array.

    The specs reserve only ``_sd`` and ``...``; :data:`wire.disclosures.RESERVED_NAMES` also
    holds the claims SD-JWT VC keeps visible, so a vector using one of those is refused.
    """
    encoded = vector["disclosure"]
    assert digest(encoded) == vector["sha256_digest"]
    if reserved_disclosure(vector):
        with pytest.raises(InvalidDisclosure):
            parse_disclosure(encoded)
        return
    parsed = parse_disclosure(encoded)
    assert parsed.digest == vector["sha256_digest"]
    as_array = (
        [parsed.salt, parsed.value]
        if parsed.name is None
        else [parsed.salt, parsed.name, parsed.value]
    )
    assert_json_equal(as_array, vector["decoded"])


def public_key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    """Import the public part of a vector JWK with the project's strict importer."""
    return load_public_jwk({name: jwk[name] for name in PUBLIC_MEMBERS}, Malformed)


def private_key_from_jwk(jwk: Mapping[str, Any]) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from the ``d`` of a vector ``settings.yml`` JWK."""
    assert (jwk["kty"], jwk["crv"]) == ("EC", "P-256")
    secret = int.from_bytes(b64u_decode(str(jwk["d"]), Malformed), "big")
    key = ec.derive_private_key(secret, ec.SECP256R1())
    public = public_key_from_jwk(jwk)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert key.public_key().public_numbers() == public.public_numbers(), "d does not match x/y"
    return key


def verified_issuer_jwt(issuer_jwt: str, key: PublicKey) -> CompactJWS:
    """Parse the issuer-signed JWT strictly and require its ES256 signature to verify."""
    jws = parse_compact(issuer_jwt, Malformed)
    assert jws.header["alg"] == "ES256"
    assert verify_signature(jws, key, "ES256")
    return jws


def check_key_binding(
    parts: SdJwtParts, *, cnf_jwk: Mapping[str, Any], aud: str, nonce: str, iat: int
) -> CompactJWS:
    """RFC 9901 §7.3 on a KB-JWT: ``typ``, signature by the ``cnf`` key, claims, ``sd_hash``."""
    assert parts.kb_jwt is not None
    kb = parse_compact(parts.kb_jwt, HolderBindingInvalid)
    assert kb.header["typ"] == KB_TYP
    assert kb.header["alg"] == "ES256"
    holder_key = load_public_jwk(dict(cnf_jwk), HolderBindingInvalid)
    assert verify_signature(kb, holder_key, "ES256")
    assert kb.payload["aud"] == aud
    assert kb.payload["nonce"] == nonce
    assert kb.payload["iat"] == iat
    assert kb.payload["sd_hash"] == sd_hash(parts.without_kb)
    return kb


def resign(
    serialization: str,
    *,
    issuer_key: PrivateKey,
    holder_key: PrivateKey,
    kid: str,
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """Re-sign a vector with the published private example key, adding ``kid`` to the header
    and ``extra_claims`` to the payload; a KB-JWT is re-made with its own claims and the new
    ``sd_hash``.

    The disclosures are kept byte for byte and every digest still sits where the spec put it,
    so this shows how far the spec's *structures* get through the verifier once the one rule
    the vector cannot meet (a missing ``kid`` or ``status``) is met. The result is a token of
    ours derived from the vector, not the vector itself.
    """
    parts = split_presentation(serialization)
    jws = parse_compact(parts.issuer_jwt, Malformed)
    header = {name: value for name, value in jws.header.items() if name != "alg"}
    issuer_jwt = sign_compact(
        {**header, "kid": kid}, {**jws.payload, **(extra_claims or {})}, issuer_key
    )
    body = join_presentation(issuer_jwt, parts.disclosures, None)
    if parts.kb_jwt is None:
        return body
    kb = parse_compact(parts.kb_jwt, HolderBindingInvalid)
    kb_header = {name: value for name, value in kb.header.items() if name != "alg"}
    return body + sign_compact(kb_header, {**kb.payload, "sd_hash": sd_hash(body)}, holder_key)


def profile(*, key_bound: bool) -> Profile:
    """An ``any``-like profile: no claim requirements, every disclosed claim returned.

    Paper is allowed exactly when the presentation has no KB-JWT; a key-bound one is checked
    as verifier-bound so the vector's ``aud`` and ``nonce`` are enforced.
    """
    return Profile("conformance", (), paper=not key_bound, verifier_bound=key_bound)


@dataclass(frozen=True)
class StaticIssuer:
    """A trusted issuer with fixed keys by ``kid`` (satisfies :class:`~wire.verify.IssuerTrust`)."""

    iss: str
    keys: Mapping[str, PublicKey]
    status_list_prefixes: Sequence[str] = ()

    def key(self, kid: str) -> PublicKey | None:
        return self.keys.get(kid)


@dataclass(frozen=True)
class StaticDirectory:
    """Exact-match ``iss`` lookup over a fixed set of issuers."""

    issuers: Sequence[StaticIssuer]

    def issuer(self, iss: str) -> StaticIssuer | None:
        return next((entry for entry in self.issuers if entry.iss == iss), None)


@dataclass
class StatusStub:
    """A :class:`~wire.verify.StatusLookup` returning one fixed value and recording its calls."""

    value: int = 0
    calls: list[tuple[str, str, int]] = field(default_factory=list)

    def __call__(self, issuer: IssuerTrust, *, uri: str, idx: int, now: int) -> int:
        self.calls.append((issuer.iss, uri, idx))
        return self.value
