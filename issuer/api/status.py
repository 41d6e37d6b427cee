"""``GET /status/{list_id}``: signed Token Status Lists (draft-ietf-oauth-status-list §8).

Served as stored (rebuilt only when entries change or the token nears expiry, see
:mod:`issuer.services.status_tokens`), with ``Content-Type: application/statuslist+jwt``,
``Cache-Control: max-age=<ttl>`` and a strong ``ETag``; a matching ``If-None-Match`` answers
304 without a body. The list URIs all start with ``<public_base_url>/status/``, the prefix
to publish as the issuer's ``status_list_prefixes`` in the trust list (DESIGN §5).
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Header, Path
from fastapi.responses import Response

from issuer.api.deps import NowDep, SessionDep
from issuer.api.publishing import RingDep
from issuer.services.status_tokens import served_token
from issuer.settings import SettingsDep

__all__ = ["STATUS_LIST_MEDIA_TYPE", "etag_matches", "router"]

STATUS_LIST_MEDIA_TYPE: Final = "application/statuslist+jwt"

router = APIRouter(tags=["status"])
_DOCUMENTED: Final[dict[int | str, dict[str, Any]]] = {
    200: {"content": {STATUS_LIST_MEDIA_TYPE: {"schema": {"type": "string"}}}},
    304: {"description": "Not Modified: the client's copy (If-None-Match) is current"},
}


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison against each listed tag, or ``*``."""
    if if_none_match is None:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


@router.get("/status/{list_id}", response_class=Response, responses=_DOCUMENTED)
def get_status_list(
    list_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
    settings: SettingsDep,
    ring: RingDep,
    now: NowDep,
    if_none_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> Response:
    """The list's signed ``statuslist+jwt``; 304 when the client's copy is current."""
    served = served_token(session=session, list_id=list_id, ring=ring, settings=settings, now=now)
    etag = f'"{served.etag}"'
    headers = {"ETag": etag, "Cache-Control": f"max-age={served.max_age}"}
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(served.token, media_type=STATUS_LIST_MEDIA_TYPE, headers=headers)
