"""The documents (issue 16): operative note page and the four PDFs, read back with pypdf.

A fresh seeded database; the demo patient's login is linked to a new patient
with a known history, so every expected figure is written here from the inputs:

- the cervical facet RF plan with apixaban and ibuprofen: the drug table
  (Narouze 2018 as read in ``knowledge/drugs.yaml``) pauses apixaban (the PDF must
  show the stored hold's own last-dose date and restart hours) and keeps ibuprofen;
  fasting is in
  the plan with minimal sedation and absent from the same plan without sedation
  (``knowledge/preparation.yaml``, applies_when: sedation); transport in both;
- the procedure's lesions with their stored thresholds (0.3 V, 0.45 V; 2.0 V
  motor; 250 and 410 ohm), one blocked by a limb contraction and overridden;
- the course: baseline NRS 8 (a clinic score 10 days before), NRS 2 at 30 days
  (peak relief (8 - 2) / 8 = 75 %), NRS 4 at 90 days (latest).
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from pydantic import SecretStr
from pypdf import PdfReader

from rhizo import DISCLAIMER
from rhizo.clinic.core import migrate
from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import Actor, Role, User
from rhizo.clinic.core.common import Region, Side
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.demo.seed import SEED_ACTOR, seed
from rhizo.clinic.discharge import service as discharge_service
from rhizo.clinic.discharge.models import (
    DischargeCreate,
    Disposition,
    Escalation,
    EscalationKind,
)
from rhizo.clinic.followup import service as followup_service
from rhizo.clinic.followup.models import FollowUpCreate
from rhizo.clinic.medication import service as medication_service
from rhizo.clinic.medication.models import MedicationCreate
from rhizo.clinic.patient import service as patient_service
from rhizo.clinic.patient.models import Patient, PatientCreate, Sex
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.models import Plan, PlanCreate, Sedation
from rhizo.clinic.procedure import service as procedure_service
from rhizo.clinic.procedure.models import LesionCreate, Procedure, ProcedureCreate
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.web.app import create_web_app
from rhizo.pathway.durations import human_duration
from tests.clinic.factories import good_lesion
from tests.web.conftest import login

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SEEDED_ON = date(2026, 6, 1)
TODAY = date.today()
PERFORMED_ON = TODAY - timedelta(days=120)
PLANNED = max(TODAY, SEEDED_ON) + timedelta(days=400)
REFERRER = "Dr Rosalind Franklin"
ADMISSION_REASON = "Admitted overnight for neurology review of the new leg weakness."
REFERRER_ADDRESS = "Riverside Practice\n12 Mill Lane\nCambridge CB1 1AA"


class Ids:
    patient: int
    procedure: int
    plan_sedation: int
    plan_plain: int
    other_procedure: int
    other_plan: int
    other_patient: int
    third_procedure: int
    performer: str


def _clinician(session: sa.orm.Session) -> Actor:
    user = session.scalar(sa.select(User).where(User.username == "demo-clinician"))
    assert user is not None
    return Actor(user_id=user.id, username=user.username, role=Role.CLINICIAN)


def _build(url: str) -> tuple[dict[str, str], Ids]:
    engine = create_db_engine(url)
    session = create_session_factory(engine)()
    report = seed(session, patients=3, today=SEEDED_ON)
    ids = Ids()
    actor = _clinician(session)
    old = session.scalar(sa.select(Patient).where(Patient.user_id.is_not(None)))
    assert old is not None
    assert old.user_id is not None
    login_id = old.user_id
    patient = patient_service.create(
        session=session,
        actor=SEED_ACTOR,
        data=PatientCreate(
            mrn="DOC-0001",
            given_name="Ottilie",
            family_name="Quarrington",
            birth_date=date(1961, 4, 9),
            sex=Sex.FEMALE,
            synthetic=True,
        ),
    )
    patient.referrer_name = REFERRER
    patient.referrer_address = REFERRER_ADDRESS
    session.commit()
    patient_service.link_login(session=session, actor=SEED_ACTOR, patient_id=old.id, user_id=None)
    patient_service.link_login(
        session=session, actor=SEED_ACTOR, patient_id=patient.id, user_id=login_id
    )
    ids.patient = patient.id
    for name in ("apixaban", "ibuprofen"):
        medication_service.create(
            session=session,
            actor=SEED_ACTOR,
            patient_id=patient.id,
            data=MedicationCreate(name=name),
        )
    for sedation in (Sedation.MINIMAL, Sedation.NONE):
        plan = plan_service.create(
            session=session,
            actor=SEED_ACTOR,
            patient_id=patient.id,
            data=PlanCreate(
                procedure="cervical-facet-rf",
                planned_date=PLANNED,
                side=Side.RIGHT,
                levels=["C3-C4"],
                sedation=sedation,
            ),
        )
        if sedation is Sedation.MINIMAL:
            ids.plan_sedation = plan.id
        else:
            ids.plan_plain = plan.id
    specialist = session.scalar(sa.select(Specialist).order_by(Specialist.id))
    assert specialist is not None
    ids.performer = specialist.display_name
    performed_at = datetime.combine(PERFORMED_ON, time(9, 30), tzinfo=UTC)
    followup_service.create(
        session=session,
        actor=actor,
        patient_id=patient.id,
        data=FollowUpCreate(followed_on=PERFORMED_ON - timedelta(days=10), nrs=8),
    )
    procedure = procedure_service.create(
        session=session,
        actor=actor,
        patient_id=patient.id,
        data=ProcedureCreate(
            performer_id=specialist.id,
            performed_at=performed_at,
            region=Region.CERVICAL,
            side=Side.RIGHT,
            levels=["C3-C4"],
            sedation=Sedation.MINIMAL,
            lesions=[
                LesionCreate.model_validate(
                    good_lesion(target_nerve="C4 medial branch", placement="oblique")
                ),
                LesionCreate.model_validate(
                    good_lesion(
                        target_nerve="C3 medial branch",
                        placement="oblique",
                        sensory_threshold_v=0.45,
                        impedance_ohm=410,
                        motor_response="limb",
                        override_reason="Contraction judged to be neck muscle, not the limb.",
                    )
                ),
            ],
        ),
    )
    ids.procedure = procedure.id
    discharge_service.create(
        session=session,
        actor=actor,
        patient_id=patient.id,
        procedure_id=procedure.id,
        data=DischargeCreate(
            discharged_at=performed_at + timedelta(hours=3),
            nrs=2,
            escort_present=True,
            instructions_given=True,
        ),
    )
    for days, nrs in ((30, 2), (90, 4)):
        followup_service.create(
            session=session,
            actor=actor,
            patient_id=patient.id,
            data=FollowUpCreate(followed_on=PERFORMED_ON + timedelta(days=days), nrs=nrs),
        )
    other = session.scalar(sa.select(Procedure).where(Procedure.patient_id == old.id))
    other_plan = session.scalar(sa.select(Plan).where(Plan.patient_id == old.id))
    assert other is not None
    assert other_plan is not None
    ids.other_procedure, ids.other_plan, ids.other_patient = other.id, other_plan.id, old.id
    # Red flags at discharge (knowledge/discharge_safety.yaml, rhizo's local protocol):
    # NRS 7 is the lowest uncontrolled pain (flag, escalated), NRS 6 just below (no flag).
    third = session.scalar(
        sa.select(Procedure)
        .where(Procedure.patient_id.not_in([old.id, patient.id]))
        .order_by(Procedure.id)
    )
    assert third is not None
    ids.third_procedure = third.id
    for row, nrs, deficit, escalation in (
        (other, 7, True, Escalation(kind=EscalationKind.ADMITTED, reason=ADMISSION_REASON)),
        (third, 6, False, None),
    ):
        discharge_service.create(
            session=session,
            actor=actor,
            patient_id=row.patient_id,
            procedure_id=row.id,
            data=DischargeCreate(
                discharged_at=row.performed_at + timedelta(hours=2),
                disposition=Disposition.ADMITTED if escalation else Disposition.HOME,
                nrs=nrs,
                new_deficit=deficit,
                escort_present=True,
                instructions_given=True,
                escalation=escalation,
            ),
        )
    session.commit()
    session.close()
    engine.dispose()
    return {name: password for name, (_, password) in report.passwords.items()}, ids


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> tuple[FastAPI, dict[str, str], Ids]:
    path: Path = tmp_path_factory.mktemp("documents") / "documents.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    passwords, ids = _build(url)
    settings = Settings(
        database_url=url,
        env="test",
        secret_key=SecretStr("d" * 48),
        admin_totp_required=False,
        clinic_name="Riverside Spine Clinic",
        clinic_phone="+44 1223 555 0100",
        clinic_hours="Mon-Fri 8:00-18:00",
    )
    return create_web_app(settings, synthetic=True), passwords, ids


class Clients:
    """One logged-in client per demo role, made on first use (one login per role)."""

    def __init__(self, app: FastAPI, passwords: dict[str, str], stack: ExitStack) -> None:
        self._app, self._passwords, self._stack = app, passwords, stack
        self._clients: dict[str, TestClient] = {}

    def __getitem__(self, role: str) -> TestClient:
        if role not in self._clients:
            client = self._stack.enter_context(TestClient(self._app, raise_server_exceptions=False))
            login(client, f"demo-{role}", self._passwords[f"demo-{role}"])
            self._clients[role] = client
        return self._clients[role]


@pytest.fixture(scope="module")
def as_user(docs: tuple[FastAPI, dict[str, str], Ids]) -> Iterator[Clients]:
    app, passwords, _ = docs
    with ExitStack() as stack:
        yield Clients(app, passwords, stack)


def pdf_text(body: bytes) -> tuple[str, int]:
    """All pages' text (whitespace runs folded to one space) and the page count."""
    assert body.startswith(b"%PDF-"), body[:40]
    reader = PdfReader(io.BytesIO(body))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text), len(reader.pages)


def _stored(app: FastAPI, model: type, row_id: int):  # type: ignore[no-untyped-def]
    session = app.state.session_factory()
    try:
        row = session.get(model, row_id)
        assert row is not None
        if isinstance(row, Procedure):
            _ = [les.gate_findings for les in row.lesions]
        session.expunge_all()
        return row
    finally:
        session.close()


# --- the personal plan -------------------------------------------------------------


def _expected_medicine_lines(plan: Plan) -> list[str]:
    """From the stored holds, by the rule in words (pause: last dose and restart; no: keep)."""
    lines = []
    for hold in plan.holds:
        if hold["hold"] == "yes":
            lines.append(
                f"{hold['drug']}: last dose on {hold['last_dose_date']}, start again "
                f"{hold['restart_after_hours']} hours after the procedure"
            )
        elif hold["hold"] == "no":
            lines.append(f"{hold['drug']}: you usually keep taking it as normal.")
    return lines


def test_personal_plan_pdf_has_name_dates_and_the_plans_holds(
    docs: tuple[FastAPI, dict[str, str], Ids], as_user: Clients
) -> None:
    app, _, ids = docs
    plan = _stored(app, Plan, ids.plan_sedation)
    holds = {h["drug"]: h for h in plan.holds}
    # The drug table's answers for a cervical facet RF (intermediate risk, Narouze 2018).
    assert holds["apixaban"]["hold"] == "yes"
    assert holds["ibuprofen"]["hold"] == "no"
    assert date.fromisoformat(holds["apixaban"]["last_dose_date"]) < PLANNED
    response = as_user["patient"].get(f"/patients/{ids.patient}/plans/{plan.id}/plan.pdf")
    assert response.status_code == 200, response.text[:400]
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    text, pages = pdf_text(response.content)
    assert "Ottilie Quarrington" in text
    assert PLANNED.isoformat() in text
    assert "1961-04-09" in text
    for line in _expected_medicine_lines(plan):
        assert line in text, line
    fasting = [i["text"] for i in plan.instructions if i["topic"] == "fasting"]
    assert fasting  # minimal sedation: the fasting lines
    for line in fasting:
        assert re.sub(r"\s+", " ", line) in text
    assert DISCLAIMER.split(".")[0] in text
    assert "SYNTHETIC" in text
    assert "+44 1223 555 0100" in text
    assert pages <= 3


def test_personal_plan_without_sedation_has_no_fasting(
    docs: tuple[FastAPI, dict[str, str], Ids], as_user: Clients
) -> None:
    app, _, ids = docs
    sedated = _stored(app, Plan, ids.plan_sedation)
    plain = _stored(app, Plan, ids.plan_plain)
    fasting = [i["text"] for i in sedated.instructions if i["topic"] == "fasting"]
    transport = [i["text"] for i in plain.instructions if i["topic"] == "transport"]
    assert fasting
    assert transport
    response = as_user["clinician"].get(f"/patients/{ids.patient}/plans/{plain.id}/plan.pdf")
    text, _ = pdf_text(response.content)
    for line in fasting:
        assert re.sub(r"\s+", " ", line)[:40] not in text
    for line in transport:
        assert re.sub(r"\s+", " ", line)[:40] in text
    sedated_text, _ = pdf_text(
        as_user["clinician"].get(f"/patients/{ids.patient}/plans/{sedated.id}/plan.pdf").content
    )
    for line in fasting:
        assert re.sub(r"\s+", " ", line)[:40] in sedated_text


def test_the_plan_pdf_and_the_portal_say_the_same_about_each_medicine(
    docs: tuple[FastAPI, dict[str, str], Ids], as_user: Clients
) -> None:
    _, _, ids = docs
    portal = as_user["patient"].get("/portal").text
    found = re.findall(
        r'data-drug="([^"]+)" data-action="([^"]+)"><strong>[^<]+</strong>: ([^<]+)<', portal
    )
    assert found, "the portal lists the plan's medicines"
    plan_id = max(ids.plan_sedation, ids.plan_plain)  # the portal shows the latest upcoming
    text, _ = pdf_text(
        as_user["patient"].get(f"/patients/{ids.patient}/plans/{plan_id}/plan.pdf").content
    )
    for drug, _action, words in found:
        assert f"{drug}: {words.strip()}" in text


# --- the operative note ------------------------------------------------------------


def test_operative_note_page_and_pdf_list_every_lesions_thresholds(
    docs: tuple[FastAPI, dict[str, str], Ids], as_user: Clients
) -> None:
    app, _, ids = docs
    procedure = _stored(app, Procedure, ids.procedure)
    client = as_user["clinician"]
    page = client.get(f"/procedures/{ids.procedure}/note")
    assert page.status_code == 200
    text, _ = pdf_text(client.get(f"/procedures/{ids.procedure}/note.pdf").content)
    for lesion in procedure.lesions:
        expected = [
            f"Lesion {lesion.ordinal}: {lesion.target_nerve}, {lesion.side.value}",
            f"{lesion.sensory_threshold_v:g} V",
            f"{lesion.motor_test_voltage_v:g} V",
            f"{lesion.impedance_ohm:g} ohm",
            f"{lesion.set_temperature_c:g} °C, {lesion.duration_s:g} s",
            f"{lesion.gauge} G",
            f"{lesion.tip_length_mm:g} mm",
        ]
        for item in expected:
            assert item in text, item
            assert item in page.text.replace("&#39;", "'"), item
        assert lesion.prediction_note is not None  # oblique: no angle, so no prediction
        assert lesion.prediction_note[:40] in text
    # The stored thresholds are the inputs above (an independent reference).
    assert [les.sensory_threshold_v for les in procedure.lesions] == [0.3, 0.45]
    assert [les.impedance_ohm for les in procedure.lesions] == [250, 410]
    assert "overridden by demo-clinician" in text
    assert "Contraction judged to be neck muscle, not the limb." in text
    blocking = [
        f["message"] for les in procedure.lesions for f in les.gate_findings if f["blocking"]
    ]
    assert blocking
    assert all(message[:30] in text for message in blocking)
    assert docs[2].performer in text
    assert PERFORMED_ON.isoformat() in text
    assert "escort present" in text
    assert "instructions given" in text
    assert "SYNTHETIC" in text
    assert DISCLAIMER.split(".")[0] in text


def test_a_recorded_prediction_is_shown_as_a_model_estimate(
    docs: tuple[FastAPI, dict[str, str], Ids], as_user: Clients
) -> None:
    app, _, _ = docs
    session = app.state.session_factory()
    try:
        predicted = session.scalar(
            sa.select(Procedure)
            .join(Procedure.lesions)
            .where(sa.text("lesions.predicted_capture_probability IS NOT NULL"))
            .order_by(Procedure.id)
        )
        assert predicted is not None, "the seed records predicted lesions"
        lesion = next(
            les for les in predicted.lesions if les.predicted_capture_probability is not None
        )
        procedure_id, probability = predicted.id, lesion.predicted_capture_probability
    finally:
        session.close()
    assert probability is not None
    text, _ = pdf_text(as_user["nurse"].get(f"/procedures/{procedure_id}/note.pdf").content)
    assert f"predicted capture {100 * probability:.0f} %" in text
    assert "a model estimate, not a measurement" in text


# --- the discharge sheet and the letter ---------------------------------------------


def test_discharge_sheet_has_the_discharge_warning_signs_and_contact(
    docs: tuple[FastAPI, dict[str, str], Ids], as_user: Clients
) -> None:
    _, _, ids = docs
    response = as_user["patient"].get(f"/procedures/{ids.procedure}/discharge.pdf")
    assert response.status_code == 200
    text, _ = pdf_text(response.content)
    assert "Ottilie Quarrington" in text
    assert PERFORMED_ON.isoformat() in text
    assert "When to get help" in text
    assert "Call Riverside Spine Clinic on +44 1223 555 0100 (Mon-Fri 8:00-18:00)" in text
    # The check-ups of the review schedule, from the procedure day.
    assert "Your check-ups" in text
    # Apixaban was paused by the plan only when the procedure carries the plan: none here.
    assert "Someone with you yes" in text


def test_discharge_sheet_shows_red_flags_at_the_pain_boundary_and_the_escalation(
    docs: tuple[FastAPI, dict[str, str], Ids], as_user: Clients
) -> None:
    _, _, ids = docs
    flagged, _ = pdf_text(
        as_user["nurse"].get(f"/procedures/{ids.other_procedure}/discharge.pdf").content
    )
    assert "red flag: Pain not controlled (NRS 7 or more at discharge)." in flagged
    assert "red flag: New weakness or numbness in a limb (a new deficit)." in flagged
    assert f"escalation: admitted by demo-clinician: {ADMISSION_REASON}" in flagged
    below, _ = pdf_text(
        as_user["nurse"].get(f"/procedures/{ids.third_procedure}/discharge.pdf").content
    )
    assert "Pain score 6" in below
    assert "red flag" not in below


def test_referral_letter_addresses_the_referrer_with_the_outcome_so_far(
    docs: tuple[FastAPI, dict[str, str], Ids], as_user: Clients
) -> None:
    _, _, ids = docs
    response = as_user["clinician"].get(f"/procedures/{ids.procedure}/letter.pdf")
    assert response.status_code == 200
    text, _ = pdf_text(response.content)
    assert f"Dear {REFERRER}," in text
    assert "12 Mill Lane" in text
    assert "C3-C4" in text
    assert "C4 medial branch (right)" in text
    baseline_day = (PERFORMED_ON - timedelta(days=10)).isoformat()
    assert f"NRS 8 ({baseline_day})" in text
    assert f"{(8 - 2) / 8 * 100:.0f} %" in text  # peak relief 75 %
    assert f"NRS 4 on {(PERFORMED_ON + timedelta(days=90)).isoformat()}" in text
    # NRS 4 from 8 is exactly 50 % relief: in relief (Cohen 2010's ">= 50 %", inclusive), so
    # relief is confirmed to day 90 and still running; were it excluded, it would end at 30.
    assert f">= 50 % relief for {human_duration(round(90 / 7, 1))} so far" in text
    assert "+44 1223 555 0100" in text


def test_letter_without_a_referrer_goes_to_the_referring_clinician(
    docs: tuple[FastAPI, dict[str, str], Ids], as_user: Clients
) -> None:
    _, _, ids = docs
    text, _ = pdf_text(
        as_user["clinician"].get(f"/procedures/{ids.other_procedure}/letter.pdf").content
    )
    assert "the referring clinician" in text
    assert "Dear colleague," in text


# --- who may download, the audit, and a missing Pango -----------------------------------


@pytest.mark.parametrize(
    ("role", "own_status", "other_status", "staff_status"),
    [
        ("patient", 200, 403, 403),
        ("clinician", 200, 200, 200),
        ("nurse", 200, 200, 200),
        ("admin", 200, 200, 200),
        ("researcher", 403, 403, 403),
        ("auditor", 403, 403, 403),
    ],
)
def test_who_may_download_which_document(
    docs: tuple[FastAPI, dict[str, str], Ids],
    as_user: Clients,
    role: str,
    own_status: int,
    other_status: int,
    staff_status: int,
) -> None:
    _, _, ids = docs
    client = as_user[role]
    own = (
        f"/procedures/{ids.procedure}/discharge.pdf",
        f"/patients/{ids.patient}/plans/{ids.plan_plain}/plan.pdf",
    )
    other = (
        f"/procedures/{ids.other_procedure}/discharge.pdf",
        f"/patients/{ids.other_patient}/plans/{ids.other_plan}/plan.pdf",
    )
    staff_only = (
        f"/procedures/{ids.procedure}/note",
        f"/procedures/{ids.procedure}/note.pdf",
        f"/procedures/{ids.procedure}/letter.pdf",
    )
    for paths, status in ((own, own_status), (other, other_status), (staff_only, staff_status)):
        for path in paths:
            response = client.get(path, follow_redirects=False)
            assert response.status_code == status, (path, response.status_code)
            if status == 403:
                assert b"Quarrington" not in response.content
                assert b"%PDF" not in response.content[:10]


def test_a_patient_gets_403_for_a_procedure_that_does_not_exist(
    as_user: Clients,
) -> None:
    assert as_user["patient"].get("/procedures/999999/discharge.pdf").status_code == 403
    assert as_user["clinician"].get("/procedures/999999/discharge.pdf").status_code == 404
    assert as_user["clinician"].get("/procedures/999999/note").status_code == 404


def test_each_download_is_audited_as_a_read_naming_the_document(
    docs: tuple[FastAPI, dict[str, str], Ids], as_user: Clients
) -> None:
    app, _, ids = docs
    paths = {
        "operative_note": f"/procedures/{ids.procedure}/note.pdf",
        "discharge_sheet": f"/procedures/{ids.procedure}/discharge.pdf",
        "referral_letter": f"/procedures/{ids.procedure}/letter.pdf",
        "personal_plan": f"/patients/{ids.patient}/plans/{ids.plan_plain}/plan.pdf",
    }
    for kind, path in paths.items():
        session = app.state.session_factory()
        try:
            before = session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
        finally:
            session.close()
        assert as_user["nurse"].get(path).status_code == 200
        session = app.state.session_factory()
        try:
            rows = session.scalars(sa.select(AuditEvent).where(AuditEvent.id > before)).all()
        finally:
            session.close()
        reads = [r for r in rows if r.action is AuditAction.READ]
        assert len(reads) == 1, [(r.action, r.details) for r in rows]
        assert reads[0].patient_id == ids.patient
        assert reads[0].actor_username == "demo-nurse"
        assert reads[0].details == {"whole_record": True, "document": kind}


def test_without_pango_a_pdf_answers_503_in_words(
    monkeypatch: pytest.MonkeyPatch,
    docs: tuple[FastAPI, dict[str, str], Ids],
    as_user: Clients,
) -> None:
    _, _, ids = docs

    def missing(name: str) -> object:
        raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: not found")

    # The import WeasyPrint fails with when Debian's Pango is not installed.
    monkeypatch.setattr(
        "rhizo.clinic.web.documents.pdf.importlib", SimpleNamespace(import_module=missing)
    )
    response = as_user["clinician"].get(f"/procedures/{ids.procedure}/note.pdf")
    assert response.status_code == 503
    assert "text/html" in response.headers["content-type"]
    assert "libpango-1.0-0" in response.text
    assert "scripts/pango.sh" in response.text
    assert "Traceback" not in response.text
    # The page itself still opens.
    assert as_user["clinician"].get(f"/procedures/{ids.procedure}/note").status_code == 200


# --- the buttons on the pages -------------------------------------------------------------


def test_the_patient_page_and_the_portal_link_the_documents(
    docs: tuple[FastAPI, dict[str, str], Ids], as_user: Clients
) -> None:
    _, _, ids = docs
    staff_page = as_user["clinician"].get(f"/patients/{ids.patient}").text
    note = f'href="/procedures/{ids.procedure}/note"'
    sheet = f'href="/procedures/{ids.procedure}/discharge.pdf"'
    plan = f'href="/patients/{ids.patient}/plans/{ids.plan_plain}/plan.pdf"'
    assert note in staff_page
    assert sheet in staff_page
    assert plan in staff_page
    own_page = as_user["patient"].get(f"/patients/{ids.patient}").text
    assert note not in own_page  # the note is a staff document
    assert sheet in own_page
    portal = as_user["patient"].get("/portal").text
    assert sheet in portal  # the latest completed procedure: the one made here
    assert f"/patients/{ids.patient}/plans/" in portal
    discharge_form = as_user["nurse"].get(f"/procedures/{ids.procedure}/discharge").text
    assert sheet in discharge_form
    assert note in discharge_form
    note_page = as_user["nurse"].get(f"/procedures/{ids.procedure}/note").text
    for href in (f"/procedures/{ids.procedure}/{name}" for name in ("note.pdf", "letter.pdf")):
        assert f'href="{href}"' in note_page
