"""Medications, flagged when they affect bleeding (the pre-procedure plan holds them)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import Notes, ReadSchema, Schema
from rhizo.clinic.core.conflicts import EditVersion
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin
from rhizo.clinic.core.validation import HappenedOn, PlannedOn
from rhizo.clinic.patient.dated import event_date


class Medication(VersionedMixin, TimestampMixin, Base):
    """A medication the patient takes or took."""

    entity_label = "medication"

    __tablename__ = "medications"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    dose: Mapped[str | None] = mapped_column(sa.String(120))
    indication: Mapped[str | None] = mapped_column(sa.String(200))
    started_on: Mapped[date | None] = mapped_column(info=event_date("medication start"))
    stopped_on: Mapped[date | None]
    #: Why it was stopped (e.g. 'bleeding risk before the procedure', 'side effects').
    stop_reason: Mapped[str | None] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str | None] = mapped_column(sa.Text)


class MedicationCreate(Schema):
    """A new medication; ``name`` is the generic name (e.g. 'clopidogrel')."""

    name: str = Field(min_length=1, max_length=120)
    dose: str | None = Field(default=None, max_length=120)
    indication: str | None = Field(default=None, max_length=200)
    started_on: HappenedOn | None = None
    stopped_on: PlannedOn | None = None
    active: bool = True
    notes: Notes | None = None


class MedicationUpdate(Schema):
    """Changes to a medication."""

    version: EditVersion

    dose: str | None = Field(default=None, max_length=120)
    indication: str | None = Field(default=None, max_length=200)
    stopped_on: PlannedOn | None = None
    stop_reason: str | None = Field(default=None, min_length=1, max_length=200)
    active: bool | None = None
    notes: Notes | None = None


class MedicationStop(Schema):
    """Stop a medication: the day it was stopped (not in the future) and why."""

    version: EditVersion

    stopped_on: HappenedOn
    stop_reason: str = Field(min_length=1, max_length=200)


class MedicationRead(ReadSchema):
    """A medication as stored."""

    id: int
    version: int
    patient_id: int
    name: str
    dose: str | None
    indication: str | None
    started_on: date | None
    stopped_on: date | None
    stop_reason: str | None = None
    active: bool
    notes: str | None
    created_at: datetime
