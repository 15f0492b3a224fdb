"""Booking: book, reschedule, cancel, arrived, no-show, completed (each one transaction).

Every write here runs in one :func:`rhizo.clinic.core.transactions.transaction`,
is audited (:func:`rhizo.clinic.core.audit.service.record`) and calls the pathway
hooks (:mod:`rhizo.clinic.schedule.effects`) inside that transaction, so an
appointment, its occupied blocks, its audit row and what the pathway adds commit
or roll back together.

**No double booking.** A booking inserts one :class:`OccupiedBlock` per
:data:`BLOCK_MIN` minutes for the patient, the specialist and the room (when
there is one). ``UNIQUE (resource, resource_id, block_start)`` lets only one of
two concurrent bookings of the same time commit; the loser's ``IntegrityError``
becomes :class:`SlotTakenError` (409) naming the resource and the clashing
time. Under the write lock the blocks are also read first, so the usual clash
is named before anything is inserted. Cancelling deletes the blocks (the time
is free again); a no-show keeps them.

**Rules** (422 naming the field unless said otherwise):

* ``starts_at`` on the 5-minute grid, not in the past (:func:`clock.now_utc`);
* within availability: a session of the specialist offers a slot of ``kind``
  starting at ``starts_at`` (:func:`rhizo.clinic.schedule.slots.offered_slots`,
  exceptions included); ``duration_min`` (default ``slot_min``) a multiple of 5
  ending by the session's end; ``mode`` and ``room_id`` if given equal the
  session's;
* outside availability: only an admin, with ``outside_availability`` true and
  an ``outside_reason`` (kept in the audit row), and ``duration_min`` given;
  anyone else gets 422 on ``starts_at`` (rule ``outside_availability``);
* the patient, specialist (active), room (active), plan and procedure (both of
  this patient) exist (404 / 422);
* state moves follow :mod:`rhizo.clinic.schedule.lifecycle` (409), and every
  change names the ``version`` it was read at (409 when stale).

Evidence: definitions (local protocol).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.core.common import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from rhizo.clinic.core.conflicts import check_version
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.procedure.models import Procedure
from rhizo.clinic.schedule import clock, effects, lifecycle, slots
from rhizo.clinic.schedule.models import (
    BLOCK_MIN,
    Appointment,
    AppointmentCreate,
    AppointmentKind,
    AppointmentMode,
    AppointmentReschedule,
    AppointmentStatus,
    ClinicSession,
    OccupiedBlock,
    Resource,
    Room,
)
from rhizo.clinic.specialist.models import Specialist

ENTITY = "appointment"

RESOURCE_WORDS: dict[Resource, str] = {
    Resource.PATIENT: "the patient",
    Resource.SPECIALIST: "the specialist",
    Resource.ROOM: "the room",
}


class SlotTakenError(ConflictError):
    """The time clashes with a holding appointment of the patient, specialist or room (409)."""

    def __init__(
        self, resource: Resource, resource_id: int, block_start: datetime, zone_name: str
    ) -> None:
        self.resource = resource
        self.resource_id = resource_id
        self.block_start = block_start
        shown = clock.local(block_start, zone_name).strftime("%Y-%m-%d %H:%M")
        self.detail = (
            f"{RESOURCE_WORDS[resource]} ({resource.value} {resource_id}) is already booked at "
            f"{shown} {zone_name}; nothing was saved: choose another time"
        )
        super().__init__(self.detail)


def _problem(field: str, value: Any, rule: str, message: str) -> InvalidInputError:
    return InvalidInputError([FieldProblem(field, value, rule, message)])


def _check_start(starts_at: datetime, now: datetime) -> datetime:
    moment = starts_at.astimezone(UTC)
    if moment.minute % BLOCK_MIN or moment.second or moment.microsecond:
        raise _problem(
            "starts_at",
            starts_at.isoformat(),
            "on_grid",
            f"appointments start on the {BLOCK_MIN}-minute grid (e.g. 09:00, 09:05)",
        )
    if moment < now:
        raise _problem(
            "starts_at",
            starts_at.isoformat(),
            "not_in_past",
            f"{starts_at.isoformat()} is in the past; book a time from now on",
        )
    return moment


def _check_duration(duration_min: int, field: str = "duration_min") -> timedelta:
    if duration_min % BLOCK_MIN:
        raise _problem(
            field, duration_min, "multiple_of_block", f"give a multiple of {BLOCK_MIN} minutes"
        )
    return timedelta(minutes=duration_min)


def _slot_at(
    session: Session, *, specialist_id: int, kind: AppointmentKind, starts_at: datetime
) -> slots.Slot | None:
    offered = slots.offered_slots(
        session=session,
        kind=kind,
        start=starts_at,
        end=starts_at + timedelta(minutes=BLOCK_MIN),
        specialist_id=specialist_id,
    )
    return offered[0] if offered else None


def _session_end(row: ClinicSession, starts_at: datetime) -> datetime:
    day = clock.local(starts_at, row.timezone).date()
    try:
        return clock.instant(day, row.end_local, row.timezone)
    except clock.NonexistentWallTimeError:
        return starts_at  # a session ending in a DST gap: only its own slot_min fits


def _exists(session: Session, model: type[Any], row_id: int, entity: str) -> Any:
    row = session.get(model, row_id)
    if row is None:
        raise NotFoundError(entity, row_id)
    return row


def _placement(
    *,
    session: Session,
    actor: Actor,
    specialist_id: int,
    kind: AppointmentKind,
    starts_at: datetime,
    duration_min: int | None,
    mode: AppointmentMode | None,
    room_id: int | None,
    outside_availability: bool,
    outside_reason: str | None,
) -> tuple[datetime, AppointmentMode, int | None, int | None, str]:
    """``(ends_at, mode, room_id, session_id, zone name)`` of a booking at ``starts_at``."""
    specialist = _exists(session, Specialist, specialist_id, "specialist")
    if not specialist.active:
        raise _problem(
            "specialist_id", specialist_id, "active", "this specialist is no longer active"
        )
    if room_id is not None:
        room = _exists(session, Room, room_id, "room")
        if not room.active:
            raise _problem("room_id", room_id, "active", "this room is no longer in use")
    slot = _slot_at(session, specialist_id=specialist_id, kind=kind, starts_at=starts_at)
    if slot is not None:
        row = _exists(session, ClinicSession, slot.session_id, "session")
        length = _check_duration(duration_min) if duration_min else slot.ends_at - slot.starts_at
        ends_at = starts_at + length
        session_end = max(_session_end(row, starts_at), slot.ends_at)
        if ends_at > session_end:
            raise _problem(
                "duration_min",
                duration_min,
                "within_session",
                f"the session ends at {row.end_local.strftime('%H:%M')} {row.timezone}; "
                "give a shorter duration",
            )
        if mode is not None and mode is not slot.mode:
            raise _problem(
                "mode", mode.value, "session_mode", f"this session is {slot.mode.value} only"
            )
        if room_id is not None and room_id != slot.room_id:
            raise _problem(
                "room_id", room_id, "session_room", f"this session is in room {slot.room_id}"
            )
        return ends_at, slot.mode, slot.room_id, slot.session_id, row.timezone
    if not outside_availability or actor.role is not Role.ADMIN:
        who = "" if actor.role is Role.ADMIN else " (an admin may book outside availability)"
        raise _problem(
            "starts_at",
            starts_at.isoformat(),
            "outside_availability",
            f"no session of specialist {specialist_id} offers a {kind.value} slot starting "
            f"at this time, or it falls in leave or a closure{who}",
        )
    if not outside_reason:
        raise _problem(
            "outside_reason",
            outside_reason,
            "required_outside_availability",
            "say why this booking is outside the specialist's availability",
        )
    if duration_min is None:
        raise _problem(
            "duration_min",
            None,
            "required_outside_availability",
            "give the duration of a booking outside availability",
        )
    ends_at = starts_at + _check_duration(duration_min)
    return ends_at, mode or AppointmentMode.IN_PERSON, room_id, None, "UTC"


def _resources(appointment: Appointment) -> list[tuple[Resource, int]]:
    out = [
        (Resource.PATIENT, appointment.patient_id),
        (Resource.SPECIALIST, appointment.specialist_id),
    ]
    if appointment.room_id is not None:
        out.append((Resource.ROOM, appointment.room_id))
    return out


def _first_clash(
    session: Session, appointment: Appointment
) -> tuple[Resource, int, datetime] | None:
    held = slots.occupied(
        session=session,
        resources=_resources(appointment),
        start=appointment.starts_at,
        end=appointment.ends_at,
    )
    if not held:
        return None
    order = {Resource.PATIENT: 0, Resource.SPECIALIST: 1, Resource.ROOM: 2}
    return min(held, key=lambda h: (h[2], order[h[0]]))


def _hold(session: Session, appointment: Appointment, zone_name: str) -> None:
    """Insert the appointment's blocks (after naming any clash already stored)."""
    clash = _first_clash(session, appointment)
    if clash is not None:
        raise SlotTakenError(*clash, zone_name)
    session.add_all(
        OccupiedBlock(
            appointment_id=appointment.id,
            resource=resource,
            resource_id=resource_id,
            block_start=block,
        )
        for resource, resource_id in _resources(appointment)
        for block in slots.blocks_of(appointment.starts_at, appointment.ends_at)
    )
    session.flush()


def _release(session: Session, appointment: Appointment) -> None:
    session.execute(sa.delete(OccupiedBlock).where(OccupiedBlock.appointment_id == appointment.id))


def _is_block_clash(error: BaseException) -> bool:
    cause = error.__cause__
    text = str(getattr(cause, "orig", cause))
    return isinstance(cause, IntegrityError) and (
        "uq_occupied_blocks" in text or "occupied_blocks." in text
    )


def _lost_race(session: Session, draft: Appointment, zone_name: str) -> SlotTakenError | None:
    """After a rolled-back clash: the committed block that won, in words."""
    clash = _first_clash(session, draft)
    session.rollback()
    return SlotTakenError(*clash, zone_name) if clash is not None else None


def _new_appointment(
    *,
    session: Session,
    actor: Actor,
    data: AppointmentCreate,
    now: datetime,
    rescheduled_from_id: int | None = None,
) -> tuple[Appointment, str]:
    starts_at = _check_start(data.starts_at, now)
    patient = _exists(session, Patient, data.patient_id, "patient")
    for field, model, value in (
        ("plan_id", Plan, data.plan_id),
        ("procedure_id", Procedure, data.procedure_id),
    ):
        if value is not None:
            row = _exists(session, model, value, field.removesuffix("_id"))
            if row.patient_id != patient.id:
                raise _problem(field, value, "same_patient", "it belongs to another patient")
    ends_at, mode, room_id, session_id, zone_name = _placement(
        session=session,
        actor=actor,
        specialist_id=data.specialist_id,
        kind=data.kind,
        starts_at=starts_at,
        duration_min=data.duration_min,
        mode=data.mode,
        room_id=data.room_id,
        outside_availability=data.outside_availability,
        outside_reason=data.outside_reason,
    )
    appointment = Appointment(
        patient_id=patient.id,
        specialist_id=data.specialist_id,
        room_id=room_id,
        session_id=session_id,
        kind=data.kind,
        mode=mode,
        starts_at=starts_at,
        ends_at=ends_at,
        status=AppointmentStatus.BOOKED,
        plan_id=data.plan_id,
        procedure_id=data.procedure_id,
        review_id=data.review_id,
        rescheduled_from_id=rescheduled_from_id,
        booked_by=actor.username[:64],
        notes=data.notes,
    )
    session.add(appointment)
    session.flush()
    _hold(session, appointment, zone_name)
    details: dict[str, Any] = {
        "starts_at": starts_at.isoformat(),
        "ends_at": ends_at.isoformat(),
        "specialist_id": data.specialist_id,
        "room_id": room_id,
        "kind": data.kind.value,
    }
    if session_id is None:
        details["outside_availability"] = data.outside_reason
    if rescheduled_from_id is not None:
        details["rescheduled_from_id"] = rescheduled_from_id
    audit.record(
        session=session,
        actor=actor,
        action=AuditAction.CREATE,
        entity_type=ENTITY,
        entity_id=appointment.id,
        patient_id=patient.id,
        details=details,
    )
    effects.after_booked(session=session, actor=actor, appointment=appointment)
    return appointment, zone_name


def _draft(data: AppointmentCreate, duration_min: int) -> Appointment:
    """An unsaved appointment with the wanted times (to name a lost race's clash)."""
    starts_at = data.starts_at.astimezone(UTC)
    return Appointment(
        patient_id=data.patient_id,
        specialist_id=data.specialist_id,
        room_id=data.room_id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=duration_min),
    )


def book(
    *,
    session: Session,
    actor: Actor,
    data: AppointmentCreate,
    now: datetime | None = None,
    then: Callable[[Appointment], None] | None = None,
) -> Appointment:
    """Book ``data`` (the module's rules): the appointment, its blocks, its audit row and
    :func:`effects.after_booked` in one transaction; 409 :class:`SlotTakenError` on a clash.

    ``then`` (optional) runs inside the same transaction once the appointment is in
    place, for a caller whose own rows must commit with it or not at all (the intake
    triage links its request and queues the requester's message there)."""
    moment = now or clock.now_utc()
    placed: dict[str, Any] = {}
    try:
        with transactions.transaction(session):
            appointment, zone_name = _new_appointment(
                session=session, actor=actor, data=data, now=moment
            )
            if then is not None:
                then(appointment)
            placed.update(
                zone=zone_name,
                room_id=appointment.room_id,
                minutes=(appointment.ends_at - appointment.starts_at) // timedelta(minutes=1),
            )
    except ConflictError as error:
        if not _is_block_clash(error):
            raise
        draft = _draft(data, int(placed.get("minutes") or data.duration_min or BLOCK_MIN))
        lost = _lost_race(session, draft, str(placed.get("zone", "UTC")))
        raise (lost or error) from error
    return appointment


def _owned(session: Session, appointment_id: int) -> Appointment:
    appointment = session.get(Appointment, appointment_id, with_for_update=True)
    if appointment is None:
        raise NotFoundError(ENTITY, appointment_id)
    return appointment


def _cancel_row(
    session: Session, actor: Actor, appointment: Appointment, reason: str, now: datetime
) -> None:
    lifecycle.check_transition(appointment.status, AppointmentStatus.CANCELLED)
    _release(session, appointment)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancel_reason = reason
    appointment.cancelled_by = actor.username[:64]
    appointment.cancelled_at = now
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity_type=ENTITY,
        entity_id=appointment.id,
        patient_id=appointment.patient_id,
        details={"status": AppointmentStatus.CANCELLED.value, "reason": reason},
    )
    effects.after_cancelled(session=session, actor=actor, appointment=appointment)


def cancel(
    *,
    session: Session,
    actor: Actor,
    appointment_id: int,
    version: int,
    reason: str,
    now: datetime | None = None,
) -> Appointment:
    """Cancel a booked appointment with ``reason`` (5-500 characters): its blocks are
    deleted, who and when stored, :func:`effects.after_cancelled` called; one transaction."""
    text = reason.strip()
    if not 5 <= len(text) <= 500:
        raise _problem("reason", reason, "length", "give a reason of 5 to 500 characters")
    moment = now or clock.now_utc()
    with transactions.transaction(session):
        appointment = _owned(session, appointment_id)
        check_version(appointment, version)
        _cancel_row(session, actor, appointment, text, moment)
    return appointment


def reschedule(
    *,
    session: Session,
    actor: Actor,
    appointment_id: int,
    data: AppointmentReschedule,
    now: datetime | None = None,
) -> Appointment:
    """Move a booked appointment: the old one is cancelled (reason "rescheduled"), a new
    one booked with ``rescheduled_from_id`` pointing back, in one transaction. Returns the
    new appointment; 409 on a clash (nothing changes), on a stale version or a final status."""
    moment = now or clock.now_utc()
    placed: dict[str, Any] = {}
    try:
        with transactions.transaction(session):
            old = _owned(session, appointment_id)
            check_version(old, data.version)
            minutes = (old.ends_at - old.starts_at) // timedelta(minutes=1)
            wanted = AppointmentCreate.model_construct(
                patient_id=old.patient_id,
                specialist_id=data.specialist_id or old.specialist_id,
                kind=old.kind,
                starts_at=data.starts_at,
                duration_min=data.duration_min or minutes,
                mode=old.mode if data.specialist_id in (None, old.specialist_id) else None,
                room_id=data.room_id,
                plan_id=old.plan_id,
                procedure_id=old.procedure_id,
                review_id=old.review_id,
                notes=old.notes,
                outside_availability=data.outside_availability,
                outside_reason=data.outside_reason,
            )
            placed["wanted"] = wanted
            _cancel_row(session, actor, old, lifecycle.RESCHEDULED_REASON, moment)
            new, zone_name = _new_appointment(
                session=session, actor=actor, data=wanted, now=moment, rescheduled_from_id=old.id
            )
            placed["zone"] = zone_name
    except ConflictError as error:
        if not _is_block_clash(error) or "wanted" not in placed:
            raise
        wanted = placed["wanted"]
        lost = _lost_race(
            session, _draft(wanted, int(wanted.duration_min)), str(placed.get("zone", "UTC"))
        )
        raise (lost or error) from error
    return new


def _move(
    *,
    session: Session,
    actor: Actor,
    appointment_id: int,
    version: int,
    wanted: AppointmentStatus,
    now: datetime | None,
) -> Appointment:
    moment = now or clock.now_utc()
    with transactions.transaction(session):
        appointment = _owned(session, appointment_id)
        check_version(appointment, version)
        lifecycle.check_transition(appointment.status, wanted)
        if wanted is AppointmentStatus.ARRIVED:
            if moment < appointment.starts_at - timedelta(hours=24):
                raise ConflictError(
                    f"appointment {appointment_id} starts at {appointment.starts_at.isoformat()}; "
                    "a patient can be marked arrived from 24 hours before it"
                )
            appointment.arrived_at = moment
        elif moment < appointment.starts_at:
            raise ConflictError(
                f"appointment {appointment_id} starts at {appointment.starts_at.isoformat()}; "
                f"it cannot be marked {wanted.value.replace('_', '-')} before it starts"
            )
        appointment.status = wanted
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity_type=ENTITY,
            entity_id=appointment.id,
            patient_id=appointment.patient_id,
            details={"status": wanted.value},
        )
    return appointment


def mark_arrived(
    *,
    session: Session,
    actor: Actor,
    appointment_id: int,
    version: int,
    now: datetime | None = None,
) -> Appointment:
    """booked -> arrived (from 24 hours before the start), ``arrived_at`` set; audited."""
    return _move(
        session=session,
        actor=actor,
        appointment_id=appointment_id,
        version=version,
        wanted=AppointmentStatus.ARRIVED,
        now=now,
    )


def mark_no_show(
    *,
    session: Session,
    actor: Actor,
    appointment_id: int,
    version: int,
    now: datetime | None = None,
) -> Appointment:
    """booked -> no_show (at or after the start); the blocks stay (the time was held)."""
    return _move(
        session=session,
        actor=actor,
        appointment_id=appointment_id,
        version=version,
        wanted=AppointmentStatus.NO_SHOW,
        now=now,
    )


def complete(
    *,
    session: Session,
    actor: Actor,
    appointment_id: int,
    version: int,
    now: datetime | None = None,
) -> Appointment:
    """booked or arrived -> completed (at or after the start); audited."""
    return _move(
        session=session,
        actor=actor,
        appointment_id=appointment_id,
        version=version,
        wanted=AppointmentStatus.COMPLETED,
        now=now,
    )
