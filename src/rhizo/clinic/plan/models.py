"""Pre-procedure plans: the date, sedation, and the drug holds before it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import JointLevels, Notes, ReadSchema, Schema, Side, str_enum
from rhizo.clinic.core.conflicts import EditVersion
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin
from rhizo.clinic.core.validation import PlannedOn
from rhizo.clinic.patient.dated import event_date
from rhizo.pathway.premed import DrugHold, Instruction, RiskFactor


class Sedation(StrEnum):
    """Sedation depth (guidelines: none or minimal for facet procedures)."""

    NONE = "none"
    MINIMAL = "minimal"
    MODERATE = "moderate"
    DEEP = "deep"
    GENERAL = "general"


class BleedingRisk(StrEnum):
    """Procedure bleeding-risk category (Narouze 2018, via rhizo.pathway.premed)."""

    LOW = "low"
    INTERMEDIATE = "intermediate"
    HIGH = "high"


class PlanStatus(StrEnum):
    """Where a plan stands."""

    DRAFT = "draft"
    CONFIRMED = "confirmed"
    DONE = "done"
    CANCELLED = "cancelled"


class Plan(VersionedMixin, TimestampMixin, Base):
    """A planned procedure and its preparation, with the pathway's drug holds."""

    entity_label = "plan"

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    procedure: Mapped[str] = mapped_column(sa.String(64))
    planned_date: Mapped[date] = mapped_column(info=event_date("plan"))
    side: Mapped[Side] = mapped_column(str_enum(Side, "side"))
    levels: Mapped[list[str]]
    sedation: Mapped[Sedation] = mapped_column(str_enum(Sedation, "sedation"))
    risk_factors: Mapped[list[str]] = mapped_column(default=list)
    diabetes: Mapped[bool] = mapped_column(default=False)
    implanted_device: Mapped[bool] = mapped_column(default=False)
    bleeding_risk: Mapped[BleedingRisk] = mapped_column(str_enum(BleedingRisk, "bleeding_risk"))
    holds: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    unmatched_medications: Mapped[list[str]] = mapped_column(default=list)
    instructions: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    status: Mapped[PlanStatus] = mapped_column(
        str_enum(PlanStatus, "status"), default=PlanStatus.DRAFT
    )
    notes: Mapped[str | None] = mapped_column(sa.Text)


class PlanCreate(Schema):
    """A new plan; the holds are computed from the patient's active medications."""

    procedure: str = Field(
        min_length=1,
        max_length=64,
        examples=["lumbar-facet-rf"],
        description="a procedure id known to rhizo.pathway.premed.procedures()",
    )
    planned_date: PlannedOn
    side: Side
    levels: JointLevels
    sedation: Sedation = Sedation.NONE
    risk_factors: list[RiskFactor] = Field(default_factory=list, max_length=5)
    diabetes: bool = False
    implanted_device: bool = False
    notes: Notes | None = None


class PlanUpdate(Schema):
    """Changes to a plan; a new date, sedation or risk recomputes the holds."""

    version: EditVersion

    planned_date: PlannedOn | None = None
    sedation: Sedation | None = None
    risk_factors: list[RiskFactor] | None = Field(default=None, max_length=5)
    diabetes: bool | None = None
    implanted_device: bool | None = None
    status: PlanStatus | None = None
    notes: Notes | None = None


class PlanRead(ReadSchema):
    """A plan as stored, with the holds and instructions the pathway computed."""

    id: int
    version: int
    patient_id: int
    procedure: str
    planned_date: date
    side: Side
    levels: list[str]
    sedation: Sedation
    risk_factors: list[RiskFactor]
    diabetes: bool
    implanted_device: bool
    bleeding_risk: BleedingRisk
    holds: list[DrugHold]
    unmatched_medications: list[str]
    instructions: list[Instruction]
    status: PlanStatus
    notes: str | None
    created_at: datetime
