"""Demo calendar: two rooms, the demo specialists' weekly sessions, a week of appointments.

Everything goes through the schedule's own services (availability and booking,
so the same checks, blocks and audit rows as real data), acting as the seed
actor. Sessions start on the Monday of ``today``'s week; the appointments fill
some free slots of that week (an RF list included) and give the demo patient a
consultation the week after, so the calendar, the worklists and the portal's
"my appointments" have something to show. Deterministic: the first free slots
in order, patients in id order.
"""

from __future__ import annotations

from datetime import date, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule import availability, booking, clock, slots
from rhizo.clinic.schedule.models import (
    AppointmentCreate,
    AppointmentKind,
    AppointmentMode,
    ClinicSessionCreate,
    RoomCreate,
)

#: (specialist index, weekday, start, end, kind, slot minutes, mode, room index or None)
SessionRow = tuple[int, int, time, time, AppointmentKind, int, AppointmentMode, int | None]
K = AppointmentKind
M = AppointmentMode
SESSIONS: tuple[SessionRow, ...] = (
    (0, 0, time(9), time(12, 30), K.CONSULTATION, 30, M.IN_PERSON, 0),
    (0, 2, time(8, 30), time(12, 30), K.RF_PROCEDURE, 60, M.IN_PERSON, 1),
    (0, 3, time(14), time(16), K.REVIEW, 20, M.PHONE, None),
    (1, 1, time(9), time(12), K.CONSULTATION, 30, M.IN_PERSON, 0),
    (1, 1, time(13), time(16), K.DIAGNOSTIC_BLOCK, 30, M.IN_PERSON, 1),
    (2, 4, time(9), time(12), K.CONSULTATION, 30, M.IN_PERSON, 0),
    (2, 3, time(9), time(12), K.RF_PROCEDURE, 60, M.IN_PERSON, 1),
)  # fmt: skip
#: Appointments booked per session in the demo week.
PER_SESSION = 2


def seed_schedule(
    session: Session,
    *,
    actor: Actor,
    today: date,
    specialist_ids: list[int],
    clinic_timezone: str = "UTC",
    demo_user_id: int | None = None,
) -> int:
    """Rooms, weekly sessions and the demo week's appointments (the demo patient's, the
    record linked to ``demo_user_id``, the week after); the number booked."""
    demo_patient_id = (
        session.scalar(sa.select(Patient.id).where(Patient.user_id == demo_user_id))
        if demo_user_id is not None
        else None
    )
    rooms = [
        availability.create_room(
            session=session, actor=actor, data=RoomCreate(name="Consulting room 1")
        ),
        availability.create_room(
            session=session,
            actor=actor,
            data=RoomCreate(name="Fluoroscopy suite", fluoroscopy=True),
        ),
    ]
    monday = today - timedelta(days=today.weekday())
    for who, weekday, start, end, kind, slot_min, mode, room in SESSIONS:
        availability.create_session(
            session=session,
            actor=actor,
            data=ClinicSessionCreate(
                specialist_id=specialist_ids[who],
                kind=kind,
                mode=mode,
                room_id=rooms[room].id if room is not None else None,
                weekday=weekday,
                start_local=start,
                end_local=end,
                slot_min=slot_min,
                timezone=clinic_timezone,
                valid_from=monday,
            ),
            clinic_timezone=clinic_timezone,
        )
    patients = list(session.scalars(sa.select(Patient.id).order_by(Patient.id)))
    others = [pid for pid in patients if pid != demo_patient_id] or patients
    if not others:
        return 0
    week_start, _ = clock.day_bounds(monday, clinic_timezone)
    _, week_end = clock.day_bounds(monday + timedelta(days=6), clinic_timezone)
    booked = 0
    for kind in AppointmentKind:
        free = slots.free_slots(session=session, kind=kind, start=week_start, end=week_end)
        by_session: dict[int, int] = {}
        for slot in free:
            if by_session.get(slot.session_id, 0) >= PER_SESSION:
                continue
            patient_id = others[booked % len(others)]
            booking.book(
                session=session,
                actor=actor,
                data=AppointmentCreate(
                    patient_id=patient_id,
                    specialist_id=slot.specialist_id,
                    kind=kind,
                    starts_at=slot.starts_at,
                ),
                now=week_start,
            )
            by_session[slot.session_id] = by_session.get(slot.session_id, 0) + 1
            booked += 1
    if demo_patient_id is not None:
        _, next_monday = clock.day_bounds(monday + timedelta(days=6), clinic_timezone)
        first = slots.next_free_slot(
            session=session,
            kind=AppointmentKind.CONSULTATION,
            after=next_monday,
            specialist_id=specialist_ids[0],
        )
        if first is not None:
            booking.book(
                session=session,
                actor=actor,
                data=AppointmentCreate(
                    patient_id=demo_patient_id,
                    specialist_id=first.specialist_id,
                    kind=AppointmentKind.CONSULTATION,
                    starts_at=first.starts_at,
                ),
                now=week_start,
            )
            booked += 1
    return booked
