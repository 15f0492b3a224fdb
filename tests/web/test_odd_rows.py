"""Stored rows with implausible dates never break a page (issue 12, plausible values).

Rows written before the input checks existed, or straight into the database,
are inserted here with SQL that bypasses every schema and service: a diary
entry dated 0001-01-01, a procedure at 9999-12-31T23:59Z, a block, a plan and a
complication at the ends of the calendar. The clinician's patient page, the
patient's portal, the FHIR download (web and API), the outcome pages and the
REST reads must all still answer, with the odd rows flagged on the pages
rather than a 500 for the whole record.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fhirclient.models.bundle import Bundle as R4Bundle
from pydantic import SecretStr

from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.core import migrate
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.demo.seed import SeedReport, seed
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.procedure.models import Procedure
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.web.app import create_web_app
from rhizo.plots.pain import PainPoint, figure_svg, pain_figure
from tests.web.conftest import TODAY, csrf_of, login

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

FLAG = "date outside the plausible window: check this record"
ANCIENT = date(1, 1, 1)
END_OF_TIME = date(9999, 12, 31)


@pytest.fixture(scope="module")
def odd_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, SeedReport, int]:
    """A seeded database whose portal patient has odd rows written with plain SQL."""
    path: Path = tmp_path_factory.mktemp("odd") / "odd.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    session = create_session_factory(engine)()
    report = seed(session, patients=3, today=TODAY)
    pid = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
    performer = session.scalar(sa.select(Specialist.id).order_by(Specialist.id))
    session.close()  # its transaction would hold SQLite's write lock
    assert pid is not None
    assert performer is not None
    with engine.begin() as connection:  # no schema, no service: rows as a script would write
        connection.execute(
            sa.insert(FollowUp).values(
                patient_id=pid, followed_on=ANCIENT, nrs=4, source="diary", notes="typo year"
            )
        )
        connection.execute(
            sa.insert(FollowUp).values(
                patient_id=pid, followed_on=END_OF_TIME, nrs=2, source="clinic"
            )
        )
        connection.execute(
            sa.insert(Procedure).values(
                patient_id=pid,
                performer_id=performer,
                performed_at=datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
                technique="conventional",
                region="lumbar",
                side="right",
                levels=["L4-L5"],
                sedation="none",
                status="completed",
            )
        )
        connection.execute(
            sa.insert(Procedure).values(
                patient_id=pid,
                performer_id=performer,
                performed_at=datetime(1, 1, 1, 0, 0, tzinfo=UTC),
                technique="conventional",
                region="lumbar",
                side="left",
                levels=["L3-L4"],
                sedation="none",
                status="completed",
            )
        )
        connection.execute(
            sa.insert(DiagnosticBlock).values(
                patient_id=pid,
                performed_on=ANCIENT,
                block_type="medial_branch",
                levels=["L4-L5"],
                side="right",
                agent="lidocaine",
                volume_ml=0.5,
                baseline_nrs=7,
                relief_percent=90,
            )
        )
        connection.execute(
            sa.insert(Plan).values(
                patient_id=pid,
                procedure="lumbar-facet-rf",
                planned_date=END_OF_TIME,
                side="right",
                levels=["L4-L5"],
                sedation="none",
                bleeding_risk="low",
            )
        )
        connection.execute(
            sa.insert(Complication).values(
                patient_id=pid,
                type="neuritis",
                severity="mild",
                onset_date=END_OF_TIME,
            )
        )
    engine.dispose()
    return url, report, pid


@pytest.fixture(scope="module")
def odd_app(odd_db: tuple[str, SeedReport, int]) -> FastAPI:
    url, _, _ = odd_db
    settings = Settings(database_url=url, env="test", secret_key=SecretStr("o" * 48))
    return create_web_app(settings, synthetic=True)


@pytest.fixture
def odd_client(odd_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(odd_app, raise_server_exceptions=False) as client:
        yield client


def _password(odd_db: tuple[str, SeedReport, int], role: str) -> str:
    return odd_db[1].passwords[f"demo-{role}"][1]


def _as(client: TestClient, odd_db: tuple[str, SeedReport, int], role: str) -> TestClient:
    login(client, f"demo-{role}", _password(odd_db, role))
    return client


def test_clinician_page_shows_the_record_with_odd_rows_flagged(
    odd_client: TestClient, odd_db: tuple[str, SeedReport, int]
) -> None:
    pid = odd_db[2]
    page = _as(odd_client, odd_db, "clinician").get(f"/patients/{pid}")
    assert page.status_code == 200, page.text[:400]
    # Each odd row is listed, with its stored date, and flagged.
    assert page.text.count(FLAG) >= 6
    assert "0001-01-01" in page.text
    assert "9999-12-31" in page.text
    # The rest of the page still works: the plot and the screening are there.
    assert "<svg" in page.text
    assert "Pain trajectory" in page.text


def test_portal_shows_the_patients_own_record_with_odd_rows(
    odd_client: TestClient, odd_db: tuple[str, SeedReport, int]
) -> None:
    portal = _as(odd_client, odd_db, "patient").get("/portal")
    assert portal.status_code == 200, portal.text[:400]
    assert "<svg" in portal.text
    # The diary still takes an entry, and still refuses an implausible one inline.
    saved = odd_client.post(
        "/portal/diary",
        data={"csrf_token": csrf_of(portal.text), "nrs": "3", "followed_on": TODAY.isoformat()},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    refused = odd_client.post(
        "/portal/diary",
        data={"csrf_token": csrf_of(portal.text), "nrs": "3", "followed_on": "0001-01-01"},
    )
    assert refused.status_code == 422
    assert "outside the plausible window" in refused.text


def test_fhir_download_and_api_export_still_answer(
    odd_client: TestClient, odd_db: tuple[str, SeedReport, int]
) -> None:
    pid = odd_db[2]
    client = _as(odd_client, odd_db, "clinician")
    download = client.get(f"/patients/{pid}/fhir.json")
    assert download.status_code == 200, download.text[:400]
    bundle = json.loads(download.text)
    R4Bundle(bundle, strict=True)  # still strict FHIR R4 (4.0.1)
    dates = json.dumps(bundle)
    assert "0001-01-01" in dates  # exported as stored, not silently dropped
    assert "9999-12-31" in dates


def test_api_reads_of_odd_rows_answer(
    odd_client: TestClient, odd_db: tuple[str, SeedReport, int]
) -> None:
    pid = odd_db[2]
    token = odd_client.post(
        "/api/v1/auth/token",
        data={"username": "demo-clinician", "password": _password(odd_db, "clinician")},
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    for kind in ("followups", "procedures", "blocks", "plans", "complications"):
        response = odd_client.get(f"/api/v1/patients/{pid}/{kind}", headers=headers)
        assert response.status_code == 200, (kind, response.text[:300])
    assert odd_client.get(f"/api/v1/patients/{pid}/fhir", headers=headers).status_code == 200


@pytest.mark.parametrize("path", ["/analytics", "/specialists", "/specialists/{performer}"])
def test_registry_pages_still_answer(
    odd_client: TestClient, odd_db: tuple[str, SeedReport, int], path: str
) -> None:
    """The outcome pages aggregate every procedure and score, the odd ones included."""
    _, _, pid = odd_db
    client = _as(odd_client, odd_db, "clinician")
    session = client.app.state.session_factory()  # type: ignore[attr-defined]
    try:
        performer = session.scalar(
            sa.select(Procedure.performer_id).where(Procedure.patient_id == pid).limit(1)
        )
    finally:
        session.close()
    response = client.get(path.format(performer=performer))
    assert response.status_code == 200, (path, response.status_code, response.text[:300])


def test_pain_plot_draws_dates_at_the_ends_of_the_calendar() -> None:
    """The plot itself survives 0001-01-01 and 9999-12-31 (its axis margin is clamped)."""
    figure = pain_figure(
        [PainPoint(ANCIENT, 3), PainPoint(date(2025, 1, 1), 5), PainPoint(END_OF_TIME, 4, True)],
        [END_OF_TIME, ANCIENT],
        baseline_nrs=7,
    )
    svg = figure_svg(figure)
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")


def test_forms_refuse_implausible_values_inline(
    odd_client: TestClient, odd_db: tuple[str, SeedReport, int]
) -> None:
    """The web forms validate through the API's schemas: the same refusals, shown inline."""
    pid = odd_db[2]
    client = _as(odd_client, odd_db, "clinician")
    page = client.get(f"/patients/{pid}/blocks/new")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_of(page.text),
        "performed_on": "0001-01-01",
        "block_type": "medial_branch",
        "levels": "L4-L5",
        "side": "right",
        "agent": "lidocaine",
        "volume_ml": "nan",
        "relief_percent": "80",
        "notes": "bad\x00byte",
    }
    response = client.post(f"/patients/{pid}/blocks/new", data=data)
    assert response.status_code == 422
    html = response.text
    assert 'id="performed_on-error"' in html
    assert "outside the plausible window" in html
    assert 'id="volume_ml-error"' in html
    assert "finite number" in html
    assert 'id="notes-error"' in html
    assert "NUL" in html
    # Before the patient's birth: the service's cross-field check, inline too.
    data |= {"performed_on": "1905-01-01", "volume_ml": "0.5", "notes": ""}
    response = client.post(f"/patients/{pid}/blocks/new", data=data)
    assert response.status_code == 422
    assert "birth date" in response.text
    assert 'id="performed_on-error"' in response.text
    # An id past the integer range names no record: the 404 page, not a 500.
    assert client.get(f"/patients/{2**63}").status_code == 404
    assert client.get(f"/patients/{pid}/blocks/new?x=1").status_code == 200
