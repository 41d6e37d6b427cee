"""The whole catalogue: every case of every category, in the order the docs list them."""

from __future__ import annotations

from collections import Counter

from tests.adversarial.case import Case
from tests.adversarial.cases_disclosures import DISCLOSURES, PROFILE
from tests.adversarial.cases_encoding import STRICT_ENCODING
from tests.adversarial.cases_header import ALG, CRIT, HEADER_KEYS, KID, TYPE
from tests.adversarial.cases_holder import CNF_KEY, KB_JWT, KB_REPLAY
from tests.adversarial.cases_image import IMAGES
from tests.adversarial.cases_payload import SIZE, TIMES
from tests.adversarial.cases_signature import SIGNATURE
from tests.adversarial.cases_status import SSRF, STATUS_LIST
from tests.adversarial.cases_transport import QR_TRANSPORT

__all__ = ["CASES", "CATEGORIES", "IMAGES", "counts", "on"]

CASES: tuple[Case, ...] = (
    *TYPE,
    *ALG,
    *CRIT,
    *HEADER_KEYS,
    *KID,
    *SIGNATURE,
    *CNF_KEY,
    *TIMES,
    *DISCLOSURES,
    *PROFILE,
    *KB_JWT,
    *KB_REPLAY,
    *STATUS_LIST,
    *SSRF,
    *STRICT_ENCODING,
    *SIZE,
    *QR_TRANSPORT,
)

#: The categories in the order docs/verifier.md ("Adversarial suite") lists them with counts.
CATEGORIES: tuple[str, ...] = (
    "type",
    "alg",
    "crit",
    "header-keys",
    "kid",
    "signature",
    "cnf-key",
    "times",
    "disclosures",
    "profile",
    "kb-jwt",
    "kb-replay",
    "status-list",
    "ssrf",
    "strict-encoding",
    "size",
    "qr-transport",
    "image",
)


def on(surface: str) -> list[Case]:
    """The cases a surface runs."""
    return [case for case in CASES if surface in case.surfaces]


def counts() -> Counter[str]:
    """Cases per category (images included)."""
    tally = Counter(case.category for case in CASES)
    tally.update(image.category for image in IMAGES)
    return tally
