"""Verification records without personal data (issue 5 §6).

Each verification becomes one structured log line on the ``verifier.records`` logger: when,
which channel and account, the profile, the issuer, the result and the reason. Never a name,
an ID number, a claim value, a presentation, a nonce or a key: the record is built from a
fixed set of fields of the DESIGN §6 result, not from the input, so nothing else can leak into
it. The message is a JSON object, one per line, ready for a log shipper.
"""

from __future__ import annotations

import functools
import json
import logging
from datetime import UTC, datetime
from typing import Any, Final, Literal

from wire.verify import VerificationResult

__all__ = ["RECORDS_LOGGER", "Channel", "record_verification", "verification_record"]

RECORDS_LOGGER: Final = "verifier.records"
Channel = Literal["text", "image", "request"]
_log = logging.getLogger(RECORDS_LOGGER)


@functools.lru_cache(maxsize=4)
def _iso(now: int) -> str:
    """RFC 3339 UTC; memoised, as every record of the same second shares it."""
    return datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")


def verification_record(
    result: VerificationResult, *, channel: Channel, account: str | None, now: int
) -> dict[str, Any]:
    """The fields kept for one verification (no personal data by construction)."""
    return {
        "event": "verification",
        "time": _iso(now),
        "channel": channel,
        "account": account,
        "profile": result.profile,
        "issuer": result.issuer,
        "result": "valid" if result.valid else "rejected",
        "reason": result.reason,
    }


def record_verification(
    result: VerificationResult, *, channel: Channel, account: str | None, now: int
) -> None:
    """Log one verification record at INFO (``serve_verifier`` routes it to stdout)."""
    if not _log.isEnabledFor(logging.INFO):
        return
    fields = verification_record(result, channel=channel, account=account, now=now)
    _log.info(_dumps(fields))


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
