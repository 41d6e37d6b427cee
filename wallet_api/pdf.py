"""A one-page A4 PDF of the paper permit, written directly (no PDF library, no font files).

Why by hand: the page is a title, a dozen labelled fields and one or two QR codes. Chinese text
uses the PDF *predefined* CJK font ``STSong-Light`` with the ``UniGB-UCS2-H`` CMap (ISO 32000-1
§9.7.5.2, Adobe-GB1), which every conforming reader supplies itself, so no font is embedded and
the file stays a few kilobytes; ASCII-only strings use the standard Helvetica. Each QR code is a
grey image XObject with one pixel per module and ``/Interpolate false``, so it prints sharp at
any size and a test can read the very bytes a printer gets.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["PaperField", "PaperQr", "render_paper_pdf"]

_PAGE_W: Final = 595.28  # A4 in points
_PAGE_H: Final = 841.89
_MARGIN: Final = 56.0


@dataclass(frozen=True, slots=True)
class PaperField:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class PaperQr:
    caption: str
    matrix: list[list[bool]]


def _is_ascii(text: str) -> bool:
    return text.isascii() and text.isprintable()


def _runs(text: str) -> list[tuple[bool, str]]:
    """Split into runs of printable ASCII (Helvetica) and everything else (STSong-Light)."""
    runs: list[tuple[bool, str]] = []
    for ch in text:
        ascii_ = _is_ascii(ch)
        if runs and runs[-1][0] == ascii_:
            runs[-1] = (ascii_, runs[-1][1] + ch)
        else:
            runs.append((ascii_, ch))
    return runs


def _text(x: float, y: float, size: float, text: str) -> bytes:
    """One line of text; the position advances from run to run inside one text object."""
    shown: list[str] = []
    for ascii_, run in _runs(text):
        if ascii_:
            escaped = run.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            shown.append(f"/F2 {size:g} Tf ({escaped}) Tj")
        else:
            units = "".join(
                f"{ord(ch):04X}" if ord(ch) <= 0xFFFF and ch.isprintable() else "FFFD" for ch in run
            )
            shown.append(f"/F1 {size:g} Tf <{units}> Tj")
    return f"BT {x:.2f} {y:.2f} Td {' '.join(shown)} ET\n".encode("ascii")


def _image(matrix: list[list[bool]]) -> bytes:
    raw = bytes(0 if dark else 255 for row in matrix for dark in row)
    return zlib.compress(raw, 9)


class _Writer:
    def __init__(self) -> None:
        self.objects: list[bytes] = []

    def add(self, body: bytes) -> int:
        self.objects.append(body)
        return len(self.objects)

    def stream(self, header: str, data: bytes) -> int:
        return self.add(
            f"<< {header} /Length {len(data)} >>\nstream\n".encode("ascii") + data + b"\nendstream"
        )

    def finish(self, root: int) -> bytes:
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(self.objects) + 1}\n0000000000 65535 f \n".encode("ascii")
        for offset in offsets:
            out += f"{offset:010d} 00000 n \n".encode("ascii")
        out += (
            f"trailer\n<< /Size {len(self.objects) + 1} /Root {root} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n"
        ).encode("ascii")
        return bytes(out)


def render_paper_pdf(
    *, title: str, subtitle: str, fields: Sequence[PaperField], qrs: Sequence[PaperQr], note: str
) -> bytes:
    """The paper permit: title, fields (label: value), QR codes with captions, a note."""
    content = bytearray()
    y = _PAGE_H - _MARGIN - 8
    content += _text(_MARGIN, y, 20, title)
    y -= 22
    content += _text(_MARGIN, y, 11, subtitle)
    y -= 30
    for field in fields:
        content += _text(_MARGIN, y, 11, field.label)
        content += _text(_MARGIN + 170, y, 12, field.value)
        y -= 20
    y -= 10
    size = min(220.0, (_PAGE_W - 2 * _MARGIN - 30) / max(1, len(qrs)))
    names: list[str] = []
    for index, qr in enumerate(qrs):
        x = _MARGIN + index * (size + 30)
        names.append(f"/Q{index} ")
        content += f"q {size:.2f} 0 0 {size:.2f} {x:.2f} {y - size:.2f} cm /Q{index} Do Q\n".encode(
            "ascii"
        )
        content += _text(x, y - size - 16, 11, qr.caption)
    content += _text(_MARGIN, _MARGIN, 9, note)

    writer = _Writer()
    writer.add(b"<< /Type /Catalog /Pages 2 0 R >>")  # 1
    writer.add(b"")  # 2: Pages, filled in below once the page number is known
    descriptor = writer.add(
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 880 /StemV 93 >>"
    )
    cid_font = writer.add(
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
        + f"/FontDescriptor {descriptor} 0 R /DW 1000 /W [1 95 500] >>".encode("ascii")
    )
    cjk = writer.add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        + f"/DescendantFonts [{cid_font} 0 R] >>".encode("ascii")
    )
    latin = writer.add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    images = [
        writer.stream(
            f"/Type /XObject /Subtype /Image /Width {len(qr.matrix[0])} "
            f"/Height {len(qr.matrix)} /ColorSpace /DeviceGray /BitsPerComponent 8 "
            "/Interpolate false /Filter /FlateDecode",
            _image(qr.matrix),
        )
        for qr in qrs
    ]
    body = writer.stream("/Filter /FlateDecode", zlib.compress(bytes(content), 9))
    xobjects = " ".join(f"{name}{number} 0 R" for name, number in zip(names, images, strict=True))
    page = writer.add(
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_PAGE_W} {_PAGE_H}] "
            f"/Resources << /Font << /F1 {cjk} 0 R /F2 {latin} 0 R >> "
            f"/XObject << {xobjects} >> >> /Contents {body} 0 R >>"
        ).encode("ascii")
    )
    writer.objects[1] = f"<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>".encode("ascii")
    return writer.finish(1)
