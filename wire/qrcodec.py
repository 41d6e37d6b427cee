"""Compact, lossless QR transport of SD-JWT presentations (format ``RP1``, docs/qr-transport.md).

Why: a landlord presentation is about 2.6 KB of base64url; at error correction M that does not
fit even a version 40 QR code, and dense codes scan badly from a phone screen at a counter. Most
of those bytes are base64url wrapped around JSON wrapped in base64url, and 43-character digests
the verifier could recompute. So the presentation is taken apart along its own structure:
base64url is undone, random values (salts, digests, keys, signatures) go raw into a side table,
digests of disclosures that are present, the KB-JWT ``sd_hash`` and a P-256 ``y`` are replaced by
references and recomputed, and the remaining JSON skeleton is DEFLATE-compressed with a preset
dictionary of the credential's vocabulary. The landlord presentation then fits version 25.
The bytes are written as Base45 so the QR code uses alphanumeric mode.

The transport is lossless for every Python ``str``: input that does not fit the structure is
DEFLATE-compressed as plain text instead. Decoding is strict and bounded — every defect is
:class:`~wire.errors.Malformed`, and output beyond ``max_output`` bytes is
:class:`~wire.errors.PayloadTooLarge` before it is inflated. The verifier accepts this form and
the plain ``~``-separated presentation alike (DESIGN §3): see :func:`presentation_from_transport`.
"""

from __future__ import annotations

import hashlib
import re
import zlib

from wire.base45 import b45decode, b45encode
from wire.encoding import b64u_decode, b64u_encode
from wire.errors import Malformed, PayloadTooLarge

__all__ = [
    "MAX_OUTPUT",
    "PREFIX",
    "ZDICT",
    "decode_qr_payload",
    "encode_qr_payload",
    "is_qr_payload",
    "presentation_from_transport",
]

#: Marks a compact payload; the digit is the format version. A plain presentation never starts
#: with it, because ``:`` is not a base64url character.
PREFIX = "RP1:"
#: Default bound on a decoded presentation in UTF-8 bytes: the 16 KiB limit of DESIGN §6.
MAX_OUTPUT = 16 * 1024

_MODE_TEXT = 0x00  # body: raw DEFLATE of the UTF-8 text
_MODE_PACKED = 0x01  # body: raw DEFLATE of the skeleton, then the side table

# Skeleton opcodes. Every byte below _RESERVED is an opcode; all other bytes are content.
_SEG = 0x00  # "~" between segments
_PART = 0x01  # "." between parts of a segment
_STR = 0x02  # varint n: '"' + base64url(next n side-table bytes) + '"'
_DIGEST = 0x03  # varint j: '"' + base64url(SHA-256(ASCII of segment j)) + '"'
_SDHASH = 0x04  # '"' + base64url(SHA-256(presentation up to and including its last "~")) + '"'
_RAW = 0x05  # varint n: the next n side-table bytes themselves
_LIT = 0x06  # first in a part: the part's content is its literal text, not decoded bytes
_ECY_EVEN = 0x07  # '"' + base64url(P-256 y for the preceding x, y even) + '"'
_ECY_ODD = 0x08  # same, y odd
_RESERVED = 0x09

_OPCODE = re.compile(rb"[\x00-\x08]")
_TOKEN = re.compile(rb'"([A-Za-z0-9_-]{22,})"')
_PACKABLE = re.compile(r"[A-Za-z0-9_.~-]*")
_LITERAL = re.compile(rb"[A-Za-z0-9_-]*")
_QUOTED_LEN = 45  # '"' + 43 characters of base64url SHA-256 + '"'

# NIST P-256 (SEC 2 §2.4.2): y^2 = x^3 - 3x + b over GF(p), p = 3 mod 4.
_P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
_P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B


#: Preset DEFLATE dictionary of format version 1 (RFC 1951 §3.2 window contents before the
#: first byte). It is part of the format: never change it within a version. Fragments near the
#: end are cheapest to refer to, so the most frequent skeleton text comes last.
ZDICT: bytes = b"".join(
    (
        # Provinces (hukou_address), Shanghai districts (residence_address), address and authority
        # words, in UTF-8.
        "北京市天津市河北省山西省内蒙古自治区辽宁省吉林省黑龙江省江苏省浙江省安徽省福建省".encode(),
        "江西省山东省河南省湖北省湖南省广东省广西壮族自治区海南省重庆市四川省贵州省云南省".encode(),
        "西藏自治区陕西省甘肃省青海省宁夏回族自治区新疆维吾尔自治区".encode(),
        "黄浦区徐汇区长宁区静安区普陀区虹口区杨浦区闵行区宝山区嘉定区浦东新区金山区松江区".encode(),
        "青浦区奉贤区崇明区街道镇乡村大道路号弄室栋单元上海市公安局分局派出所".encode(),
        b'"region_code","31","street","',
        b'"hukou_address","","birth_date","19","id_number","',
        b'"sex","M"]\x00[\x02\x10,"sex","F"]\x00[\x02\x10,"age_over_60",false]\x00[\x02\x10,',
        b'"age_over_18",true]\x00[\x02\x10,"permit_no","',
        b'"issuing_authority","',
        b'{"alg":"EdDSA","typ":"kb+jwt"}\x01{"iat":17,"aud":"',
        b'{"kty":"OKP","crv":"Ed25519","x":\x02 }}',
        b'"first_issued","20"]\x00[\x02\x10,"endorsed_until","20',
        b'"]\x00[\x02\x10,"district","',
        b'"]\x00[\x02\x10,"residence_address",{"_sd":[\x02 ,\x02 ,\x02 ,\x02 ]}]\x00[\x02\x10,',
        b'"permit_class","temporary"]\x00[\x02\x10,"permit_class","talent"]\x00[\x02\x10,',
        b'"permit_class","standard"]\x00[\x02\x10,"name","',
        b'{"alg":"ES256","typ":"dc+sd-jwt","kid":\x02 }\x01',
        b'{"iss":"https://","iat":17,"exp":17,"vct":"urn:residence-permit:cn:v1",',
        b'"_sd_alg":"sha-256","cnf":{"jwk":{"kty":"EC","crv":"P-256","x":\x02 ,"y":\x07}},',
        b'"status":{"status_list":{"idx":,"uri":"https:///status/"}},',
        b'"_sd":[\x02 ,\x02 ,\x02 ,\x03\x01,\x02 ,\x02 ,\x02 ,\x02 ]}\x01\x05@\x00',
        b'{"alg":"ES256","typ":"kb+jwt"}\x01{"iat":17,"aud":"urn:residence-permit:qr",',
        b'"nonce":\x02\x10,"sd_hash":\x04}\x01\x05@',
    )
)


# --- encoding ----------------------------------------------------------------------------


def encode_qr_payload(presentation: str) -> str:
    """The compact QR form of any text: ``RP1:`` + Base45 of the smaller of the two modes."""
    text = presentation.encode("utf-8", "surrogatepass")
    best = bytes([_MODE_TEXT]) + _deflate(text)
    packed = _pack(presentation, len(text))
    if packed is not None and len(packed) < len(best):
        best = packed
    return PREFIX + b45encode(best)


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, ZDICT)
    return compressor.compress(data) + compressor.flush()


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _b64u_or_none(text: str) -> bytes | None:
    try:
        return b64u_decode(text, Malformed)
    except Malformed:
        return None


def _p256_y(x: bytes, odd: bool) -> bytes | None:
    """The y coordinate of the P-256 point with this x and y parity, if there is one."""
    xi = int.from_bytes(x, "big")
    if len(x) != 32 or xi >= _P256_P:
        return None
    rhs = (pow(xi, 3, _P256_P) - 3 * xi + _P256_B) % _P256_P
    y = pow(rhs, (_P256_P + 1) // 4, _P256_P)
    if y * y % _P256_P != rhs:
        return None
    if y % 2 != odd:
        y = _P256_P - y
    return y.to_bytes(32, "big")


class _Packer:
    """Builds the skeleton and side table of one presentation (docs/qr-transport.md §4)."""

    def __init__(self, segments: list[str], prefix: str) -> None:
        self.last = len(segments) - 1
        self.digests: dict[bytes, int] = {}
        for j, segment in enumerate(segments):
            self.digests.setdefault(hashlib.sha256(segment.encode("ascii")).digest(), j)
        self.sd_hash = hashlib.sha256(prefix.encode("ascii")).digest()
        self.skeleton = bytearray()
        self.side = bytearray()

    def part(self, index: int, part: str) -> None:
        raw = _b64u_or_none(part)
        if raw is None:
            self.skeleton.append(_LIT)
            self.skeleton += part.encode("ascii")
        elif _is_text(raw):
            self.text(index, raw)
        else:
            self.skeleton.append(_RAW)
            self.skeleton += _varint(len(raw))
            self.side += raw

    def text(self, index: int, raw: bytes) -> None:
        pos = 0
        previous = b""
        for match in _TOKEN.finditer(raw):
            value = _b64u_or_none(match.group(1).decode("ascii"))
            if value is None:
                continue
            self.skeleton += raw[pos : match.start()]
            pos = match.end()
            target = self.digests.get(value, index)
            if target != index:
                self.skeleton.append(_DIGEST)
                self.skeleton += _varint(target)
            elif index == self.last and value == self.sd_hash:
                self.skeleton.append(_SDHASH)
            elif len(value) == 32 and _p256_y(previous, value[-1] & 1 == 1) == value:
                self.skeleton.append(_ECY_ODD if value[-1] & 1 else _ECY_EVEN)
            else:
                self.skeleton.append(_STR)
                self.skeleton += _varint(len(value))
                self.side += value
                previous = value
        self.skeleton += raw[pos:]


def _is_text(raw: bytes) -> bool:
    """Whether decoded bytes go into the skeleton (JSON text) rather than the side table."""
    if _OPCODE.search(raw) is not None:
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _pack(presentation: str, size: int) -> bytes | None:
    if _PACKABLE.fullmatch(presentation) is None:
        return None
    segments = presentation.split("~")
    packer = _Packer(segments, presentation[: presentation.rfind("~") + 1])
    for index, segment in enumerate(segments):
        if index:
            packer.skeleton.append(_SEG)
        for number, part in enumerate(segment.split(".")):
            if number:
                packer.skeleton.append(_PART)
            packer.part(index, part)
    if len(packer.skeleton) > size:  # the decoder bounds the skeleton by the output size
        return None
    return bytes([_MODE_PACKED]) + _deflate(bytes(packer.skeleton)) + bytes(packer.side)


# --- decoding ----------------------------------------------------------------------------


def is_qr_payload(text: str) -> bool:
    """Whether ``text`` is in the compact form (it starts with :data:`PREFIX`)."""
    return text.startswith(PREFIX)


def presentation_from_transport(text: str, *, max_output: int = MAX_OUTPUT) -> str:
    """The plain presentation from either transport form (DESIGN §3: verifiers accept both).

    Plain text is returned unchanged, for the verifier's parser to judge.
    """
    return decode_qr_payload(text, max_output=max_output) if is_qr_payload(text) else text


def decode_qr_payload(text: str, *, max_output: int = MAX_OUTPUT) -> str:
    """Decode a compact payload strictly; never inflate more than ``max_output`` bytes.

    Raises :class:`Malformed` for any defect (prefix, version, Base45, DEFLATE, tables,
    trailing bytes) and :class:`PayloadTooLarge` when the presentation would exceed
    ``max_output`` UTF-8 bytes (DESIGN §6).
    """
    if not is_qr_payload(text):
        raise Malformed()
    body = text[len(PREFIX) :]
    if len(body) > 2 * max_output + 256:  # Base45 of any valid payload is about 1.5x smaller
        raise PayloadTooLarge()
    data = b45decode(body, Malformed)
    if not data:
        raise Malformed()
    if data[0] == _MODE_TEXT:
        plain, rest = _inflate(data[1:], max_output)
        if rest:
            raise Malformed()
        try:
            return plain.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            raise Malformed() from None
    if data[0] == _MODE_PACKED:
        skeleton, side = _inflate(data[1:], max_output)
        return _Unpacker(skeleton, side).run(max_output)
    raise Malformed()


def _inflate(data: bytes, limit: int) -> tuple[bytes, bytes]:
    """Inflate one raw DEFLATE stream of at most ``limit`` bytes; return it and what follows."""
    inflater = zlib.decompressobj(-15, ZDICT)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise Malformed() from None
    if len(out) > limit:
        raise PayloadTooLarge()
    if not inflater.eof:
        raise Malformed()
    return out, inflater.unused_data


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """A minimal LEB128 unsigned varint of at most 5 bytes, and the position after it."""
    value = 0
    for shift in range(0, 35, 7):
        if pos >= len(data):
            raise Malformed()
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if byte == 0 and shift:
                raise Malformed()
            return value, pos
    raise Malformed()


# A text part is a list of pieces: bytes, a segment index (its quoted digest) or -1 (the
# quoted sd_hash). A literal part is a str.
_Piece = bytes | int
_Part = str | list[_Piece]


class _Unpacker:
    """Parses a skeleton against its side table and rebuilds the presentation."""

    def __init__(self, skeleton: bytes, side: bytes) -> None:
        self.skeleton = skeleton
        self.side = side
        self.taken = 0

    def take(self, pos: int) -> tuple[bytes, int]:
        n, pos = _read_varint(self.skeleton, pos)
        if n > len(self.side) - self.taken:
            raise Malformed()
        self.taken += n
        return self.side[self.taken - n : self.taken], pos

    def parse(self) -> list[list[_Part]]:
        skeleton = self.skeleton
        pieces: list[_Piece] = []
        segments: list[list[_Part]] = [[pieces]]
        previous = b""
        pos = 0
        while pos < len(skeleton):
            found = _OPCODE.search(skeleton, pos)
            end = found.start() if found else len(skeleton)
            if end > pos:
                pieces.append(skeleton[pos:end])
                pos = end
                continue
            op = skeleton[pos]
            pos += 1
            if op in (_SEG, _PART):
                if op == _SEG:
                    segments.append([])
                pieces = []
                segments[-1].append(pieces)
                previous = b""
            elif op == _STR:
                previous, pos = self.take(pos)
                pieces.append(b'"' + b64u_encode(previous).encode() + b'"')
            elif op == _RAW:
                value, pos = self.take(pos)
                pieces.append(value)
            elif op == _DIGEST:
                target, pos = _read_varint(skeleton, pos)
                pieces.append(target)
            elif op == _SDHASH:
                pieces.append(-1)
            elif op in (_ECY_EVEN, _ECY_ODD):
                y = _p256_y(previous, op == _ECY_ODD)
                if y is None:
                    raise Malformed()
                pieces.append(b'"' + b64u_encode(y).encode() + b'"')
            else:  # _LIT: a whole part of literal base64url characters
                found = _OPCODE.search(skeleton, pos)
                end = found.start() if found else len(skeleton)
                literal = skeleton[pos:end]
                if pieces or skeleton[end : end + 1] not in (b"", b"\x00", b"\x01"):
                    raise Malformed()
                if _LITERAL.fullmatch(literal) is None:
                    raise Malformed()
                segments[-1][-1] = literal.decode("ascii")
                pos = end
        if self.taken != len(self.side):
            raise Malformed()
        return segments

    def run(self, max_output: int) -> str:
        segments = self.parse()
        last = len(segments) - 1
        # Each segment waits for the segments whose digests it quotes; the last one may also
        # quote the sd_hash over all the others. Kahn's algorithm; a cycle is malformed.
        waiting: list[int] = []
        dependents: list[list[int]] = [[] for _ in segments]
        for index, segment in enumerate(segments):
            refs = {
                p for part in segment if isinstance(part, list) for p in part if isinstance(p, int)
            }
            if refs and (max(refs) > last or (min(refs) < 0 and index != last)):
                raise Malformed()
            needs = set(range(last)) | refs if -1 in refs else refs
            needs.discard(-1)
            for need in needs:
                dependents[need].append(index)
            waiting.append(len(needs))
        texts: list[str | None] = [None] * len(segments)
        quoted: list[bytes] = [b""] * len(segments)
        ready = [index for index, count in enumerate(waiting) if count == 0]
        total = len(segments) - 1
        while ready:
            index = ready.pop()
            sd_hash = _quote("".join(f"{t}~" for t in texts[:last])) if index == last else b""
            parts: list[str] = []
            for part in segments[index]:
                if isinstance(part, str):
                    parts.append(part)
                    total += len(part)
                    continue
                size = sum(len(p) if isinstance(p, bytes) else _QUOTED_LEN for p in part)
                total += (4 * size + 2) // 3
                if total > max_output:
                    raise PayloadTooLarge()
                raw = b"".join(
                    p if isinstance(p, bytes) else quoted[p] if p >= 0 else sd_hash for p in part
                )
                parts.append(b64u_encode(raw))
            total += len(segments[index]) - 1
            if total > max_output:
                raise PayloadTooLarge()
            text = ".".join(parts)
            texts[index] = text
            quoted[index] = _quote(text)
            for dependent in dependents[index]:
                waiting[dependent] -= 1
                if waiting[dependent] == 0:
                    ready.append(dependent)
        if any(text is None for text in texts):
            raise Malformed()
        return "~".join(t for t in texts if t is not None)


def _quote(text: str) -> bytes:
    """A JSON string of the base64url SHA-256 of ASCII text: how SD-JWT quotes a digest."""
    return b'"' + b64u_encode(hashlib.sha256(text.encode("ascii")).digest()).encode() + b'"'
