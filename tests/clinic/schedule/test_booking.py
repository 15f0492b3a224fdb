"""Booking, reschedule, cancel and the lifecycle: blocks, audit, clear refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from tests.clinic.conftest import count
from tests.clinic.factories import make_patient
from tests.clinic.schedule.conftest import NOW, MakeSession

from rhizo.clinic.core.audit.models import AuditEvent
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import ConflictError, InvalidInputError, NotFoundError
from rhizo.clinic.core.conflicts import VersionConflictError
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule import booking, lifecycle
from rhizo.clinic.schedule.models import (
    Appointment,
    AppointmentCreate,
    AppointmentKind,
    AppointmentReschedule,
    AppointmentStatus,
    OccupiedBlock,
    Resource,
    Room,
)
from rhizo.clinic.specialist.models import Specialist

MONDAY_0900 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)  # GMT: 09:00 London


def _data(patient: Patient, specialist: Specialist, **overrides: Any) -> AppointmentCreate:
    values: dict[str, Any] = {
        "patient_id": patient.id,
        "specialist_id": specialist.id,
        "kind": AppointmentKind.CONSULTATION,
        "starts_at": MONDAY_0900,
    }
    values.update(overrides)
    return AppointmentCreate(**values)


def _problem(error: pytest.ExceptionInfo[InvalidInputError]) -> tuple[str, str]:
    first = error.value.problems[0]
    return first.field, first.rule


def test_book_holds_patient_specialist_and_room_blocks_and_is_audited(
    session: Session,
    make_clinic_session: MakeSession,
    clinician: Actor,
    patient: Patient,
    specialist: Specialist,
    room: Room,
) -> None:
    make_clinic_session(room_id=room.id)
    row = booking.book(session=session, actor=clinician, data=_data(patient, specialist), now=NOW)
    assert (row.status, row.ends_at - row.starts_at, row.room_id) == (
        AppointmentStatus.BOOKED,
        timedelta(minutes=30),
        room.id,
    )
    # 30 minutes = 6 blocks of 5 minutes, for each of three resources
    assert count(session, OccupiedBlock, OccupiedBlock.appointment_id == row.id) == 18
    assert {
        r
        for (r,) in session.execute(
            sa.select(OccupiedBlock.resource).where(OccupiedBlock.appointment_id == row.id)
        )
    } == {Resource.PATIENT, Resource.SPECIALIST, Resource.ROOM}
    assert (
        count(
            session,
            AuditEvent,
            AuditEvent.entity_type == "appointment",
            AuditEvent.entity_id == str(row.id),
        )
        == 1
    )


def test_refusals_name_the_field_and_write_nothing(
    session: Session,
    make_clinic_session: MakeSession,
    clinician: Actor,
    admin: Actor,
    patient: Patient,
    specialist: Specialist,
) -> None:
    make_clinic_session()
    cases = [
        ({"starts_at": MONDAY_0900}, NOW + timedelta(days=60), ("starts_at", "not_in_past")),
        ({"starts_at": MONDAY_0900 + timedelta(minutes=2)}, NOW, ("starts_at", "on_grid")),
        (
            {"starts_at": MONDAY_0900 + timedelta(hours=5)},
            NOW,
            ("starts_at", "outside_availability"),
        ),
        ({"kind": AppointmentKind.REVIEW}, NOW, ("starts_at", "outside_availability")),
        ({"duration_min": 7}, NOW, ("duration_min", "multiple_of_block")),
        ({"duration_min": 240}, NOW, ("duration_min", "within_session")),
    ]
    for overrides, now, expected in cases:
        with pytest.raises(InvalidInputError) as caught:
            booking.book(
                session=session,
                actor=clinician,
                data=_data(patient, specialist, **overrides),
                now=now,
            )
        assert _problem(caught) == expected, overrides
    # an admin outside availability needs the flag, a reason and a duration
    with pytest.raises(InvalidInputError) as caught:
        booking.book(
            session=session,
            actor=admin,
            data=_data(
                patient,
                specialist,
                starts_at=MONDAY_0900 + timedelta(hours=5),
                outside_availability=True,
                duration_min=20,
            ),
            now=NOW,
        )
    assert _problem(caught) == ("outside_reason", "required_outside_availability")
    with pytest.raises(NotFoundError):
        booking.book(
            session=session,
            actor=clinician,
            data=_data(patient, specialist, patient_id=999_999),
            now=NOW,
        )
    assert count(session, Appointment) == 0
    assert count(session, OccupiedBlock) == 0
    extra = booking.book(
        session=session,
        actor=admin,
        data=_data(
            patient,
            specialist,
            starts_at=MONDAY_0900 + timedelta(hours=5),
            outside_availability=True,
            duration_min=20,
            outside_reason="urgent review requested by the GP",
        ),
        now=NOW,
    )
    assert extra.session_id is None
    assert extra.ends_at - extra.starts_at == timedelta(minutes=20)


def test_a_clash_is_a_409_naming_the_resource_and_time(
    session: Session,
    make_clinic_session: MakeSession,
    clinician: Actor,
    patient: Patient,
    specialist: Specialist,
) -> None:
    make_clinic_session()
    booking.book(session=session, actor=clinician, data=_data(patient, specialist), now=NOW)
    other = make_patient(session)
    with pytest.raises(booking.SlotTakenError) as caught:
        booking.book(session=session, actor=clinician, data=_data(other, specialist), now=NOW)
    assert caught.value.resource is Resource.SPECIALIST
    assert "the specialist" in str(caught.value)
    assert "2026-02-02 09:00 Europe/London" in str(caught.value)
    # the same patient at the same time: the patient's clash is named first
    with pytest.raises(booking.SlotTakenError) as caught:
        booking.book(
            session=session,
            actor=clinician,
            data=_data(patient, specialist, duration_min=60),
            now=NOW,
        )
    assert caught.value.resource is Resource.PATIENT
    assert count(session, Appointment) == 1


def test_overlapping_appointments_of_different_lengths_clash(
    session: Session,
    make_clinic_session: MakeSession,
    clinician: Actor,
    patient: Patient,
    specialist: Specialist,
) -> None:
    make_clinic_session()
    booking.book(
        session=session,
        actor=clinician,
        data=_data(
            patient, specialist, starts_at=MONDAY_0900 + timedelta(minutes=30), duration_min=90
        ),
        now=NOW,
    )  # 09:30-11:00
    with pytest.raises(booking.SlotTakenError) as caught:
        booking.book(
            session=session,
            actor=clinician,
            data=_data(make_patient(session), specialist, duration_min=60),
            now=NOW,
        )  # 09:00-10:00 overlaps 09:30-10:00
    assert caught.value.block_start == MONDAY_0900 + timedelta(minutes=30)
    ok = booking.book(
        session=session, actor=clinician, data=_data(make_patient(session), specialist), now=NOW
    )  # 09:00-09:30 touches, does not overlap
    assert ok.ends_at == MONDAY_0900 + timedelta(minutes=30)


def test_reschedule_cancel_and_lifecycle(
    session: Session,
    make_clinic_session: MakeSession,
    clinician: Actor,
    patient: Patient,
    specialist: Specialist,
) -> None:
    make_clinic_session()
    first = booking.book(session=session, actor=clinician, data=_data(patient, specialist), now=NOW)
    moved = booking.reschedule(
        session=session,
        actor=clinician,
        appointment_id=first.id,
        data=AppointmentReschedule(
            version=first.version, starts_at=MONDAY_0900 + timedelta(hours=1)
        ),
        now=NOW,
    )
    session.refresh(first)
    assert (first.status, first.cancel_reason) == (AppointmentStatus.CANCELLED, "rescheduled")
    assert moved.rescheduled_from_id == first.id
    assert count(session, OccupiedBlock, OccupiedBlock.appointment_id == first.id) == 0
    assert count(session, OccupiedBlock, OccupiedBlock.appointment_id == moved.id) == 12
    # the old time is free again for someone else
    booking.book(
        session=session, actor=clinician, data=_data(make_patient(session), specialist), now=NOW
    )
    with pytest.raises(VersionConflictError):
        booking.cancel(
            session=session,
            actor=clinician,
            appointment_id=moved.id,
            version=99,
            reason="patient unwell",
        )
    with pytest.raises(InvalidInputError) as caught:
        booking.cancel(
            session=session,
            actor=clinician,
            appointment_id=moved.id,
            version=moved.version,
            reason="no",
        )
    assert _problem(caught) == ("reason", "length")
    with pytest.raises(ConflictError, match="before it starts"):
        booking.mark_no_show(
            session=session,
            actor=clinician,
            appointment_id=moved.id,
            version=moved.version,
            now=NOW,
        )
    later = moved.starts_at + timedelta(minutes=5)
    booking.mark_arrived(
        session=session, actor=clinician, appointment_id=moved.id, version=moved.version, now=later
    )
    done = booking.complete(
        session=session, actor=clinician, appointment_id=moved.id, version=moved.version, now=later
    )
    assert done.status is AppointmentStatus.COMPLETED
    assert done.arrived_at == later
    with pytest.raises(lifecycle.AppointmentTransitionError, match="completed appointment"):
        booking.cancel(
            session=session,
            actor=clinician,
            appointment_id=moved.id,
            version=done.version,
            reason="changed our mind",
        )
    assert count(session, OccupiedBlock, OccupiedBlock.appointment_id == moved.id) == 12


def test_lifecycle_table_matches_the_docstring() -> None:
    doc = lifecycle.__doc__ or ""
    rows = {
        (line.split()[0], line.split()[1])
        for line in doc.splitlines()
        if line[:1].isalpha()
        and len(line.split()) > 2
        and line.split()[0] in {s.value for s in AppointmentStatus}
    }
    table = {(a.value, b.value) for a, targets in lifecycle.TRANSITIONS.items() for b in targets}
    assert rows == table
