"""Complications, linked to the procedure that caused them when known."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import model_validator
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import Notes, ReadSchema, Schema, str_enum
from rhizo.clinic.core.conflicts import EditVersion
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin
from rhizo.clinic.core.validation import DbId, HappenedOn
from rhizo.clinic.patient.dated import event_date


class ComplicationType(StrEnum):
    """What went wrong (Kornick 2004's categories and the commonly quoted others)."""

    NEURITIS = "neuritis"
    LOCALIZED_PAIN = "localized_pain"
    DYSAESTHESIA = "dysaesthesia"
    NUMBNESS = "numbness"
    MOTOR_DEFICIT = "motor_deficit"
    SENSORY_DEFICIT = "sensory_deficit"
    INFECTION = "infection"
    BLEEDING = "bleeding"
    SKIN_BURN = "skin_burn"
    VASOVAGAL = "vasovagal"
    ATAXIA = "ataxia"
    OTHER = "other"


class Severity(StrEnum):
    """How bad."""

    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class Complication(VersionedMixin, TimestampMixin, Base):
    """One complication."""

    entity_label = "complication"

    __tablename__ = "complications"
    __table_args__ = (
        sa.CheckConstraint(
            "resolved_on IS NULL OR resolved_on >= onset_date", name="resolved_after_onset"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    procedure_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("procedures.id", ondelete="SET NULL"), index=True
    )
    type: Mapped[ComplicationType] = mapped_column(str_enum(ComplicationType, "type"))
    severity: Mapped[Severity] = mapped_column(str_enum(Severity, "severity"))
    onset_date: Mapped[date] = mapped_column(info=event_date("complication"))
    resolved_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(sa.Text)


class ComplicationCreate(Schema):
    """A new complication."""

    type: ComplicationType
    severity: Severity
    onset_date: HappenedOn
    resolved_on: HappenedOn | None = None
    procedure_id: DbId | None = None
    notes: Notes | None = None

    @model_validator(mode="after")
    def _dates(self) -> ComplicationCreate:
        if self.resolved_on is not None and self.resolved_on < self.onset_date:
            raise ValueError("resolved_on is before onset_date")
        return self


class ComplicationUpdate(Schema):
    """Changes to a complication (typically its resolution)."""

    version: EditVersion

    severity: Severity | None = None
    resolved_on: HappenedOn | None = None
    notes: Notes | None = None


class ComplicationRead(ReadSchema):
    """A complication as stored."""

    id: int
    version: int
    patient_id: int
    procedure_id: int | None
    type: ComplicationType
    severity: Severity
    onset_date: date
    resolved_on: date | None
    notes: str | None
    created_at: datetime
