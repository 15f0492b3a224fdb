"""Conditions (ICD-10-CM coded diagnoses) and conservative-care trials."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import Field, model_validator
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import Notes, ReadSchema, Region, Schema, Side, str_enum
from rhizo.clinic.core.conflicts import EditVersion
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin
from rhizo.clinic.core.validation import DbId, HappenedOn, PlannedOn
from rhizo.clinic.patient.dated import event_date

ICD10_PATTERN = r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$"


class ConditionStatus(StrEnum):
    """FHIR Condition.clinicalStatus (the subset a pain clinic uses)."""

    ACTIVE = "active"
    RECURRENCE = "recurrence"
    REMISSION = "remission"
    RESOLVED = "resolved"


class Condition(VersionedMixin, TimestampMixin, Base):
    """A diagnosis, e.g. M47.816 lumbar spondylosis, with its onset date."""

    entity_label = "condition"

    __tablename__ = "conditions"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    icd10_code: Mapped[str] = mapped_column(sa.String(8))
    description: Mapped[str] = mapped_column(sa.String(200))
    onset_date: Mapped[date | None] = mapped_column(info=event_date("condition onset"))
    region: Mapped[Region | None] = mapped_column(str_enum(Region, "region"))
    side: Mapped[Side | None] = mapped_column(str_enum(Side, "side"))
    status: Mapped[ConditionStatus] = mapped_column(
        str_enum(ConditionStatus, "status"), default=ConditionStatus.ACTIVE
    )
    notes: Mapped[str | None] = mapped_column(sa.Text)


class ConditionCreate(Schema):
    """A new condition."""

    icd10_code: str = Field(pattern=ICD10_PATTERN, description="ICD-10-CM, e.g. M47.816")
    description: str = Field(min_length=1, max_length=200)
    onset_date: HappenedOn | None = None
    region: Region | None = None
    side: Side | None = None
    status: ConditionStatus = ConditionStatus.ACTIVE
    notes: Notes | None = None


class ConditionUpdate(Schema):
    """Changes to a condition."""

    version: EditVersion

    icd10_code: str | None = Field(default=None, pattern=ICD10_PATTERN)
    description: str | None = Field(default=None, min_length=1, max_length=200)
    onset_date: HappenedOn | None = None
    region: Region | None = None
    side: Side | None = None
    status: ConditionStatus | None = None
    notes: Notes | None = None


class ConditionRead(ReadSchema):
    """A condition as stored."""

    id: int
    version: int
    patient_id: int
    icd10_code: str
    description: str
    onset_date: date | None
    region: Region | None
    side: Side | None
    status: ConditionStatus
    notes: str | None
    created_at: datetime


class CareModality(StrEnum):
    """Kinds of conservative care tried before an intervention."""

    PHYSIOTHERAPY = "physiotherapy"
    HOME_EXERCISE = "home_exercise"
    NSAID = "nsaid"
    ACETAMINOPHEN = "acetaminophen"
    ACTIVITY_MODIFICATION = "activity_modification"
    CHIROPRACTIC = "chiropractic"
    ACUPUNCTURE = "acupuncture"
    PSYCHOLOGICAL = "psychological"
    OTHER = "other"


class CareTrial(VersionedMixin, TimestampMixin, Base):
    """A trial of conservative care (candidacy asks for weeks to months of it)."""

    entity_label = "conservative-care trial"

    __tablename__ = "care_trials"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    condition_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conditions.id", ondelete="SET NULL")
    )
    modality: Mapped[CareModality] = mapped_column(str_enum(CareModality, "modality"))
    start_date: Mapped[date] = mapped_column(info=event_date("conservative care"))
    end_date: Mapped[date | None]
    relief_percent: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(sa.Text)


class CareTrialCreate(Schema):
    """A new conservative-care trial."""

    modality: CareModality
    start_date: HappenedOn
    end_date: PlannedOn | None = None
    condition_id: DbId | None = None
    relief_percent: int | None = Field(default=None, ge=0, le=100)
    notes: Notes | None = None

    @model_validator(mode="after")
    def _dates(self) -> CareTrialCreate:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class CareTrialUpdate(Schema):
    """Changes to a conservative-care trial."""

    version: EditVersion

    end_date: PlannedOn | None = None
    relief_percent: int | None = Field(default=None, ge=0, le=100)
    notes: Notes | None = None


class CareTrialRead(ReadSchema):
    """A conservative-care trial as stored."""

    id: int
    version: int
    patient_id: int
    condition_id: int | None
    modality: CareModality
    start_date: date
    end_date: date | None
    relief_percent: int | None
    notes: str | None
