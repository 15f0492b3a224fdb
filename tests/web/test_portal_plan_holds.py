"""The portal says, in plain words, what to do with each medicine the plan covers (issue 14).

A fresh seeded database with a high-risk plan for the portal patient (after every
seeded plan, so the portal shows it): ibuprofen is held 1 day before a high-risk
procedure (UpToDate adaptation of Narouze 2018, NSAID rows); aspirin without an
indication cannot be answered (primary prophylaxis 6 days, secondary a shared
assessment); clopidogrel with a stent placed 4 months ago is the cardiologist's
decision (no automatic hold).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from pydantic import SecretStr

from rhizo.clinic.core import migrate
from rhizo.clinic.core.common import Side
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.demo.seed import SEED_ACTOR, seed
from rhizo.clinic.medication import service as medication_service
from rhizo.clinic.medication.models import MedicationCreate
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.models import PlanCreate
from rhizo.clinic.web.app import create_web_app
from tests.web.conftest import login

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SEEDED_ON = date(2026, 6, 1)
PLANNED = max(date.today(), SEEDED_ON) + timedelta(days=500)


@pytest.fixture(scope="module")
def holds_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[FastAPI, dict[str, str]]:
    path: Path = tmp_path_factory.mktemp("holds") / "holds.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    session = create_session_factory(engine)()
    report = seed(session, patients=3, today=SEEDED_ON)
    own = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
    assert own is not None
    for name in ("ibuprofen", "aspirin", "clopidogrel"):
        medication_service.create(
            session=session,
            actor=SEED_ACTOR,
            patient_id=int(own),
            data=MedicationCreate(name=name),
        )
    plan_service.create(
        session=session,
        actor=SEED_ACTOR,
        patient_id=int(own),
        data=PlanCreate(
            procedure="spinal-cord-stimulator",
            planned_date=PLANNED,
            side=Side.BILATERAL,
            levels=["T9-T10"],
            stent_months=4,
        ),
    )
    session.commit()
    session.close()
    engine.dispose()
    settings = Settings(
        database_url=url, env="test", secret_key=SecretStr("h" * 48), admin_totp_required=False
    )
    passwords = {name: password for name, (_, password) in report.passwords.items()}
    return create_web_app(settings, synthetic=True), passwords


@pytest.fixture
def portal_text(holds_app: tuple[FastAPI, dict[str, str]]) -> Iterator[str]:
    with TestClient(holds_app[0], raise_server_exceptions=False) as client:
        login(client, "demo-patient", holds_app[1]["demo-patient"])
        page = client.get("/portal")
        assert page.status_code == 200
        yield page.text


def test_each_medicine_gets_a_plain_instruction(portal_text: str) -> None:
    last = (PLANNED - timedelta(days=1)).isoformat()  # ibuprofen: 1 day before high risk
    assert f"<strong>ibuprofen</strong>: last dose on {last}" in portal_text
    assert "only if the doctor who prescribes it agrees" in portal_text
    for undecided in ("aspirin", "clopidogrel"):
        assert (
            f"<strong>{undecided}</strong>: do not change it yet. Your care team and the doctor"
            in portal_text
        )


def test_the_stent_warning_is_shown_in_plain_words(portal_text: str) -> None:
    assert "Heart stent or two blood thinners:" in portal_text
    assert "heart doctor (cardiologist)" in portal_text
    # Clinician wording and evidence jargon stay on the clinician's page.
    assert "needs_input" not in portal_text
    assert "individualise" not in portal_text
