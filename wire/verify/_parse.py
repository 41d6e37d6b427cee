"""Parsing a presentation, strictly and in one pass, before any check looks at it.

DESIGN §6 puts parsing first (decisions.md "parsing comes first"): every part is decoded and
parsed before the first check, so a defect anywhere is ``malformed``, ``invalid_disclosure`` or
``holder_binding_invalid`` by *where* it is, never by which check happened to reach it first.
This is the verifier's hot path; the comments say where a plainer form was measurably slower.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from wire.disclosures import disclosed_claim
from wire.encoding import B64U_TO_STRICT, b64u_decode_translated, digest_b64u, parse_json
from wire.errors import HolderBindingInvalid, InvalidDisclosure, Malformed, PayloadTooLarge
from wire.verify._types import VerifyPolicy

__all__ = ["Jws", "Parsed", "parse_jws", "parse_presentation"]


class Jws(NamedTuple):
    """The parts of a compact JWS the checks need (a tuple: built twice per verification)."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


class Parsed(NamedTuple):
    """Everything the parsing step produced; later steps only read it."""

    jws: Jws
    #: digest → (name, value) of each disclosure, and how many disclosures there were (a
    #: shorter mapping means the same disclosure was presented twice).
    disclosed: dict[str, tuple[str | None, Any]]
    disclosure_count: int
    kb: Jws | None
    #: The presentation up to and including the last ``~``: the input of ``sd_hash``.
    sd_hash_input: bytes
    iss: str
    iat: int
    exp: int
    nbf: int | None


def parse_jws(token: bytes, original: bytes) -> Jws:
    """Decode a compact JWS; ``token`` is ``original`` passed through ``B64U_TO_STRICT``.

    Any defect raises ``ValueError``; the caller turns it into its part's reason code. The dots
    are found with ``bytes.find`` (a memchr) rather than ``split``, which walks every byte.
    """
    first = token.find(b".")
    second = token.find(b".", first + 1)
    if first <= 0 or second <= first + 1 or second == len(token) - 1:
        raise ValueError("not a compact JWS")  # fewer than 3 segments, or an empty one
    if token.find(b".", second + 1) >= 0:
        raise ValueError("not a compact JWS")  # more than 3 segments
    header = parse_json(b64u_decode_translated(token[:first]))
    payload = parse_json(b64u_decode_translated(token[first + 1 : second]))
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ValueError("JOSE header and payload must be objects")
    signature = b64u_decode_translated(token[second + 1 :])
    return Jws(header, payload, original[:second], signature)


def parse_presentation(text: str, policy: VerifyPolicy) -> Parsed:
    """Size, then strict parsing of every part (DESIGN §6; decisions.md "parsing comes first").

    An ASCII presentation is encoded once, translated to the strict base64 alphabet once and
    split once; ``~`` and ``.`` are untouched by the translation, so the original bytes of a
    part (hashed for digests, ``sd_hash`` and signatures) are found at the same offsets.
    """
    if text.endswith("\n"):
        text = text[:-2] if text.endswith("\r\n") else text[:-1]
    if not text.isascii():
        # surrogatepass: a str with lone surrogates must reach the size checks, not crash.
        if (
            len(text.encode("utf-8", "surrogatepass")) > policy.max_presentation
            or text.count("~") > policy.max_disclosures + 1
        ):
            raise PayloadTooLarge()
        raise Malformed()
    if len(text) > policy.max_presentation:
        raise PayloadTooLarge()
    data = text.encode("ascii")
    pieces = data.translate(B64U_TO_STRICT).split(b"~")
    last = len(pieces) - 1  # index of the KB-JWT slot
    if last > policy.max_disclosures + 1:
        raise PayloadTooLarge()
    if last < 1 or not pieces[0] or not all(pieces[1:last]):
        raise Malformed()  # a bare JWT is not an SD-JWT (RFC 9901 §4); no empty disclosures
    position = len(pieces[0]) + 1  # of the current part in ``data``
    try:
        jws = parse_jws(pieces[0], data[: position - 1])
    except ValueError as exc:
        raise Malformed() from exc
    disclosed: dict[str, tuple[str | None, Any]] = {}
    try:
        for index in range(1, last):
            encoded = pieces[index]
            end = position + len(encoded)
            array = parse_json(b64u_decode_translated(encoded))
            disclosed[digest_b64u(data[position:end])] = disclosed_claim(array)
            position = end + 1
    except ValueError as exc:
        raise InvalidDisclosure() from exc
    kb = None
    if pieces[last]:
        try:
            kb = parse_jws(pieces[last], data[position:])
        except ValueError as exc:
            raise HolderBindingInvalid() from exc
    payload = jws.payload
    iss, iat, exp, nbf = payload.get("iss"), payload.get("iat"), payload.get("exp"), None
    # Times are integers; bool is an int subclass and is not a time (decisions.md).
    if not isinstance(iss, str) or type(iat) is not int or type(exp) is not int:
        raise Malformed()
    if "nbf" in payload:
        nbf = payload["nbf"]
        if type(nbf) is not int:
            raise Malformed()
    for name, kind in _CLAIM_TYPES:
        if name in payload and not isinstance(payload[name], kind):
            raise Malformed()
    return Parsed(jws, disclosed, last - 1, kb, data[:position], iss, iat, exp, nbf)


_CLAIM_TYPES: tuple[tuple[str, type], ...] = (
    ("vct", str),
    ("_sd_alg", str),
    ("cnf", dict),
    ("_sd", list),
)
