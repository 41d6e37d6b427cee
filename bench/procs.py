"""What a server process tree costs the machine: CPU seconds and resident memory, from ``/proc``.

uvicorn with ``--workers`` is a supervisor and its forked workers, so a figure for "the
verifier" must add up the whole family, not only the pid the benchmark started. Linux only.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["child_cpu_seconds", "cpu_seconds", "family", "rss_bytes"]


def _processes() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, user + system CPU seconds so far), from Linux ``/proc``."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return stats


def _family(root: int, stats: dict[int, tuple[int, float]]) -> set[int]:
    family, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [c for c, (parent, _) in stats.items() if parent == pid and c not in family]
        family.update(children)
        frontier.extend(children)
    return family


def family(root: int) -> set[int]:
    """``root`` and all its descendants alive now."""
    return _family(root, _processes())


def child_cpu_seconds(parent: int) -> dict[int, float]:
    """CPU seconds of each direct child of ``parent`` (uvicorn's worker processes)."""
    return {pid: cpu for pid, (ppid, cpu) in _processes().items() if ppid == parent}


def cpu_seconds(root: int) -> float:
    """User + system CPU of ``root`` and all its descendants so far."""
    stats = _processes()
    return sum(stats.get(pid, (0, 0.0))[1] for pid in _family(root, stats))


def rss_bytes(root: int) -> int:
    """Resident set size (``VmRSS``) of ``root`` and its descendants, summed.

    Pages a forked worker still shares with its parent count once per process, so a
    multi-worker figure overstates the machine's use a little; its trend is what matters.
    A process that exits between the listing and the read counts as zero.
    """
    total = 0
    for pid in family(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024  # reported in kB
                break
    return total
