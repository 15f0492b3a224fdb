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

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import str_enum
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin

#: The booking grid (minutes): appointment starts, ends and occupied blocks.
BLOCK_MIN = 5


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
