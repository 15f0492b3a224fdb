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
  refuses the booking (422 on ``plan_id``). Then the RF day's reminders are queued
  (:func:`rhizo.pathway.hold_reminders.planned_reminders` from the plan's patient
  list, :func:`rhizo.pathway.patient_plan.patient_plan`; template
  :data:`rhizo.clinic.schedule.reminders.RF_DAY_HOLDS`): one 2 days before each
  last-dose day and one 2 days before the RF day, at 09:00 on the session's
  clock (:func:`rhizo.clinic.schedule.clock.instant`), at once when that is past,
  none at or after the RF day's start; e-mail only, and only to a valid address
  (:func:`rhizo.clinic.schedule.reminders.patient_email`, as every appointment message).
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

from datetime import datetime

from sqlalchemy.orm import Session

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.database import utcnow
from rhizo.clinic.core.outbox import service as outbox
from rhizo.clinic.core.outbox.models import Channel
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.models import Plan, Sedation
from rhizo.clinic.schedule import clock, reminders
from rhizo.clinic.schedule.models import Appointment, AppointmentKind
from rhizo.pathway.hold_reminders import planned_reminders
from rhizo.pathway.patient_plan import patient_plan
from rhizo.pathway.premed_models import DrugHold, Instruction


def appointment_zone_name(*, session: Session, appointment: Appointment) -> str:
    """The zone an appointment's calendar date is read on: its session's
    (:func:`rhizo.clinic.schedule.reminders.appointment_zone`), else UTC."""
    return reminders.appointment_zone(session=session, appointment=appointment) or "UTC"


def queue_rf_day_reminders(
    *,
    session: Session,
    appointment: Appointment,
    plan: Plan,
    zone: str,
    now: datetime | None = None,
) -> int:
    """Queue the RF day's hold and preparation reminders (module docstring); how many."""
    to = reminders.patient_email(session=session, appointment=appointment)
    if to is None:
        return 0
    patient = session.get(Patient, appointment.patient_id)
    steps = patient_plan(
        holds=[DrugHold.model_validate(hold) for hold in plan.holds],
        instructions=[Instruction.model_validate(item) for item in plan.instructions],
        sedation=plan.sedation is not Sedation.NONE,
    )
    moment = now or utcnow()
    queued = 0
    for planned in planned_reminders(plan=steps, procedure_on=plan.planned_date):
        send_after = max(clock.instant(planned.send_on, planned.send_at_local, zone), moment)
        if send_after >= appointment.starts_at:
            continue
        outbox.enqueue(
            session=session,
            channel=Channel.EMAIL,
            to=to,
            template=reminders.RF_DAY_HOLDS,
            context={
                "recipient_name": patient.given_name if patient is not None else None,
                "timezone": zone,
                "appointment_id": appointment.id,
                "starts_at": appointment.starts_at,
                "medicines": [step.model_dump(mode="json") for step in planned.medicines],
                "preparation": [
                    {"topic": item.topic, "text": item.text} for item in planned.preparation
                ],
            },
            send_after=send_after,
            dedupe_key=f"{reminders.dedupe_key(appointment.id, reminders.RF_DAY_HOLDS)}:"
            f"{planned.key}",
            patient_id=appointment.patient_id,
            appointment_id=appointment.id,
        )
        queued += 1
    return queued


def after_booked(*, session: Session, actor: Actor, appointment: Appointment) -> None:
    """The pathway's consequences of a new booking (module docstring)."""
    if appointment.kind is AppointmentKind.RF_PROCEDURE and appointment.plan_id is not None:
        zone = appointment_zone_name(session=session, appointment=appointment)
        plan = plan_service.schedule_for_day(
            session=session,
            actor=actor,
            patient_id=appointment.patient_id,
            plan_id=appointment.plan_id,
            day=clock.clinic_date(appointment.starts_at, zone),
        )
        queue_rf_day_reminders(session=session, appointment=appointment, plan=plan, zone=zone)
    reminders.queue_for_booking(session=session, appointment=appointment)


def after_cancelled(*, session: Session, actor: Actor, appointment: Appointment) -> None:
    """The pathway's consequences of a cancellation (module docstring): the plan stays;
    the appointment's queued messages are withdrawn and the patient told
    (:func:`rhizo.clinic.schedule.reminders.cancel_for`)."""
    del actor
    reminders.cancel_for(session=session, appointment=appointment)
