"""Test helper: a fresh upcoming review appointment for the demo patient (real clock).

The seeded demo week lies on the cohort's fixed day (2026-06-01), which the wall
clock has passed; pages that show only upcoming appointments (the portal's review
questionnaires) need one booked from now on, through the booking service.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule import booking, clock, slots
from rhizo.clinic.schedule.models import AppointmentCreate, AppointmentKind

ACTOR = Actor(user_id=None, username="test-schedule", role=None)


def book_own_review(session: Session) -> int:
    """Book the next free review slot (from three weeks ahead) for the patient linked to a login."""
    patient_id = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
    assert patient_id is not None
    slot = slots.next_free_slot(
        session=session,
        kind=AppointmentKind.REVIEW,
        # Three weeks out: clear of the 7 days the booking pages offer, which other tests
        # book from (each page-matrix case books one of these).
        after=clock.now_utc() + timedelta(days=21),
    )
    assert slot is not None, "the demo sessions offer review slots"
    appointment = booking.book(
        session=session,
        actor=ACTOR,
        data=AppointmentCreate(
            patient_id=int(patient_id),
            specialist_id=slot.specialist_id,
            kind=AppointmentKind.REVIEW,
            starts_at=slot.starts_at,
        ),
    )
    return appointment.id
