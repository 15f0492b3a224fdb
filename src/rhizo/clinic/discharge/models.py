"""Discharge after a procedure, with the escalation a red flag needs.

A red flag at discharge (:func:`rhizo.pathway.discharge_safety.red_flags`)
refuses a routine discharge home unless a clinician records an
:class:`Escalation`: what was done (:class:`EscalationKind`) and why.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import Notes, ReadSchema, Schema, str_enum
from rhizo.clinic.core.database import Base, TimestampMixin
from rhizo.clinic.core.validation import HappenedAt


class Disposition(StrEnum):
    """Where the patient went."""

    HOME = "home"
    ADMITTED = "admitted"
    TRANSFERRED = "transferred"


class EscalationKind(StrEnum):
    """What a clinician did about a red flag at discharge."""

    ADMITTED = "admitted"
    REVIEWED_BY_CLINICIAN = "reviewed_by_clinician"
    COMPLICATION_RECORDED = "complication_recorded"


class Escalation(Schema):
    """A clinician's escalation of a red flag: the kind and a reason (1-2,000 characters)."""

    kind: EscalationKind
    reason: str = Field(min_length=1, max_length=2_000)


class Discharge(TimestampMixin, Base):
    """One discharge per procedure."""

    __tablename__ = "discharges"
    __table_args__ = (
        sa.CheckConstraint(
            "(escalation_kind IS NULL) = (escalation_reason IS NULL)"
            " AND (escalation_kind IS NULL) = (escalated_by IS NULL)",
            name="escalation_complete",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(
        sa.ForeignKey("procedures.id", ondelete="CASCADE"), unique=True
    )
    discharged_at: Mapped[datetime]
    disposition: Mapped[Disposition] = mapped_column(str_enum(Disposition, "disposition"))
    nrs: Mapped[int | None]
    escort_present: Mapped[bool]
    instructions_given: Mapped[bool]
    new_deficit: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    #: The clinician's escalation of a red flag (all three set, or none).
    escalation_kind: Mapped[EscalationKind | None] = mapped_column(
        str_enum(EscalationKind, "escalation_kind"), nullable=True
    )
    escalation_reason: Mapped[str | None] = mapped_column(sa.Text)
    escalated_by: Mapped[str | None] = mapped_column(sa.String(64))


class DischargeCreate(Schema):
    """The discharge record."""

    discharged_at: HappenedAt
    disposition: Disposition = Disposition.HOME
    nrs: int | None = Field(default=None, ge=0, le=10)
    escort_present: bool
    instructions_given: bool
    new_deficit: bool = False
    notes: Notes | None = None
    escalation: Escalation | None = None


class DischargeRead(ReadSchema):
    """A discharge as stored."""

    id: int
    procedure_id: int
    discharged_at: datetime
    disposition: Disposition
    nrs: int | None
    escort_present: bool
    instructions_given: bool
    new_deficit: bool
    notes: str | None
    escalation_kind: EscalationKind | None
    escalation_reason: str | None
    escalated_by: str | None
