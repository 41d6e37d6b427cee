"""What an ``RP1`` payload becomes as a QR code: its version at error correction M (the
targets of docs/qr-transport.md) and a real decoder reading the image back.

``python -m tests.wire.test_qrcodec_qr_code`` prints the size table of docs/qr-transport.md.
"""

from __future__ import annotations

import json

import pytest
import qrcode
import zxingcpp

from tests.wire.qrcodec_helpers import AUDIENCES, PROFILES, make_presentation
from wire.qrcodec import decode_qr_payload, encode_qr_payload


def qr_version(text: str) -> int:
    """QR version at error correction M, or 41 when not even version 40 holds the text."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    try:
        qr.make(fit=True)
    except ValueError:  # qrcode's DataOverflowError / invalid version 41
        return 41
    return int(qr.version)


def measure(profile: str, alg: str = "ES256") -> dict[str, int]:
    plain = make_presentation(PROFILES[profile], alg=alg, aud=AUDIENCES[profile])
    compact = encode_qr_payload(plain)
    assert decode_qr_payload(compact) == plain
    return {
        "plain_chars": len(plain),
        "plain_version": qr_version(plain),
        "compact_chars": len(compact),
        "compact_version": qr_version(compact),
    }


def test_landlord_fits_version_25_and_compact_always_beats_plain() -> None:
    sizes = {profile: measure(profile) for profile in PROFILES}
    assert sizes["landlord"]["compact_version"] <= 25
    for profile in ("school", "bank", "agency", "landlord"):
        assert sizes[profile]["compact_chars"] < sizes[profile]["plain_chars"]
        assert sizes[profile]["compact_version"] < sizes[profile]["plain_version"]
    # Even with every claim disclosed the compact form stays a phone-scannable QR code.
    assert sizes["agency"]["compact_version"] <= 26


def test_eddsa_landlord_fits_version_25() -> None:
    assert measure("landlord", "EdDSA")["compact_version"] <= 25


@pytest.mark.parametrize("profile", ["landlord", "agency"])
def test_qr_image_round_trip_through_a_real_decoder(profile: str) -> None:
    compact = encode_qr_payload(make_presentation(PROFILES[profile], aud=AUDIENCES[profile]))
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=3, border=4)
    qr.add_data(compact)
    qr.make(fit=True)
    image = qr.make_image().get_image()
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [compact]
    assert decode_qr_payload(results[0].text) == decode_qr_payload(compact)


if __name__ == "__main__":  # pragma: no cover - prints the table of docs/qr-transport.md
    for alg in ("ES256", "EdDSA"):
        for profile in PROFILES:
            print(alg, profile, json.dumps(measure(profile, alg)))
