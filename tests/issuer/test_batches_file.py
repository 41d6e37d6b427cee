"""Batch files (issuer.batchfile): decoding, CSV header and cells, per-row validation codes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from issuer.batchfile import (
    CSV_COLUMNS,
    ROW_ERROR_CODES,
    FieldProblem,
    RaggedRow,
    UploadFormat,
    check_row,
    field_for,
    format_for_media_type,
    parse_upload,
)
from issuer.models import ApplicationCreate
from tests.issuer.batch_helpers import CANARY_NAME, csv_text, employee, employees
from tests.issuer.helpers import id_number
from wire.errors import Forbidden, InvalidInput, PayloadTooLarge

CSV = UploadFormat.CSV
BAD_CHECK_DIGIT = id_number()[:17] + ("1" if id_number()[17] != "1" else "2")
JSON = UploadFormat.JSON


def parse(content: str | bytes, fmt: UploadFormat = CSV, max_rows: int | None = 100) -> Any:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return parse_upload(data, fmt, jurisdiction="shanghai", max_rows=max_rows)


def problems(value: object) -> list[FieldProblem]:
    result = check_row(value, jurisdiction="shanghai")
    assert isinstance(result, list), "row unexpectedly valid"
    return result


class TestMediaType:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("text/csv", CSV),
            ("text/csv; charset=utf-8", CSV),
            ('TEXT/CSV; charset="UTF-8"', CSV),
            ("application/json", JSON),
            ("application/json; charset=utf8", JSON),
            ("text/csv; charset=gbk", None),
            ("text/plain", None),
            ("multipart/form-data; boundary=x", None),
            ("", None),
            (None, None),
        ],
    )
    def test_format_for_media_type(self, header: str | None, expected: UploadFormat | None) -> None:
        assert format_for_media_type(header) is expected


class TestCsv:
    def test_rows_become_application_shaped_objects(self) -> None:
        upload = parse(csv_text(employees(2)))
        assert upload.format is CSV
        assert len(upload.rows) == 2
        data = check_row(upload.rows[0], jurisdiction="shanghai")
        assert isinstance(data, ApplicationCreate)
        assert data == ApplicationCreate.model_validate(employee(1))

    def test_bom_is_ignored(self) -> None:
        text = csv_text(employees(1))
        assert parse(b"\xef\xbb\xbf" + text.encode()).rows == parse(text).rows

    def test_columns_in_any_order_and_case_with_optional_jurisdiction(self) -> None:
        text = csv_text([employee(1)], columns=("jurisdiction", *reversed(CSV_COLUMNS)))
        header, _, rest = text.partition("\r\n")
        upload = parse(header.upper() + "\r\n" + rest)
        assert check_row(upload.rows[0], jurisdiction="shanghai") == ApplicationCreate(
            **employee(1)
        )

    def test_lf_line_ends_blank_lines_and_quoted_commas(self) -> None:
        body = employee(1, hukou_address="安徽省合肥市, 蜀山区")
        text = csv_text([body, employee(2)]).replace("\r\n", "\n") + "\n\n"
        upload = parse(text.replace("\n", "\n\n", 1))
        assert len(upload.rows) == 2
        data = check_row(upload.rows[0], jurisdiction="shanghai")
        assert isinstance(data, ApplicationCreate)
        assert data.hukou_address == "安徽省合肥市, 蜀山区"

    @pytest.mark.parametrize(
        ("cell", "expected"),
        [("true", True), ("FALSE", False), (" True ", True), ("1", "1"), ("yes", "yes")],
    )
    def test_bool_cells_are_strict(self, cell: str, expected: object) -> None:
        body = employee(1)
        body["facts"]["studying"] = cell
        assert parse(csv_text([body])).rows[0]["facts"]["studying"] == expected

    @pytest.mark.parametrize(
        ("cell", "expected"),
        [("12", 12), ("+3", 3), ("-1", -1), ("6.0", "6.0"), ("true", "true"), ("9" * 19, "9" * 19)],
    )
    def test_int_cells_are_strict(self, cell: str, expected: object) -> None:
        body = employee(1)
        body["facts"]["residence_months"] = cell
        assert parse(csv_text([body])).rows[0]["facts"]["residence_months"] == expected

    def test_empty_cells_are_missing(self) -> None:
        row = parse(csv_text([employee(1, name="", facts={})])).rows[0]
        assert "name" not in row
        assert row["facts"] == {}

    def test_ragged_record(self) -> None:
        text = csv_text(employees(2))
        lines = text.split("\r\n")
        lines[1] += ",extra"
        upload = parse("\r\n".join(lines))
        assert isinstance(upload.rows[0], RaggedRow)
        assert problems(upload.rows[0]) == [FieldProblem("row", "wrong_column_count")]

    def test_missing_and_unknown_columns_name_positions_never_values(self) -> None:
        text = csv_text([employee(1)])
        header, _, rest = text.partition("\r\n")
        broken = header.replace("region_code", "regoin_code") + ",x\r\n" + rest
        with pytest.raises(InvalidInput) as caught:
            parse(broken)
        assert caught.value.field == "header"
        assert "missing columns region_code" in caught.value.message
        assert "positions 6, 21" in caught.value.message
        assert "regoin" not in caught.value.message

    def test_a_file_without_header_does_not_quote_the_first_row(self) -> None:
        text = csv_text([employee(1), employee(2)]).partition("\r\n")[2]
        with pytest.raises(InvalidInput) as caught:
            parse(text)
        assert CANARY_NAME not in caught.value.message
        assert id_number()[:6] not in caught.value.message

    def test_repeated_column(self) -> None:
        text = csv_text([employee(1)])
        header, _, rest = text.partition("\r\n")
        with pytest.raises(InvalidInput, match="repeated columns name"):
            parse(header + ",name\r\n" + rest)

    @pytest.mark.parametrize(
        "content",
        [b"", b"\xef\xbb\xbf", b"\xff\xfe" + "name".encode("utf-16-le"), b'name,"open\n'],
    )
    def test_unreadable_uploads(self, content: bytes) -> None:
        with pytest.raises(InvalidInput):
            parse(content)

    def test_a_pathological_header_gets_a_short_answer(self) -> None:
        header = ",".join(["name"] * 200_000 + ["x"] * 200_000)
        with pytest.raises(InvalidInput) as caught:
            parse(header + "\r\n")
        assert "repeated columns name" in caught.value.message
        assert "positions 200001, 200002" in caught.value.message
        assert len(caught.value.message) < 1000

    def test_header_only_has_no_rows(self) -> None:
        with pytest.raises(InvalidInput, match="no rows"):
            parse(",".join(CSV_COLUMNS) + "\r\n")

    def test_row_limit(self) -> None:
        text = csv_text(employees(3))
        assert len(parse(text, max_rows=3).rows) == 3
        with pytest.raises(PayloadTooLarge):
            parse(text, max_rows=2)

    def test_another_jurisdiction_is_forbidden(self) -> None:
        bodies = [employee(1), employee(2, jurisdiction="chengdu")]
        text = csv_text(bodies, columns=("jurisdiction", *CSV_COLUMNS))
        with pytest.raises(Forbidden):
            parse(text)

    def test_field_names_are_flat_in_csv(self) -> None:
        assert field_for("residence_address.region_code", CSV) == "region_code"
        assert field_for("facts.housing", CSV) == "housing"
        assert field_for("facts.housing", JSON) == "facts.housing"
        assert field_for("id_number", CSV) == "id_number"


class TestJson:
    def test_a_list_of_application_objects(self) -> None:
        upload = parse(json.dumps(employees(3)), JSON)
        assert upload.rows == tuple(employees(3))

    def test_bom_is_ignored(self) -> None:
        assert parse(b"\xef\xbb\xbf" + json.dumps(employees(1)).encode(), JSON).rows

    @pytest.mark.parametrize(
        "content",
        [
            "{}",
            '{"applications": []}',
            "[]",
            "[",
            '[{"a": 1, "a": 2}]',
            "[NaN]",
            "[" * 100_000 + "]" * 100_000,
            "[" + "9" * 5000 + "]",
        ],
    )
    def test_unreadable_uploads(self, content: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            parse(content, JSON)
        assert caught.value.field == "body"

    def test_another_jurisdiction_is_forbidden(self) -> None:
        with pytest.raises(Forbidden):
            parse(json.dumps([employee(1), employee(2, jurisdiction="chengdu")]), JSON)

    def test_row_limit(self) -> None:
        with pytest.raises(PayloadTooLarge):
            parse(json.dumps(employees(3)), JSON, max_rows=2)


class TestCheckRow:
    def test_jurisdiction_defaults_to_the_employers(self) -> None:
        body = employee(1)
        del body["jurisdiction"]
        data = check_row(body, jurisdiction="shanghai")
        assert isinstance(data, ApplicationCreate)
        assert data.jurisdiction == "shanghai"

    def test_a_row_for_another_jurisdiction_never_validates(self) -> None:
        assert problems(employee(1, jurisdiction="chengdu")) == [
            FieldProblem("jurisdiction", "invalid_choice")
        ]

    @pytest.mark.parametrize(
        ("change", "expected"),
        [
            ({"name": None}, ("name", "invalid_type")),
            ({"name": "   "}, ("name", "missing")),
            ({"name": "x" * 65}, ("name", "invalid_length")),
            ({"sex": "X"}, ("sex", "invalid_choice")),
            ({"birth_date": "1990-3-7"}, ("birth_date", "invalid_format")),
            ({"birth_date": "1990-02-30"}, ("birth_date", "invalid_format")),
            ({"id_number": "3101041990"}, ("id_number", "invalid_length")),
            ({"id_number": "31010419900307122"}, ("id_number", "invalid_length")),
            ({"id_number": "31010419900307A221"}, ("id_number", "invalid_format")),
            ({"id_number": BAD_CHECK_DIGIT}, ("id_number", "invalid_checksum")),
            ({"id_number": 310104199003071221}, ("id_number", "invalid_type")),
            ({"residence_address": "徐汇区"}, ("residence_address", "invalid_type")),
            (
                {"residence_address": {"region_code": "31010", "district": "d", "street": "s"}},
                ("residence_address.region_code", "invalid_length"),
            ),
            (
                {"residence_address": {"region_code": "0310104", "district": "d"}},
                ("residence_address.region_code", "invalid_length"),
            ),
            ({"nickname": "x"}, ("nickname", "unknown_field")),
            ({"Nick Name": "x"}, ("*", "unknown_field")),
            ({"facts": []}, ("facts", "invalid_type")),
        ],
    )
    def test_identity_problems(self, change: dict[str, Any], expected: tuple[str, str]) -> None:
        assert FieldProblem(*expected) in problems(employee(1, **change))

    @pytest.mark.parametrize(
        ("fact", "value", "code"),
        [
            ("studying", 1, "invalid_type"),
            ("studying", "true", "invalid_type"),
            ("residence_months", True, "invalid_type"),
            ("residence_months", 6.0, "invalid_type"),
            ("residence_months", -1, "out_of_range"),
            ("social_insurance_months_last_24", 25, "out_of_range"),
            ("housing", "Owned", "invalid_choice"),
            ("housing", 3, "invalid_type"),
            ("employment", "freelance", "invalid_choice"),
        ],
    )
    def test_fact_problems(self, fact: str, value: object, code: str) -> None:
        body = employee(1)
        body["facts"][fact] = value
        assert problems(body) == [FieldProblem(f"facts.{fact}", code)]

    def test_every_failing_field_is_listed_once(self) -> None:
        body = employee(1, sex="?", id_number="1")
        del body["facts"]["housing"]
        body["facts"]["studying"] = 0
        body["facts"]["hobby"] = "chess"
        assert problems(body) == [
            FieldProblem("sex", "invalid_choice"),
            FieldProblem("id_number", "invalid_length"),
            FieldProblem("facts.hobby", "unknown_field"),
            FieldProblem("facts.housing", "missing"),
            FieldProblem("facts.studying", "invalid_type"),
        ]

    def test_missing_everything(self) -> None:
        found = problems({})
        assert FieldProblem("facts", "missing") in found
        assert {p.code for p in found} == {"missing"}
        assert {"name", "sex", "birth_date", "id_number", "hukou_address", "residence_address"} <= {
            p.field for p in found
        }

    @pytest.mark.parametrize("value", [None, 7, "row", ["a"]])
    def test_a_row_that_is_not_an_object(self, value: object) -> None:
        assert problems(value) == [FieldProblem("row", "invalid_type")]

    def test_problems_are_capped(self) -> None:
        body = employee(1, **{f"junk_{i}": i for i in range(1000)})
        assert 0 < len(problems(body)) <= 32

    def test_codes_are_documented_and_never_values(self) -> None:
        body = employee(1, name="x" * 65, id_number="3101041990030712X1", sex=CANARY_NAME)
        found = problems(body)
        assert {p.code for p in found} <= set(ROW_ERROR_CODES)
        assert not any(CANARY_NAME in p.field or "31010419" in p.field for p in found)
