"""The clinic's calendar: rooms, recurring sessions, exceptions and appointments.

Times: an appointment's ``starts_at`` and ``ends_at`` are instants (UTC, aware;
:class:`rhizo.clinic.core.database.UTCDateTime`). A recurring session is written on
the wall clock of its ``timezone`` (an IANA name, by default the clinic's
``RHIZO_CLINIC_TIMEZONE``): "Mondays 09:00-12:30 Europe/London" is 08:00 UTC in
summer and 09:00 UTC in winter, so the slots it gives are derived per date, never
stored as UTC rules.

One patient, one specialist, one room at a time is enforced by the database, the
same way on SQLite and PostgreSQL: each booked appointment owns one
:class:`OccupiedBlock` row per resource and per :data:`BLOCK_MIN` minutes it
spans, and ``(resource, resource_id, block_start)`` is UNIQUE. Two concurrent
bookings of the same specialist at 10:00 both try to insert
``('specialist', 7, 10:00)``; the database lets exactly one commit. Appointment
times are therefore on the :data:`BLOCK_MIN` grid (checked by the service and by a
CHECK on the minutes). A cancelled or rescheduled appointment gives its blocks
back (rows deleted in the same transaction); a no-show keeps them (the time was
held).

Evidence: definitions (local protocol); no clinical source is needed for a
calendar's bookkeeping.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import BaseModel, Field, PlainSerializer, WithJsonSchema
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import ReadSchema, Schema, str_enum
from rhizo.clinic.core.conflicts import EditVersion
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin
from rhizo.clinic.core.validation import DbId, PlannedAt, PlannedOn

#: The booking grid (minutes): appointment starts, ends and occupied blocks.
BLOCK_MIN = 5


#: A session's wall-clock time as read back: "HH:MM" (no offset: it is on the clock of the
#: session's ``timezone``; JSON Schema's ``format: time`` would demand an offset).
WallTime = Annotated[
    time,
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
            "description": "wall-clock time HH:MM on the clock of the session's timezone",
        }
    ),
]


class AppointmentKind(StrEnum):
    """What an appointment (and the session that offers it) is for, on the pathway."""

    CONSULTATION = "consultation"
    DIAGNOSTIC_BLOCK = "diagnostic_block"
    RF_PROCEDURE = "rf_procedure"
    REVIEW = "review"


#: Kind words for people (pages, reminders, .ics summaries).
KIND_LABEL: dict[AppointmentKind, str] = {
    AppointmentKind.CONSULTATION: "consultation",
    AppointmentKind.DIAGNOSTIC_BLOCK: "diagnostic block",
    AppointmentKind.RF_PROCEDURE: "radiofrequency treatment",
    AppointmentKind.REVIEW: "review",
}


class AppointmentMode(StrEnum):
    """How the patient attends."""

    IN_PERSON = "in_person"
    PHONE = "phone"


class AppointmentStatus(StrEnum):
    """Where an appointment is in its life.

    booked -> arrived -> completed; booked -> cancelled (with a reason) or no_show;
    a reschedule cancels the old row (reason "rescheduled") and books a new one
    pointing back to it (``rescheduled_from_id``).
    """

    BOOKED = "booked"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


#: Statuses that hold their time (their blocks exist).
HOLDING_STATUSES: frozenset[AppointmentStatus] = frozenset(
    {
        AppointmentStatus.BOOKED,
        AppointmentStatus.ARRIVED,
        AppointmentStatus.COMPLETED,
        AppointmentStatus.NO_SHOW,
    }
)


class Resource(StrEnum):
    """What an occupied block belongs to."""

    PATIENT = "patient"
    SPECIALIST = "specialist"
    ROOM = "room"


class ExceptionKind(StrEnum):
    """Why availability is removed for a period."""

    LEAVE = "leave"
    SESSION_CANCELLED = "session_cancelled"
    ROOM_CLOSED = "room_closed"


class Room(VersionedMixin, TimestampMixin, Base):
    """A room appointments can need (a consulting room, a fluoroscopy suite)."""

    entity_label = "room"

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    #: True for a room with fluoroscopy (blocks and RF lists need one).
    fluoroscopy: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)


class ClinicSession(VersionedMixin, TimestampMixin, Base):
    """A specialist's recurring weekly session of one kind, on the wall clock of ``timezone``.

    Every ``weekday`` (0 = Monday) from ``valid_from`` to ``valid_until`` (both
    included; open-ended when None), ``start_local``-``end_local`` offers slots of
    ``slot_min`` minutes of ``kind`` by ``mode``, in ``room_id`` where it matters.
    """

    entity_label = "session"

    __tablename__ = "clinic_sessions"
    __table_args__ = (
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        sa.CheckConstraint("end_local > start_local", name="ends_after_start"),
        sa.CheckConstraint("slot_min >= 5 AND slot_min <= 480", name="slot_min_range"),
        sa.CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    specialist_id: Mapped[int] = mapped_column(
        sa.ForeignKey("specialists.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[AppointmentKind] = mapped_column(str_enum(AppointmentKind, "appointment_kind"))
    mode: Mapped[AppointmentMode] = mapped_column(str_enum(AppointmentMode, "appointment_mode"))
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rooms.id", ondelete="RESTRICT"))
    weekday: Mapped[int]
    start_local: Mapped[time] = mapped_column(sa.Time())
    end_local: Mapped[time] = mapped_column(sa.Time())
    slot_min: Mapped[int]
    timezone: Mapped[str] = mapped_column(sa.String(64))
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)


class SessionException(TimestampMixin, Base):
    """A period with no availability: a specialist's leave, a cancelled list, a closed room."""

    __tablename__ = "session_exceptions"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint(
            "specialist_id IS NOT NULL OR room_id IS NOT NULL", name="names_a_resource"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    specialist_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("specialists.id", ondelete="CASCADE"), index=True
    )
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"))
    kind: Mapped[ExceptionKind] = mapped_column(str_enum(ExceptionKind, "exception_kind"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(sa.String(200))
    #: The username of who recorded it.
    recorded_by: Mapped[str] = mapped_column(sa.String(64))


class Appointment(VersionedMixin, TimestampMixin, Base):
    """One patient with one specialist (in one room where it matters) for a time span."""

    entity_label = "appointment"

    __tablename__ = "appointments"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint(
            "status <> 'cancelled' OR (cancel_reason IS NOT NULL AND cancelled_by IS NOT NULL "
            "AND cancelled_at IS NOT NULL)",
            name="cancelled_has_reason",
        ),
        sa.Index("ix_appointments_specialist_starts", "specialist_id", "starts_at"),
        sa.Index("ix_appointments_room_starts", "room_id", "starts_at"),
        sa.Index("ix_appointments_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    specialist_id: Mapped[int] = mapped_column(sa.ForeignKey("specialists.id", ondelete="RESTRICT"))
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rooms.id", ondelete="RESTRICT"))
    #: The session the slot came from (None when booked by hand outside a session by an admin).
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("clinic_sessions.id", ondelete="SET NULL")
    )
    kind: Mapped[AppointmentKind] = mapped_column(str_enum(AppointmentKind, "appointment_kind"))
    mode: Mapped[AppointmentMode] = mapped_column(str_enum(AppointmentMode, "appointment_mode"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[AppointmentStatus] = mapped_column(
        str_enum(AppointmentStatus, "appointment_status"), default=AppointmentStatus.BOOKED
    )
    #: The plan an RF day carries out (its holds are counted back from this day).
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plans.id", ondelete="SET NULL"))
    #: The procedure a review follows, and which review it is (``knowledge/outcomes.yaml``
    #: id, e.g. ``follow-up-3m``, from :func:`rhizo.pathway.followup.follow_up_schedule`).
    procedure_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("procedures.id", ondelete="SET NULL")
    )
    review_id: Mapped[str | None] = mapped_column(sa.String(40))
    rescheduled_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appointments.id", ondelete="SET NULL")
    )
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    #: The username of who cancelled it.
    cancelled_by: Mapped[str | None] = mapped_column(sa.String(64))
    cancelled_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    #: The username of who booked it.
    booked_by: Mapped[str] = mapped_column(sa.String(64))
    notes: Mapped[str | None] = mapped_column(sa.Text)


class OccupiedBlock(Base):
    """One :data:`BLOCK_MIN`-minute block of a resource held by an appointment.

    UNIQUE ``(resource, resource_id, block_start)``: the database's own guarantee
    that no two holding appointments overlap for a patient, a specialist or a room.
    """

    __tablename__ = "occupied_blocks"
    __table_args__ = (
        sa.UniqueConstraint("resource", "resource_id", "block_start", name="uq_occupied_blocks"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    resource: Mapped[Resource] = mapped_column(str_enum(Resource, "resource"))
    resource_id: Mapped[int]
    block_start: Mapped[datetime]


# --- API schemas ---------------------------------------------------------------------

#: Shortest and longest cancellation reason, in characters (as a plan's cancellation).
REASON_MIN_CHARS = 5
REASON_MAX_CHARS = 500

CancelReason = Annotated[str, Field(min_length=REASON_MIN_CHARS, max_length=REASON_MAX_CHARS)]


class RoomCreate(Schema):
    """A new room."""

    name: str = Field(min_length=1, max_length=80)
    fluoroscopy: bool = False


class RoomUpdate(Schema):
    """A change to a room (only the fields given)."""

    version: EditVersion
    name: str | None = Field(default=None, min_length=1, max_length=80)
    fluoroscopy: bool | None = None


class RoomRead(ReadSchema):
    """A room as stored."""

    id: int
    version: int
    name: str
    fluoroscopy: bool
    active: bool


class ClinicSessionCreate(Schema):
    """A specialist's new recurring weekly session (wall-clock times of ``timezone``).

    ``timezone`` defaults to the clinic's (``RHIZO_CLINIC_TIMEZONE``). Times are on
    the 5-minute grid and ``slot_min`` divides ``end_local - start_local`` (checked by
    :mod:`rhizo.clinic.schedule.availability`, 422 naming the field).
    """

    specialist_id: DbId
    kind: AppointmentKind
    mode: AppointmentMode = AppointmentMode.IN_PERSON
    room_id: DbId | None = None
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    start_local: time
    end_local: time
    slot_min: int = Field(ge=5, le=480)
    timezone: str | None = Field(default=None, min_length=1, max_length=64)
    valid_from: PlannedOn
    valid_until: PlannedOn | None = None


class ClinicSessionUpdate(Schema):
    """A change to a session (only the fields given)."""

    version: EditVersion
    kind: AppointmentKind | None = None
    mode: AppointmentMode | None = None
    room_id: DbId | None = None
    weekday: int | None = Field(default=None, ge=0, le=6)
    start_local: time | None = None
    end_local: time | None = None
    slot_min: int | None = Field(default=None, ge=5, le=480)
    timezone: str | None = Field(default=None, min_length=1, max_length=64)
    valid_from: PlannedOn | None = None
    valid_until: PlannedOn | None = None


class ClinicSessionRead(ReadSchema):
    """A session as stored."""

    id: int
    version: int
    specialist_id: int
    kind: AppointmentKind
    mode: AppointmentMode
    room_id: int | None
    weekday: int
    start_local: WallTime
    end_local: WallTime
    slot_min: int
    timezone: str
    valid_from: date
    valid_until: date | None
    active: bool


class Deactivate(Schema):
    """Deactivate a room or session read at ``version``."""

    version: EditVersion


class SessionExceptionCreate(Schema):
    """A period with no availability for a specialist and/or a room, with its reason."""

    kind: ExceptionKind
    specialist_id: DbId | None = None
    room_id: DbId | None = None
    starts_at: PlannedAt
    ends_at: PlannedAt
    reason: str = Field(min_length=1, max_length=200)


class SessionExceptionRead(ReadSchema):
    """An exception as stored."""

    id: int
    kind: ExceptionKind
    specialist_id: int | None
    room_id: int | None
    starts_at: datetime
    ends_at: datetime
    reason: str
    recorded_by: str


class AppointmentCreate(Schema):
    """A booking: a patient with a specialist for ``kind`` at ``starts_at`` (an instant).

    Within availability (the normal case) the slot must be one a session of the
    specialist offers for ``kind`` (:func:`rhizo.clinic.schedule.slots.free_slots`):
    ``duration_min`` defaults to the session's ``slot_min``, the mode and room to the
    session's. ``outside_availability`` (admin only, with ``outside_reason``) books a
    time no session offers; ``duration_min`` is then required.
    """

    patient_id: DbId
    specialist_id: DbId
    kind: AppointmentKind
    starts_at: PlannedAt
    duration_min: int | None = Field(default=None, ge=BLOCK_MIN, le=480)
    mode: AppointmentMode | None = None
    room_id: DbId | None = None
    plan_id: DbId | None = None
    procedure_id: DbId | None = None
    review_id: str | None = Field(default=None, min_length=1, max_length=40)
    notes: str | None = Field(default=None, max_length=10_000)
    outside_availability: bool = False
    outside_reason: str | None = Field(default=None, min_length=5, max_length=500)


class AppointmentReschedule(Schema):
    """Move an appointment read at ``version`` to ``starts_at`` (same patient and kind).

    The specialist, duration and room default to the old appointment's.
    """

    version: EditVersion
    starts_at: PlannedAt
    specialist_id: DbId | None = None
    duration_min: int | None = Field(default=None, ge=BLOCK_MIN, le=480)
    room_id: DbId | None = None
    outside_availability: bool = False
    outside_reason: str | None = Field(default=None, min_length=5, max_length=500)


class AppointmentCancel(Schema):
    """Cancel an appointment read at ``version``, with the reason (5-500 characters)."""

    version: EditVersion
    reason: CancelReason


class AppointmentTransition(Schema):
    """Mark an appointment read at ``version`` arrived, no-show or completed."""

    version: EditVersion


class AppointmentRead(ReadSchema):
    """An appointment as stored."""

    id: int
    version: int
    patient_id: int
    specialist_id: int
    room_id: int | None
    session_id: int | None
    kind: AppointmentKind
    mode: AppointmentMode
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    plan_id: int | None
    procedure_id: int | None
    review_id: str | None
    rescheduled_from_id: int | None
    cancel_reason: str | None
    cancelled_by: str | None
    cancelled_at: datetime | None
    arrived_at: datetime | None
    booked_by: str
    notes: str | None
    created_at: datetime


class SlotRead(BaseModel):
    """A free slot a session offers."""

    starts_at: datetime
    ends_at: datetime
    specialist_id: int
    room_id: int | None
    session_id: int
    kind: AppointmentKind
    mode: AppointmentMode
