"""The medications page: list, add, stop, inline errors, and the plan's holds with today's
medicines, checked against a direct call of the pathway (rhizo.pathway.premed)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.core.common import Side
from rhizo.clinic.medication import service as medication_service
from rhizo.clinic.medication.models import Medication, MedicationCreate
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.lifecycle import PlanStatus
from rhizo.clinic.plan.models import Plan, PlanCreate, Sedation
from rhizo.clinic.web.records.medications import current_plan
from rhizo.pathway.premed import RiskFactor, plan_premedication
from tests.web.test_forms_support import REFUSED_ROLES, AsRole, audit_rows, db, new_patient

SYSTEM = Actor(user_id=None, username="medication-tests", role=Role.ADMIN)
PLANNED = date.today() + timedelta(days=21)


def _plan(app: FastAPI, pid: int) -> int:
    """An intermediate-risk lumbar plan (coagulopathy raises low to intermediate)."""
    with db(app) as session:
        plan = plan_service.create(
            session=session,
            actor=SYSTEM,
            patient_id=pid,
            data=PlanCreate(
                procedure="lumbar-facet-rf",
                planned_date=PLANNED,
                side=Side.RIGHT,
                levels=["L4-L5"],
                sedation=Sedation.NONE,
                risk_factors=[RiskFactor.COAGULOPATHY],
            ),
        )
        return plan.id


def _page(client: TestClient, pid: int) -> tuple[str, str]:
    page = client.get(f"/patients/{pid}/medications")
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return page.text, match.group(1) if match else ""


def _add(client: TestClient, pid: int, csrf: str, **fields: str) -> object:
    data = {"csrf_token": csrf, "name": "apixaban", "dose": "5 mg twice a day"}
    data |= {"indication": "atrial fibrillation", "started_on": "2025-01-10"} | fields
    return client.post(f"/patients/{pid}/medications/new", data=data, follow_redirects=False)


def test_adding_apixaban_changes_the_holds_shown_as_the_pathway_computes_them(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    _plan(web_app, pid)
    client = as_role("nurse")
    html, csrf = _page(client, pid)
    assert 'id="holds-now-none"' in html  # no drug, no hold
    assert 'id="holds-changed"' not in html
    response = _add(client, pid, csrf)
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    html, _ = _page(client, pid)
    # The reference: the pathway itself, called directly with the same plan inputs.
    expected = plan_premedication(
        procedure="lumbar-facet-rf",
        procedure_date=PLANNED,
        drugs=["apixaban"],
        risk_factors=[RiskFactor.COAGULOPATHY],
    )
    (hold,) = expected.holds
    assert hold.hold_days is not None
    assert hold.last_dose_date is not None
    assert f'data-drug="apixaban" data-hold="{hold.hold}"' in html
    assert f"stop {hold.hold_days} days before" in html
    assert f"last dose {hold.last_dose_date.isoformat()}" in html
    assert hold.last_dose_date == PLANNED - timedelta(days=hold.hold_days)
    # The saved plan still holds nothing: the page says so, and the plan is unchanged.
    assert 'id="holds-changed"' in html
    with db(web_app) as session:
        plan = session.scalars(sa.select(Plan).where(Plan.patient_id == pid)).one()
        assert plan.holds == []
    (row,) = audit_rows(web_app, "medication", pid, AuditAction.CREATE)
    assert row.patient_id == pid


def test_stopping_the_drug_removes_its_hold_and_lists_it_as_stopped(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    _plan(web_app, pid)
    client = as_role("clinician")
    _, csrf = _page(client, pid)
    _add(client, pid, csrf)
    with db(web_app) as session:
        med = session.scalars(sa.select(Medication).where(Medication.patient_id == pid)).one()
        mid, version = med.id, med.version
    stop = {"csrf_token": csrf, "medication_id": str(mid), "version": str(version)}
    stop |= {"stopped_on": "2026-01-02", "stop_reason": "bleeding risk before the procedure"}
    response = client.post(f"/patients/{pid}/medications/stop", data=stop, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/patients/{pid}/medications?saved=stopped#flash"
    html = client.get(response.headers["location"]).text
    assert 'id="holds-now-none"' in html
    stopped = html.split('id="stopped-medications"')[1]
    assert "apixaban" in stopped
    assert "2026-01-02" in stopped
    assert "bleeding risk before the procedure" in stopped
    with db(web_app) as session:
        med = session.get_one(Medication, mid)
        assert (med.active, med.stopped_on, med.version) == (False, date(2026, 1, 2), version + 1)
    # The same form again is stale (the row moved on): 409, nothing changed.
    again = client.post(f"/patients/{pid}/medications/stop", data=stop, follow_redirects=False)
    assert again.status_code == 409
    assert "changed by someone else" in again.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "required"),
        ("name", "x" * 121, "at most 120 characters"),
        ("dose", "x" * 121, "at most 120 characters"),
        ("indication", "x" * 201, "at most 200 characters"),
        ("started_on", (date.today() + timedelta(days=2)).isoformat(), "future"),
        ("started_on", "1899-12-31", "1900-01-01"),
        ("started_on", "not a date", "date"),
    ],
)
def test_add_errors_are_inline_on_the_field(
    as_role: AsRole, web_app: FastAPI, field: str, value: str, message: str
) -> None:
    pid = new_patient(web_app)
    client = as_role("nurse")
    _, csrf = _page(client, pid)
    response = _add(client, pid, csrf, **{field: value})
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    error = re.search(rf'<span class="field-error" id="{field}-error">([^<]*)</span>', html)
    assert error is not None, html
    assert message in error.group(1)
    with db(web_app) as session:
        assert (
            session.scalars(sa.select(Medication).where(Medication.patient_id == pid)).all() == []
        )


def test_a_start_on_the_first_allowed_day_is_kept(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)  # born 1960-03-01: a start that day is allowed, a day before not
    client = as_role("nurse")
    _, csrf = _page(client, pid)
    assert _add(client, pid, csrf, started_on="1960-02-29").status_code == 422  # type: ignore[attr-defined]
    assert _add(client, pid, csrf, started_on="1960-03-01").status_code == 303  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("stopped_on", "", "required"),
        ("stopped_on", (date.today() + timedelta(days=2)).isoformat(), "future"),
        ("stopped_on", "2025-01-09", "before the start on 2025-01-10"),
        ("stop_reason", "", "required"),
        ("stop_reason", "x" * 201, "at most 200 characters"),
    ],
)
def test_stop_errors_are_inline_on_the_row(
    as_role: AsRole, web_app: FastAPI, field: str, value: str, message: str
) -> None:
    pid = new_patient(web_app)
    client = as_role("nurse")
    _, csrf = _page(client, pid)
    _add(client, pid, csrf)
    with db(web_app) as session:
        med = session.scalars(sa.select(Medication).where(Medication.patient_id == pid)).one()
    data = {"csrf_token": csrf, "medication_id": str(med.id), "version": str(med.version)}
    data |= {"stopped_on": "2025-01-10", "stop_reason": "side effects"} | {field: value}
    response = client.post(f"/patients/{pid}/medications/stop", data=data)
    assert response.status_code == 422
    error = re.search(rf'id="{field}-{med.id}-error">([^<]*)<', response.text)
    assert error is not None, response.text
    assert message in error.group(1)
    with db(web_app) as session:
        assert session.get_one(Medication, med.id).active is True


def test_stop_needs_a_medication_of_this_patient(as_role: AsRole, web_app: FastAPI) -> None:
    pid, other = new_patient(web_app), new_patient(web_app)
    with db(web_app) as session:
        foreign = medication_service.create(
            session=session, actor=SYSTEM, patient_id=other, data=MedicationCreate(name="aspirin")
        ).id
    client = as_role("nurse")
    _, csrf = _page(client, pid)
    data = {"csrf_token": csrf, "version": "1", "stopped_on": "2025-02-01", "stop_reason": "x"}
    for given, message in (("", "choose the medication"), (str(foreign), "no medication")):
        response = client.post(
            f"/patients/{pid}/medications/stop", data=data | {"medication_id": given}
        )
        assert response.status_code == 422
        assert message in response.text
    with db(web_app) as session:
        assert session.get_one(Medication, foreign).active is True


def test_the_patient_sees_their_medicines_without_forms(as_role: AsRole, web_app: FastAPI) -> None:
    client = as_role("patient")
    own = client.get("/portal")
    assert own.status_code == 200
    with db(web_app) as session:
        pid = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
    page = client.get(f"/patients/{pid}/medications")
    assert page.status_code == 200
    assert 'id="medication-form"' not in page.text
    assert "/medications/stop" not in page.text


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_writes_are_refused_to_readers(as_role: AsRole, web_app: FastAPI, role: str) -> None:
    pid = new_patient(web_app)
    client = as_role(role)
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/", follow_redirects=True).text
    )
    data = {"csrf_token": token.group(1) if token else "", "name": "apixaban"}
    response = client.post(f"/patients/{pid}/medications/new", data=data, follow_redirects=False)
    assert response.status_code == 403
    with db(web_app) as session:
        assert (
            session.scalars(sa.select(Medication).where(Medication.patient_id == pid)).all() == []
        )


def test_without_csrf_nothing_is_added(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    client = as_role("nurse")
    response = _add(client, pid, "wrong-token")
    assert response.status_code == 403  # type: ignore[attr-defined]
    with db(web_app) as session:
        assert (
            session.scalars(sa.select(Medication).where(Medication.patient_id == pid)).all() == []
        )


def _plan_row(pid: int, planned: date, status: PlanStatus, plan_id: int) -> Plan:
    return Plan(
        id=plan_id,
        patient_id=pid,
        planned_date=planned,
        status=status,
        holds=[],
        unmatched_medications=[],
    )


def test_the_current_plan_is_the_next_open_one_else_the_latest_open_one() -> None:
    today = date(2026, 6, 1)
    past = _plan_row(1, today - timedelta(days=3), PlanStatus.SCHEDULED, 1)
    on_the_day = _plan_row(1, today, PlanStatus.DRAFT, 2)
    later = _plan_row(1, today + timedelta(days=9), PlanStatus.DRAFT, 3)
    done = _plan_row(1, today + timedelta(days=1), PlanStatus.DONE, 4)
    cancelled = _plan_row(1, today + timedelta(days=1), PlanStatus.CANCELLED, 5)
    assert current_plan([past, on_the_day, later, done, cancelled], today) is on_the_day
    assert current_plan([past, later, done], today) is later
    assert current_plan([past, done, cancelled], today) is past
    assert current_plan([done, cancelled], today) is None
