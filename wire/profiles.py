"""Relying-party profiles (DESIGN §7): which claims a kind of verifier needs, as data.

The defaults ship as ``profiles.json`` beside this module; a deployment may load its own file
with the same shape. A profile's claim paths drive both sides: the wallet discloses exactly
these paths and the verifier returns only these, even when more were disclosed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from wire.credential import ADDRESS_CLAIMS, CLAIM_NAMES
from wire.errors import ConfigurationError

__all__ = ["Profile", "filter_claims", "has_claims", "load_profiles", "parse_profiles"]

_VALID_PATHS = frozenset(CLAIM_NAMES) | {f"residence_address.{c}" for c in ADDRESS_CLAIMS}


@dataclass(frozen=True, slots=True)
class Profile:
    """One relying-party profile."""

    name: str
    claims: tuple[str, ...]
    paper: bool
    verifier_bound: bool
    description: str = ""

    @property
    def discloses_everything(self) -> bool:
        """The ``any`` profile requires nothing and returns whatever was disclosed."""
        return not self.claims


def parse_profiles(document: Any) -> dict[str, Profile]:
    """Validate a profiles document; any defect refuses the whole file."""
    if not isinstance(document, dict) or document.get("version") != 1:
        raise ConfigurationError("profiles: version must be 1")
    entries = document.get("profiles")
    if not isinstance(entries, dict) or not entries:
        raise ConfigurationError("profiles: 'profiles' must be a non-empty object")
    profiles: dict[str, Profile] = {}
    for name, entry in entries.items():
        if not isinstance(entry, dict):
            raise ConfigurationError(f"profile {name}: must be an object")
        claims = entry.get("claims")
        if not isinstance(claims, list) or not all(c in _VALID_PATHS for c in claims):
            raise ConfigurationError(f"profile {name}: claims must be known claim paths")
        paper, bound = entry.get("paper"), entry.get("verifier_bound")
        if not isinstance(paper, bool) or not isinstance(bound, bool):
            raise ConfigurationError(f"profile {name}: paper and verifier_bound must be booleans")
        if paper and bound:
            raise ConfigurationError(f"profile {name}: a paper QR cannot be verifier-bound")
        description = entry.get("description", "")
        profiles[name] = Profile(name, tuple(claims), paper, bound, str(description))
    return profiles


def load_profiles(path: Path | None = None) -> dict[str, Profile]:
    """Load profiles from ``path`` or the packaged defaults."""
    if path is None:
        text = resources.files("wire").joinpath("profiles.json").read_text("utf-8")
    else:
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise ConfigurationError("profiles file cannot be read") from exc
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ConfigurationError("profiles file is not valid JSON") from exc
    return parse_profiles(document)


def _lookup(claims: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    node: Any = claims
    for name in path.split("."):
        if not isinstance(node, Mapping) or name not in node:
            return False, None
        node = node[name]
    return True, node


def has_claims(claims: Mapping[str, Any], paths: Sequence[str]) -> bool:
    """True if every path is disclosed; an object path needs all its sub-claims."""
    for path in paths:
        present, value = _lookup(claims, path)
        if not present:
            return False
        if path == "residence_address" and not (
            isinstance(value, Mapping) and all(c in value for c in ADDRESS_CLAIMS)
        ):
            return False
    return True


def filter_claims(claims: Mapping[str, Any], profile: Profile) -> dict[str, Any]:
    """Keep only the profile's claims, preserving the credential's nesting (DESIGN §6)."""
    if profile.discloses_everything:
        return dict(claims)
    result: dict[str, Any] = {}
    for path in profile.claims:
        present, value = _lookup(claims, path)
        if not present:
            continue
        *parents, leaf = path.split(".")
        node = result
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = value
    return result
