"""Employer batch files (issue 3 §7): decoding, the CSV columns, and per-row validation. Pure.

An upload is CSV (``text/csv``) or JSON (``application/json``), UTF-8 with or without a
byte-order mark. A JSON upload is an array of objects shaped like the body of
``POST /v1/applications``; a CSV upload has a header row naming the columns of
:data:`CSV_COLUMNS` (the nested ``residence_address`` and ``facts`` flattened into columns), in any
order. ``jurisdiction`` may be omitted: the employer's own is used.

Rows are validated independently. A failing row is described by :class:`RowError` values
``(row, field, code)``: the field as the uploader spells it (``region_code`` in CSV,
``residence_address.region_code`` in JSON) and a stable code from :data:`ROW_ERROR_CODES`.
Values are never echoed: an error report goes back to the employer and into the database, and
neither may repeat an employee's name or ID number. For the same reason a CSV header with
unknown columns is reported by column position, not name: a file without a header row would
otherwise have its first employee's data quoted back as "unknown columns".

CSV cells are read strictly, like JSON facts (:mod:`issuer.eligibility.facts`): a number column
takes a whole decimal number, a yes/no column ``true`` or ``false`` (any case); ``1``, ``yes`` or
``6.0`` are type errors, never guessed at. An empty cell is a missing value.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, NamedTuple

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from issuer.eligibility.facts import FACT_SPECS, FactSpec
from issuer.eligibility.jsontext import DuplicateKeyError, loads_strict
from issuer.models.applications import ApplicationCreate
from wire.errors import Forbidden, InvalidInput, PayloadTooLarge

__all__ = [
    "CSV_COLUMNS",
    "CSV_OPTIONAL_COLUMNS",
    "ROW_ERROR_CODES",
    "FieldProblem",
    "RaggedRow",
    "RowError",
    "Upload",
    "UploadFormat",
    "check_row",
    "field_for",
    "format_for_media_type",
    "parse_upload",
]

IDENTITY_COLUMNS: Final = ("name", "sex", "birth_date", "id_number", "hukou_address")
ADDRESS_COLUMNS: Final = ("region_code", "district", "street")
#: Every column a CSV upload must have, in the documented order.
CSV_COLUMNS: Final = (*IDENTITY_COLUMNS, *ADDRESS_COLUMNS, *FACT_SPECS)
CSV_OPTIONAL_COLUMNS: Final = ("jurisdiction",)

#: The codes a row error may carry (docs/issuer.md, "Employer batches").
ROW_ERROR_CODES: Final = (
    "missing",  # absent or empty
    "unknown_field",  # a JSON key the application does not have
    "invalid_type",  # e.g. ``true`` for a number, ``1`` for true/false
    "invalid_choice",  # not one of the allowed values (sex, housing, employment)
    "invalid_length",  # too short or too long (id_number: not 18 characters)
    "invalid_format",  # wrong shape: dates, region codes, control characters
    "invalid_checksum",  # id_number's GB 11643 check character is wrong
    "out_of_range",  # a negative count, more than 24 months in 24 months
    "inconsistent",  # contradicts another field or the jurisdiction (id_number vs birth_date)
    "not_served",  # this issuer no longer serves the jurisdiction
    "wrong_column_count",  # a CSV record with more or fewer cells than the header
)

_UTF8_BOM: Final = b"\xef\xbb\xbf"
_INT_CELL: Final = re.compile(r"^[+-]?[0-9]{1,18}$")
_ID_NUMBER: Final = re.compile(r"^[0-9]{17}[0-9X]$")
#: Unknown JSON keys are echoed only when they look like our own field names.
_SAFE_KEY: Final = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_MAX_POSITIONS: Final = 10
#: At most this many problems are reported per row (a row of 10,000 junk keys is one bad row).
MAX_ROW_PROBLEMS: Final = 32
_PYDANTIC_CODES: Final[Mapping[str, str]] = {
    "missing": "missing",
    "extra_forbidden": "unknown_field",
    "literal_error": "invalid_choice",
    "enum": "invalid_choice",
    "string_too_short": "invalid_length",
    "string_too_long": "invalid_length",
    "too_short": "invalid_length",
    "too_long": "invalid_length",
    "value_error": "invalid_format",
    "string_pattern_mismatch": "invalid_format",
}


class UploadFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


class FieldProblem(NamedTuple):
    """One failing field of a row: its name as the uploader spells it, and a code."""

    field: str
    code: str


@dataclass(frozen=True, slots=True)
class RowError:
    """A reported row error: 1-based row number (header not counted), field, code."""

    row: int
    field: str
    code: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "code": self.code}


@dataclass(frozen=True, slots=True)
class RaggedRow:
    """A CSV record whose number of cells differs from the header's."""


@dataclass(frozen=True, slots=True)
class Upload:
    """A decoded upload: its format and one JSON-shaped value per row, in order."""

    format: UploadFormat
    rows: tuple[object, ...]


def format_for_media_type(media_type: str | None) -> UploadFormat | None:
    """``text/csv`` or ``application/json`` (charset, if given, must be UTF-8); else None."""
    if not media_type:
        return None
    kind, _, params = media_type.partition(";")
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return None
    return {"text/csv": UploadFormat.CSV, "application/json": UploadFormat.JSON}.get(
        kind.strip().lower()
    )


def parse_upload(
    content: bytes,
    fmt: UploadFormat,
    *,
    jurisdiction: str,
    max_rows: int | None,
) -> Upload:
    """Decode ``content`` into rows, refusing the whole upload only for what no row could fix.

    Raises :class:`InvalidInput` (422: not UTF-8, not CSV/JSON, bad header, no rows),
    :class:`PayloadTooLarge` (413: more than ``max_rows`` rows) or :class:`Forbidden` (403: a row
    names another jurisdiction than the employer's, which is authorisation, not validation).
    """
    try:
        text = content.removeprefix(_UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the upload is not UTF-8 text", field="body") from None
    rows = _csv_rows(text) if fmt is UploadFormat.CSV else _json_rows(text)
    if not rows:
        raise InvalidInput("the upload holds no rows", field="body")
    if max_rows is not None and len(rows) > max_rows:
        raise PayloadTooLarge(f"an upload may hold at most {max_rows} rows; split the file")
    for row in rows:
        named = row.get("jurisdiction") if isinstance(row, dict) else None
        if isinstance(named, str) and named != jurisdiction:
            raise Forbidden("employers may submit applications only in their own jurisdiction")
    return Upload(format=fmt, rows=tuple(rows))


def _json_rows(text: str) -> list[object]:
    try:
        value = loads_strict(text)
    except (ValueError, RecursionError) as exc:
        # JSONDecodeError and DuplicateKeyError are ValueErrors; so is an integer literal
        # beyond Python's digit limit. Their messages may quote the input, so none is shown.
        what = "repeats a key" if isinstance(exc, DuplicateKeyError) else "is not valid JSON"
        raise InvalidInput(f"the upload {what}", field="body") from None
    if not isinstance(value, list):
        raise InvalidInput("a JSON upload must be an array of applications", field="body")
    return value


def _csv_rows(text: str) -> list[object]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise InvalidInput("the upload holds no header row", field="header")
        names = _check_header(header)
        return [_csv_record(names, cells) for cells in reader if cells]
    except csv.Error:
        raise InvalidInput("the upload is not well-formed CSV", field="body") from None


def _check_header(header: Sequence[str]) -> tuple[str, ...]:
    names = tuple(cell.strip().lower() for cell in header)
    known = set(CSV_COLUMNS) | set(CSV_OPTIONAL_COLUMNS)
    problems: list[str] = []
    missing = [name for name in CSV_COLUMNS if name not in names]
    if missing:
        problems.append("missing columns " + ", ".join(missing))
    unknown = [str(pos) for pos, name in enumerate(names, start=1) if name not in known]
    if unknown:
        # By position only: a file without a header would otherwise have its first row quoted.
        more = ", …" if len(unknown) > _MAX_POSITIONS else ""
        problems.append(
            "unknown columns at positions " + ", ".join(unknown[:_MAX_POSITIONS]) + more
        )
    counts = Counter(names)
    repeated = sorted(name for name in known if counts[name] > 1)
    if repeated:
        problems.append("repeated columns " + ", ".join(repeated))
    if problems:
        raise InvalidInput("CSV header: " + "; ".join(problems), field="header")
    return names


def _csv_record(names: tuple[str, ...], cells: list[str]) -> object:
    if len(cells) != len(names):
        return RaggedRow()
    values = {name: cell.strip() for name, cell in zip(names, cells, strict=True) if cell.strip()}
    row: dict[str, object] = {
        name: values[name] for name in ("jurisdiction", *IDENTITY_COLUMNS) if name in values
    }
    row["residence_address"] = {name: values[name] for name in ADDRESS_COLUMNS if name in values}
    row["facts"] = {
        name: _csv_fact(spec, values[name]) for name, spec in FACT_SPECS.items() if name in values
    }
    return row


def _csv_fact(spec: FactSpec, cell: str) -> object:
    """The typed value of a fact cell; an unreadable cell stays text and fails as a type error."""
    if spec.kind == "int" and _INT_CELL.match(cell):
        return int(cell)
    if spec.kind == "bool" and cell.lower() in ("true", "false"):
        return cell.lower() == "true"
    return cell


def field_for(field: str, fmt: UploadFormat) -> str:
    """A field path as the uploader spells it: CSV columns are flat (``region_code``)."""
    if fmt is UploadFormat.CSV:
        for prefix in ("residence_address.", "facts."):
            if field.startswith(prefix):
                return field.removeprefix(prefix)
    return field


def check_row(value: object, *, jurisdiction: str) -> ApplicationCreate | list[FieldProblem]:
    """Validate one row into an application, or list every failing field (JSON paths).

    Cross-field checks that need the clock or the rules (``id_number`` against ``birth_date``,
    the region code against the jurisdiction) are made by ``submit_application`` afterwards.
    """
    if isinstance(value, RaggedRow):
        return [FieldProblem("row", "wrong_column_count")]
    if not isinstance(value, dict):
        return [FieldProblem("row", "invalid_type")]
    data: dict[str, object] = {"jurisdiction": jurisdiction, **value}
    if data["jurisdiction"] != jurisdiction:
        # parse_upload refuses such uploads (403); this keeps the guarantee local as well.
        return [FieldProblem("jurisdiction", "invalid_choice")]
    facts = data.get("facts")
    problems: list[FieldProblem] = []
    try:
        parsed = ApplicationCreate.model_validate(
            {**data, "facts": facts if isinstance(facts, dict) else {}}
        )
    except ValidationError as exc:
        problems.extend(
            _pydantic_problem(err)
            for err in exc.errors(include_url=False)
            if err["loc"][:1] != ("facts",)
        )
    problems.extend(_fact_problems(facts, present="facts" in data))
    if problems:
        return list(dict.fromkeys(problems))[:MAX_ROW_PROBLEMS]
    return parsed


def _pydantic_problem(err: ErrorDetails) -> FieldProblem:
    loc = err["loc"]
    kind = err["type"]
    raw = err.get("input")
    if kind == "extra_forbidden":
        return FieldProblem(_path(loc[:-1], _safe_key(loc[-1])), "unknown_field")
    field = _path(loc[:-1], str(loc[-1])) if loc else "row"
    if kind == "value_error" and isinstance(raw, str) and not raw.strip():
        return FieldProblem(field, "missing")
    if kind == "value_error" and loc == ("id_number",) and isinstance(raw, str):
        return FieldProblem(field, _id_number_code(raw))
    code = _PYDANTIC_CODES.get(kind)
    if code is None:
        if kind.endswith("_type"):
            code = "invalid_type"
        elif kind.startswith("date_"):
            code = "invalid_format"
        else:
            code = "invalid_value"
    return FieldProblem(field, code)


def _path(parents: Sequence[int | str], last: str) -> str:
    return ".".join([*(str(part) for part in parents), last])


def _safe_key(key: int | str) -> str:
    text = str(key)
    return text if _SAFE_KEY.match(text) else "*"


def _id_number_code(raw: str) -> str:
    value = raw.strip().upper()
    if len(value) != 18:
        return "invalid_length"
    if not _ID_NUMBER.match(value):
        return "invalid_format"
    return "invalid_checksum"


def _fact_problems(facts: object, *, present: bool) -> list[FieldProblem]:
    """Every failing fact (``Facts.from_mapping`` stops at the first; a report wants all)."""
    if not present:
        return [FieldProblem("facts", "missing")]
    if not isinstance(facts, dict):
        return [FieldProblem("facts", "invalid_type")]
    problems = [
        FieldProblem("facts." + _safe_key(key), "unknown_field")
        for key in facts
        if key not in FACT_SPECS
    ]
    for name, spec in FACT_SPECS.items():
        code = _fact_code(spec, facts[name]) if name in facts else "missing"
        if code is not None:
            problems.append(FieldProblem(f"facts.{name}", code))
    return problems


def _fact_code(spec: FactSpec, value: object) -> str | None:
    if spec.kind == "bool":
        return None if isinstance(value, bool) else "invalid_type"
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return "invalid_type"
        if value < 0 or (spec.maximum is not None and value > spec.maximum):
            return "out_of_range"
        return None
    if not isinstance(value, str):
        return "invalid_type"
    return None if value in spec.choices else "invalid_choice"
