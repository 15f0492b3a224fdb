"""Allergies and intolerances, by the substance categories an RF procedure touches.

A radiofrequency rhizotomy (medial branch neurotomy) uses a local anaesthetic
at the skin and on the nerve, often iodinated contrast to confirm the needle
position, latex-containing gloves or equipment in some rooms, and an
antiseptic skin preparation (chlorhexidine or povidone-iodine). So the
category is one of those four, or ``other`` with the substance named. A row
recorded by mistake is not deleted: it is marked *entered in error* with a
reason (FHIR AllergyIntolerance.verificationStatus ``entered-in-error``) and
stops counting for candidacy and for the procedure form's warning.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import ReadSchema, Schema, str_enum
from rhizo.clinic.core.conflicts import EditVersion
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin
from rhizo.clinic.core.validation import HappenedOn
from rhizo.clinic.patient.dated import event_date


class AllergyCategory(StrEnum):
    """What the patient reacts to, in the groups the procedure uses."""

    CONTRAST = "contrast"
    LOCAL_ANAESTHETIC = "local_anaesthetic"
    LATEX = "latex"
    ANTISEPTIC = "antiseptic"
    OTHER = "other"


class AllergySeverity(StrEnum):
    """How bad the reaction was (FHIR AllergyIntolerance.reaction.severity, plus unknown)."""

    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"
    UNKNOWN = "unknown"


#: Category words for people (pages, warnings).
CATEGORY_LABEL: dict[AllergyCategory, str] = {
    AllergyCategory.CONTRAST: "contrast dye",
    AllergyCategory.LOCAL_ANAESTHETIC: "local anaesthetic",
    AllergyCategory.LATEX: "latex",
    AllergyCategory.ANTISEPTIC: "antiseptic (skin preparation)",
    AllergyCategory.OTHER: "other",
}


class Allergy(VersionedMixin, TimestampMixin, Base):
    """An allergy or intolerance of a patient."""

    entity_label = "allergy"

    __tablename__ = "allergies"
    __table_args__ = (
        sa.CheckConstraint("category <> 'other' OR substance IS NOT NULL", name="other_named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[AllergyCategory] = mapped_column(str_enum(AllergyCategory, "allergy_category"))
    #: The substance (e.g. 'lidocaine', 'chlorhexidine', 'iohexol'); required for ``other``.
    substance: Mapped[str | None] = mapped_column(sa.String(120))
    reaction: Mapped[str | None] = mapped_column(sa.String(200))
    severity: Mapped[AllergySeverity] = mapped_column(str_enum(AllergySeverity, "allergy_severity"))
    recorded_on: Mapped[date] = mapped_column(info=event_date("allergy record"))
    entered_in_error: Mapped[bool] = mapped_column(default=False)
    error_reason: Mapped[str | None] = mapped_column(sa.String(200))


class AllergyCreate(Schema):
    """A new allergy; ``substance`` is required when the category is ``other`` (the service
    answers 422 on ``substance`` otherwise)."""

    category: AllergyCategory
    substance: str | None = Field(default=None, min_length=1, max_length=120)
    reaction: str | None = Field(default=None, min_length=1, max_length=200)
    severity: AllergySeverity = AllergySeverity.UNKNOWN
    recorded_on: HappenedOn


class AllergyEnteredInError(Schema):
    """Mark an allergy as recorded by mistake (it stays in the record, struck through)."""

    version: EditVersion
    reason: str = Field(min_length=1, max_length=200)


class AllergyRead(ReadSchema):
    """An allergy as stored."""

    id: int
    version: int
    patient_id: int
    category: AllergyCategory
    substance: str | None
    reaction: str | None
    severity: AllergySeverity
    recorded_on: date
    entered_in_error: bool
    error_reason: str | None
    created_at: datetime
