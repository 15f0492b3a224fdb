"""REST routes of the calendar: rooms, sessions, exceptions, slots and appointments.

Permissions (default deny): reading the calendar needs ``schedule:read`` (all
staff); booking and moving appointments ``schedule:write`` (clinician, nurse,
admin); rooms, sessions and exceptions ``availability:manage`` (clinician,
admin). A patient reads their own appointments at
``/patients/{patient_id}/appointments`` (the own-record rule,
:mod:`rhizo.clinic.patient.access`). Every read of appointments and every change
is audited. Errors: 422 naming the field, 409 in words (a clash names the
resource and the time), 404 for an unknown id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.orm import Session

from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import FieldProblem, InvalidInputError, NotFoundError
from rhizo.clinic.core.deps import SessionDep, SettingsDep, require
from rhizo.clinic.core.openapi import declare
from rhizo.clinic.core.validation import MAX_ID, DbId, PlannedAt
from rhizo.clinic.patient.access import PatientReader
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule import availability, booking, calendar, clock, slots
from rhizo.clinic.schedule.models import (
    Appointment,
    AppointmentCancel,
    AppointmentCreate,
    AppointmentKind,
    AppointmentMode,
    AppointmentRead,
    AppointmentReschedule,
    AppointmentTransition,
    ClinicSessionCreate,
    ClinicSessionRead,
    ClinicSessionUpdate,
    Deactivate,
    RoomCreate,
    RoomRead,
    RoomUpdate,
    SessionExceptionCreate,
    SessionExceptionRead,
    SlotRead,
)

router = APIRouter(tags=["schedule"])

Reader = Annotated[Actor, Depends(require(Permission.SCHEDULE_READ))]
Writer = Annotated[Actor, Depends(require(Permission.SCHEDULE_WRITE))]
Manager = Annotated[Actor, Depends(require(Permission.AVAILABILITY_MANAGE))]

#: The longest span one appointments list covers (days).
MAX_LIST_DAYS = 62


def _span(start: datetime, end: datetime, max_days: int) -> None:
    problems = [
        FieldProblem(name, value.isoformat(), "timezone_required", "give a time zone")
        for name, value in (("query.start", start), ("query.end", end))
        if value.tzinfo is None or value.utcoffset() is None
    ]
    if not problems and end <= start:
        problems.append(
            FieldProblem("query.end", end.isoformat(), "after_start", "end must be after start")
        )
    if not problems and end - start > timedelta(days=max_days):
        problems.append(
            FieldProblem(
                "query.end", end.isoformat(), "span_too_long", f"ask for at most {max_days} days"
            )
        )
    if problems:
        raise InvalidInputError(problems)


def _read(session: Session, actor: Actor, row: Appointment) -> AppointmentRead:
    audit.record_now(
        session=session,
        actor=actor,
        action=AuditAction.READ,
        entity_type=calendar.ENTITY,
        entity_id=row.id,
        patient_id=row.patient_id,
    )
    return AppointmentRead.model_validate(row)


# --- rooms -----------------------------------------------------------------------------


@router.get("/rooms", response_model=list[RoomRead])
def list_rooms(actor: Reader, session: SessionDep, active_only: bool = False) -> list[RoomRead]:
    """Rooms by name."""
    return [
        RoomRead.model_validate(r)
        for r in availability.rooms(session=session, active_only=active_only)
    ]


@router.post("/rooms", response_model=RoomRead, status_code=status.HTTP_201_CREATED)
def create_room(actor: Manager, session: SessionDep, data: RoomCreate) -> RoomRead:
    """Add a room (422 on a name in use)."""
    return RoomRead.model_validate(
        availability.create_room(session=session, actor=actor, data=data)
    )


@router.patch("/rooms/{room_id}", response_model=RoomRead)
def update_room(actor: Manager, session: SessionDep, room_id: DbId, data: RoomUpdate) -> RoomRead:
    """Rename a room or change its fluoroscopy flag (409 on a stale version)."""
    return RoomRead.model_validate(
        availability.update_room(session=session, actor=actor, room_id=room_id, data=data)
    )


@router.post("/rooms/{room_id}/deactivate", response_model=RoomRead)
def deactivate_room(
    actor: Manager, session: SessionDep, room_id: DbId, data: Deactivate
) -> RoomRead:
    """Take a room out of use (409 while sessions or booked appointments use it)."""
    return RoomRead.model_validate(
        availability.deactivate_room(
            session=session, actor=actor, room_id=room_id, version=data.version
        )
    )


# --- sessions --------------------------------------------------------------------------


@router.get("/sessions", response_model=list[ClinicSessionRead])
def list_sessions(
    actor: Reader,
    session: SessionDep,
    specialist_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    active_only: bool = True,
) -> list[ClinicSessionRead]:
    """Recurring sessions by specialist, weekday and start."""
    rows = availability.sessions(
        session=session, specialist_id=specialist_id, active_only=active_only
    )
    return [ClinicSessionRead.model_validate(r) for r in rows]


@router.post("/sessions", response_model=ClinicSessionRead, status_code=status.HTTP_201_CREATED)
def create_session(
    actor: Manager, session: SessionDep, settings: SettingsDep, data: ClinicSessionCreate
) -> ClinicSessionRead:
    """Add a recurring weekly session (422: unknown zone, end before start, times off the
    5-minute grid, a slot length not dividing the session, an overlap with another
    session of the specialist or the room)."""
    return ClinicSessionRead.model_validate(
        availability.create_session(
            session=session, actor=actor, data=data, clinic_timezone=settings.clinic_timezone
        )
    )


@router.get("/sessions/{session_id}", response_model=ClinicSessionRead)
def get_session(actor: Reader, session: SessionDep, session_id: DbId) -> ClinicSessionRead:
    """One session."""
    return ClinicSessionRead.model_validate(
        availability.get_session(session=session, session_id=session_id)
    )


@router.patch("/sessions/{session_id}", response_model=ClinicSessionRead)
def update_session(
    actor: Manager, session: SessionDep, session_id: DbId, data: ClinicSessionUpdate
) -> ClinicSessionRead:
    """Change a session (the creation rules; 409 while booked appointments ahead depend on
    the fields changed)."""
    return ClinicSessionRead.model_validate(
        availability.update_session(session=session, actor=actor, session_id=session_id, data=data)
    )


@router.post("/sessions/{session_id}/deactivate", response_model=ClinicSessionRead)
def deactivate_session(
    actor: Manager, session: SessionDep, session_id: DbId, data: Deactivate
) -> ClinicSessionRead:
    """Stop a session offering slots (409 while it has booked appointments ahead)."""
    return ClinicSessionRead.model_validate(
        availability.deactivate_session(
            session=session, actor=actor, session_id=session_id, version=data.version
        )
    )


# --- exceptions ------------------------------------------------------------------------


@router.get("/session-exceptions", response_model=list[SessionExceptionRead])
def list_exceptions(
    actor: Reader,
    session: SessionDep,
    start: PlannedAt,
    end: PlannedAt,
    specialist_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    room_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[SessionExceptionRead]:
    """Leave, cancelled lists and closures overlapping ``[start, end)``."""
    _span(start, end, 400)
    rows = availability.exceptions(
        session=session, start=start, end=end, specialist_id=specialist_id, room_id=room_id
    )
    return [SessionExceptionRead.model_validate(r) for r in rows]


@router.post(
    "/session-exceptions",
    response_model=SessionExceptionRead,
    status_code=status.HTTP_201_CREATED,
)
def create_exception(
    actor: Manager, session: SessionDep, data: SessionExceptionCreate
) -> SessionExceptionRead:
    """Record leave, a cancelled list or a closed room with its reason."""
    return SessionExceptionRead.model_validate(
        availability.create_exception(session=session, actor=actor, data=data)
    )


@router.delete("/session-exceptions/{exception_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_exception(actor: Manager, session: SessionDep, exception_id: DbId) -> Response:
    """Remove an exception (its availability comes back)."""
    availability.delete_exception(session=session, actor=actor, exception_id=exception_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- slots -----------------------------------------------------------------------------


def _slot(slot: slots.Slot) -> SlotRead:
    return SlotRead(
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        specialist_id=slot.specialist_id,
        room_id=slot.room_id,
        session_id=slot.session_id,
        kind=slot.kind,
        mode=slot.mode,
    )


@router.get("/slots", response_model=list[SlotRead])
def list_slots(
    actor: Reader,
    session: SessionDep,
    kind: AppointmentKind,
    start: PlannedAt,
    end: PlannedAt,
    specialist_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    mode: AppointmentMode | None = None,
) -> list[SlotRead]:
    """Free slots of ``kind`` starting in ``[start, end)`` and not in the past."""
    _span(start, end, slots.MAX_SPAN_DAYS)
    start = max(start, clock.now_utc())
    if end <= start:
        return []
    found = slots.free_slots(
        session=session, kind=kind, start=start, end=end, specialist_id=specialist_id, mode=mode
    )
    return [_slot(s) for s in found]


@router.get("/slots/next", response_model=SlotRead, responses=declare(404))
def next_slot(
    actor: Reader,
    session: SessionDep,
    kind: AppointmentKind,
    after: PlannedAt | None = None,
    specialist_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    mode: AppointmentMode | None = None,
) -> SlotRead:
    """The earliest free slot of ``kind`` from ``after`` (default now) within a year
    (404 when there is none)."""
    moment = clock.now_utc() if after is None else after
    if moment.tzinfo is not None and moment.utcoffset() is not None:
        moment = max(moment, clock.now_utc())
    found = slots.next_free_slot(
        session=session, kind=kind, after=moment, specialist_id=specialist_id, mode=mode
    )
    if found is None:
        raise NotFoundError("free slot", kind.value)
    return _slot(found)


# --- appointments ----------------------------------------------------------------------


@router.get("/appointments", response_model=list[AppointmentRead])
def list_appointments(
    actor: Reader,
    session: SessionDep,
    start: PlannedAt,
    end: PlannedAt,
    specialist_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    room_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    include_cancelled: bool = False,
) -> list[AppointmentRead]:
    """Appointments starting in ``[start, end)`` (at most 62 days), by start (audited)."""
    _span(start, end, MAX_LIST_DAYS)
    rows = calendar.between(
        session=session,
        start=start,
        end=end,
        specialist_id=specialist_id,
        room_id=room_id,
        include_cancelled=include_cancelled,
    )
    calendar.record_read(
        session=session,
        actor=actor,
        appointments=rows,
        scope=f"{start.isoformat()}..{end.isoformat()} specialist {specialist_id} room {room_id}",
    )
    return [AppointmentRead.model_validate(r) for r in rows]


@router.post("/appointments", response_model=AppointmentRead, status_code=status.HTTP_201_CREATED)
def book_appointment(
    actor: Writer, session: SessionDep, data: AppointmentCreate
) -> AppointmentRead:
    """Book a slot (422: in the past, off the grid, outside availability unless an admin
    says why; 409: the patient, specialist or room is already booked then, named)."""
    return AppointmentRead.model_validate(booking.book(session=session, actor=actor, data=data))


def _get(session: Session, appointment_id: int) -> Appointment:
    row = session.get(Appointment, appointment_id)
    if row is None:
        raise NotFoundError("appointment", appointment_id)
    return row


@router.get("/appointments/{appointment_id}", response_model=AppointmentRead)
def get_appointment(actor: Reader, session: SessionDep, appointment_id: DbId) -> AppointmentRead:
    """One appointment (audited)."""
    return _read(session, actor, _get(session, appointment_id))


@router.post("/appointments/{appointment_id}/reschedule", response_model=AppointmentRead)
def reschedule_appointment(
    actor: Writer, session: SessionDep, appointment_id: DbId, data: AppointmentReschedule
) -> AppointmentRead:
    """Move an appointment: the old one is cancelled ("rescheduled"), the new one returned."""
    return AppointmentRead.model_validate(
        booking.reschedule(session=session, actor=actor, appointment_id=appointment_id, data=data)
    )


@router.post("/appointments/{appointment_id}/cancel", response_model=AppointmentRead)
def cancel_appointment(
    actor: Writer, session: SessionDep, appointment_id: DbId, data: AppointmentCancel
) -> AppointmentRead:
    """Cancel with a reason (5-500 characters); the time is free again."""
    return AppointmentRead.model_validate(
        booking.cancel(
            session=session,
            actor=actor,
            appointment_id=appointment_id,
            version=data.version,
            reason=data.reason,
        )
    )


@router.post("/appointments/{appointment_id}/arrived", response_model=AppointmentRead)
def mark_arrived(
    actor: Writer, session: SessionDep, appointment_id: DbId, data: AppointmentTransition
) -> AppointmentRead:
    """The patient is here (from 24 hours before the start)."""
    return AppointmentRead.model_validate(
        booking.mark_arrived(
            session=session, actor=actor, appointment_id=appointment_id, version=data.version
        )
    )


@router.post("/appointments/{appointment_id}/no-show", response_model=AppointmentRead)
def mark_no_show(
    actor: Writer, session: SessionDep, appointment_id: DbId, data: AppointmentTransition
) -> AppointmentRead:
    """The patient did not come (at or after the start; the time stays held)."""
    return AppointmentRead.model_validate(
        booking.mark_no_show(
            session=session, actor=actor, appointment_id=appointment_id, version=data.version
        )
    )


@router.post("/appointments/{appointment_id}/complete", response_model=AppointmentRead)
def complete_appointment(
    actor: Writer, session: SessionDep, appointment_id: DbId, data: AppointmentTransition
) -> AppointmentRead:
    """The appointment took place (at or after the start)."""
    return AppointmentRead.model_validate(
        booking.complete(
            session=session, actor=actor, appointment_id=appointment_id, version=data.version
        )
    )


@router.get("/patients/{patient_id}/appointments", response_model=list[AppointmentRead])
def list_patient_appointments(
    actor: PatientReader, session: SessionDep, patient_id: DbId, include_cancelled: bool = True
) -> list[AppointmentRead]:
    """A patient's appointments, earliest first (a patient may read their own; audited)."""
    if session.get(Patient, patient_id) is None:
        raise NotFoundError("patient", patient_id)
    rows = calendar.patient_appointments(
        session=session, patient_id=patient_id, include_cancelled=include_cancelled
    )
    calendar.record_read(
        session=session,
        actor=actor,
        appointments=rows,
        scope=f"patient {patient_id}",
        patient_id=patient_id,
    )
    return [AppointmentRead.model_validate(r) for r in rows]
