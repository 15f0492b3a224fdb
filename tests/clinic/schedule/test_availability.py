"""Sessions, rooms and exceptions: every refusal names the field and writes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.clinic.conftest import count
from tests.clinic.factories import make_specialist
from tests.clinic.schedule.conftest import MakeSession

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import ConflictError, InvalidInputError
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule import availability, booking
from rhizo.clinic.schedule.models import (
    AppointmentCreate,
    AppointmentKind,
    ClinicSession,
    ClinicSessionUpdate,
    ExceptionKind,
    Room,
    RoomCreate,
    SessionException,
    SessionExceptionCreate,
)
from rhizo.clinic.specialist.models import Specialist


def _rules(caught: pytest.ExceptionInfo[InvalidInputError]) -> set[tuple[str, Any, str]]:
    return {(p.field, p.value, p.rule) for p in caught.value.problems}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"timezone": "Europe/Lundon"}, ("timezone", "Europe/Lundon", "unknown_timezone")),
        ({"end_local": time(9, 0)}, ("end_local", "09:00:00", "after_start")),
        ({"end_local": time(8, 0)}, ("end_local", "08:00:00", "after_start")),
        ({"start_local": time(9, 2)}, ("start_local", "09:02:00", "on_grid")),
        ({"slot_min": 40}, ("slot_min", 40, "divides_session")),
        ({"slot_min": 12}, ("slot_min", 12, "multiple_of_block")),
        (
            {"valid_until": date(2025, 12, 1)},
            ("valid_until", "2025-12-01", "after_valid_from"),
        ),
    ],
)
def test_bad_session_shapes_are_refused(
    session: Session,
    make_clinic_session: MakeSession,
    overrides: dict[str, Any],
    expected: tuple[str, Any, str],
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        make_clinic_session(**overrides)
    assert expected in _rules(caught)
    assert count(session, ClinicSession) == 0


def test_overlapping_sessions_of_a_specialist_or_a_room_are_refused(
    session: Session, make_clinic_session: MakeSession, room: Room
) -> None:
    make_clinic_session(room_id=room.id, valid_until=date(2026, 6, 30))
    with pytest.raises(InvalidInputError) as caught:
        make_clinic_session(start_local=time(11, 30), end_local=time(13, 0))
    assert ("specialist_id", "no_overlap") in {(f, r) for f, _, r in _rules(caught)}
    other = make_specialist(session)
    with pytest.raises(InvalidInputError) as caught:
        make_clinic_session(specialist_id=other.id, room_id=room.id, valid_from=date(2026, 6, 1))
    assert ("room_id", "no_overlap") in {(f, r) for f, _, r in _rules(caught)}
    assert count(session, ClinicSession) == 1
    # touching times, another weekday, or after the first one's validity: no overlap
    make_clinic_session(start_local=time(12, 0), end_local=time(13, 0))
    make_clinic_session(weekday=1)
    make_clinic_session(room_id=room.id, specialist_id=other.id, valid_from=date(2026, 7, 1))
    assert count(session, ClinicSession) == 4


def test_a_session_with_bookings_ahead_keeps_its_times(
    session: Session,
    make_clinic_session: MakeSession,
    admin: Actor,
    clinician: Actor,
    patient: Patient,
    specialist: Specialist,
) -> None:
    future = datetime.now(UTC).date().year + 1
    row = make_clinic_session(valid_from=date(future, 1, 1))
    monday = date(future, 1, 1)
    while monday.weekday() != 0:
        monday = monday.replace(day=monday.day + 1)
    booking.book(
        session=session,
        actor=clinician,
        data=AppointmentCreate(
            patient_id=patient.id,
            specialist_id=specialist.id,
            kind=AppointmentKind.CONSULTATION,
            starts_at=datetime.combine(monday, time(9, 0), tzinfo=UTC),
        ),
    )
    with pytest.raises(ConflictError, match="start_local cannot change"):
        availability.update_session(
            session=session,
            actor=admin,
            session_id=row.id,
            data=ClinicSessionUpdate(version=row.version, start_local=time(10, 0)),
        )
    with pytest.raises(ConflictError, match="booked appointment"):
        availability.deactivate_session(
            session=session, actor=admin, session_id=row.id, version=row.version
        )


def test_rooms_and_exceptions(session: Session, admin: Actor, specialist: Specialist) -> None:
    availability.create_room(session=session, actor=admin, data=RoomCreate(name="Fluoro 1"))
    with pytest.raises(InvalidInputError) as caught:
        availability.create_room(session=session, actor=admin, data=RoomCreate(name="fluoro 1"))
    assert ("name", "fluoro 1", "unique") in _rules(caught)
    with pytest.raises(InvalidInputError) as caught:
        availability.create_exception(
            session=session,
            actor=admin,
            data=SessionExceptionCreate(
                kind=ExceptionKind.LEAVE,
                starts_at=datetime(2026, 2, 2, tzinfo=UTC),
                ends_at=datetime(2026, 2, 1, tzinfo=UTC),
                reason="leave",
            ),
        )
    assert {f for f, _, _ in _rules(caught)} == {"specialist_id", "ends_at"}
    assert count(session, SessionException) == 0
