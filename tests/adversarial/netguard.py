"""Every outbound connection a verification attempts, seen through a CPython audit hook.

A presentation names URLs (status list URIs, ``jku``/``x5u`` headers, ``kid`` values that look
like paths or URLs); the verifier may fetch exactly one of them — a status list under the
issuer's prefix (DESIGN §5) — and nothing else, ever. Mocking the HTTP client would only prove
what the mock saw; the audit hook sees every ``socket.connect`` and ``getaddrinfo`` of the
process, whichever library or thread makes it.

Audit hooks cannot be removed, so the hook is installed once and does nothing unless a
:func:`guard` is active. Inside one, a connection to an address that is not allowed is recorded
and refused before it leaves the machine (``PermissionError``), so an SSRF bug fails the test
instead of reaching a cloud metadata service.
"""

from __future__ import annotations

import ipaddress
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Connections", "guard"]


@dataclass
class Connections:
    """What happened while a guard was active."""

    allowed: frozenset[tuple[str, int]]
    #: Every ``socket.connect`` destination (host, port) — allowed or not.
    connects: list[tuple[Any, ...]] = field(default_factory=list)
    #: Every host name resolved (``socket.getaddrinfo``).
    lookups: list[str] = field(default_factory=list)

    @property
    def refused(self) -> list[tuple[Any, ...]]:
        return [c for c in self.connects if c not in self.allowed]


_lock = threading.Lock()
_active: list[Connections] = []
_installed = False


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _active or event not in ("socket.connect", "socket.getaddrinfo"):
        return
    current = _active[-1]
    if event == "socket.getaddrinfo":
        host = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
        with _lock:
            current.lookups.append(host)
        if not _is_address(host):  # a name would be resolved through DNS: off the machine
            raise PermissionError("name lookup refused by the adversarial suite's guard")
        return
    address = args[1]
    destination = tuple(address) if isinstance(address, tuple) else (address,)
    with _lock:
        current.connects.append(destination)
    if destination[:2] not in current.allowed:
        raise PermissionError("connection refused by the adversarial suite's guard")


@contextmanager
def guard(*allowed: tuple[str, int]) -> Iterator[Connections]:
    """Record (and refuse all but ``allowed``) outbound connections inside the block."""
    global _installed  # noqa: PLW0603 (one hook per process, by the nature of audit hooks)
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
    seen = Connections(frozenset(allowed))
    _active.append(seen)
    try:
        yield seen
    finally:
        _active.remove(seen)
