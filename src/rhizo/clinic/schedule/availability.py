"""Availability: rooms, specialists' recurring sessions and exceptions (leave, closures).

Each write is one transaction, audited; bad input is a 422 naming the field:

* a session's ``timezone`` is an IANA name (default: the clinic's);
* ``end_local`` after ``start_local``, both on the 5-minute grid
  (:data:`~rhizo.clinic.schedule.models.BLOCK_MIN`);
* ``slot_min`` a multiple of 5 that **divides** the session's length (no partial
  last slot: a 09:00-12:30 session of 210 minutes takes 5, 10, 15, 30, 35, 70,
  105 or 210, and 45 is refused naming the 30 minutes left over);
* no overlap with another active session of the same specialist, nor of the same
  room: same weekday, overlapping wall times and overlapping validity ranges
  (wall times are compared as written, whatever their zone);
* ``valid_until`` not before ``valid_from``;
* an exception names a specialist or a room (or both), ends after it starts, and
  gives its reason.

A session with booked appointments still ahead keeps its times, weekday, kind,
zone and slot length (409: cancel or reschedule those first), and cannot be
deactivated while they remain; its validity may be shortened no earlier than its
last booked day.

Evidence: definitions (local protocol).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from rhizo.clinic.core.conflicts import check_version
from rhizo.clinic.schedule import clock
from rhizo.clinic.schedule.models import (
    BLOCK_MIN,
    Appointment,
    AppointmentStatus,
    ClinicSession,
    ClinicSessionCreate,
    ClinicSessionUpdate,
    Room,
    RoomCreate,
    RoomUpdate,
    SessionException,
    SessionExceptionCreate,
)
from rhizo.clinic.specialist.models import Specialist

#: Fields of a session that booked appointments ahead depend on.
_FIXED_WHILE_BOOKED = ("kind", "mode", "room_id", "weekday", "start_local", "end_local")
_FIXED_WHILE_BOOKED_ALSO = ("slot_min", "timezone", "valid_from")


# --- rooms ---------------------------------------------------------------------------


def _audit(
    session: Session, actor: Actor, action: AuditAction, entity: str, row_id: int, **details: Any
) -> None:
    audit.record(
        session=session,
        actor=actor,
        action=action,
        entity_type=entity,
        entity_id=row_id,
        details=details,
    )


def _get(session: Session, model: type[Any], row_id: int, entity: str) -> Any:
    row = session.get(model, row_id)
    if row is None:
        raise NotFoundError(entity, row_id)
    return row


def rooms(*, session: Session, active_only: bool = False) -> Sequence[Room]:
    """Rooms by name."""
    query = sa.select(Room).order_by(Room.name)
    if active_only:
        query = query.where(Room.active.is_(True))
    return session.scalars(query).all()


def _name_free(session: Session, name: str, room_id: int | None) -> None:
    query = sa.select(Room.id).where(sa.func.lower(Room.name) == name.lower())
    if room_id is not None:
        query = query.where(Room.id != room_id)
    if session.scalar(query) is not None:
        raise InvalidInputError(
            [FieldProblem("name", name, "unique", f"a room named {name!r} already exists")]
        )


def create_room(*, session: Session, actor: Actor, data: RoomCreate) -> Room:
    """Add a room (422 on a name already used)."""
    with transactions.transaction(session):
        _name_free(session, data.name, None)
        room = Room(name=data.name, fluoroscopy=data.fluoroscopy)
        session.add(room)
        session.flush()
        _audit(session, actor, AuditAction.CREATE, "room", room.id, name=data.name)
    return room


def update_room(*, session: Session, actor: Actor, room_id: int, data: RoomUpdate) -> Room:
    """Rename a room or change its fluoroscopy flag."""
    with transactions.transaction(session):
        room: Room = _get(session, Room, room_id, "room")
        changes = transactions.changes_of(data)
        if data.name is not None:
            _name_free(session, data.name, room_id)
        changed = transactions.apply_changes(room, changes)
        session.flush()
        _audit(session, actor, AuditAction.UPDATE, "room", room_id, fields=changed)
    return room


def deactivate_room(*, session: Session, actor: Actor, room_id: int, version: int) -> Room:
    """Take a room out of use (409 while active sessions or booked appointments ahead use it)."""
    with transactions.transaction(session):
        room: Room = _get(session, Room, room_id, "room")
        check_version(room, version)
        in_use = session.scalar(
            sa.select(sa.func.count(ClinicSession.id)).where(
                ClinicSession.room_id == room_id, ClinicSession.active.is_(True)
            )
        )
        if in_use:
            raise ConflictError(
                f"room {room_id} is used by {in_use} active session(s); "
                "deactivate or move them first"
            )
        booked = _booked_ahead(session, Appointment.room_id == room_id)
        if booked:
            raise ConflictError(
                f"room {room_id} has {booked} booked appointment(s) ahead; "
                "cancel or reschedule them first"
            )
        room.active = False
        session.flush()
        _audit(session, actor, AuditAction.UPDATE, "room", room_id, active=False)
    return room


# --- sessions --------------------------------------------------------------------------


def sessions(
    *, session: Session, specialist_id: int | None = None, active_only: bool = True
) -> Sequence[ClinicSession]:
    """Sessions by specialist, weekday and start."""
    query = sa.select(ClinicSession)
    if specialist_id is not None:
        query = query.where(ClinicSession.specialist_id == specialist_id)
    if active_only:
        query = query.where(ClinicSession.active.is_(True))
    order = (ClinicSession.specialist_id, ClinicSession.weekday, ClinicSession.start_local)
    return session.scalars(query.order_by(*order)).all()


def get_session(*, session: Session, session_id: int) -> ClinicSession:
    """One session (404 when unknown)."""
    row: ClinicSession = _get(session, ClinicSession, session_id, "session")
    return row


def _on_grid(name: str, value: time) -> FieldProblem | None:
    if value.minute % BLOCK_MIN or value.second or value.microsecond:
        return FieldProblem(
            name,
            value.isoformat(),
            "on_grid",
            f"session times are on the {BLOCK_MIN}-minute grid (e.g. 09:00, 12:35)",
        )
    return None


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def check_session_shape(values: dict[str, Any]) -> None:
    """422 for a session's own values: zone, grid, end after start, slot dividing the
    length, validity range (all problems at once)."""
    problems: list[FieldProblem] = []
    try:
        clock.zone_of(values["timezone"])
    except InvalidInputError as error:
        problems.extend(error.problems)
    for name in ("start_local", "end_local"):
        problem = _on_grid(name, values[name])
        if problem is not None:
            problems.append(problem)
    start, end, slot = values["start_local"], values["end_local"], values["slot_min"]
    if end <= start:
        problems.append(
            FieldProblem(
                "end_local",
                end.isoformat(),
                "after_start",
                f"the session must end after it starts ({start.isoformat()})",
            )
        )
    elif slot % BLOCK_MIN:
        problems.append(
            FieldProblem("slot_min", slot, "multiple_of_block", f"give a multiple of {BLOCK_MIN}")
        )
    elif (_minutes(end) - _minutes(start)) % slot:
        length = _minutes(end) - _minutes(start)
        problems.append(
            FieldProblem(
                "slot_min",
                slot,
                "divides_session",
                f"{slot} minutes does not divide the session's {length} minutes "
                f"({length % slot} left over); no partial last slot is offered",
            )
        )
    until, since = values.get("valid_until"), values["valid_from"]
    if until is not None and until < since:
        problems.append(
            FieldProblem(
                "valid_until",
                until.isoformat(),
                "after_valid_from",
                f"valid_until is before valid_from ({since.isoformat()})",
            )
        )
    if problems:
        raise InvalidInputError(problems)


def _overlapping(session: Session, values: dict[str, Any], own_id: int | None) -> None:
    """422 when an active session of the same specialist or room overlaps ``values``."""
    far = date.max
    query = sa.select(ClinicSession).where(
        ClinicSession.active.is_(True),
        ClinicSession.weekday == values["weekday"],
        ClinicSession.start_local < values["end_local"],
        ClinicSession.end_local > values["start_local"],
        ClinicSession.valid_from <= (values.get("valid_until") or far),
        sa.or_(
            ClinicSession.valid_until.is_(None),
            ClinicSession.valid_until >= values["valid_from"],
        ),
    )
    if own_id is not None:
        query = query.where(ClinicSession.id != own_id)
    for field, column in (
        ("specialist_id", ClinicSession.specialist_id),
        ("room_id", ClinicSession.room_id),
    ):
        if values.get(field) is None:
            continue
        other = session.scalar(query.where(column == values[field]).limit(1))
        if other is not None:
            who = "specialist" if field == "specialist_id" else "room"
            raise InvalidInputError(
                [
                    FieldProblem(
                        field,
                        values[field],
                        "no_overlap",
                        f"the {who} already has session {other.id} on weekday {other.weekday} "
                        f"{other.start_local.strftime('%H:%M')}-"
                        f"{other.end_local.strftime('%H:%M')} "
                        f"from {other.valid_from.isoformat()}"
                        + (f" to {other.valid_until.isoformat()}" if other.valid_until else "")
                        + "; sessions of one "
                        + who
                        + " may not overlap",
                    )
                ]
            )


def _references(session: Session, values: dict[str, Any]) -> None:
    specialist = _get(session, Specialist, values["specialist_id"], "specialist")
    if not specialist.active:
        raise InvalidInputError(
            [
                FieldProblem(
                    "specialist_id", specialist.id, "active", "this specialist is not active"
                )
            ]
        )
    if values.get("room_id") is not None:
        room = _get(session, Room, values["room_id"], "room")
        if not room.active:
            raise InvalidInputError(
                [FieldProblem("room_id", room.id, "active", "this room is not in use")]
            )


def create_session(
    *, session: Session, actor: Actor, data: ClinicSessionCreate, clinic_timezone: str
) -> ClinicSession:
    """Add a recurring session (the module's rules); ``timezone`` defaults to the clinic's."""
    values = data.model_dump()
    values["timezone"] = values["timezone"] or clinic_timezone
    check_session_shape(values)
    with transactions.transaction(session):
        _references(session, values)
        _overlapping(session, values, None)
        row = ClinicSession(**values)
        session.add(row)
        session.flush()
        _audit(
            session,
            actor,
            AuditAction.CREATE,
            "session",
            row.id,
            **{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()},
        )
    return row


def _booked_ahead(session: Session, *where: Any) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count(Appointment.id)).where(
                *where,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at >= clock.now_utc(),
            )
        )
        or 0
    )


def _last_booked(session: Session, session_id: int) -> datetime | None:
    return session.scalar(
        sa.select(sa.func.max(Appointment.starts_at)).where(
            Appointment.session_id == session_id,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at >= clock.now_utc(),
        )
    )


def update_session(
    *, session: Session, actor: Actor, session_id: int, data: ClinicSessionUpdate
) -> ClinicSession:
    """Change a session (the module's rules; only the fields given)."""
    with transactions.transaction(session):
        row = get_session(session=session, session_id=session_id)
        check_version(row, data.version)
        changes = transactions.changes_of(data)
        changes.pop("version", None)
        current = {c: getattr(row, c) for c in ClinicSessionCreate.model_fields}
        values = {**current, **changes}
        if values["timezone"] is None:
            values["timezone"] = row.timezone
        check_session_shape(values)
        moved = [
            f
            for f in (*_FIXED_WHILE_BOOKED, *_FIXED_WHILE_BOOKED_ALSO)
            if f in changes and changes[f] != current[f]
        ]
        last = _last_booked(session, session_id)
        if last is not None and moved:
            raise ConflictError(
                f"session {session_id} has booked appointments ahead (the last on "
                f"{clock.local(last, row.timezone).date().isoformat()}); "
                f"{', '.join(moved)} cannot change until they are cancelled or rescheduled"
            )
        until = values.get("valid_until")
        if (
            last is not None
            and until is not None
            and until < clock.local(last, row.timezone).date()
        ):
            raise InvalidInputError(
                [
                    FieldProblem(
                        "valid_until",
                        until.isoformat(),
                        "after_last_booking",
                        "a booked appointment of this session falls after it "
                        f"({clock.local(last, row.timezone).date().isoformat()})",
                    )
                ]
            )
        if "room_id" in changes:
            _references(session, values)
        _overlapping(session, values, session_id)
        changed = transactions.apply_changes(row, {**changes, "timezone": values["timezone"]})
        session.flush()
        _audit(session, actor, AuditAction.UPDATE, "session", session_id, fields=changed)
    return row


def deactivate_session(
    *, session: Session, actor: Actor, session_id: int, version: int
) -> ClinicSession:
    """Stop a session offering slots (409 while it has booked appointments ahead)."""
    with transactions.transaction(session):
        row = get_session(session=session, session_id=session_id)
        check_version(row, version)
        booked = _booked_ahead(session, Appointment.session_id == session_id)
        if booked:
            raise ConflictError(
                f"session {session_id} has {booked} booked appointment(s) ahead; "
                "cancel or reschedule them first"
            )
        row.active = False
        session.flush()
        _audit(session, actor, AuditAction.UPDATE, "session", session_id, active=False)
    return row


# --- exceptions ------------------------------------------------------------------------


def exceptions(
    *,
    session: Session,
    start: datetime,
    end: datetime,
    specialist_id: int | None = None,
    room_id: int | None = None,
) -> Sequence[SessionException]:
    """Exceptions overlapping ``[start, end)``, by start."""
    query = sa.select(SessionException).where(
        SessionException.starts_at < end, SessionException.ends_at > start
    )
    if specialist_id is not None:
        query = query.where(SessionException.specialist_id == specialist_id)
    if room_id is not None:
        query = query.where(SessionException.room_id == room_id)
    return session.scalars(query.order_by(SessionException.starts_at)).all()


def create_exception(
    *, session: Session, actor: Actor, data: SessionExceptionCreate
) -> SessionException:
    """Record leave, a cancelled list or a closed room, with its reason. Booked
    appointments inside it stay booked (listed in the audit row for rebooking)."""
    problems: list[FieldProblem] = []
    if data.specialist_id is None and data.room_id is None:
        problems.append(
            FieldProblem("specialist_id", None, "names_a_resource", "name a specialist or a room")
        )
    if data.ends_at <= data.starts_at:
        problems.append(
            FieldProblem(
                "ends_at", data.ends_at.isoformat(), "after_start", "it must end after it starts"
            )
        )
    if problems:
        raise InvalidInputError(problems)
    with transactions.transaction(session):
        if data.specialist_id is not None:
            _get(session, Specialist, data.specialist_id, "specialist")
        if data.room_id is not None:
            _get(session, Room, data.room_id, "room")
        row = SessionException(**data.model_dump(), recorded_by=actor.username[:64])
        session.add(row)
        session.flush()
        owners = []
        if data.specialist_id is not None:
            owners.append(Appointment.specialist_id == data.specialist_id)
        if data.room_id is not None:
            owners.append(Appointment.room_id == data.room_id)
        affected = session.scalars(
            sa.select(Appointment.id).where(
                sa.or_(*owners),
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at < data.ends_at,
                Appointment.ends_at > data.starts_at,
            )
        ).all()
        _audit(
            session,
            actor,
            AuditAction.CREATE,
            "session_exception",
            row.id,
            kind=data.kind.value,
            reason=data.reason,
            booked_inside=list(affected),
        )
    return row


def delete_exception(*, session: Session, actor: Actor, exception_id: int) -> None:
    """Remove an exception (the availability comes back)."""
    with transactions.transaction(session):
        row = _get(session, SessionException, exception_id, "session exception")
        session.delete(row)
        session.flush()
        _audit(session, actor, AuditAction.DELETE, "session_exception", exception_id)
