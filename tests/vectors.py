"""Where the spec test vectors live: ``tests/fixtures/vectors``, a copy of ``shared/vectors``.

The vectors are data files (upstream spec examples and test cases; sources and commits in that
folder's README). They are kept in the repository, like joserfc's ``tests/fixtures``, so a clone
tests the same way wherever it is checked out — CI clones it without ``shared/`` beside it.
:func:`shared_vectors_dir` names the team's read-only original when it is there, and
``tests/test_vectors_copy.py`` then checks that the copy has not drifted from it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["shared_vectors_dir", "vectors_dir"]


def vectors_dir() -> Path:
    """``tests/fixtures/vectors`` of this repository."""
    return Path(__file__).resolve().parent / "fixtures" / "vectors"


def shared_vectors_dir() -> Path:
    """``<parent of the repository>/shared/vectors``: the original, present on the team's
    machines (``/work/main`` beside ``/work/shared``), absent from a bare clone."""
    # parents: [0] tests, [1] the repository root, [2] the directory that holds it.
    return Path(__file__).resolve().parents[2] / "shared" / "vectors"
