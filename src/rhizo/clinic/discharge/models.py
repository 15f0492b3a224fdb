"""Discharge after a procedure."""

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


class Discharge(TimestampMixin, Base):
    """One discharge per procedure."""

    __tablename__ = "discharges"

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


class DischargeCreate(Schema):
    """The discharge record."""

    discharged_at: HappenedAt
    disposition: Disposition = Disposition.HOME
    nrs: int | None = Field(default=None, ge=0, le=10)
    escort_present: bool
    instructions_given: bool
    new_deficit: bool = False
    notes: Notes | None = None


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
