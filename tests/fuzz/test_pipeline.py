"""Fuzzing ``check_presentation`` with input that is not a presentation (DESIGN §6).

Arbitrary text, text with the presentation's own structure (``~`` and ``.`` separated
base64url of near-JSON), and QR transport payloads as the verifier service unwraps them: each
must end in a result with one of the 21 reason codes and no claims — never an exception.
tests/fuzz/test_pipeline_mutations.py does the same from valid presentations outwards.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.pipeline import check
from tests.fuzz.strategies import attempt, b64u_segments, fuzz_settings, hostile_text
from tests.wire.conftest import BANK, NOW, issue, present
from wire.base45 import B45_ALPHABET, b45encode
from wire.errors import Malformed, PayloadTooLarge, PermitError
from wire.qrcodec import PREFIX, encode_qr_payload, presentation_from_transport

_PROFILES = st.sampled_from(["landlord", "any", "bank", "school"])
_SEGMENT = (
    st.integers(1, 4).flatmap(b64u_segments)
    | st.text(alphabet="AQgw-_=+/. ", max_size=12)
    | st.just("")
)


@st.composite
def _structured_texts(draw: st.DrawFn) -> str:
    segments = draw(st.lists(_SEGMENT, min_size=1, max_size=6))
    text = "~".join(segments)
    return text + draw(st.sampled_from(["", "~", "\n", "\r\n", "\n\n", "é", "\x00"]))


def _check(text: str, profile: str) -> None:
    bound = profile == "bank"
    result = check(
        text,
        profile,
        now=NOW,
        audience=BANK if bound else None,
        nonce="nonce-0001" if bound else None,
    )
    assert not result.valid


@fuzz_settings(100)
@given(hostile_text(60) | _structured_texts(), _PROFILES)
def test_arbitrary_text_is_rejected_with_a_reason_code(text: str, profile: str) -> None:
    _check(text, profile)


_VALID = present(issue(seed=21))


@fuzz_settings(60)
@given(
    st.sampled_from([1, 100, len(_VALID) - 1, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 40_000]),
    st.sampled_from(["A", "~", "é", "\ud800", ".~", "~" * 70]),
    _PROFILES,
)
def test_cut_and_padded_presentations_are_rejected_with_a_reason_code(
    size: int, unit: str, profile: str
) -> None:
    """A valid presentation cut to ``size`` characters or padded up to it, around the 16 KiB
    and 64-disclosure limits."""
    text = (_VALID + unit * (size // len(unit)))[:size]
    _check(text, profile)


@st.composite
def _qr_texts(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["raw", "wrapped", "alphabet"]))
    if kind == "wrapped":
        return encode_qr_payload(draw(hostile_text(40) | _structured_texts()))
    if kind == "alphabet":
        return PREFIX + draw(st.text(alphabet=B45_ALPHABET, max_size=80))
    return PREFIX + b45encode(draw(st.binary(max_size=60)))


@fuzz_settings(80)
@given(_qr_texts(), _PROFILES)
def test_qr_payloads_unwrap_to_a_text_or_a_reason_code(text: str, profile: str) -> None:
    """The verifier service and CLI unwrap ``RP1:`` first (DESIGN §3); that step has only
    ``malformed`` and ``payload_too_large``, and what it yields is judged like any text."""
    plain = attempt(lambda: presentation_from_transport(text))
    if isinstance(plain, PermitError):
        assert type(plain) in (Malformed, PayloadTooLarge)
    else:
        _check(plain, profile)
