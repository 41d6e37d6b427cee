"""atheris target: trust lists, JWKS and JWKs (wire/trust.py, wire/jwk.py).

A verifier loads its trust list from a file or the signed trust-list endpoint; every defect
must refuse the whole list with ``ConfigurationError`` (DESIGN §5) and what loads must round-trip
through its normalised form. Holder keys (``cnf.jwk``, key proofs) are attacker-chosen JWKs.

Modes: 0 ``TrustList.from_bytes``; 1 ``load_jwks`` of the input as JSON; 2 ``load_public_jwk``
of the input as JSON; 3 ``status_uri_allowed`` of the input as a URI under the world's prefix.

Run: ``fuzz/run trust 600`` (fuzz/README.md).
"""

from __future__ import annotations

import json
import sys
from urllib.parse import urlsplit

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["wire"]):
    from fuzz_world import Refused, expect, split_mode

    from wire.errors import ConfigurationError, HolderBindingInvalid
    from wire.jwk import load_public_jwk, public_jwk, thumbprint
    from wire.trust import TrustList, load_jwks, status_uri_allowed

_PREFIX = "https://permits.sh.example/status/"


def _json(rest: bytes) -> object | Refused:
    try:
        document: object = json.loads(rest)
    except (ValueError, RecursionError):
        return Refused(ConfigurationError())
    return document


def test_one_input(data: bytes) -> None:
    mode, rest = split_mode(data, 4)
    if mode == 0:
        trust_list = expect((ConfigurationError,), lambda: TrustList.from_bytes(rest))
        if not isinstance(trust_list, Refused):
            assert TrustList.from_json(trust_list.to_json()) == trust_list
    elif mode in (1, 2):
        document = _json(rest)
        if isinstance(document, Refused):
            return
        if mode == 1:
            keys = expect((ConfigurationError,), lambda: load_jwks(document))
            if not isinstance(keys, Refused):
                assert all(kid == thumbprint(public_jwk(k)) for kid, k in keys.items())
        else:
            key = expect(
                (HolderBindingInvalid,), lambda: load_public_jwk(document, HolderBindingInvalid)
            )
            if not isinstance(key, Refused):
                assert isinstance(document, dict)
                assert all(document.get(m) == v for m, v in public_jwk(key).items())
    else:
        uri = rest.decode("utf-8", "surrogateescape")
        if status_uri_allowed(uri, [_PREFIX], allow_insecure_loopback=False):
            # Below the prefix as any URL library sees it: same origin, path under /status/.
            parts = urlsplit(uri)
            assert uri.isascii()
            assert not parts.query
            assert not parts.fragment
            assert parts.scheme.lower() == "https"
            assert parts.hostname == "permits.sh.example"
            assert parts.port in (None, 443)
            assert parts.path.startswith("/status/")
            assert ".." not in parts.path.split("/")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
