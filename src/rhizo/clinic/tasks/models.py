"""Worklist tasks: what the pathway says someone should do next, with its state.

A task is *derived*: :func:`rhizo.clinic.tasks.service.refresh` raises it from the
registry's facts (a positive block without an RF day booked, a recorded procedure
whose review is not booked, a pain series that lost its relief) and closes it when
the facts satisfy it (the RF day or the review booked or recorded). Its
``dedupe_key`` names the fact it comes from (``book_review:procedure:7:follow-up-3-months``),
UNIQUE, so a sweep run twice, or by two workers at once, raises it once. A person
may close a task by hand (``done`` or ``dismissed``, with who, when and why); a
closed task is never reopened by a sweep (its key stays taken), so a dismissal sticks.

Evidence: definitions (local protocol); the clinical rules behind each kind are
the pathway's (docs/pathway-calendar.md).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import ReadSchema, Schema, str_enum
from rhizo.clinic.core.conflicts import EditVersion
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin

#: Shortest and longest reason for closing a task by hand, in characters.
REASON_MIN_CHARS = 3
REASON_MAX_CHARS = 500


class TaskKind(StrEnum):
    """What the task asks for."""

    #: A positive diagnostic block and no RF day booked: book the RF day.
    BOOK_RF_DAY = "book_rf_day"
    #: A recorded procedure's review (follow_up_schedule) not booked nor recorded.
    BOOK_REVIEW = "book_review"
    #: Relief lost for the set time after an RF: pain has returned, consider a repeat.
    PAIN_RETURNED = "pain_returned"


#: Kind words for people (pages, the API's ``title``).
KIND_LABEL: dict[TaskKind, str] = {
    TaskKind.BOOK_RF_DAY: "book the RF day",
    TaskKind.BOOK_REVIEW: "book the review",
    TaskKind.PAIN_RETURNED: "pain has returned: consider repeat",
}


class TaskStatus(StrEnum):
    """open -> done (satisfied by the facts, or by hand) or dismissed (by hand, with a reason)."""

    OPEN = "open"
    DONE = "done"
    DISMISSED = "dismissed"


#: Who closes a task automatically (the sweep), as ``closed_by``.
SWEEP_ACTOR = "pathway"


class WorklistTask(VersionedMixin, TimestampMixin, Base):
    """One task on a worklist."""

    entity_label = "task"

    __tablename__ = "worklist_tasks"
    __table_args__ = (
        sa.CheckConstraint(
            "(status = 'open') = (closed_at IS NULL) AND (closed_at IS NULL) = (closed_by IS NULL)",
            name="closed_has_who_when",
        ),
        sa.CheckConstraint(
            "status <> 'dismissed' OR close_reason IS NOT NULL", name="dismissed_has_reason"
        ),
        sa.Index("ix_worklist_tasks_status_due_on", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TaskKind] = mapped_column(str_enum(TaskKind, "task_kind"))
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    block_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("diagnostic_blocks.id", ondelete="SET NULL")
    )
    procedure_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("procedures.id", ondelete="SET NULL")
    )
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plans.id", ondelete="SET NULL"))
    appointment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appointments.id", ondelete="SET NULL")
    )
    #: The review's id in ``knowledge/outcomes.yaml`` (``follow-up-3-months``) for book_review.
    review_id: Mapped[str | None] = mapped_column(sa.String(40))
    #: The clinic calendar day it is due (a review's due date; the earliest RF day).
    due_on: Mapped[date | None]
    status: Mapped[TaskStatus] = mapped_column(
        str_enum(TaskStatus, "task_status"), default=TaskStatus.OPEN
    )
    #: Username of who closed it (``pathway`` when the sweep saw it satisfied).
    closed_by: Mapped[str | None] = mapped_column(sa.String(64))
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(sa.String(REASON_MAX_CHARS))
    #: What the pathway said when it raised the task (message, sources, eligibility).
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str] = mapped_column(sa.String(120), unique=True)

    @property
    def title(self) -> str:
        """The kind in words (:data:`KIND_LABEL`)."""
        return KIND_LABEL[self.kind]


class TaskClose(Schema):
    """Close a task by hand: ``done`` or ``dismissed`` (a reason is required to dismiss)."""

    version: EditVersion
    status: TaskStatus = Field(description="done | dismissed")
    reason: str | None = Field(
        default=None,
        min_length=REASON_MIN_CHARS,
        max_length=REASON_MAX_CHARS,
        description=f"why ({REASON_MIN_CHARS}-{REASON_MAX_CHARS} characters; required to dismiss)",
    )


class TaskRead(ReadSchema):
    """A task as stored, with its kind in words."""

    id: int
    version: int
    kind: TaskKind
    title: str
    patient_id: int
    block_id: int | None
    procedure_id: int | None
    plan_id: int | None
    appointment_id: int | None
    review_id: str | None
    due_on: date | None
    status: TaskStatus
    closed_by: str | None
    closed_at: datetime | None
    close_reason: str | None
    detail: dict[str, Any]
    created_at: datetime


class ReviewDue(ReadSchema):
    """A review the pathway's schedule says is due (or overdue) and nobody booked or recorded."""

    patient_id: int
    procedure_id: int
    procedure_day: date
    review_id: str
    label: str
    due_on: date
    overdue: bool
    source: str
