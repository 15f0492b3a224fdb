"""Schedule fixtures: a clinician, an admin, a specialist, a patient, a room, sessions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.clinic.conftest import actor_of
from tests.clinic.factories import make_patient, make_specialist, make_user

from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule import availability
from rhizo.clinic.schedule.models import (
    AppointmentKind,
    AppointmentMode,
    ClinicSession,
    ClinicSessionCreate,
    Room,
    RoomCreate,
)
from rhizo.clinic.specialist.models import Specialist

#: The clock the booking tests run at (before every date they book).
NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
def clinician(session: Session) -> Actor:
    return actor_of(make_user(session, Role.CLINICIAN))


@pytest.fixture
def admin(session: Session) -> Actor:
    return actor_of(make_user(session, Role.ADMIN))


@pytest.fixture
def nurse(session: Session) -> Actor:
    return actor_of(make_user(session, Role.NURSE))


@pytest.fixture
def specialist(session: Session) -> Specialist:
    return make_specialist(session)


@pytest.fixture
def patient(session: Session) -> Patient:
    return make_patient(session)


@pytest.fixture
def room(session: Session, admin: Actor) -> Room:
    return availability.create_room(
        session=session, actor=admin, data=RoomCreate(name=f"Suite {id(session)}", fluoroscopy=True)
    )


MakeSession = Callable[..., ClinicSession]


@pytest.fixture
def make_clinic_session(session: Session, admin: Actor, specialist: Specialist) -> MakeSession:
    """A weekly session; defaults: Mondays 09:00-12:00 Europe/London, 30-minute consultations."""

    def make(**overrides: Any) -> ClinicSession:
        values: dict[str, Any] = {
            "specialist_id": specialist.id,
            "kind": AppointmentKind.CONSULTATION,
            "mode": AppointmentMode.IN_PERSON,
            "weekday": 0,
            "start_local": time(9, 0),
            "end_local": time(12, 0),
            "slot_min": 30,
            "timezone": "Europe/London",
            "valid_from": date(2026, 1, 1),
        }
        values.update(overrides)
        return availability.create_session(
            session=session,
            actor=admin,
            data=ClinicSessionCreate(**values),
            clinic_timezone="Europe/London",
        )

    return make
