"""Procedures (one RF neurotomy session) and their lesions, with the gate verdicts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rhizo.clinic.core.common import JointLevels, Notes, ReadSchema, Region, Schema, Side, str_enum
from rhizo.clinic.core.conflicts import EditVersion
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin
from rhizo.clinic.core.validation import DbId, PlannedAt
from rhizo.clinic.patient.dated import event_date
from rhizo.clinic.plan.models import Sedation
from rhizo.pathway.gates import GateFinding, MotorResponse, SensoryResponse

#: Longest stored prediction model name and note (rhizo.clinic.procedure.prediction).
PREDICTION_MODEL_LENGTH = 80
PREDICTION_NOTE_LENGTH = 200


class Technique(StrEnum):
    """How the nerve is lesioned."""

    CONVENTIONAL = "conventional"
    COOLED = "cooled"
    PULSED = "pulsed"


class ProcedureStatus(StrEnum):
    """Where a procedure stands."""

    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    ABANDONED = "abandoned"
    CANCELLED = "cancelled"


class LesionSide(StrEnum):
    """Each lesion is on one side."""

    LEFT = "left"
    RIGHT = "right"


class Placement(StrEnum):
    """Cannula orientation relative to the nerve."""

    PARALLEL = "parallel"
    OBLIQUE = "oblique"
    PERPENDICULAR = "perpendicular"


class Procedure(VersionedMixin, TimestampMixin, Base):
    """One RF neurotomy session."""

    entity_label = "procedure"

    __tablename__ = "procedures"
    __table_args__ = (
        sa.CheckConstraint("fluoroscopy_time_s >= 0", name="fluoroscopy_nonnegative"),
        sa.CheckConstraint("duration_min >= 0", name="duration_nonnegative"),
        sa.Index("ix_procedures_performer_id_performed_at", "performer_id", "performed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plans.id", ondelete="SET NULL"))
    performer_id: Mapped[int] = mapped_column(sa.ForeignKey("specialists.id", ondelete="RESTRICT"))
    performed_at: Mapped[datetime] = mapped_column(info=event_date("procedure"))
    technique: Mapped[Technique] = mapped_column(str_enum(Technique, "technique"))
    region: Mapped[Region] = mapped_column(str_enum(Region, "region"))
    side: Mapped[Side] = mapped_column(str_enum(Side, "side"))
    levels: Mapped[list[str]]
    sedation: Mapped[Sedation] = mapped_column(str_enum(Sedation, "sedation"))
    fluoroscopy_time_s: Mapped[float | None]
    duration_min: Mapped[float | None]
    status: Mapped[ProcedureStatus] = mapped_column(str_enum(ProcedureStatus, "status"))
    repeat_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("procedures.id", ondelete="SET NULL")
    )
    notes: Mapped[str | None] = mapped_column(sa.Text)

    lesions: Mapped[list[Lesion]] = relationship(
        back_populates="procedure",
        order_by="Lesion.ordinal",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Lesion(Base):
    """One burn (or one attempted position) and what the gates said about it."""

    __tablename__ = "lesions"
    __table_args__ = (
        sa.UniqueConstraint("procedure_id", "ordinal", name="uq_lesions_procedure_id_ordinal"),
        sa.CheckConstraint(
            "override_reason IS NULL OR override_by_id IS NOT NULL", name="override_has_author"
        ),
        sa.CheckConstraint(
            "predicted_capture_probability IS NULL OR "
            "predicted_capture_probability BETWEEN 0 AND 1",
            name="predicted_capture_probability_range",
        ),
        sa.CheckConstraint(
            "predicted_coagulated_length_mm IS NULL OR predicted_coagulated_length_mm >= 0",
            name="predicted_coagulated_length_nonnegative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(
        sa.ForeignKey("procedures.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int]
    target_nerve: Mapped[str] = mapped_column(sa.String(64))
    side: Mapped[LesionSide] = mapped_column(str_enum(LesionSide, "side"))
    performed: Mapped[bool]
    gauge: Mapped[int | None]
    tip_length_mm: Mapped[float | None]
    set_temperature_c: Mapped[float | None]
    duration_s: Mapped[float | None]
    placement: Mapped[Placement | None] = mapped_column(str_enum(Placement, "placement"))
    sensory_threshold_v: Mapped[float | None]
    sensory_response: Mapped[SensoryResponse | None] = mapped_column(
        str_enum(SensoryResponse, "sensory_response")
    )
    motor_response: Mapped[MotorResponse | None] = mapped_column(
        str_enum(MotorResponse, "motor_response")
    )
    motor_test_voltage_v: Mapped[float | None]
    local_anaesthetic_given: Mapped[bool]
    impedance_ohm: Mapped[float | None]
    power_w: Mapped[float | None]
    gate_proceed: Mapped[bool]
    gate_findings: Mapped[list[dict[str, Any]]]
    override_reason: Mapped[str | None] = mapped_column(sa.Text)
    override_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    override_at: Mapped[datetime | None]
    #: The record link (rhizo.clinic.procedure.prediction): the planner's predicted
    #: capture probability (0-1) and expected coagulated nerve length (mm), the model
    #: that made them, or a note saying why there is none. A model estimate.
    predicted_capture_probability: Mapped[float | None]
    predicted_coagulated_length_mm: Mapped[float | None]
    prediction_model: Mapped[str | None] = mapped_column(sa.String(PREDICTION_MODEL_LENGTH))
    prediction_note: Mapped[str | None] = mapped_column(sa.String(PREDICTION_NOTE_LENGTH))

    procedure: Mapped[Procedure] = relationship(back_populates="lesions")


class LesionCreate(Schema):
    """One lesion as recorded; the gates run on it before it is stored."""

    target_nerve: str = Field(min_length=1, max_length=64, examples=["L4 medial branch"])
    side: LesionSide
    performed: bool = True
    gauge: int | None = Field(default=None, ge=10, le=27)
    tip_length_mm: float | None = Field(default=None, gt=0, le=20)
    set_temperature_c: float | None = Field(default=None, ge=37, le=95)
    duration_s: float | None = Field(default=None, gt=0, le=600)
    placement: Placement | None = None
    sensory_threshold_v: float | None = Field(default=None, ge=0, le=10)
    sensory_response: SensoryResponse | None = None
    motor_response: MotorResponse | None = None
    motor_test_voltage_v: float | None = Field(default=None, ge=0, le=10)
    local_anaesthetic_given: bool = False
    impedance_ohm: float | None = Field(default=None, gt=0, le=5000)
    power_w: float | None = Field(default=None, ge=0, le=100)
    override_reason: str | None = Field(
        default=None,
        min_length=10,
        max_length=2000,
        description="Why a lesion the gates blocked was performed anyway.",
    )


class ProcedureCreate(Schema):
    """A new procedure with its lesions, stored together or not at all."""

    performer_id: DbId
    performed_at: PlannedAt
    technique: Technique = Technique.CONVENTIONAL
    region: Region
    side: Side
    levels: JointLevels
    sedation: Sedation = Sedation.NONE
    fluoroscopy_time_s: float | None = Field(default=None, ge=0, le=7200)
    duration_min: float | None = Field(default=None, ge=0, le=600)
    status: ProcedureStatus = ProcedureStatus.COMPLETED
    plan_id: DbId | None = None
    repeat_of_id: DbId | None = None
    notes: Notes | None = None
    lesions: list[LesionCreate] = Field(default_factory=list, max_length=60)


class ProcedureUpdate(Schema):
    """Changes to a procedure's own fields (lesions are added, never rewritten)."""

    version: EditVersion

    status: ProcedureStatus | None = None
    fluoroscopy_time_s: float | None = Field(default=None, ge=0, le=7200)
    duration_min: float | None = Field(default=None, ge=0, le=600)
    sedation: Sedation | None = None
    notes: Notes | None = None


class LesionRead(ReadSchema):
    """A lesion as stored, with its gate verdict and any override."""

    id: int
    procedure_id: int
    ordinal: int
    target_nerve: str
    side: LesionSide
    performed: bool
    gauge: int | None
    tip_length_mm: float | None
    set_temperature_c: float | None
    duration_s: float | None
    placement: Placement | None
    sensory_threshold_v: float | None
    sensory_response: SensoryResponse | None
    motor_response: MotorResponse | None
    motor_test_voltage_v: float | None
    local_anaesthetic_given: bool
    impedance_ohm: float | None
    power_w: float | None
    gate_proceed: bool
    gate_findings: list[GateFinding]
    override_reason: str | None
    override_by_id: int | None
    override_at: datetime | None
    predicted_capture_probability: float | None = Field(
        description="The capture planner's predicted probability (0-1) that this lesion "
        "coagulated its nerve: a model estimate, not a measurement (read-only)."
    )
    predicted_coagulated_length_mm: float | None = Field(
        description="Expected length of nerve with its whole cross-section coagulated (mm), "
        "a model estimate (read-only)."
    )
    prediction_model: str | None = Field(
        description="The model that made the prediction (version, tissue, criterion, engine)."
    )
    prediction_note: str | None = Field(description="Why there is no prediction, if none.")


class ProcedureRead(ReadSchema):
    """A procedure with its lesions."""

    id: int
    version: int
    patient_id: int
    plan_id: int | None
    performer_id: int
    performed_at: datetime
    technique: Technique
    region: Region
    side: Side
    levels: list[str]
    sedation: Sedation
    fluoroscopy_time_s: float | None
    duration_min: float | None
    status: ProcedureStatus
    repeat_of_id: int | None
    notes: str | None
    lesions: list[LesionRead]
    created_at: datetime


class GateCheckRead(ReadSchema):
    """The gates' verdict on a lesion without storing it (for live forms)."""

    proceed: bool
    findings: list[GateFinding]
    outcome: Literal["proceed", "blocked", "overridden", "not_performed"]
