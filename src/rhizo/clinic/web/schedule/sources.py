"""The one place the calendar pages read the schedule: the domain's read services.

Every list a page shows comes from :mod:`rhizo.clinic.schedule.calendar` (the
clinic days by :func:`rhizo.clinic.schedule.clock.day_bounds`) and is audited
through its :func:`~rhizo.clinic.schedule.calendar.record_read` (one row per
list shown, with the ids); the pages never query the schedule tables for
patient data themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo

from sqlalchemy.orm import Session

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.schedule import calendar
from rhizo.clinic.schedule.models import Appointment


def appointments_between(
    *,
    session: Session,
    actor: Actor,
    first: date,
    days: int,
    zone: tzinfo,
    specialist_id: int | None = None,
    room_id: int | None = None,
) -> Sequence[Appointment]:
    """The appointments (cancelled ones too) of the clinic day ``first`` (``days`` = 1) or
    of its ISO week (``days`` = 7, ``first`` a Monday), audited as one read."""
    if days == 1:
        rows = list(
            calendar.day(
                session=session,
                on=first,
                zone=zone,
                specialist_id=specialist_id,
                room_id=room_id,
                include_cancelled=True,
            )
        )
        scope = f"day {first.isoformat()}"
    else:
        week = calendar.week(
            session=session,
            of=first,
            zone=zone,
            specialist_id=specialist_id,
            room_id=room_id,
            include_cancelled=True,
        )
        rows = [row for day in sorted(week) for row in week[day]]
        scope = f"week {first.isoformat()}"
    if specialist_id is not None:
        scope += f" specialist {specialist_id}"
    if room_id is not None:
        scope += f" room {room_id}"
    calendar.record_read(session=session, actor=actor, appointments=rows, scope=scope)
    return rows


def patient_list(
    *, session: Session, actor: Actor, patient_id: int, scope: str
) -> Sequence[Appointment]:
    """One patient's appointments, earliest first, audited as one read of that patient."""
    rows = calendar.patient_appointments(session=session, patient_id=patient_id)
    calendar.record_read(
        session=session, actor=actor, appointments=rows, scope=scope, patient_id=patient_id
    )
    return rows
