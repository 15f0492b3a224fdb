"""The one place the calendar pages call the scheduling domains' services.

Every read here is the domain's own function (which audits it); the pages never
query the schedule tables for patient data themselves. Kept in one module so
each page reads the same way and a service's signature is followed in one
place.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.schedule.models import Appointment


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


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
    """The appointments starting on the clinic days ``first`` .. ``first + days - 1``."""
    start, end = _midnight(first, zone), _midnight(first + timedelta(days=days), zone)
    query = sa.select(Appointment).where(
        Appointment.starts_at >= start, Appointment.starts_at < end
    )
    if specialist_id is not None:
        query = query.where(Appointment.specialist_id == specialist_id)
    if room_id is not None:
        query = query.where(Appointment.room_id == room_id)
    rows = session.scalars(query.order_by(Appointment.starts_at, Appointment.id)).all()
    audit.record(
        session=session,
        actor=actor,
        action=AuditAction.READ,
        entity_type="calendar",
        details={
            "first": first.isoformat(),
            "days": days,
            "specialist_id": specialist_id,
            "room_id": room_id,
            "appointments": len(rows),
        },
    )
    session.commit()
    return rows
