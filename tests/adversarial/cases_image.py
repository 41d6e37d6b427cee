"""QR images: ``POST /v1/verify/image`` and ``permit verify IMAGE`` (docs/verifier.md).

An image is bounded before it is decoded (verifier/qrimage.py): more than 10 MiB or a declared
size over 40 Mpixel is ``image_too_large`` (HTTP 413; CLI exit 2), whatever the file claims —
including sizes so absurd that Pillow's own bomb check trips first; a file that is not a
readable image is ``qr_unreadable`` and one without a QR code ``qr_not_found`` (HTTP 422; CLI
exit 2). A QR code that decodes goes through the same pipeline as text (HTTP 200 and the
DESIGN §6 reason; CLI exit 0/1). The CLI takes a file that does not start with an image
signature as a text file holding the presentation.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import qrcode
import qrcode.constants
import qrcode.util
from PIL import Image

from tests.adversarial.builders import header, valid
from tests.adversarial.world import Ctx
from verifier.qrimage import MAX_IMAGE_BYTES
from wire.qrcodec import encode_qr_payload

__all__ = ["IMAGES", "ImageCase"]


@dataclass(frozen=True, slots=True)
class ImageCase:
    """An uploaded or named image file and what each surface answers.

    ``service``: (HTTP status, problem ``code`` — or the DESIGN §6 reason when 200);
    ``cli``: (exit status, DESIGN §6 reason when 0/1 — or a fragment of the error when 2).
    """

    id: str
    build: Callable[[Ctx], bytes]
    service: tuple[int, str | None]
    cli: tuple[int, str | None]
    category: str = "image"

    @property
    def fetches(self) -> bool:
        return self.service == (200, None)


def _png(width: int, height: int, *, depth: int = 1, data: bytes = b"\x00" * 64) -> bytes:
    """A PNG that *declares* ``width`` x ``height`` (only the header matters to the bound)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, depth, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(data))
        + chunk(b"IEND", b"")
    )


def _gif(width: int, height: int) -> bytes:
    """A 1 x 1 GIF whose screen and image descriptors declare ``width`` x ``height``."""
    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, "GIF")
    data = bytearray(buffer.getvalue())
    size = struct.pack("<HH", width, height)
    data[6:10] = size  # logical screen descriptor
    descriptor = data.index(b"\x2c")  # image descriptor: left, top, width, height
    data[descriptor + 5 : descriptor + 9] = size
    return bytes(data)


@functools.cache
def _real_bomb() -> bytes:
    """A real 8000 x 6000 (48 Mpixel) 1-bit PNG: a few kilobytes that decode to 48 MB."""
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000), 1).save(buffer, "PNG")
    return buffer.getvalue()


def _qr(text: str) -> bytes:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4)
    # Byte mode: qrcode's alphanumeric encoder fails ("glog(0)") on some long Base45 texts.
    code.add_data(qrcode.util.QRData(text.encode(), mode=qrcode.util.MODE_8BIT_BYTE))
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().get_image().convert("L").save(buffer, "PNG")
    return buffer.getvalue()


def _blank() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (120, 160, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def _fixed(data: bytes | Callable[[], bytes]) -> Callable[[Ctx], bytes]:
    return lambda _ctx: data() if callable(data) else data


TOO_LARGE = (413, "image_too_large")
CLI_TOO_LARGE = (2, "image is too large")
UNREADABLE = (422, "qr_unreadable")
CLI_UNREADABLE = (2, "no readable QR code")

IMAGES: list[ImageCase] = [
    ImageCase(
        "qr-of-a-genuine-presentation-accepted",
        lambda ctx: _qr(encode_qr_payload(valid()(ctx))),
        (200, None),
        (0, None),
    ),
    ImageCase(
        "qr-of-an-alg-none-presentation",
        lambda ctx: _qr(encode_qr_payload(header(alg="none")(ctx))),
        (200, "unsupported_alg"),
        (1, "unsupported_alg"),
    ),
    ImageCase(
        "qr-of-an-rp1-compression-bomb",
        _fixed(lambda: _qr(encode_qr_payload("A" * 100_000))),
        (200, "payload_too_large"),
        (1, "payload_too_large"),
    ),
    ImageCase("png-bomb-48-mpx", _fixed(_real_bomb), TOO_LARGE, CLI_TOO_LARGE),
    ImageCase("png-declares-40-mpx-plus", _fixed(_png(8000, 5001)), TOO_LARGE, CLI_TOO_LARGE),
    ImageCase(
        "png-declares-exactly-40-mpx-then-fails-to-decode",
        _fixed(_png(8000, 5000)),
        UNREADABLE,
        CLI_UNREADABLE,
    ),
    ImageCase("png-declares-100-mpx", _fixed(_png(10_000, 10_000)), TOO_LARGE, CLI_TOO_LARGE),
    ImageCase("png-declares-10-gpx", _fixed(_png(100_000, 100_000)), TOO_LARGE, CLI_TOO_LARGE),
    ImageCase(
        "png-declares-2-pow-31-square",
        _fixed(_png(2**31 - 1, 2**31 - 1)),
        TOO_LARGE,
        CLI_TOO_LARGE,
    ),
    ImageCase("gif-declares-65535-square", _fixed(_gif(65535, 65535)), TOO_LARGE, CLI_TOO_LARGE),
    ImageCase(
        "upload-10-mib-plus-1",
        _fixed(b"\xff\xd8\xff" + b"\x00" * (MAX_IMAGE_BYTES - 2)),
        TOO_LARGE,
        CLI_TOO_LARGE,
    ),
    ImageCase(
        "upload-over-the-body-limit",
        _fixed(b"\xff\xd8\xff" + b"\x00" * (MAX_IMAGE_BYTES + 128 * 1024)),
        (413, "payload_too_large"),
        CLI_TOO_LARGE,
    ),
    ImageCase("truncated-png", _fixed(lambda: _blank()[:200]), UNREADABLE, CLI_UNREADABLE),
    ImageCase(
        "gif-magic-then-garbage", _fixed(b"GIF89a this is not an image"), UNREADABLE, CLI_UNREADABLE
    ),
    ImageCase("image-without-a-qr-code", _fixed(_blank), (422, "qr_not_found"), (2, "no QR code")),
    ImageCase("text-bytes", _fixed(b"hello world"), UNREADABLE, (1, "malformed")),
    ImageCase("empty-file", _fixed(b""), UNREADABLE, (1, "malformed")),
    ImageCase(
        "svg-with-external-reference",
        _fixed(
            b'<svg xmlns="http://www.w3.org/2000/svg"><image href="http://169.254.169.254/"/></svg>'
        ),
        UNREADABLE,
        (1, "malformed"),
    ),
]
