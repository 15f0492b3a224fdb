"""Pre-procedure plans: the date, sedation, the patient inputs and the drug holds before it.

The inputs the holds depend on (aspirin indication, eGFR, INR, months since a
coronary stent, dual antiplatelet therapy) use the field types of
:mod:`rhizo.pathway.premed_inputs`, so the API, the form and the CLI accept the
same ranges; the table's CHECK constraints repeat them.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field, field_validator
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import JointLevels, Notes, ReadSchema, Schema, Side, str_enum
from rhizo.clinic.core.conflicts import EditVersion
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin
from rhizo.clinic.core.validation import PlannedOn
from rhizo.clinic.patient.dated import event_date
from rhizo.clinic.plan.lifecycle import REASON_MAX_CHARS, REASON_MIN_CHARS, PlanStatus
from rhizo.pathway.premed import DrugHold, Instruction, RiskFactor
from rhizo.pathway.premed_inputs import (
    EGFR_MAX_ML_PER_MIN,
    EGFR_MIN_ML_PER_MIN,
    INR_MAX,
    INR_MIN,
    STENT_MONTHS_MAX,
    STENT_MONTHS_MIN,
    AspirinIndication,
    EgfrMlPerMin,
    Inr,
    StentMonths,
)


def _range_check(column: str, low: float, high: float, name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        f"{column} IS NULL OR {column} BETWEEN {low:g} AND {high:g}", name=name
    )


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


#: Reason, author and time of a cancellation are stored together or not at all.
CANCELLATION_COMPLETE = (
    "(cancel_reason IS NULL) = (cancelled_by IS NULL)"
    " AND (cancel_reason IS NULL) = (cancelled_at IS NULL)"
)
#: A plan is cancelled exactly when it carries a cancellation reason.
CANCELLED_HAS_REASON = "(status = 'cancelled') = (cancel_reason IS NOT NULL)"
#: Only a done plan names the procedure that carried it out.
PROCEDURE_ONLY_WHEN_DONE = "procedure_id IS NULL OR status = 'done'"


class Plan(VersionedMixin, TimestampMixin, Base):
    """A planned procedure and its preparation, with the pathway's drug holds."""

    entity_label = "plan"

    __tablename__ = "plans"
    __table_args__ = (
        _range_check("egfr_ml_per_min", EGFR_MIN_ML_PER_MIN, EGFR_MAX_ML_PER_MIN, "egfr_range"),
        _range_check("inr", INR_MIN, INR_MAX, "inr_range"),
        _range_check("stent_months", STENT_MONTHS_MIN, STENT_MONTHS_MAX, "stent_months_range"),
        sa.CheckConstraint(CANCELLATION_COMPLETE, name="cancellation_complete"),
        sa.CheckConstraint(CANCELLED_HAS_REASON, name="cancelled_has_reason"),
        sa.CheckConstraint(PROCEDURE_ONLY_WHEN_DONE, name="procedure_only_when_done"),
    )

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
    aspirin_indication: Mapped[AspirinIndication | None] = mapped_column(
        str_enum(AspirinIndication, "aspirin_indication")
    )
    egfr_ml_per_min: Mapped[float | None]
    inr: Mapped[float | None]
    stent_months: Mapped[float | None]
    dual_antiplatelet: Mapped[bool | None] = mapped_column(default=False)
    warnings: Mapped[list[dict[str, Any]] | None] = mapped_column(default=list)
    bleeding_risk: Mapped[BleedingRisk] = mapped_column(str_enum(BleedingRisk, "bleeding_risk"))
    holds: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    unmatched_medications: Mapped[list[str]] = mapped_column(default=list)
    instructions: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    status: Mapped[PlanStatus] = mapped_column(
        str_enum(PlanStatus, "status"), default=PlanStatus.DRAFT
    )
    #: The procedure that carried the plan out (set when it is recorded "from plan").
    #: ``use_alter``: procedures.plan_id points back here, so the two tables form a cycle.
    procedure_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("procedures.id", ondelete="SET NULL", use_alter=True)
    )
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: The username of the clinician who cancelled the plan.
    cancelled_by: Mapped[str | None] = mapped_column(sa.String(64))
    cancelled_at: Mapped[datetime | None]
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
    aspirin_indication: AspirinIndication | None = None
    egfr_ml_per_min: EgfrMlPerMin | None = None
    inr: Inr | None = None
    stent_months: StentMonths | None = None
    dual_antiplatelet: bool = False
    notes: Notes | None = None


#: Why a plan was cancelled, in the clinician's words.
CancelReason = Annotated[
    str,
    Field(
        min_length=REASON_MIN_CHARS,
        max_length=REASON_MAX_CHARS,
        examples=["patient chose to wait; pain settled"],
        description=f"why the plan is cancelled ({REASON_MIN_CHARS}-{REASON_MAX_CHARS} chars)",
    ),
]


class PlanUpdate(Schema):
    """Changes to a plan; a new date, sedation or risk recomputes the holds.

    ``status`` moves the plan along :data:`rhizo.clinic.plan.lifecycle.TRANSITIONS`
    (``cancelled`` needs ``cancel_reason``; ``done`` is set only by recording a
    procedure from the plan). The other fields edit a draft or scheduled plan.
    """

    version: EditVersion

    planned_date: PlannedOn | None = None
    side: Side | None = None
    levels: JointLevels | None = None
    sedation: Sedation | None = None
    risk_factors: list[RiskFactor] | None = Field(default=None, max_length=5)
    diabetes: bool | None = None
    implanted_device: bool | None = None
    aspirin_indication: AspirinIndication | None = None
    egfr_ml_per_min: EgfrMlPerMin | None = None
    inr: Inr | None = None
    stent_months: StentMonths | None = None
    dual_antiplatelet: bool | None = None
    status: PlanStatus | None = None
    cancel_reason: CancelReason | None = None
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
    aspirin_indication: AspirinIndication | None = None
    egfr_ml_per_min: float | None = None
    inr: float | None = None
    stent_months: float | None = None
    dual_antiplatelet: bool | None = None
    bleeding_risk: BleedingRisk
    warnings: list[Instruction] = Field(default_factory=list)
    holds: list[DrugHold]
    unmatched_medications: list[str]
    instructions: list[Instruction]
    status: PlanStatus
    procedure_id: int | None = None
    cancel_reason: str | None = None
    cancelled_by: str | None = None
    cancelled_at: datetime | None = None
    notes: str | None
    created_at: datetime

    @field_validator("warnings", mode="before")
    @classmethod
    def _no_warnings_stored(cls, value: object) -> object:
        """Plans saved before the warnings column (NULL) read as no warnings."""
        return [] if value is None else value
