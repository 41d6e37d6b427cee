"""The Redis the tests use when it is there (127.0.0.1:6379), and how they find out.

Not a conftest and not a test module: conftests and test modules both import it, and pytest's
assertion rewriting is only lost for test modules imported by a conftest.
"""

from __future__ import annotations

import socket
from typing import Final

import pytest

__all__ = ["REDIS_ADDRESS", "REDIS_URL", "needs_redis", "redis_reachable"]

REDIS_ADDRESS: Final = ("127.0.0.1", 6379)
REDIS_URL: Final = "redis://127.0.0.1:6379/0"
_UNREACHABLE: Final = "Redis on 127.0.0.1:6379 is not reachable"


def redis_reachable() -> bool:
    """True when something accepts connections on the Redis port."""
    try:
        with socket.create_connection(REDIS_ADDRESS, timeout=0.5):
            return True
    except OSError:
        return False


def needs_redis() -> list[pytest.MarkDecorator]:
    """A module's ``pytestmark``: marked ``redis`` and skipped, with the reason, without it."""
    return [pytest.mark.redis, pytest.mark.skipif(not redis_reachable(), reason=_UNREACHABLE)]
