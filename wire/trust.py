"""Trust list model and status-URI policy (DESIGN §5). Pure: no I/O, no web framework.

A verifier trusts a credential only if its ``iss`` is listed (exact string match) and its
``kid`` is one of that issuer's keys. The list is validated completely when it is loaded and any
invalid entry refuses the *whole* list with :class:`~wire.errors.ConfigurationError`: silently
dropping an entry would turn an operator's typo into "issuer unknown" at a counter, far away
from the mistake. Keys are imported once here, so verification never parses a JWK again.

:func:`status_uri_allowed` decides whether a credential may make the verifier fetch a status
list from a URI (DESIGN §5, draft-ietf-oauth-status-list §8.3): only from below one of the
issuer's ``status_list_prefixes``, compared as parsed URLs. The URL grammar accepted here is a
deliberately small subset of RFC 3986 — ASCII only, no ``;``, ``?``, ``#``, userinfo, dot
segments, empty segments or percent-encoded ``.``, ``/``, ``\\``, ``%`` or control bytes — so
that no server, proxy or URL library can normalise an accepted URI into one outside the prefix.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from wire.encoding import loads_object
from wire.errors import ConfigurationError, Malformed
from wire.jwk import PublicKey, alg_for_key, load_public_jwk, public_jwk, thumbprint

__all__ = [
    "MAX_TRUST_LIST_BYTES",
    "MAX_URL_LENGTH",
    "TRUST_LIST_VERSION",
    "TrustList",
    "TrustedIssuer",
    "load_jwks",
    "status_uri_allowed",
]

TRUST_LIST_VERSION = 1
#: Upper bound on a serialised trust list (plain or signed), checked before parsing.
MAX_TRUST_LIST_BYTES = 4 * 1024 * 1024
#: Longer issuer identifiers or status URIs are refused outright.
MAX_URL_LENGTH = 2048

_ISSUER_MEMBERS = frozenset({"iss", "name", "region_code", "jwks", "status_list_prefixes"})
#: RFC 7518 §6.2.2 / §6.3.2 / §6.4 and RFC 8037 §2: members that only a private key has.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_REGION_CODE = re.compile(r"[0-9]{6}")
# RFC 3986 characters minus ";" (path parameters that some servers strip), "?" and "#" (query and
# fragment are refused anyway) and everything outside ASCII: whitespace, controls, backslash,
# quotes and Unicode (IDNs must be given in their A-label "xn--" form) never get past this.
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,=:@/%\[\]]+")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PORT = re.compile(r"[0-9]{1,5}")
_PERCENT = re.compile(r"%(.{0,2})", re.DOTALL)
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")
#: Bytes that must never appear percent-encoded: ".", "/", "\\", "%" (double encoding).
_FORBIDDEN_ESCAPES = frozenset({0x2E, 0x2F, 0x5C, 0x25})
_DEFAULT_PORTS = {"https": 443, "http": 80}


# --- URL policy -------------------------------------------------------------------------------


class _UrlRefusedError(ValueError):
    """Internal: a URL is outside the accepted grammar. Never escapes this module."""


@dataclass(frozen=True, slots=True)
class _Url:
    scheme: str
    host: str  # lower-case name, dotted-quad IPv4, or "[compressed IPv6]"
    port: int  # effective port: explicit, else the scheme default
    path: str


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "[::1]"):
        return True
    try:
        return ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        return False


def _parse_host(text: str) -> str:
    if text.startswith("["):
        literal = text[1:-1] if text.endswith("]") else ""
        if not literal or "%" in literal:  # zone identifiers are meaningless off-link
            raise _UrlRefusedError
        try:
            return f"[{ipaddress.IPv6Address(literal).compressed}]"
        except ValueError as exc:
            raise _UrlRefusedError from exc
    host = text.lower()
    labels = host.split(".")
    if not host or len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise _UrlRefusedError
    last = labels[-1]
    # WHATWG URL: a host whose last label is numeric is parsed as IPv4 ("127.1", "0x7f.1"), so
    # such a host must be a canonical dotted quad or two parsers would disagree on it.
    if last.isdigit() or last.startswith("0x"):
        try:
            ipaddress.IPv4Address(host)
        except ValueError as exc:
            raise _UrlRefusedError from exc
    return host


def _split_netloc(netloc: str) -> tuple[str, int | None]:
    if not netloc or "@" in netloc:  # empty host or userinfo
        raise _UrlRefusedError
    if netloc.startswith("["):
        end = netloc.find("]")
        host_text, port_text = netloc[: end + 1], netloc[end + 1 :]
    else:
        host_text, colon, rest = netloc.partition(":")
        port_text = colon + rest
    if not port_text:
        return _parse_host(host_text), None
    digits = port_text[1:]
    if not port_text.startswith(":") or not _PORT.fullmatch(digits):
        raise _UrlRefusedError  # also refuses an empty port ("host:")
    port = int(digits)
    if not 0 < port <= 65535:
        raise _UrlRefusedError
    return _parse_host(host_text), port


def _check_path(path: str) -> None:
    if path and not path.startswith("/"):
        raise _UrlRefusedError
    if "//" in path or any(seg in (".", "..") for seg in path.split("/")):
        raise _UrlRefusedError
    for match in _PERCENT.finditer(path):
        escape = match.group(1)
        if not _HEX2.fullmatch(escape):
            raise _UrlRefusedError
        byte = int(escape, 16)
        if byte in _FORBIDDEN_ESCAPES or byte < 0x20 or byte == 0x7F:
            raise _UrlRefusedError


def _parse_url(text: object, *, allow_insecure_loopback: bool) -> _Url:
    """Parse an issuer id, status URI or prefix under the DESIGN §5 grammar, or refuse it."""
    if not isinstance(text, str) or len(text) > MAX_URL_LENGTH or not _URL_CHARS.fullmatch(text):
        raise _UrlRefusedError
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise _UrlRefusedError from exc
    if not text[len(parts.scheme) :].startswith("://"):
        raise _UrlRefusedError
    scheme = parts.scheme.lower()
    host, port = _split_netloc(parts.netloc)
    if scheme == "http":
        if not (allow_insecure_loopback and _is_loopback(host)):
            raise _UrlRefusedError
    elif scheme != "https":
        raise _UrlRefusedError
    _check_path(parts.path)
    return _Url(scheme, host, _DEFAULT_PORTS[scheme] if port is None else port, parts.path)


def _parse_prefix(text: object, *, allow_insecure_loopback: bool) -> _Url:
    url = _parse_url(text, allow_insecure_loopback=allow_insecure_loopback)
    if not url.path.endswith("/"):
        raise _UrlRefusedError
    return url


def status_uri_allowed(uri: str, prefixes: Sequence[str], *, allow_insecure_loopback: bool) -> bool:
    """True if the verifier may fetch a status list from ``uri`` (DESIGN §5).

    ``uri`` must lie below one of ``prefixes``: same scheme (``https``; ``http`` only for
    127.0.0.0/8, ``localhost`` and ``[::1]`` and only with ``allow_insecure_loopback``), same
    host compared case-insensitively, same effective port (443/80 when omitted) and a path that
    starts with the prefix's path, which ends with ``/`` so that the match ends on a segment
    boundary (``/status-evil`` is not below ``/status/``). Anything outside the module's URL
    grammar — userinfo, query, fragment, dot segments, encoded dots or slashes, backslashes,
    whitespace, non-ASCII — is refused, and so is every prefix that is itself invalid.
    """
    if isinstance(prefixes, str):
        raise TypeError("prefixes must be a sequence of strings, not a string")
    try:
        target = _parse_url(uri, allow_insecure_loopback=allow_insecure_loopback)
    except _UrlRefusedError:
        return False
    for text in prefixes:
        try:
            prefix = _parse_prefix(text, allow_insecure_loopback=allow_insecure_loopback)
        except _UrlRefusedError:
            continue
        if (prefix.scheme, prefix.host, prefix.port) == (
            target.scheme,
            target.host,
            target.port,
        ) and target.path.startswith(prefix.path):
            return True
    return False


# --- JWKS -------------------------------------------------------------------------------------


def _refuse(where: str, problem: str) -> ConfigurationError:
    # Messages name the position and the rule, never the offending value (CONVENTIONS §4).
    return ConfigurationError(f"{where}: {problem}")


def _load_jwk(jwk: object, where: str) -> tuple[str, PublicKey]:
    if not isinstance(jwk, dict):
        raise _refuse(where, "a JWK must be a JSON object")
    if _PRIVATE_MEMBERS & jwk.keys():
        raise _refuse(where, "a JWK carries private key members")
    try:
        key = load_public_jwk(jwk, Malformed)
    except Malformed as exc:
        raise _refuse(where, "not a valid EC P-256 or Ed25519 public JWK") from exc
    kid = jwk.get("kid")
    if not isinstance(kid, str):
        raise _refuse(where, "a JWK needs a string 'kid'")
    if kid != thumbprint(jwk):
        raise _refuse(where, "'kid' is not the key's RFC 7638 thumbprint")
    if "alg" in jwk and jwk["alg"] != alg_for_key(key):
        raise _refuse(where, "'alg' does not match the key type")
    if "use" in jwk and jwk["use"] != "sig":
        raise _refuse(where, "'use' must be 'sig'")
    ops = jwk.get("key_ops", ["verify"])
    if not isinstance(ops, list) or not ops or any(op != "verify" for op in ops):
        raise _refuse(where, "'key_ops' may only contain 'verify'")
    return kid, key


def load_jwks(jwks: object, *, where: str = "jwks") -> Mapping[str, PublicKey]:
    """Import a JWKS of trusted signing keys, keyed by ``kid`` (DESIGN §5).

    Every key must be a valid public EC P-256 or Ed25519 JWK (no private members) whose ``kid``
    is its RFC 7638 thumbprint, with a matching ``alg`` if one is given; kids are unique and the
    set is non-empty. Raises :class:`ConfigurationError` naming the position of the first defect.
    """
    if not isinstance(jwks, dict) or set(jwks) != {"keys"}:
        raise _refuse(where, "must be an object with exactly the member 'keys'")
    entries = jwks["keys"]
    if not isinstance(entries, list) or not entries:
        raise _refuse(where, "'keys' must be a non-empty array")
    keys: dict[str, PublicKey] = {}
    for index, jwk in enumerate(entries):
        kid, key = _load_jwk(jwk, f"{where}.keys[{index}]")
        if kid in keys:
            raise _refuse(f"{where}.keys[{index}]", "duplicate 'kid'")
        keys[kid] = key
    return MappingProxyType(keys)


# --- the model --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """One issuer of the trust list with its keys already imported (DESIGN §5)."""

    iss: str
    name: str
    region_code: str
    keys: Mapping[str, PublicKey] = field(hash=False)
    status_list_prefixes: tuple[str, ...]

    def key(self, kid: str) -> PublicKey | None:
        """The trusted key with this ``kid``, or None: header key material is never used."""
        return self.keys.get(kid)

    def allows_status_uri(self, uri: str, *, allow_insecure_loopback: bool) -> bool:
        """:func:`status_uri_allowed` against this issuer's prefixes."""
        return status_uri_allowed(
            uri, self.status_list_prefixes, allow_insecure_loopback=allow_insecure_loopback
        )

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """Normalised public JWKS: each key with ``kid``, ``alg`` and ``use`` = ``sig``."""
        return {
            "keys": [
                {**public_jwk(key), "kid": kid, "alg": alg_for_key(key), "use": "sig"}
                for kid, key in self.keys.items()
            ]
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "iss": self.iss,
            "name": self.name,
            "region_code": self.region_code,
            "jwks": self.jwks(),
            "status_list_prefixes": list(self.status_list_prefixes),
        }


def _load_issuer(entry: object, where: str, *, allow_insecure_loopback: bool) -> TrustedIssuer:
    if not isinstance(entry, dict):
        raise _refuse(where, "an issuer entry must be a JSON object")
    if set(entry) != _ISSUER_MEMBERS:
        raise _refuse(where, "members must be exactly " + ", ".join(sorted(_ISSUER_MEMBERS)))
    iss, name, region_code = entry["iss"], entry["name"], entry["region_code"]
    try:
        _parse_url(iss, allow_insecure_loopback=allow_insecure_loopback)
    except _UrlRefusedError as exc:
        raise _refuse(f"{where}.iss", "must be an https URL without userinfo/query") from exc
    if not isinstance(name, str) or not name.strip():
        raise _refuse(f"{where}.name", "must be a non-empty string")
    if not isinstance(region_code, str) or not _REGION_CODE.fullmatch(region_code):
        raise _refuse(f"{where}.region_code", "must be a 6-digit administrative code")
    keys = load_jwks(entry["jwks"], where=f"{where}.jwks")
    prefixes = entry["status_list_prefixes"]
    if not isinstance(prefixes, list) or not prefixes:
        raise _refuse(f"{where}.status_list_prefixes", "must be a non-empty array")
    for index, prefix in enumerate(prefixes):
        try:
            _parse_prefix(prefix, allow_insecure_loopback=allow_insecure_loopback)
        except _UrlRefusedError as exc:
            raise _refuse(
                f"{where}.status_list_prefixes[{index}]",
                "must be an https URL ending with '/', without userinfo/query/fragment",
            ) from exc
    if len(set(prefixes)) != len(prefixes):
        raise _refuse(f"{where}.status_list_prefixes", "duplicate prefix")
    return TrustedIssuer(iss, name, region_code, keys, tuple(prefixes))


@dataclass(frozen=True, slots=True)
class TrustList:
    """A validated trust list (DESIGN §5); build it with :meth:`from_json` or :meth:`from_bytes`.

    Immutable: a verifier swaps in a new instance when it reloads, so a request never sees a
    half-updated list.
    """

    issuers: tuple[TrustedIssuer, ...]
    _index: Mapping[str, TrustedIssuer] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        index = {issuer.iss: issuer for issuer in self.issuers}
        if not self.issuers or len(index) != len(self.issuers):
            raise ConfigurationError("trust list: issuers must be non-empty and unique")
        object.__setattr__(self, "_index", MappingProxyType(index))

    @classmethod
    def from_json(cls, obj: object, *, allow_insecure_loopback: bool = False) -> TrustList:
        """Validate a parsed trust list; refuse the whole list on the first invalid entry.

        ``allow_insecure_loopback`` admits ``http`` issuer ids and prefixes on loopback hosts,
        for tests and local demos only (DESIGN §5, ``--allow-insecure-loopback``).
        """
        if not isinstance(obj, dict) or set(obj) != {"version", "issuers"}:
            raise ConfigurationError(
                "trust list: must be an object with exactly 'version' and 'issuers'"
            )
        version = obj["version"]
        if type(version) is not int or version != TRUST_LIST_VERSION:
            raise ConfigurationError("trust list: 'version' must be 1")
        entries = obj["issuers"]
        if not isinstance(entries, list) or not entries:
            raise ConfigurationError("trust list: 'issuers' must be a non-empty array")
        issuers: list[TrustedIssuer] = []
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            where = f"trust list: issuers[{index}]"
            issuer = _load_issuer(entry, where, allow_insecure_loopback=allow_insecure_loopback)
            if issuer.iss in seen:
                raise _refuse(f"{where}.iss", "duplicate issuer")
            seen.add(issuer.iss)
            issuers.append(issuer)
        return cls(tuple(issuers))

    @classmethod
    def from_bytes(cls, data: bytes, *, allow_insecure_loopback: bool = False) -> TrustList:
        """Parse strict JSON (DESIGN §6 rules: UTF-8, no duplicate members) and validate it."""
        if len(data) > MAX_TRUST_LIST_BYTES:
            raise ConfigurationError("trust list: file is too large")
        try:
            # JSON allows leading whitespace (RFC 8259 §2); a hand-edited file may have some.
            obj = loads_object(data.lstrip(b" \t\r\n"), Malformed)
        except Malformed as exc:
            raise ConfigurationError("trust list: not a strict JSON object") from exc
        return cls.from_json(obj, allow_insecure_loopback=allow_insecure_loopback)

    def issuer(self, iss: str) -> TrustedIssuer | None:
        """The issuer with exactly this identifier (no normalisation, DESIGN §5), or None."""
        return self._index.get(iss)

    def to_json(self) -> dict[str, Any]:
        """The list in its normalised JSON form; :meth:`from_json` accepts it back."""
        return {
            "version": TRUST_LIST_VERSION,
            "issuers": [issuer.to_json() for issuer in self.issuers],
        }
