"""What the pathway does when the calendar changes: called by the booking service.

Every function here runs inside the booking's own write transaction (the caller
holds it), so what it adds (a plan's dates, reminders in the outbox) commits or
rolls back with the appointment itself: nothing half-written.

The booking service (:mod:`rhizo.clinic.schedule.booking`) calls
:func:`after_booked` after an appointment is inserted with its blocks, and
:func:`after_cancelled` after one is cancelled (a reschedule is a cancel and a
book). The pathway's own rules (holds, fasting, transport, the review schedule)
are called from here, never re-derived:

- **RF day booked with a plan** (``kind`` ``rf_procedure``, ``plan_id`` set): the
  plan's ``planned_date`` becomes the appointment's clinic date
  (:func:`rhizo.clinic.schedule.clock.clinic_date` on its session's zone; UTC for
  a booking outside any session), its holds and instructions are recomputed by
  the plan service's one computation and a draft plan becomes ``scheduled``
  (:func:`rhizo.clinic.plan.service.schedule_for_day`). A done or cancelled plan
  refuses the booking (422 on ``plan_id``).
- **Every booking** queues its confirmation and day-before reminder, **every
  cancellation** withdraws them and queues the notice
  (:func:`rhizo.clinic.schedule.reminders.queue_for_booking`, ``cancel_for``).
- **RF day cancelled**: the plan keeps its status and day. The lifecycle table
  (:mod:`rhizo.clinic.plan.lifecycle`) has no move from ``scheduled`` back to
  ``draft``, so "back per the lifecycle" is: still scheduled, waiting for a new
  RF day; the worklist's ``book_rf_day`` task reopens on the next sweep
  (:func:`rhizo.clinic.tasks.service.refresh`), and the RF day's queued reminders
  are withdrawn with the appointment's others.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.schedule import clock, reminders
from rhizo.clinic.schedule.models import Appointment, AppointmentKind, ClinicSession


def appointment_zone_name(*, session: Session, appointment: Appointment) -> str:
    """The zone an appointment's calendar date is read on: its session's, else UTC."""
    if appointment.session_id is not None:
        row = session.get(ClinicSession, appointment.session_id)
        if row is not None:
            return row.timezone
    return "UTC"


def after_booked(*, session: Session, actor: Actor, appointment: Appointment) -> None:
    """The pathway's consequences of a new booking (module docstring)."""
    if appointment.kind is AppointmentKind.RF_PROCEDURE and appointment.plan_id is not None:
        zone = appointment_zone_name(session=session, appointment=appointment)
        plan_service.schedule_for_day(
            session=session,
            actor=actor,
            patient_id=appointment.patient_id,
            plan_id=appointment.plan_id,
            day=clock.clinic_date(appointment.starts_at, zone),
        )
    reminders.queue_for_booking(session=session, appointment=appointment)


def after_cancelled(*, session: Session, actor: Actor, appointment: Appointment) -> None:
    """The pathway's consequences of a cancellation (module docstring): the plan stays;
    the appointment's queued messages are withdrawn and the patient told
    (:func:`rhizo.clinic.schedule.reminders.cancel_for`)."""
    del actor
    reminders.cancel_for(session=session, appointment=appointment)
