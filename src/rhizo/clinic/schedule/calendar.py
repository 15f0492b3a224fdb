"""Read services of the calendar: a day, a week, a patient's appointments.

The pages, the REST API and the benchmark read the calendar through these.
Days are the clinic's calendar dates: ``on`` is turned into the UTC span of that
date on the clinic's clock (:func:`rhizo.clinic.schedule.clock.day_bounds`, 23 or
25 hours on a change day) and an appointment belongs to the day its start falls
in. These functions only read; the caller audits what it shows with
:func:`record_read` (one audit row per list shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.schedule import clock
from rhizo.clinic.schedule.models import HOLDING_STATUSES, Appointment

ENTITY = "appointment"


def between(
    *,
    session: Session,
    start: datetime,
    end: datetime,
    specialist_id: int | None = None,
    room_id: int | None = None,
    include_cancelled: bool = False,
) -> Sequence[Appointment]:
    """Appointments starting in ``[start, end)``, by start then id (cancelled ones only
    when ``include_cancelled``)."""
    query = sa.select(Appointment).where(
        Appointment.starts_at >= start, Appointment.starts_at < end
    )
    if specialist_id is not None:
        query = query.where(Appointment.specialist_id == specialist_id)
    if room_id is not None:
        query = query.where(Appointment.room_id == room_id)
    if not include_cancelled:
        query = query.where(Appointment.status.in_(sorted(HOLDING_STATUSES)))
    return session.scalars(query.order_by(Appointment.starts_at, Appointment.id)).all()


def day(
    *,
    session: Session,
    on: date,
    zone: tzinfo | str,
    specialist_id: int | None = None,
    room_id: int | None = None,
    include_cancelled: bool = False,
) -> Sequence[Appointment]:
    """The appointments of the clinic's date ``on`` (``zone``: the clinic's clock), for one
    specialist, one room or the whole clinic."""
    start, end = clock.day_bounds(on, zone)
    return between(
        session=session,
        start=start,
        end=end,
        specialist_id=specialist_id,
        room_id=room_id,
        include_cancelled=include_cancelled,
    )


def week_days(of: date) -> list[date]:
    """Monday to Sunday of the week holding ``of``."""
    monday = of - timedelta(days=of.weekday())
    return [monday + timedelta(days=i) for i in range(7)]


def week(
    *,
    session: Session,
    of: date,
    zone: tzinfo | str,
    specialist_id: int | None = None,
    room_id: int | None = None,
    include_cancelled: bool = False,
) -> dict[date, list[Appointment]]:
    """The week (Monday to Sunday) holding ``of``: each clinic date with its appointments."""
    days = week_days(of)
    start, _ = clock.day_bounds(days[0], zone)
    _, end = clock.day_bounds(days[-1], zone)
    out: dict[date, list[Appointment]] = {d: [] for d in days}
    for row in between(
        session=session,
        start=start,
        end=end,
        specialist_id=specialist_id,
        room_id=room_id,
        include_cancelled=include_cancelled,
    ):
        out[clock.clinic_date(row.starts_at, zone)].append(row)
    return out


def patient_appointments(
    *, session: Session, patient_id: int, include_cancelled: bool = True
) -> Sequence[Appointment]:
    """A patient's appointments, earliest first."""
    query = sa.select(Appointment).where(Appointment.patient_id == patient_id)
    if not include_cancelled:
        query = query.where(Appointment.status.in_(sorted(HOLDING_STATUSES)))
    return session.scalars(query.order_by(Appointment.starts_at, Appointment.id)).all()


def record_read(
    *,
    session: Session,
    actor: Actor,
    appointments: Sequence[Appointment],
    scope: str,
    patient_id: int | None = None,
) -> None:
    """Audit (and commit) one read of a list of appointments: ``scope`` says which list
    ("day 2026-03-30 specialist 3"), the ids shown are kept."""
    audit.record_now(
        session=session,
        actor=actor,
        action=AuditAction.READ,
        entity_type=ENTITY,
        patient_id=patient_id,
        details={"scope": scope, "ids": [row.id for row in appointments]},
    )
