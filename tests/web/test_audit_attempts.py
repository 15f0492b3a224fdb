"""A page refused (403) or naming no record (404) leaves an audit row with the page's user.

The API side is tested in tests/clinic/test_serving.py; this is the page side
(the actor comes from the web session, rhizo.clinic.web.access).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import sqlalchemy as sa
from fastapi import FastAPI

from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import User
from rhizo.clinic.patient.models import Patient

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

AsRole = Callable[[str], TestClient]


def _rows(app: FastAPI, action: AuditAction, path: str) -> list[AuditEvent]:
    with app.state.session_factory() as session:
        return list(
            session.scalars(
                sa.select(AuditEvent).where(
                    AuditEvent.action == action, AuditEvent.details["path"].as_string() == path
                )
            )
        )


def _ids(app: FastAPI) -> tuple[int, int]:
    with app.state.session_factory() as session:
        other = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_(None)))
        patient_user = session.scalar(sa.select(User.id).where(User.username == "demo-patient"))
    assert other is not None
    assert patient_user is not None
    return other, patient_user


def test_a_patient_opening_another_record_is_audited(web_app: FastAPI, as_role: AsRole) -> None:
    other, patient_user = _ids(web_app)
    path = f"/patients/{other}"
    before = len(_rows(web_app, AuditAction.DENIED, path))
    assert as_role("patient").get(path).status_code == 403
    rows = _rows(web_app, AuditAction.DENIED, path)
    assert len(rows) == before + 1
    assert (rows[-1].actor_id, rows[-1].patient_id) == (patient_user, other)
    assert rows[-1].details["status"] == 403


def test_a_missing_record_page_is_audited(web_app: FastAPI, as_role: AsRole) -> None:
    path = "/patients/987654321"
    before = len(_rows(web_app, AuditAction.NOT_FOUND, path))
    assert as_role("clinician").get(path).status_code == 404
    rows = _rows(web_app, AuditAction.NOT_FOUND, path)
    assert len(rows) == before + 1
    assert rows[-1].actor_username == "demo-clinician"
    assert rows[-1].patient_id == 987654321
