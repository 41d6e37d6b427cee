"""Holder side: choose disclosures by claim path and bind the presentation (RFC 9901 §4.3).

Claim paths are dotted: ``name`` discloses the claim (and, for an object, every sub-claim);
``residence_address.district`` discloses the address container and only its district. The
holder never discloses anything a path does not ask for (DESIGN §7: exactly the profile).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from wire.disclosures import Disclosure, parse_disclosure
from wire.encoding import b64u_encode
from wire.errors import Malformed
from wire.jwk import PrivateKey
from wire.jws import parse_compact, sign_compact
from wire.sdjwt import join_presentation, split_presentation

__all__ = [
    "KB_TYP",
    "QR_AUDIENCE",
    "create_presentation",
    "disclosure_tree",
    "sd_hash",
    "select_disclosures",
]

KB_TYP: Final = "kb+jwt"
#: Default ``aud`` of in-person QR presentations (DESIGN §3).
QR_AUDIENCE: Final = "urn:residence-permit:qr"


def sd_hash(presentation_without_kb: str) -> str:
    """``sd_hash`` (RFC 9901 §4.3.1): SHA-256 over everything up to and including the last ``~``."""
    return b64u_encode(hashlib.sha256(presentation_without_kb.encode("ascii")).digest())


def disclosure_tree(
    payload: Mapping[str, Any], disclosures: Iterable[Disclosure]
) -> dict[str, tuple[Disclosure, dict[str, Any]]]:
    """Map each top-level disclosed claim name to its disclosure and its own sub-tree.

    Only object-property disclosures are followed (the permit has no disclosable array
    elements). The sub-tree has the same shape, for the claim's nested disclosures.
    """
    by_digest = {d.digest: d for d in disclosures}

    def build(obj: Mapping[str, Any]) -> dict[str, tuple[Disclosure, dict[str, Any]]]:
        tree: dict[str, tuple[Disclosure, dict[str, Any]]] = {}
        for digest in obj.get("_sd", []):
            disclosure = by_digest.get(digest)
            if disclosure is None or disclosure.name is None:
                continue
            value = disclosure.value
            tree[disclosure.name] = (disclosure, build(value) if isinstance(value, dict) else {})
        return tree

    return build(payload)


def _collect(node: tuple[Disclosure, dict[str, Any]], out: list[Disclosure]) -> None:
    disclosure, children = node
    out.append(disclosure)
    for child in children.values():
        _collect(child, out)


def select_disclosures(credential: str, paths: Sequence[str]) -> list[str]:
    """Encoded disclosures of ``credential`` needed to reveal exactly ``paths``.

    Raises ``KeyError`` naming the path if the credential cannot disclose it, so a wallet never
    silently shows less than a verifier requires.
    """
    parts = split_presentation(credential)
    payload = parse_compact(parts.issuer_jwt, Malformed).payload
    tree = disclosure_tree(payload, [parse_disclosure(d) for d in parts.disclosures])
    chosen: list[Disclosure] = []
    for path in paths:
        node_map = tree
        names = path.split(".")
        for depth, name in enumerate(names):
            if name not in node_map:
                raise KeyError(path)
            disclosure, children = node_map[name]
            if depth == len(names) - 1:
                _collect(node_map[name], chosen)
            else:
                chosen.append(disclosure)
            node_map = children
    order = {d: i for i, d in enumerate(parts.disclosures)}
    unique = {d.encoded for d in chosen}
    return sorted(unique, key=order.__getitem__)


def create_presentation(
    credential: str,
    paths: Sequence[str],
    *,
    holder_key: PrivateKey | None,
    audience: str = QR_AUDIENCE,
    nonce: str | None = None,
    iat: int | None = None,
) -> str:
    """Build ``<issuer JWT>~<chosen disclosures>~<KB-JWT>`` (DESIGN §3).

    With ``holder_key`` None the result has no KB-JWT: the paper-permit form, valid only for a
    credential without ``cnf`` and a profile that accepts paper.
    """
    parts = split_presentation(credential)
    body = join_presentation(parts.issuer_jwt, select_disclosures(credential, paths), None)
    if holder_key is None:
        return body
    if nonce is None or iat is None:
        raise ValueError("a key-bound presentation needs nonce and iat")
    kb_payload = {"iat": iat, "aud": audience, "nonce": nonce, "sd_hash": sd_hash(body)}
    return body + sign_compact({"typ": KB_TYP}, kb_payload, holder_key)
