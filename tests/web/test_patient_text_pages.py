"""The patient-text pages: choosing a specialist, and the portal worded for the planned region.

A fresh seeded database of its own (the shared one has lumbar plans only), with
a cervical plan added for the portal patient after every seeded plan, so the
portal must show the neck wording and the neck warning signs.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from markupsafe import escape
from pydantic import SecretStr

from rhizo import DISCLAIMER
from rhizo.clinic.core import migrate
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.core.common import Region, Side
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.demo.seed import SEED_ACTOR, seed
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.models import Plan, PlanCreate, Sedation
from rhizo.clinic.procedure import service as procedure_service
from rhizo.clinic.procedure.models import ProcedureCreate
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.web.app import create_web_app
from rhizo.pathway.aftercare import restart_item
from rhizo.pathway.education import choosing_a_specialist
from rhizo.pathway.facts import entry
from rhizo.pathway.premed_models import DrugHold
from rhizo.pathway.relief import RESPONDER_MONTHS, RESPONDER_THRESHOLD
from tests.web.conftest import login
from tests.web.test_forms_support import db, new_patient

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROLES = ("admin", "clinician", "nurse", "researcher", "auditor", "patient")
PAGE = "/learn/choosing-a-specialist"
SEEDED_ON = date(2026, 6, 1)


@pytest.fixture(scope="module")
def neck_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[FastAPI, dict[str, str]]:
    path: Path = tmp_path_factory.mktemp("neck") / "neck.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    session = create_session_factory(engine)()
    report = seed(session, patients=3, today=SEEDED_ON)
    own = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
    assert own is not None
    # Later than any seeded plan (those are within weeks of SEEDED_ON) and than today.
    planned = max(date.today(), SEEDED_ON) + timedelta(days=400)
    plan_service.create(
        session=session,
        actor=SEED_ACTOR,
        patient_id=int(own),
        data=PlanCreate(
            procedure="cervical-facet-rf",
            planned_date=planned,
            side=Side.RIGHT,
            levels=["C2-C3"],
        ),
    )
    session.commit()
    session.close()
    engine.dispose()
    settings = Settings(
        database_url=url, env="test", secret_key=SecretStr("n" * 48), admin_totp_required=False
    )
    passwords = {name: password for name, (_, password) in report.passwords.items()}
    return create_web_app(settings, synthetic=True), passwords


@pytest.fixture
def neck_client(neck_app: tuple[FastAPI, dict[str, str]]) -> Iterator[TestClient]:
    with TestClient(neck_app[0], raise_server_exceptions=False) as client:
        yield client


def _as(client: TestClient, app: tuple[FastAPI, dict[str, str]], role: str) -> TestClient:
    login(client, f"demo-{role}", app[1][f"demo-{role}"])
    return client


@pytest.mark.parametrize("role", ROLES)
def test_choosing_a_specialist_page_for_every_role(
    neck_client: TestClient, neck_app: tuple[FastAPI, dict[str, str]], role: str
) -> None:
    page = _as(neck_client, neck_app, role).get(PAGE)
    assert page.status_code == 200
    text = page.text
    for group in choosing_a_specialist():
        assert f'id="specialist-{group.topic}"' in text
        for point in group.points:
            assert str(escape(point.text)) in text
            assert str(escape(point.source)) in text
    # rhizo's own responder definition, from its one definition in rhizo.pathway.relief.
    assert f"at least {RESPONDER_THRESHOLD.value:g} % less pain" in text
    assert f"{RESPONDER_MONTHS} months later" in text
    assert "board certified in pain medicine" in text
    assert "[patient-information page only]" in text  # lay-only points say so
    assert DISCLAIMER in text
    # Staff who may read the specialist figures get the link; patients and auditors do not.
    readers = {"admin", "clinician", "nurse", "researcher"}
    assert ('href="/specialists"' in text) == (role in readers)
    assert f'href="{PAGE}"' in text  # the navigation links the page


def test_choosing_a_specialist_page_needs_a_login(neck_client: TestClient) -> None:
    response = neck_client.get(PAGE, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_portal_is_worded_for_the_planned_neck_treatment(
    neck_client: TestClient, neck_app: tuple[FastAPI, dict[str, str]]
) -> None:
    portal = _as(neck_client, neck_app, "patient").get("/portal")
    assert portal.status_code == 200
    text = portal.text
    assert "What happens on the day (neck)" in text
    # Neck steps, FAQ and aftercare; not the low-back ones.
    assert str(escape(entry("education", "step-testing-neck")["text"])) in text
    assert str(escape(entry("education", "step-testing")["text"])) not in text
    assert str(escape(entry("education", "faq-safe-neck")["answer"])) in text
    assert str(escape(entry("education", "faq-safe")["answer"])) not in text
    assert str(escape(entry("aftercare", "neck-balance")["text"])) in text
    # The warning signs come before the day's steps, as a list, with the neck's own signs.
    help_at = text.index('id="get-help"')
    assert help_at < text.index("What happens on the day")
    assert str(escape(entry("aftercare", "red-flag-neck-swelling")["text"])) in text
    assert str(escape(entry("aftercare", "red-flag-weakness-leg")["text"])) not in text
    # Check-ups in the patient's words, and the link to choosing a specialist.
    assert "how much the treatment helped" in text
    assert "responder check" not in text
    assert f'id="choosing-link" href="{PAGE}"' in text
    # The plan's paused medicines get their restart time (from the stored holds).
    with db(neck_app[0]) as session:
        own = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
        plans = session.scalars(sa.select(Plan).where(Plan.patient_id == own)).all()
        holds = max(plans, key=lambda plan: plan.planned_date).holds
    assert holds  # the seeded portal patient takes clopidogrel
    for hold in holds:
        assert str(escape(restart_item(DrugHold.model_validate(hold)).text)) in text


def _procedure(app: FastAPI, region: Region, levels: list[str]) -> int:
    pid = new_patient(app)
    with db(app) as session:
        performer = session.scalar(sa.select(Specialist.id))
        assert performer is not None
        procedure = procedure_service.create(
            session=session,
            actor=Actor(user_id=None, username="patient-text-tests", role=Role.ADMIN),
            patient_id=pid,
            data=ProcedureCreate(
                performer_id=performer,
                performed_at=datetime(2026, 5, 4, 9, 0, tzinfo=UTC),
                region=region,
                side=Side.RIGHT,
                levels=levels,
                sedation=Sedation.NONE,
            ),
        )
        return procedure.id


@pytest.mark.parametrize(
    ("region", "levels", "neck_advice"),
    [(Region.CERVICAL, ["C2-C3"], True), (Region.LUMBAR, ["L4-L5"], False)],
)
def test_discharge_form_gives_the_regions_first_day_advice(
    neck_client: TestClient,
    neck_app: tuple[FastAPI, dict[str, str]],
    region: Region,
    levels: list[str],
    neck_advice: bool,
) -> None:
    procedure_id = _procedure(neck_app[0], region, levels)
    page = _as(neck_client, neck_app, "nurse").get(f"/procedures/{procedure_id}/discharge")
    assert page.status_code == 200
    balance = str(escape(entry("aftercare", "neck-balance")["text"]))
    assert (balance in page.text) is neck_advice
    assert str(escape(entry("aftercare", "no-driving")["text"])) in page.text
