"""Where the read-only spec test vectors live (README of ``shared/vectors``).

The repository is checked out beside ``shared/`` (locally ``/work/main`` and ``/work/shared``;
in CI ``shared/`` sits next to the clone), so the path is computed from this file.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["vectors_dir"]


def vectors_dir() -> Path:
    """``<parent of the repository>/shared/vectors``."""
    # parents: [0] tests, [1] the repository root, [2] the directory that holds it.
    return Path(__file__).resolve().parents[2] / "shared" / "vectors"
