"""Generic SD-JWT structure (RFC 9901): serialization, issuance frames and claim processing.

Nothing here knows about residence permits; :mod:`wire.credential` and :mod:`wire.verify`
apply this machinery to the permit credential. Keeping the generic algorithm separate lets the
RFC's own examples and the reference test cases exercise exactly the code the verifier runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wire.disclosures import (
    Disclosure,
    SaltSource,
    decoy_digest,
    make_disclosure,
    parse_disclosure,
    random_salt,
)
from wire.encoding import MAX_JSON_DEPTH
from wire.errors import DisclosureMismatch, Malformed, UnsupportedAlg

__all__ = [
    "SD_ALG",
    "SdJwtParts",
    "conceal",
    "join_presentation",
    "process_payload",
    "split_presentation",
]

SD_ALG = "sha-256"
_DIGEST_KEY = "..."


@dataclass(frozen=True, slots=True)
class SdJwtParts:
    """``<issuer JWT>~<disclosure>~...~<KB-JWT or empty>`` split into its parts (§4)."""

    issuer_jwt: str
    disclosures: tuple[str, ...]
    kb_jwt: str | None

    @property
    def without_kb(self) -> str:
        """The presentation up to and including the last ``~``: the input of ``sd_hash``."""
        return join_presentation(self.issuer_jwt, self.disclosures, None)


def split_presentation(text: str) -> SdJwtParts:
    """Split the compact serialization; a bare JWT (no ``~``) is not an SD-JWT (§4)."""
    pieces = text.split("~")
    if len(pieces) < 2 or not pieces[0]:
        raise Malformed()
    disclosures = tuple(pieces[1:-1])
    if any(not d for d in disclosures):
        raise Malformed()
    return SdJwtParts(pieces[0], disclosures, pieces[-1] or None)


def join_presentation(issuer_jwt: str, disclosures: Sequence[str], kb_jwt: str | None) -> str:
    """Inverse of :func:`split_presentation`."""
    return "~".join([issuer_jwt, *disclosures, kb_jwt or ""])


# --- issuance ---------------------------------------------------------------------------------


def conceal(
    claims: Mapping[str, Any],
    frame: Mapping[str, Any],
    *,
    salt_source: SaltSource = random_salt,
    decoys: Mapping[str, int] | None = None,
) -> tuple[dict[str, Any], list[Disclosure]]:
    """Make the claims named in ``frame`` selectively disclosable (RFC 9901 §4.2).

    ``frame`` mirrors the claims: ``{"_sd": ["a", "b"], "c": {"_sd": ["d"]}, "arr": {"_sd":
    [0, 2]}}`` makes ``a``, ``b``, ``c.d`` and elements 0 and 2 of ``arr`` disclosable; nested
    frames apply before their parent is concealed, which gives recursive disclosures. ``decoys``
    maps a frame path (``""`` for the top level, ``"c"`` for ``c``) to a number of decoy
    digests. Digest lists are sorted so their order reveals nothing (§4.2.4.1).
    """
    disclosures: list[Disclosure] = []
    payload = _conceal_value(dict(claims), frame, "", salt_source, decoys or {}, disclosures)
    assert isinstance(payload, dict)
    return payload, disclosures


def _conceal_value(
    value: Any,
    frame: Mapping[str, Any],
    path: str,
    salt_source: SaltSource,
    decoys: Mapping[str, int],
    out: list[Disclosure],
) -> Any:
    selected = frame.get("_sd", [])
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        digests: list[str] = []
        for key, raw in value.items():
            sub_frame = frame.get(key)
            item = raw
            if isinstance(sub_frame, Mapping):
                item = _conceal_value(
                    raw, sub_frame, f"{path}.{key}".lstrip("."), salt_source, decoys, out
                )
            if key in selected:
                disclosure = make_disclosure(key, item, salt_source)
                out.append(disclosure)
                digests.append(disclosure.digest)
            else:
                result[key] = item
        digests.extend(decoy_digest(salt_source) for _ in range(decoys.get(path, 0)))
        if digests:
            result["_sd"] = sorted(digests)
        return result
    if isinstance(value, list):
        items: list[Any] = []
        for index, raw in enumerate(value):
            sub_frame = frame.get(str(index))
            item = raw
            if isinstance(sub_frame, Mapping):
                item = _conceal_value(raw, sub_frame, f"{path}.{index}", salt_source, decoys, out)
            if index in selected:
                disclosure = make_disclosure(None, item, salt_source)
                out.append(disclosure)
                items.append({_DIGEST_KEY: disclosure.digest})
            else:
                items.append(item)
        for _ in range(decoys.get(path, 0)):
            # Decoy array elements go at random positions (RFC 9901 §4.2.5, §4.2.4.2).
            position = int.from_bytes(salt_source()[:4], "big") % (len(items) + 1)
            items.insert(position, {_DIGEST_KEY: decoy_digest(salt_source)})
        return items
    return value


# --- verification -----------------------------------------------------------------------------


def process_payload(
    payload: Mapping[str, Any], disclosures: Sequence[str | Disclosure]
) -> tuple[dict[str, Any], dict[str, Disclosure]]:
    """Reconstruct the claims from a *signature-verified* payload (RFC 9901 §7.1 steps 3-5).

    ``disclosures`` are encoded strings or already parsed :class:`Disclosure` objects (the
    verifier parses them once, during its parsing step). Returns the processed claims (without
    ``_sd``/``_sd_alg``) and the disclosures by digest. Every disclosure must be well-formed
    (``invalid_disclosure``), and every disclosure's digest must occur exactly once in the
    payload or in another disclosure, with the right shape for its place, never clashing with a
    visible claim (``disclosure_mismatch``).
    """
    sd_alg = payload.get("_sd_alg", SD_ALG)
    if sd_alg != SD_ALG:
        raise UnsupportedAlg()
    by_digest: dict[str, Disclosure] = {}
    for item in disclosures:
        disclosure = item if isinstance(item, Disclosure) else parse_disclosure(item)
        if disclosure.digest in by_digest:
            raise DisclosureMismatch()
        by_digest[disclosure.digest] = disclosure
    state = _Unpacker(by_digest)
    claims = state.unpack_object(payload, top=True, depth=1)
    if state.used != set(by_digest):
        raise DisclosureMismatch()
    return claims, by_digest


class _Unpacker:
    """Walks the payload replacing digests by disclosed values; tracks digests seen."""

    def __init__(self, by_digest: Mapping[str, Disclosure]) -> None:
        self.by_digest = by_digest
        self.seen: set[str] = set()
        self.used: set[str] = set()

    def _claim(self, digest: Any) -> Disclosure | None:
        if not isinstance(digest, str):
            raise Malformed()
        if digest in self.seen:
            raise DisclosureMismatch()
        self.seen.add(digest)
        disclosure = self.by_digest.get(digest)
        if disclosure is not None:
            self.used.add(digest)
        return disclosure

    def unpack(self, value: Any, depth: int) -> Any:
        """Unpack ``value`` found at nesting ``depth`` (the payload object is depth 1)."""
        if isinstance(value, dict | list) and depth > MAX_JSON_DEPTH:
            raise Malformed()
        if isinstance(value, dict):
            return self.unpack_object(value, top=False, depth=depth)
        if isinstance(value, list):
            return self.unpack_array(value, depth)
        return value

    def unpack_object(self, obj: Mapping[str, Any], *, top: bool, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, item in obj.items():
            if key == "_sd" or (top and key == "_sd_alg"):
                continue
            if key == _DIGEST_KEY:
                raise Malformed()
            result[key] = self.unpack(item, depth + 1)
        digests = obj.get("_sd", [])
        if not isinstance(digests, list):
            raise Malformed()
        for digest in digests:
            disclosure = self._claim(digest)
            if disclosure is None:
                continue
            if disclosure.name is None or disclosure.name in result:
                raise DisclosureMismatch()
            result[disclosure.name] = self.unpack(disclosure.value, depth + 1)
        return result

    def unpack_array(self, items: list[Any], depth: int) -> list[Any]:
        result: list[Any] = []
        for item in items:
            if isinstance(item, dict) and _DIGEST_KEY in item:
                if len(item) != 1:
                    raise Malformed()
                disclosure = self._claim(item[_DIGEST_KEY])
                if disclosure is None:
                    continue
                if disclosure.name is not None:
                    raise DisclosureMismatch()
                result.append(self.unpack(disclosure.value, depth + 1))
            else:
                result.append(self.unpack(item, depth + 1))
        return result
