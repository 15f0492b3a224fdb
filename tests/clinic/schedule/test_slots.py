"""Slots derived from sessions, exceptions and bookings, across DST changes.

UTC references are hand-computed (see test_clock.py for the zone rules).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session
from tests.clinic.schedule.conftest import NOW, MakeSession

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule import availability, booking, slots
from rhizo.clinic.schedule.models import (
    AppointmentCreate,
    AppointmentKind,
    ExceptionKind,
    SessionExceptionCreate,
)
from rhizo.clinic.specialist.models import Specialist


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _starts(found: list[slots.Slot]) -> list[datetime]:
    return [s.starts_at for s in found]


def test_a_weekly_0900_session_stays_at_0900_local_across_both_london_changes(
    session: Session, make_clinic_session: MakeSession
) -> None:
    make_clinic_session(start_local=time(9, 0), end_local=time(9, 30), slot_min=30)
    found = slots.free_slots(
        session=session,
        kind=AppointmentKind.CONSULTATION,
        start=_utc(2026, 3, 16),
        end=_utc(2026, 4, 7),
    )
    # Mondays 16 and 23 March (GMT), 30 March and 6 April (BST)
    assert _starts(found) == [
        _utc(2026, 3, 16, 9),
        _utc(2026, 3, 23, 9),
        _utc(2026, 3, 30, 8),
        _utc(2026, 4, 6, 8),
    ]
    found = slots.free_slots(
        session=session,
        kind=AppointmentKind.CONSULTATION,
        start=_utc(2026, 10, 12),
        end=_utc(2026, 11, 3),
    )
    assert _starts(found) == [
        _utc(2026, 10, 12, 8),
        _utc(2026, 10, 19, 8),
        _utc(2026, 10, 26, 9),
        _utc(2026, 11, 2, 9),
    ]


def test_new_york_session_moves_an_hour_in_utc_on_8_march(
    session: Session, make_clinic_session: MakeSession
) -> None:
    make_clinic_session(
        start_local=time(9, 0), end_local=time(10, 0), slot_min=60, timezone="America/New_York"
    )
    found = slots.free_slots(
        session=session,
        kind=AppointmentKind.CONSULTATION,
        start=_utc(2026, 3, 1),
        end=_utc(2026, 3, 10),
    )
    assert _starts(found) == [_utc(2026, 3, 2, 14), _utc(2026, 3, 9, 13)]


def test_night_session_on_the_change_days_follows_the_dst_rule(
    session: Session, make_clinic_session: MakeSession
) -> None:
    # Sundays 00:30-03:00 London, 30-minute slots.
    make_clinic_session(weekday=6, start_local=time(0, 30), end_local=time(3, 0), slot_min=30)
    spring = slots.free_slots(
        session=session,
        kind=AppointmentKind.CONSULTATION,
        start=_utc(2026, 3, 28, 12),
        end=_utc(2026, 3, 29, 12),
    )
    # 00:30-01:00 ends at a wall time that does not exist, 01:00-02:00 do not exist:
    # only 02:00 and 02:30 BST (01:00 and 01:30 UTC) are offered.
    assert _starts(spring) == [_utc(2026, 3, 29, 1, 0), _utc(2026, 3, 29, 1, 30)]
    autumn = slots.free_slots(
        session=session,
        kind=AppointmentKind.CONSULTATION,
        start=_utc(2026, 10, 24, 12),
        end=_utc(2026, 10, 25, 12),
    )
    # 00:30 BST, 01:00 BST (first occurrence), [01:30-02:00 lasts 90 minutes: skipped],
    # 02:00 GMT, 02:30 GMT.
    assert _starts(autumn) == [
        _utc(2026, 10, 24, 23, 30),
        _utc(2026, 10, 25, 0, 0),
        _utc(2026, 10, 25, 2, 0),
        _utc(2026, 10, 25, 2, 30),
    ]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in autumn)


def test_leave_and_bookings_remove_slots(
    session: Session,
    make_clinic_session: MakeSession,
    admin: Actor,
    clinician: Actor,
    specialist: Specialist,
    patient: Patient,
) -> None:
    make_clinic_session()  # Mondays 09:00-12:00, six 30-minute slots
    window = {"start": _utc(2026, 2, 2), "end": _utc(2026, 2, 17)}
    kind = AppointmentKind.CONSULTATION
    assert len(slots.free_slots(session=session, kind=kind, **window)) == 18
    availability.create_exception(
        session=session,
        actor=admin,
        data=SessionExceptionCreate(
            kind=ExceptionKind.LEAVE,
            specialist_id=specialist.id,
            starts_at=_utc(2026, 2, 9),
            ends_at=_utc(2026, 2, 10),
            reason="annual leave",
        ),
    )
    assert len(slots.free_slots(session=session, kind=kind, **window)) == 12
    booking.book(
        session=session,
        actor=clinician,
        data=AppointmentCreate(
            patient_id=patient.id,
            specialist_id=specialist.id,
            kind=kind,
            starts_at=_utc(2026, 2, 2, 9, 30),
            duration_min=60,
        ),
        now=NOW,
    )
    free = slots.free_slots(session=session, kind=kind, **window)
    assert len(free) == 10
    assert _utc(2026, 2, 2, 9, 30) not in _starts(free)
    assert _utc(2026, 2, 2, 10, 0) not in _starts(free)
    nxt = slots.next_free_slot(session=session, kind=kind, after=_utc(2026, 2, 2, 9, 15))
    assert nxt is not None
    assert nxt.starts_at == _utc(2026, 2, 2, 10, 30)
    assert slots.next_free_slot(session=session, kind=AppointmentKind.REVIEW, after=NOW) is None


def test_a_session_offers_nothing_outside_its_validity_or_when_inactive(
    session: Session, make_clinic_session: MakeSession, admin: Actor
) -> None:
    row = make_clinic_session(valid_from=date(2026, 2, 1), valid_until=date(2026, 2, 28))
    kind = AppointmentKind.CONSULTATION
    found = slots.free_slots(
        session=session, kind=kind, start=_utc(2026, 1, 1), end=_utc(2026, 4, 1)
    )
    assert {s.starts_at.date() for s in found} == {
        date(2026, 2, 2),
        date(2026, 2, 9),
        date(2026, 2, 16),
        date(2026, 2, 23),
    }
    availability.deactivate_session(session=session, actor=admin, session_id=row.id, version=1)
    assert (
        slots.free_slots(session=session, kind=kind, start=_utc(2026, 1, 1), end=_utc(2026, 4, 1))
        == []
    )
