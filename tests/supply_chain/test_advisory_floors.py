"""Issue 7 §6: dependency floors exclude every known advisory, declared and installed.

``bin/audit`` (pip-audit against the live advisory feed) is the authoritative check, but it needs
the network; this test holds the same line offline, from the committed table
``advisory-floors.toml``, so a floor cannot be lowered and a vulnerable install cannot pass CI
silently even where the advisory feed is unreachable.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
ADVISORIES: list[dict[str, Any]] = tomllib.loads(
    (Path(__file__).with_name("advisory-floors.toml")).read_text(encoding="utf-8")
)["advisory"]


def _declared() -> dict[str, SpecifierSet]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(text) for text in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        requirements += [Requirement(text) for text in extra]
    return {canonicalize_name(r.name): r.specifier for r in requirements}


def _lower_bound(specifier: SpecifierSet) -> Version | None:
    bounds = [Version(s.version) for s in specifier if s.operator in {">=", "==", "~=", ">"}]
    return max(bounds, default=None)


@pytest.mark.parametrize("advisory", ADVISORIES, ids=[a["package"] for a in ADVISORIES])
def test_installed_version_is_past_every_known_advisory(advisory: dict[str, Any]) -> None:
    try:
        installed = Version(metadata.version(advisory["package"]))
    except metadata.PackageNotFoundError:
        pytest.skip(f"{advisory['package']} is not installed in this environment")
    assert installed >= Version(advisory["fixed"]), (advisory["package"], advisory["ids"])


@pytest.mark.parametrize(
    "advisory",
    [a for a in ADVISORIES if a.get("direct")],
    ids=[a["package"] for a in ADVISORIES if a.get("direct")],
)
def test_declared_floor_excludes_every_known_advisory(advisory: dict[str, Any]) -> None:
    declared = _declared()
    name = canonicalize_name(advisory["package"])
    assert name in declared, f"{name} must carry an explicit security floor in pyproject.toml"
    floor = _lower_bound(declared[name])
    assert floor is not None, f"{name} is declared without a lower bound"
    assert floor >= Version(advisory["fixed"]), (name, str(floor), advisory["ids"])


def test_the_table_is_well_formed() -> None:
    for advisory in ADVISORIES:
        assert set(advisory) <= {"package", "ids", "fixed", "direct"}
        assert advisory["ids"], advisory["package"]
        Version(advisory["fixed"])  # raises on a typo
    names = [canonicalize_name(a["package"]) for a in ADVISORIES]
    assert len(names) == len(set(names))
