"""Shared helpers for the entry-form tests (no tests here).

The demo database is shared by the whole test session, so every test creates
its own records (or a patient of its own) and asserts on those, never on counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from rhizo.clinic.complication import service as complication_service
from rhizo.clinic.complication.models import ComplicationCreate, ComplicationType, Severity
from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.followup import service as followup_service
from rhizo.clinic.followup.models import FollowUpCreate
from rhizo.clinic.patient import service as patient_service
from rhizo.clinic.patient.models import PatientCreate, Sex
from tests.web.conftest import csrf_of

AsRole = Callable[[str], TestClient]
REFUSED_ROLES = ("researcher", "auditor", "patient")
_MRN = itertools.count(1)
_SYSTEM = Actor(user_id=None, username="form-tests", role=Role.ADMIN)


@contextmanager
def db(app: FastAPI) -> Iterator[Session]:
    session: Session = app.state.session_factory()
    try:
        yield session
    finally:
        session.close()


def new_patient(app: FastAPI) -> int:
    """A fresh patient, so a test's assertions cannot be disturbed by other tests."""
    with db(app) as session:
        patient = patient_service.create(
            session=session,
            actor=_SYSTEM,
            data=PatientCreate(
                mrn=f"FORMS-{next(_MRN):04d}",
                given_name="Form",
                family_name="Tester",
                birth_date=date(1960, 3, 1),
                sex=Sex.FEMALE,
            ),
        )
        return patient.id


def new_followup(app: FastAPI, patient_id: int, *, nrs: int = 4) -> int:
    """A clinic follow-up of the patient, recorded through the service."""
    with db(app) as session:
        row = followup_service.create(
            session=session,
            actor=_SYSTEM,
            patient_id=patient_id,
            data=FollowUpCreate(followed_on=date(2026, 1, 5), nrs=nrs),
        )
        return row.id


def new_complication(app: FastAPI, patient_id: int, *, onset: date = date(2026, 1, 10)) -> int:
    """An ongoing mild neuritis of the patient, recorded through the service."""
    with db(app) as session:
        row = complication_service.create(
            session=session,
            actor=_SYSTEM,
            patient_id=patient_id,
            data=ComplicationCreate(
                type=ComplicationType.NEURITIS, severity=Severity.MILD, onset_date=onset
            ),
        )
        return row.id


def audit_rows(app: FastAPI, entity: str, patient_id: int, action: AuditAction) -> list[AuditEvent]:
    with db(app) as session:
        return list(
            session.scalars(
                sa.select(AuditEvent).where(
                    AuditEvent.entity_type == entity,
                    AuditEvent.patient_id == patient_id,
                    AuditEvent.action == action,
                )
            )
        )


def form_page(client: TestClient, path: str) -> tuple[str, str]:
    """GET a form as the logged-in user: (html, csrf token)."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    return page.text, csrf_of(page.text)
