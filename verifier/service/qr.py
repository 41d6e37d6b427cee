"""QR rendering of verifier requests (``openid4vp://`` URIs) as PNG, ECC level M.

The request QR is shown on the verifier's screen and scanned by the holder's wallet; the URI
holds lower-case letters and ``%``-escapes, so it is encoded in byte mode.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.constants

__all__ = ["qr_png"]


def qr_png(text: str, *, box_size: int = 5, border: int = 4) -> bytes:
    """A 1-bit PNG of ``text`` as a QR code."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=border
    )
    code.add_data(text.encode("utf-8"))
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()
