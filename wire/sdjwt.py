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
    "check_sd_alg",
    "conceal",
    "join_presentation",
    "process_payload",
    "split_presentation",
    "unpack_claims",
]

SD_ALG = "sha-256"
_DIGEST_KEY = "..."
_NO_DIGESTS: list[Any] = []  # read only: the default of an object without ``_sd``
_STRUCTURAL_KEYS = frozenset({"_sd", "_sd_alg", _DIGEST_KEY})
_CONTAINERS = (dict, list)


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

    ``disclosures`` are encoded strings or already parsed :class:`Disclosure` objects. Returns
    the processed claims (without ``_sd``/``_sd_alg``) and the disclosures by digest. Every
    disclosure must be well-formed (``invalid_disclosure``), and every disclosure's digest must
    occur exactly once in the payload or in another disclosure, with the right shape for its
    place, never clashing with a visible claim (``disclosure_mismatch``).
    """
    check_sd_alg(payload)
    by_digest: dict[str, Disclosure] = {}
    for item in disclosures:
        disclosure = item if isinstance(item, Disclosure) else parse_disclosure(item)
        if disclosure.digest in by_digest:
            raise DisclosureMismatch()
        by_digest[disclosure.digest] = disclosure
    claims = unpack_claims(payload, {d: (x.name, x.value) for d, x in by_digest.items()})
    return claims, by_digest


def check_sd_alg(payload: Mapping[str, Any]) -> None:
    """``_sd_alg`` must be ``sha-256`` or absent (RFC 9901 §4.1.1), else ``unsupported_alg``."""
    if payload.get("_sd_alg", SD_ALG) != SD_ALG:
        raise UnsupportedAlg()


def unpack_claims(
    payload: Mapping[str, Any], disclosed: Mapping[str, tuple[str | None, Any]]
) -> dict[str, Any]:
    """Replace digests in ``payload`` by the disclosed claims (RFC 9901 §7.1 steps 3-5).

    ``disclosed`` maps each disclosure's digest to its ``(name, value)`` (``name`` None for an
    array element); the caller (:func:`process_payload`, or the verifier, which never builds
    :class:`Disclosure` objects) has checked ``_sd_alg`` and that no disclosure is given twice.
    Every digest must occur exactly once, and every disclosure must be used.
    """
    state = _Unpacker(disclosed)
    claims = state.unpack_object(payload, MAX_JSON_DEPTH - 1, top=True)
    if state.used != len(disclosed):
        raise DisclosureMismatch()
    return claims


class _Unpacker:
    """Walks the payload replacing digests by disclosed values; tracks digests seen.

    ``room`` is how many more container levels may be entered below the current one (the
    payload object is level 1 of at most :data:`~wire.encoding.MAX_JSON_DEPTH`). Scalars are
    copied inline rather than through a call: the walk visits every value of every credential.
    A disclosure is used at most once because its digest may be seen only once, so counting
    uses is the same as collecting them.
    """

    __slots__ = ("disclosed", "seen", "used")

    def __init__(self, disclosed: Mapping[str, tuple[str | None, Any]]) -> None:
        self.disclosed = disclosed
        self.seen: set[str] = set()
        self.used = 0

    def _claim(self, digest: Any) -> tuple[str | None, Any] | None:
        if not isinstance(digest, str):
            raise Malformed()
        if digest in self.seen:
            raise DisclosureMismatch()
        self.seen.add(digest)
        found = self.disclosed.get(digest)
        if found is not None:
            self.used += 1
        return found

    def unpack(self, value: Any, room: int) -> Any:
        """Unpack ``value``; a container needs ``room`` for one more level."""
        if isinstance(value, dict):
            if room <= 0:
                raise Malformed()
            return self.unpack_object(value, room - 1)
        if isinstance(value, list):
            if room <= 0:
                raise Malformed()
            return self.unpack_array(value, room - 1)
        return value

    def unpack_object(
        self, obj: Mapping[str, Any], room: int, *, top: bool = False
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        unpack = self.unpack
        for key, item in obj.items():
            if key in _STRUCTURAL_KEYS:
                if key == _DIGEST_KEY:
                    raise Malformed()
                if key == "_sd" or top:
                    continue  # ``_sd_alg`` is structural only at the top level
            result[key] = unpack(item, room) if isinstance(item, _CONTAINERS) else item
        digests = obj.get("_sd", _NO_DIGESTS)
        if not isinstance(digests, list):
            raise Malformed()
        seen, disclosed = self.seen, self.disclosed
        for digest in digests:  # :meth:`_claim`, inlined: every payload lists a dozen digests
            if not isinstance(digest, str):
                raise Malformed()
            if digest in seen:
                raise DisclosureMismatch()
            seen.add(digest)
            found = disclosed.get(digest)
            if found is None:
                continue
            self.used += 1
            name, value = found
            if name is None or name in result:
                raise DisclosureMismatch()
            result[name] = unpack(value, room) if isinstance(value, _CONTAINERS) else value
        return result

    def unpack_array(self, items: list[Any], room: int) -> list[Any]:
        result: list[Any] = []
        for item in items:
            if isinstance(item, dict) and _DIGEST_KEY in item:
                if len(item) != 1:
                    raise Malformed()
                found = self._claim(item[_DIGEST_KEY])
                if found is None:
                    continue
                name, value = found
                if name is not None:
                    raise DisclosureMismatch()
                result.append(self.unpack(value, room))
            else:
                result.append(self.unpack(item, room))
        return result
