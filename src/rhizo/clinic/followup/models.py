"""Follow-ups: pain (NRS), disability (ODI) and global impression (PGIC) over time."""

from __future__ import annotations

from datetime import date, datetime
from enum import IntEnum, StrEnum

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import Notes, ReadSchema, Schema, str_enum
from rhizo.clinic.core.conflicts import EditVersion
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin
from rhizo.clinic.core.validation import DbId, HappenedOn
from rhizo.clinic.patient.dated import event_date


class PGIC(IntEnum):
    """Patient Global Impression of Change, 7 points (1 = very much improved)."""

    VERY_MUCH_IMPROVED = 1
    MUCH_IMPROVED = 2
    MINIMALLY_IMPROVED = 3
    NO_CHANGE = 4
    MINIMALLY_WORSE = 5
    MUCH_WORSE = 6
    VERY_MUCH_WORSE = 7


class FollowUpSource(StrEnum):
    """Who recorded it."""

    CLINIC = "clinic"
    PHONE = "phone"
    DIARY = "diary"


class FollowUp(VersionedMixin, TimestampMixin, Base):
    """One outcome measurement."""

    entity_label = "follow-up"

    __tablename__ = "followups"
    __table_args__ = (
        sa.CheckConstraint("nrs BETWEEN 0 AND 10", name="nrs_range"),
        sa.CheckConstraint("odi IS NULL OR odi BETWEEN 0 AND 100", name="odi_range"),
        sa.CheckConstraint("pgic IS NULL OR pgic BETWEEN 1 AND 7", name="pgic_range"),
        sa.Index("ix_followups_patient_id_followed_on", "patient_id", "followed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id", ondelete="CASCADE"))
    procedure_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("procedures.id", ondelete="SET NULL"), index=True
    )
    followed_on: Mapped[date] = mapped_column(info=event_date("follow-up"))
    nrs: Mapped[int]
    odi: Mapped[int | None]
    pgic: Mapped[int | None]
    source: Mapped[FollowUpSource] = mapped_column(str_enum(FollowUpSource, "source"))
    notes: Mapped[str | None] = mapped_column(sa.Text)


class FollowUpCreate(Schema):
    """A new follow-up (a patient's diary entry uses source 'diary')."""

    followed_on: HappenedOn
    nrs: int = Field(ge=0, le=10, description="Numeric rating scale 0-10 (LOINC 72514-3)")
    odi: int | None = Field(default=None, ge=0, le=100, description="Oswestry 0-100 %")
    pgic: PGIC | None = Field(default=None, description="1 very much improved .. 7 very much worse")
    procedure_id: DbId | None = None
    source: FollowUpSource = FollowUpSource.CLINIC
    notes: Notes | None = None


class FollowUpUpdate(Schema):
    """Corrections to a follow-up."""

    version: EditVersion

    nrs: int | None = Field(default=None, ge=0, le=10)
    odi: int | None = Field(default=None, ge=0, le=100)
    pgic: PGIC | None = None
    notes: Notes | None = None


class FollowUpRead(ReadSchema):
    """A follow-up as stored."""

    id: int
    version: int
    patient_id: int
    procedure_id: int | None
    followed_on: date
    nrs: int
    odi: int | None
    pgic: int | None
    source: FollowUpSource
    notes: str | None
    created_at: datetime
