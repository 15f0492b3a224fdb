"""Diagnostic (prognostic) blocks: medial-branch or intra-articular, and their relief."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import JointLevels, Notes, ReadSchema, Schema, Side, str_enum
from rhizo.clinic.core.conflicts import EditVersion
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin
from rhizo.clinic.core.validation import HappenedOn
from rhizo.clinic.patient.dated import event_date


class BlockType(StrEnum):
    """Which structure was anaesthetised."""

    MEDIAL_BRANCH = "medial_branch"
    INTRA_ARTICULAR = "intra_articular"


class BlockAgent(StrEnum):
    """The local anaesthetic (comparative blocks use agents of different duration)."""

    LIDOCAINE = "lidocaine"
    BUPIVACAINE = "bupivacaine"
    ROPIVACAINE = "ropivacaine"
    SALINE = "saline"
    OTHER = "other"


class DiagnosticBlock(VersionedMixin, TimestampMixin, Base):
    """One diagnostic block and the relief it gave."""

    entity_label = "diagnostic block"

    __tablename__ = "diagnostic_blocks"
    __table_args__ = (
        sa.CheckConstraint("relief_percent BETWEEN 0 AND 100", name="relief_percent_range"),
        sa.CheckConstraint("volume_ml > 0", name="volume_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    performed_on: Mapped[date] = mapped_column(info=event_date("diagnostic block"))
    block_type: Mapped[BlockType] = mapped_column(str_enum(BlockType, "block_type"))
    levels: Mapped[list[str]]
    side: Mapped[Side] = mapped_column(str_enum(Side, "side"))
    agent: Mapped[BlockAgent] = mapped_column(str_enum(BlockAgent, "agent"))
    volume_ml: Mapped[float]
    baseline_nrs: Mapped[int | None]
    relief_percent: Mapped[int]
    relief_hours: Mapped[float | None]
    notes: Mapped[str | None] = mapped_column(sa.Text)


class BlockCreate(Schema):
    """A new diagnostic block."""

    performed_on: HappenedOn
    block_type: BlockType = BlockType.MEDIAL_BRANCH
    levels: JointLevels
    side: Side
    agent: BlockAgent
    volume_ml: float = Field(gt=0, le=10, description="per level, mL")
    baseline_nrs: int | None = Field(default=None, ge=0, le=10)
    relief_percent: int = Field(ge=0, le=100)
    relief_hours: float | None = Field(default=None, ge=0, le=24 * 30)
    notes: Notes | None = None


class BlockUpdate(Schema):
    """Changes to a block (e.g. the relief, reported later)."""

    version: EditVersion

    relief_percent: int | None = Field(default=None, ge=0, le=100)
    relief_hours: float | None = Field(default=None, ge=0, le=24 * 30)
    baseline_nrs: int | None = Field(default=None, ge=0, le=10)
    notes: Notes | None = None


class BlockRead(ReadSchema):
    """A diagnostic block as stored."""

    id: int
    version: int
    patient_id: int
    performed_on: date
    block_type: BlockType
    levels: list[str]
    side: Side
    agent: BlockAgent
    volume_ml: float
    baseline_nrs: int | None
    relief_percent: int
    relief_hours: float | None
    notes: str | None
    created_at: datetime
