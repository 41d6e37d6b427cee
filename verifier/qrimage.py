"""Reading a QR code out of a photo or screenshot, with bounded work.

zxing-cpp does the decoding (a maintained decoder, not ours). Images are bounded by file size
and pixel count before they are decoded, so a crafted PNG cannot exhaust memory.
"""

from __future__ import annotations

import io

from wire.errors import PermitError

__all__ = ["MAX_IMAGE_BYTES", "MAX_IMAGE_PIXELS", "QrImageError", "decode_qr_image"]

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000


class QrImageError(PermitError):
    """The image could not be turned into QR text; ``code`` says why."""

    code = "qr_unreadable"
    default_message = "no readable QR code in the image"


class QrImageTooLarge(QrImageError):
    code = "image_too_large"
    default_message = "image is too large"


class QrNotFound(QrImageError):
    code = "qr_not_found"
    default_message = "no QR code found in the image"


def decode_qr_image(data: bytes) -> str:
    """Text of the (first) QR code in an image file's bytes."""
    if len(data) > MAX_IMAGE_BYTES:
        raise QrImageTooLarge()
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise QrImageTooLarge()
            image.load()
            rgb = image.convert("L")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own check runs inside ``Image.open``, before ours, for declared sizes above
        # its limit (the warning is an exception where warnings are errors): still too large.
        raise QrImageTooLarge() from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise QrImageError() from exc
    import zxingcpp

    results = zxingcpp.read_barcodes(
        rgb, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    for result in results:
        if result.valid and result.text:
            return str(result.text)
    raise QrNotFound()
