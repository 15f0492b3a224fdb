"""What the pathway does when the calendar changes: called by the booking service.

Every function here runs inside the booking's own write transaction (the caller
holds it), so what it adds (a plan's dates, reminders in the outbox, worklist
tasks) commits or rolls back with the appointment itself: nothing half-written.

The booking service (:mod:`rhizo.clinic.schedule.booking`) calls
:func:`after_booked` after an appointment is inserted with its blocks, and
:func:`after_cancelled` after one is cancelled (a reschedule is a cancel and a
book). The pathway's own rules (holds, fasting, transport, the review schedule)
are called from here, never re-derived.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.schedule.models import Appointment


def after_booked(*, session: Session, actor: Actor, appointment: Appointment) -> None:
    """The pathway's consequences of a new booking (none yet)."""
    del session, actor, appointment


def after_cancelled(*, session: Session, actor: Actor, appointment: Appointment) -> None:
    """The pathway's consequences of a cancellation (none yet)."""
    del session, actor, appointment
