"""The follow-up form: roles, CSRF, inline 422, and the score on the pain plot's data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rhizo.clinic.chart.reader import load_record
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.followup.models import FollowUp, FollowUpSource
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.web.record import record_page
from rhizo.plots.pain import PainPoint
from tests.web.test_forms_support import (
    REFUSED_ROLES,
    AsRole,
    audit_rows,
    db,
    form_page,
    new_patient,
)

ON = date.today() - timedelta(days=3)


def _valid(csrf: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "followed_on": ON.isoformat(),
        "nrs": "4",
        "odi": "22",
        "pgic": "2",
        "source": "phone",
        "notes": "",
    }


@pytest.mark.parametrize("role", ["clinician", "nurse"])
def test_followup_form_renders(as_role: AsRole, web_app: FastAPI, role: str) -> None:
    pid = new_patient(web_app)
    html, _ = form_page(as_role(role), f"/patients/{pid}/followups/new")
    assert 'id="followup-form"' in html
    assert 'name="pgic"' in html
    assert 'value="diary"' not in html  # diary entries come from the portal


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_followup_form_refused(as_role: AsRole, web_app: FastAPI, role: str) -> None:
    pid = new_patient(web_app)
    client = as_role(role)
    assert client.get(f"/patients/{pid}/followups/new").status_code == 403
    assert client.post(f"/patients/{pid}/followups/new", data={}).status_code == 403


def test_patient_cannot_use_the_staff_form_even_for_their_own_record(
    as_role: AsRole, web_app: FastAPI
) -> None:
    with db(web_app) as session:
        own = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
    assert as_role("patient").get(f"/patients/{own}/followups/new").status_code == 403


def test_followup_form_needs_login(client: TestClient, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    response = client.get(f"/patients/{pid}/followups/new", follow_redirects=False)
    assert response.status_code == 303


def test_followup_without_csrf_is_refused(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    response = as_role("clinician").post(
        f"/patients/{pid}/followups/new", data=_valid("not-the-token")
    )
    assert response.status_code == 403
    assert audit_rows(web_app, "followup", pid, AuditAction.CREATE) == []


def test_followup_invalid_scores_inline_and_kept(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    client = as_role("nurse")
    _, csrf = form_page(client, f"/patients/{pid}/followups/new")
    bad = _valid(csrf) | {"nrs": "11", "odi": "101", "pgic": "9"}
    response = client.post(f"/patients/{pid}/followups/new", data=bad)
    assert response.status_code == 422
    html = response.text
    # FollowUpCreate: NRS 0-10, ODI 0-100 %, PGIC 1-7.
    assert 'id="nrs-error"' in html
    assert "less than or equal to 10" in html
    assert 'id="odi-error"' in html
    assert 'id="pgic-error"' in html
    assert 'value="11"' in html
    assert 'value="101"' in html
    future = client.post(
        f"/patients/{pid}/followups/new",
        data=_valid(csrf) | {"followed_on": (date.today() + timedelta(days=2)).isoformat()},
    )
    assert future.status_code == 422
    assert 'id="followed_on-error"' in future.text
    diary = client.post(f"/patients/{pid}/followups/new", data=_valid(csrf) | {"source": "diary"})
    assert diary.status_code == 422
    assert "portal" in diary.text
    with db(web_app) as session:
        assert session.scalar(sa.select(FollowUp.id).where(FollowUp.patient_id == pid)) is None


def test_followup_is_recorded_audited_and_on_the_pain_plot(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/followups/new")
    response = client.post(
        f"/patients/{pid}/followups/new", data=_valid(csrf), follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/patients/{pid}?saved=followup#flash"
    with db(web_app) as session:
        stored = session.scalars(sa.select(FollowUp).where(FollowUp.patient_id == pid)).one()
        assert (stored.nrs, stored.odi, stored.pgic) == (4, 22, 2)
        assert stored.source is FollowUpSource.PHONE
        patient = session.get(Patient, pid)
        assert patient is not None
        # The points the patient page's pain plot is drawn from.
        points = record_page(load_record(session, patient.id)).pain_points()
        assert points == [PainPoint(on=ON, nrs=4, diary=False)]
    (row,) = audit_rows(web_app, "followup", pid, AuditAction.CREATE)
    assert row.entity_id == str(stored.id)
    page = client.get(response.headers["location"])
    assert 'id="flash"' in page.text
    assert "follow-up NRS" in page.text  # the plot's legend entry for clinic scores
    assert "NRS 4, ODI 22 %, PGIC 2 (phone)" in page.text
