"""Reminder fixtures: a patient with an e-mail, a specialist, a Monday London session."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy.orm import Session
from tests.clinic.conftest import actor_of
from tests.clinic.factories import make_patient, make_specialist, make_user

from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule import availability
from rhizo.clinic.schedule import reminders as _reminders  # noqa: F401 - registers the templates
from rhizo.clinic.schedule.models import (
    AppointmentKind,
    AppointmentMode,
    ClinicSession,
    ClinicSessionCreate,
)
from rhizo.clinic.specialist.models import Specialist

#: The clock the booking tests run at (a Monday in winter: London is on UTC).
NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
def admin(session: Session) -> Actor:
    return actor_of(make_user(session, Role.ADMIN))


@pytest.fixture
def clinician(session: Session) -> Actor:
    return actor_of(make_user(session, Role.CLINICIAN))


@pytest.fixture
def specialist(session: Session) -> Specialist:
    return make_specialist(session, display_name="Dr A. Rivera")


@pytest.fixture
def patient(session: Session) -> Patient:
    return make_patient(session, given_name="Ann", email="ann.example@example.org")


@pytest.fixture
def monday_session(session: Session, admin: Actor, specialist: Specialist) -> ClinicSession:
    """Mondays 09:00-12:00 Europe/London, 30-minute consultations in person."""
    return availability.create_session(
        session=session,
        actor=admin,
        data=ClinicSessionCreate(
            specialist_id=specialist.id,
            kind=AppointmentKind.CONSULTATION,
            mode=AppointmentMode.IN_PERSON,
            weekday=0,
            start_local=time(9, 0),
            end_local=time(12, 0),
            slot_min=30,
            timezone="Europe/London",
            valid_from=date(2026, 1, 1),
        ),
        clinic_timezone="Europe/London",
    )
