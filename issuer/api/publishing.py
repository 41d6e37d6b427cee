"""Dependencies of the issuance side: the signing key ring and the status publisher.

Both are built once by ``create_app`` and kept on ``app.state`` (no module globals); tests pass
their own ring to ``create_app`` instead of patching anything.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from issuer.publisher import StatusPublisher
from keys.ring import KeyRing

__all__ = ["PublisherDep", "RingDep", "get_publisher", "get_ring"]


def get_ring(request: Request) -> KeyRing:
    """The application's credential-signing key ring."""
    ring: KeyRing = request.app.state.signing_ring
    return ring


def get_publisher(request: Request) -> StatusPublisher:
    """The application's status publisher."""
    publisher: StatusPublisher = request.app.state.status_publisher
    return publisher


RingDep = Annotated[KeyRing, Depends(get_ring)]
PublisherDep = Annotated[StatusPublisher, Depends(get_publisher)]
