"""Intake fixtures: staff actors, a specialist with a weekly consultation session, a request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.clinic.conftest import actor_of
from tests.clinic.factories import make_specialist, make_user

from rhizo.clinic.core.auth.models import SYSTEM_ACTOR, Actor, Role
from rhizo.clinic.intake import service
from rhizo.clinic.intake.models import ConsultationRequest, RequestCreate, RequestSource
from rhizo.clinic.schedule import availability
from rhizo.clinic.schedule.models import (
    AppointmentKind,
    AppointmentMode,
    ClinicSession,
    ClinicSessionCreate,
)


def next_monday_0900_utc() -> datetime:
    """09:00 UTC on the Monday at least 8 days ahead (the real clock: the booking refuses
    the past), in January-March or November-December London is on GMT, else on BST;
    the session below runs on UTC so the slot is 09:00 UTC all year."""
    today = datetime.now(UTC).date() + timedelta(days=8)
    monday = today + timedelta(days=(7 - today.weekday()) % 7)
    return datetime.combine(monday, time(9, 0), tzinfo=UTC)


@pytest.fixture
def clinician(session: Session) -> Actor:
    return actor_of(make_user(session, Role.CLINICIAN))


@pytest.fixture
def admin(session: Session) -> Actor:
    return actor_of(make_user(session, Role.ADMIN))


MakeSession = Callable[..., ClinicSession]


@pytest.fixture
def make_clinic_session(session: Session, admin: Actor) -> MakeSession:
    """A weekly session: Mondays 09:00-12:00 UTC, 30-minute in-person consultations."""
    specialist = make_specialist(session)

    def make(**overrides: Any) -> ClinicSession:
        values: dict[str, Any] = {
            "specialist_id": specialist.id,
            "kind": AppointmentKind.CONSULTATION,
            "mode": AppointmentMode.IN_PERSON,
            "weekday": 0,
            "start_local": time(9, 0),
            "end_local": time(12, 0),
            "slot_min": 30,
            "timezone": "UTC",
            "valid_from": date(2026, 1, 1),
        }
        values.update(overrides)
        return availability.create_session(
            session=session,
            actor=admin,
            data=ClinicSessionCreate(**values),
            clinic_timezone="UTC",
        )

    return make


def request_data(**overrides: Any) -> RequestCreate:
    values: dict[str, Any] = {
        "name": "Ann Example",
        "email": "ann@example.org",
        "region": "lumbar",
        "pain_weeks": 26,
        "preferred_days": ["monday"],
        "preferred_parts": ["morning"],
        "message": "Low back pain for six months, worse standing.",
    }
    values.update(overrides)
    return RequestCreate(**values)


MakeRequest = Callable[..., ConsultationRequest]


@pytest.fixture
def make_request(session: Session) -> MakeRequest:
    """A public request (address hash 'h-<n>' unless given)."""
    counter = iter(range(1, 10_000))

    def make(address_hash: str | None = None, **overrides: Any) -> ConsultationRequest:
        return service.create(
            session=session,
            actor=SYSTEM_ACTOR,
            data=request_data(**overrides),
            source=RequestSource.PUBLIC,
            address_hash=address_hash or f"h-{next(counter)}-{id(session)}",
        )

    return make
