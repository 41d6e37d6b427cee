"""Reading a QR code (a credential offer or a verifier request) from an uploaded image.

zxing-cpp does the decoding. The image is bounded by bytes and pixels before it is decoded, so
a crafted file cannot exhaust memory. (The verifier has its own reader; the wallet does not
import verifier code, DESIGN §1.)
"""

from __future__ import annotations

import io
from typing import Final

from wire.errors import InvalidInput, PayloadTooLarge

__all__ = ["MAX_IMAGE_BYTES", "MAX_IMAGE_PIXELS", "read_qr_image"]

MAX_IMAGE_BYTES: Final = 10 * 1024 * 1024
MAX_IMAGE_PIXELS: Final = 40_000_000


def read_qr_image(data: bytes) -> str:
    """Text of the first QR code in an image file's bytes (PNG, JPEG, GIF, BMP, WebP)."""
    if len(data) > MAX_IMAGE_BYTES:
        raise PayloadTooLarge("the image is too large")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise PayloadTooLarge("the image has too many pixels")
            image.load()
            gray = image.convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise InvalidInput("the file is not a readable image", field="image") from None
    import zxingcpp

    results = zxingcpp.read_barcodes(
        gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    for result in results:
        if result.valid and result.text:
            return str(result.text)
    raise InvalidInput("no readable QR code in the image", field="image")
