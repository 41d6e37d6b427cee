"""``/v1/batches``: employer auth, CSV and JSON uploads, limits, row errors, progress; both DBs."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from issuer.api.app import create_app
from issuer.audit import verify_stored_chain
from issuer.batchfile import CSV_COLUMNS
from issuer.db import session_scope
from issuer.models import Application, AuditEvent, Batch, BatchUpload
from issuer.services.batches import load_job, process_row
from issuer.services.employers import disable_employer
from issuer.settings import IssuerSettings
from issuer.worker import BatchWorker
from tests.clock import FakeClock
from tests.issuer.batch_helpers import (
    CANARY_NAME,
    EmployerHandle,
    csv_text,
    employee,
    employees,
    make_employer,
    rows_written,
    upload,
    wait_for_batch,
)
from tests.issuer.conftest import OfficerFactory, Sessions, make_settings
from tests.issuer.helpers import assert_problem

JSON_TYPE = "application/json"
UNKNOWN_ID = uuid.UUID("00000000-0000-4000-8000-000000000000")


@pytest.fixture
def employer(engine: Engine, settings: IssuerSettings, clock: FakeClock) -> EmployerHandle:
    return make_employer(engine, settings, clock)


def batch_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Batch)).one())


class TestAuthentication:
    @pytest.mark.parametrize(
        ("method", "path"),
        [("post", "/v1/batches"), ("get", "/v1/batches"), ("get", f"/v1/batches/{UNKNOWN_ID}")],
    )
    @pytest.mark.parametrize(
        "headers", [{}, {"Authorization": "Bearer pek_wrong"}, {"Authorization": "Basic eDp5"}]
    )
    def test_without_a_valid_key_is_401(
        self, client: TestClient, method: str, path: str, headers: dict[str, str]
    ) -> None:
        response = client.request(
            method, path, headers={**headers, "Content-Type": "text/csv"}, content=b"x"
        )
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["WWW-Authenticate"] == "Bearer"

    def test_an_officer_token_is_not_an_employer_key(
        self, client: TestClient, make_officer: OfficerFactory, sessions: Sessions
    ) -> None:
        headers = sessions.headers(make_officer("clerk"))
        assert_problem(client.get("/v1/batches", headers=headers), 401, "unauthenticated")

    def test_a_disabled_employer_is_refused(
        self, client: TestClient, engine: Engine, employer: EmployerHandle, clock: FakeClock
    ) -> None:
        assert client.get("/v1/batches", headers=employer.headers).status_code == 200
        with session_scope(engine) as session:
            disable_employer(session=session, employer_id=employer.id, actor="cli", now=clock())
        assert_problem(client.get("/v1/batches", headers=employer.headers), 401, "unauthenticated")

    def test_another_employers_batch_is_403_and_unknown_is_404(
        self,
        client: TestClient,
        engine: Engine,
        settings: IssuerSettings,
        clock: FakeClock,
        employer: EmployerHandle,
    ) -> None:
        batch_id = upload(client, employer, csv_text(employees(1))).json()["id"]
        wait_for_batch(client, employer, batch_id)
        for other in (
            make_employer(engine, settings, clock),
            make_employer(engine, settings, clock, "chengdu"),
        ):
            response = client.get(f"/v1/batches/{batch_id}", headers=other.headers)
            body = assert_problem(response, 403, "forbidden")
            assert batch_id not in json.dumps(body)
            assert client.get("/v1/batches", headers=other.headers).json() == []
        unknown = client.get(f"/v1/batches/{uuid.uuid4()}", headers=employer.headers)
        assert_problem(unknown, 404, "not_found")
        assert_problem(
            client.get("/v1/batches/nope", headers=employer.headers), 422, "invalid_input"
        )

    @pytest.mark.parametrize("fmt", ["csv", "json"])
    def test_rows_of_another_jurisdiction_are_403_and_nothing_is_stored(
        self, client: TestClient, engine: Engine, employer: EmployerHandle, fmt: str
    ) -> None:
        rows = [employee(1), employee(2, jurisdiction="chengdu")]
        if fmt == "csv":
            content = csv_text(rows, columns=("jurisdiction", *CSV_COLUMNS))
            response = upload(client, employer, content)
        else:
            response = upload(client, employer, json.dumps(rows), JSON_TYPE)
        assert_problem(response, 403, "forbidden")
        assert batch_count(engine) == 0

    def test_listing_shows_only_own_batches_newest_first(
        self,
        client: TestClient,
        engine: Engine,
        settings: IssuerSettings,
        clock: FakeClock,
        employer: EmployerHandle,
    ) -> None:
        first = upload(client, employer, csv_text(employees(1))).json()["id"]
        clock.advance(seconds=1)
        second = upload(client, employer, csv_text(employees(2))).json()["id"]
        upload(client, make_employer(engine, settings, clock), csv_text(employees(1)))
        listed = client.get("/v1/batches", headers=employer.headers).json()
        assert [item["id"] for item in listed] == [second, first]
        paged = client.get("/v1/batches?limit=1&offset=1", headers=employer.headers).json()
        assert [item["id"] for item in paged] == [first]
        too_many = client.get("/v1/batches?limit=1000", headers=employer.headers)
        assert_problem(too_many, 422, "invalid_input", field="limit")


class TestHappyPaths:
    def test_csv_upload_becomes_applications(
        self,
        client: TestClient,
        engine: Engine,
        employer: EmployerHandle,
        make_officer: OfficerFactory,
        sessions: Sessions,
    ) -> None:
        response = upload(client, employer, csv_text(employees(3)))
        assert response.status_code == 202, response.text
        accepted = response.json()
        assert accepted["state"] == "queued"
        assert accepted["total"] == 3
        assert response.headers["Location"] == accepted["status_url"]
        assert accepted["status_url"] == f"/v1/batches/{accepted['id']}"
        status = wait_for_batch(client, employer, accepted["id"])
        assert (status["state"], status["done"], status["failed"]) == ("done", 3, 0)
        assert status["errors"] == []
        assert [a["row"] for a in status["applications"]] == [1, 2, 3]
        assert {a["outcome"] for a in status["applications"]} == {"permit"}
        # Officers of the jurisdiction review them like any other application.
        officer = sessions.headers(make_officer("clerk", "shanghai"))
        first = status["applications"][0]["application_id"]
        seen = client.get(f"/v1/applications/{first}", headers=officer).json()
        assert seen["batch_id"] == accepted["id"]
        assert seen["name"] == f"{CANARY_NAME}1"
        assert seen["residence_address"] == employee(1)["residence_address"]
        with Session(engine) as session:
            assert session.get(BatchUpload, uuid.UUID(accepted["id"])) is None  # deleted when done
            actors = {event.actor for event in session.exec(select(AuditEvent))}
            assert f"employer:{employer.id}" in actors
            assert verify_stored_chain(session).ok

    def test_json_upload_with_and_without_jurisdiction(
        self, client: TestClient, employer: EmployerHandle
    ) -> None:
        rows = employees(2)
        del rows[1]["jurisdiction"]
        response = upload(client, employer, json.dumps(rows), JSON_TYPE)
        assert response.status_code == 202, response.text
        status = wait_for_batch(client, employer, response.json()["id"])
        assert (status["done"], status["failed"]) == (2, 0)

    @pytest.mark.parametrize("fmt", ["csv", "json"])
    def test_byte_order_mark(self, client: TestClient, employer: EmployerHandle, fmt: str) -> None:
        text = csv_text(employees(2)) if fmt == "csv" else json.dumps(employees(2))
        content_type = "text/csv; charset=utf-8" if fmt == "csv" else JSON_TYPE
        response = upload(client, employer, b"\xef\xbb\xbf" + text.encode(), content_type)
        assert response.status_code == 202, response.text
        assert wait_for_batch(client, employer, response.json()["id"])["done"] == 2

    def test_fifty_rows_are_processed_completely(
        self, client: TestClient, engine: Engine, employer: EmployerHandle
    ) -> None:
        response = upload(client, employer, csv_text(employees(50)))
        status = wait_for_batch(client, employer, response.json()["id"])
        assert (status["state"], status["total"], status["done"]) == ("done", 50, 50)
        assert rows_written(engine, uuid.UUID(status["id"])) == dict.fromkeys(range(1, 51), 1)
        assert [a["row"] for a in status["applications"]] == list(range(1, 51))


def bad_rows() -> list[dict[str, Any]]:
    """Rows 2-7 fail, each for one reason; rows 1 and 8 are valid."""
    rows = employees(8)
    del rows[1]["hukou_address"]  # missing field
    rows[2]["facts"]["housing"] = "castle"  # bad enum
    rows[3]["facts"]["studying"] = 1  # bool as int
    rows[4]["id_number"] = rows[4]["id_number"][:16]  # 16 characters
    rows[5]["birth_date"] = "1970-01-01"  # id_number says otherwise
    rows[6]["residence_address"] = {**rows[6]["residence_address"], "region_code": "510104"}
    return rows


EXPECTED_JSON_ERRORS: list[dict[str, Any]] = [
    {"row": 2, "field": "hukou_address", "code": "missing"},
    {"row": 3, "field": "facts.housing", "code": "invalid_choice"},
    {"row": 4, "field": "facts.studying", "code": "invalid_type"},
    {"row": 5, "field": "id_number", "code": "invalid_length"},
    {"row": 6, "field": "id_number", "code": "inconsistent"},
    {"row": 7, "field": "residence_address.region_code", "code": "inconsistent"},
]


class TestRowErrors:
    def test_json_rows_fail_independently_without_echoing_values(
        self, client: TestClient, engine: Engine, employer: EmployerHandle
    ) -> None:
        rows = bad_rows()
        response = upload(client, employer, json.dumps(rows, ensure_ascii=False), JSON_TYPE)
        status = wait_for_batch(client, employer, response.json()["id"])
        assert (status["state"], status["done"], status["failed"]) == ("done", 2, 6)
        assert status["errors"] == EXPECTED_JSON_ERRORS
        assert status["errors_truncated"] is False
        assert [a["row"] for a in status["applications"]] == [1, 8]
        assert rows_written(engine, uuid.UUID(status["id"])) == {1: 1, 8: 1}
        text = client.get(f"/v1/batches/{status['id']}", headers=employer.headers).text
        for row in rows:
            for value in (row.get("name"), row["id_number"], row.get("hukou_address"), "castle"):
                assert not value or value not in text
        assert CANARY_NAME not in text

    def test_csv_rows_name_the_column(self, client: TestClient, employer: EmployerHandle) -> None:
        response = upload(client, employer, csv_text(bad_rows()))
        status = wait_for_batch(client, employer, response.json()["id"])
        flat = [
            {**error, "field": error["field"].rpartition(".")[2]} for error in EXPECTED_JSON_ERRORS
        ]
        assert status["errors"] == flat

    def test_a_refused_row_leaves_nothing_behind(
        self, client: TestClient, engine: Engine, employer: EmployerHandle
    ) -> None:
        rows = [employee(1, birth_date="1970-01-01")]  # refused inside submit_application
        response = upload(client, employer, json.dumps(rows), JSON_TYPE)
        wait_for_batch(client, employer, response.json()["id"])
        with Session(engine) as session:
            assert session.exec(select(func.count()).select_from(Application)).one() == 0
            actions = [event.action for event in session.exec(select(AuditEvent))]
        assert "application.submit" not in actions
        assert actions[-2:] == ["batch.submit", "batch.finish"]


class TestUploadRefused:
    @pytest.mark.parametrize(
        ("content", "content_type", "field"),
        [
            ("name,sex\r\n李梅,F\r\n", "text/csv", "header"),
            ("", "text/csv", "header"),
            ("[]", JSON_TYPE, "body"),
            ('{"rows": []}', JSON_TYPE, "body"),
            ("[{]", JSON_TYPE, "body"),
            (b"\xff\xfe\x00n", "text/csv", "body"),
        ],
    )
    def test_unreadable_upload_is_422_and_stores_nothing(
        self,
        client: TestClient,
        engine: Engine,
        employer: EmployerHandle,
        content: str | bytes,
        content_type: str,
        field: str,
    ) -> None:
        body = assert_problem(
            upload(client, employer, content, content_type), 422, "invalid_input", field=field
        )
        assert "李梅" not in json.dumps(body, ensure_ascii=False)
        assert batch_count(engine) == 0

    @pytest.mark.parametrize(
        "content_type", ["text/plain", "text/csv; charset=gbk", "multipart/form-data"]
    )
    def test_other_media_types_are_415(
        self, client: TestClient, employer: EmployerHandle, content_type: str
    ) -> None:
        response = upload(client, employer, csv_text(employees(1)), content_type)
        assert response.status_code == 415

    def test_size_and_row_limits_are_413(
        self, db_url: str, engine: Engine, clock: FakeClock
    ) -> None:
        settings = make_settings(db_url, batch_max_bytes=4096, batch_max_rows=3)
        employer = make_employer(engine, settings, clock)
        with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
            assert upload(client, employer, csv_text(employees(3))).status_code == 202
            rows = upload(client, employer, csv_text(employees(4)))
            assert_problem(rows, 413, "payload_too_large")
            assert "at most 3 rows" in rows.json()["detail"]
            big = upload(client, employer, csv_text(employees(3)) + " " * 4096)
            assert_problem(big, 413, "payload_too_large")
            assert "at most 4096 bytes" in big.json()["detail"]
        assert batch_count(engine) == 1


class ManualWorker(BatchWorker):
    """A worker that never starts its thread: the test moves the job row by row."""

    def start(self) -> None:
        pass

    def stop(self, timeout: float = 30.0) -> None:
        pass


@pytest.fixture
def manual_app(settings: IssuerSettings, engine: Engine, clock: FakeClock) -> FastAPI:
    app = create_app(settings, engine=engine, clock=clock)
    app.state.batch_worker = ManualWorker(engine=engine, settings=settings, clock=clock)
    return app


class TestProgress:
    def test_counts_follow_committed_rows(
        self,
        manual_app: FastAPI,
        engine: Engine,
        settings: IssuerSettings,
        clock: FakeClock,
        employer: EmployerHandle,
    ) -> None:
        rows = employees(5)
        rows[1]["sex"] = "X"
        with TestClient(manual_app) as client:
            batch_id = upload(client, employer, json.dumps(rows), JSON_TYPE).json()["id"]

            def progress() -> tuple[str, int, int, int]:
                status = client.get(f"/v1/batches/{batch_id}", headers=employer.headers).json()
                assert status["applications"] is None or status["state"] == "done"
                return status["state"], status["total"], status["done"], status["failed"]

            assert progress() == ("queued", 5, 0, 0)
            job = load_job(engine=engine, batch_id=uuid.UUID(batch_id), now=clock())
            assert job is not None
            assert job.next_row == 1
            expected = [("running", 5, 1, 0), ("running", 5, 1, 1), ("running", 5, 2, 1)]
            for row, counts in enumerate(expected, start=1):
                next_row = process_row(
                    engine=engine, job=job, row=row, served=settings.jurisdictions, now=clock()
                )
                assert next_row == row + 1
                assert progress() == counts
            # A second worker that still thinks row 2 is next is sent to row 4, writing nothing.
            assert (
                process_row(
                    engine=engine, job=job, row=2, served=settings.jurisdictions, now=clock()
                )
                == 4
            )
            assert progress() == ("running", 5, 2, 1)
            assert manual_app.state.batch_worker.process(uuid.UUID(batch_id)) is True
            assert progress() == ("done", 5, 4, 1)
            assert rows_written(engine, uuid.UUID(batch_id)) == {1: 1, 3: 1, 4: 1, 5: 1}

    def test_errors_truncated_when_rows_fail_beyond_the_stored_list(
        self, client: TestClient, engine: Engine, employer: EmployerHandle
    ) -> None:
        batch_id = upload(client, employer, json.dumps([employee(1, sex="X")]), JSON_TYPE).json()[
            "id"
        ]
        wait_for_batch(client, employer, batch_id)
        with session_scope(engine) as session:
            batch = session.get(Batch, uuid.UUID(batch_id))
            assert batch is not None
            batch.failed += 1  # as if a second failing row found the error list full
            session.add(batch)
        status = client.get(f"/v1/batches/{batch_id}", headers=employer.headers).json()
        assert status["errors_truncated"] is True
