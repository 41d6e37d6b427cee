"""Helpers of the employer-batch tests: employers, employee rows, CSV text, waiting for a job."""

from __future__ import annotations

import csv
import io
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from issuer.batchfile import CSV_COLUMNS
from issuer.db import session_scope
from issuer.models import Application, EmployerCreate
from issuer.services.employers import create_employer
from issuer.settings import IssuerSettings
from tests.clock import FakeClock
from tests.issuer.helpers import application_body, id_number

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

#: A personal value every test row carries, so tests can assert it is never echoed.
CANARY_NAME = "金丝雀"
#: Generous guard against a hung worker; tests never assert how long anything took.
DEADLINE_SECONDS = 60.0


@dataclass(frozen=True)
class EmployerHandle:
    id: uuid.UUID
    key: str
    jurisdiction: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def make_employer(
    engine: Engine, settings: IssuerSettings, clock: FakeClock, jurisdiction: str = "shanghai"
) -> EmployerHandle:
    """Create an employer through the service, as ``permit employer create`` does."""
    with session_scope(engine) as session:
        employer, key = create_employer(
            session=session,
            data=EmployerCreate(name=f"Employer in {jurisdiction}", jurisdiction=jurisdiction),
            jurisdictions=settings.jurisdictions,
            actor="cli",
            now=clock(),
        )
    return EmployerHandle(id=employer.id, key=key, jurisdiction=jurisdiction)


def employee(index: int, **overrides: Any) -> dict[str, Any]:
    """A valid Shanghai application (JSON shape) for employee ``index``; distinct ID numbers."""
    birth = date(1980, 1, 1) + timedelta(days=(97 * index) % 9000)
    body = application_body(
        name=f"{CANARY_NAME}{index}",
        birth_date=birth.isoformat(),
        id_number=id_number(birth.strftime("%Y%m%d")),
    )
    body.update(overrides)
    return body


def employees(count: int) -> list[dict[str, Any]]:
    return [employee(index) for index in range(1, count + 1)]


def csv_row(body: dict[str, Any]) -> dict[str, str]:
    """One application flattened into CSV cells (booleans as ``true``/``false``)."""
    flat: dict[str, Any] = {
        key: value for key, value in body.items() if key not in ("residence_address", "facts")
    }
    flat.update(body.get("residence_address", {}))
    flat.update(body.get("facts", {}))
    return {
        key: ("true" if value is True else "false" if value is False else str(value))
        for key, value in flat.items()
    }


def csv_text(bodies: list[dict[str, Any]], *, columns: tuple[str, ...] = CSV_COLUMNS) -> str:
    """A CSV upload with a header row of ``columns``; missing cells are left empty."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for body in bodies:
        writer.writerow(csv_row(body))
    return out.getvalue()


def upload(
    client: TestClient,
    employer: EmployerHandle,
    content: str | bytes,
    content_type: str = "text/csv",
) -> Any:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        "/v1/batches",
        content=data,
        headers={**employer.headers, "Content-Type": content_type},
    )


def wait_for_batch(client: TestClient, employer: EmployerHandle, batch_id: str) -> dict[str, Any]:
    """Poll ``GET /v1/batches/{id}`` until the job ends."""
    give_up = time.monotonic() + DEADLINE_SECONDS
    while True:
        response = client.get(f"/v1/batches/{batch_id}", headers=employer.headers)
        assert response.status_code == 200, response.text
        status: dict[str, Any] = response.json()
        if status["state"] in ("done", "failed"):
            return status
        assert time.monotonic() < give_up, f"batch still {status['state']}"
        time.sleep(0.02)


def rows_written(engine: Engine, batch_id: uuid.UUID) -> dict[int, int]:
    """``{batch_row: number of applications}`` for one batch."""
    with session_scope(engine) as session:
        counts = session.exec(
            select(Application.batch_row, func.count())
            .where(Application.batch_id == batch_id)
            .group_by(col(Application.batch_row))
        )
        return {int(row or 0): int(count) for row, count in counts}
