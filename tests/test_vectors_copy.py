"""The vendored spec vectors (``tests/fixtures/vectors``) are an exact copy of ``shared/vectors``.

The conformance tests read the copy, so a clone is self-contained; this test keeps the copy
honest wherever the original sits beside the repository, and says so when it cannot.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.vectors import shared_vectors_dir, vectors_dir


def _files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_the_copy_holds_every_family_of_vectors() -> None:
    copied = _files(vectors_dir())
    for family in (
        "sd-jwt-rfc9901/",
        "sd-jwt-vc/",
        "token-status-list/",
        "sd-jwt-python-testcases/",
        "sd-jwt-js-testcases/",
    ):
        assert any(name.startswith(family) for name in copied), family
    assert "README.md" in copied


@pytest.mark.skipif(
    not shared_vectors_dir().is_dir(), reason="shared/vectors is not beside this clone"
)
def test_the_copy_matches_shared_vectors_byte_for_byte() -> None:
    assert _files(vectors_dir()) == _files(shared_vectors_dir())
