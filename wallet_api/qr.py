"""QR rendering of presentations: PNG and SVG with the ``qrcode`` package (ECC level M).

The payload is the compact ``RP1:`` transport (docs/qr-transport.md): Base45 text, which is
exactly the QR alphanumeric alphabet, so it is encoded in alphanumeric mode (5.5 bits per
character instead of 8). The holder page draws the same payload in the browser
(``static/app.js`` with the vendored ``qrcode-generator``); these server renderings serve
``GET …/qr.png`` and ``…/qr.svg``, the printable paper permit and the PDF.
"""

from __future__ import annotations

import io
import re
from typing import Final

import qrcode
import qrcode.constants
import qrcode.image.svg
import qrcode.util

__all__ = ["qr_matrix", "qr_png", "qr_svg"]

_ALPHANUMERIC: Final = re.compile(r"[0-9A-Z $%*+\-./:]*")


def _code(text: str, *, box_size: int, border: int) -> qrcode.QRCode:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=border
    )
    mode = qrcode.util.MODE_ALPHA_NUM if _ALPHANUMERIC.fullmatch(text) else None
    code.add_data(qrcode.util.QRData(text.encode("utf-8"), mode=mode))
    code.make(fit=True)
    return code


def qr_png(text: str, *, box_size: int = 4, border: int = 4) -> bytes:
    """A 1-bit PNG of ``text`` as a QR code."""
    buffer = io.BytesIO()
    _code(text, box_size=box_size, border=border).make_image().save(buffer)
    return buffer.getvalue()


def qr_svg(text: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """An SVG of ``text`` as one ``<path>`` (compact; scales without blur)."""
    buffer = io.BytesIO()
    image = _code(text, box_size=box_size, border=border).make_image(
        image_factory=qrcode.image.svg.SvgPathImage
    )
    image.save(buffer)
    return buffer.getvalue()


def qr_matrix(text: str, *, border: int = 4) -> list[list[bool]]:
    """The module matrix (True = dark), quiet zone included, e.g. for the PDF."""
    matrix: list[list[bool]] = _code(text, box_size=1, border=border).get_matrix()
    return matrix
