"""The pre-procedure plan's data: risk category, patient factors, holds, instructions, plan.

:mod:`rhizo.pathway.premed` computes them; this module only defines their shape.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rhizo.pathway.facts import Evidence
from rhizo.pathway.premed_inputs import PremedInputs

#: ``needs_input``: the answer depends on a patient input that was not given.
HoldDecision = Literal["yes", "no", "individualise", "needs_input"]


class RiskCategory(StrEnum):
    """Procedure bleeding-risk category (Narouze 2018)."""

    LOW = "low"
    INTERMEDIATE = "intermediate"
    HIGH = "high"


#: The categories from lowest to highest bleeding risk.
CATEGORY_ORDER = (RiskCategory.LOW, RiskCategory.INTERMEDIATE, RiskCategory.HIGH)


class RiskFactor(StrEnum):
    """Patient factors that can raise the procedure's category by one."""

    OLDER_AGE = "older_age"
    COAGULOPATHY = "coagulopathy"
    SEVERE_LIVER_DISEASE = "severe_liver_disease"
    SEVERE_KIDNEY_DISEASE = "severe_kidney_disease"
    PRIOR_SURGERY_OR_RADIATION_AT_SITE = "prior_surgery_or_radiation_at_site"


class DrugHold(BaseModel):
    """What to do with one drug before and after the procedure."""

    drug: str
    drug_class: str
    hold: HoldDecision
    hold_days: int | None
    hold_hours: int | None = None
    last_dose_date: date | None
    restart_after_hours: int | None
    note: str
    source: str
    verified: bool
    #: The drug row's evidence level (None: a plan stored before levels were recorded).
    evidence: Evidence | None = None
    #: Sources of the patient-input rules that changed this hold (INR cut-off, ...).
    input_sources: list[str] = Field(default_factory=list)
    #: With an INR entered for a vitamin K antagonist: whether it is normal.
    inr_normal: bool | None = None


class Instruction(BaseModel):
    """One preparation step (or a warning), with its source."""

    topic: str
    text: str
    source: str
    verified: bool
    #: None: an instruction stored before levels were recorded.
    evidence: Evidence | None = None


class PremedPlan(BaseModel):
    """Everything the patient and team need before the procedure day."""

    procedure: str
    procedure_label: str
    procedure_date: date
    risk_category: RiskCategory
    base_risk_category: RiskCategory
    risk_source: str
    risk_factors: list[RiskFactor]
    inputs: PremedInputs = Field(default_factory=PremedInputs)
    warnings: list[Instruction] = Field(default_factory=list)
    holds: list[DrugHold]
    instructions: list[Instruction]


class PremedRequest(BaseModel):
    """Keyword-friendly input for :func:`plan_premedication`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    procedure: str
    procedure_date: date
    drugs: list[str] = Field(default_factory=list)
    sedation: bool = False
    diabetes: bool = False
    implanted_device: bool = False
    risk_factors: list[RiskFactor] = Field(default_factory=list)
    inputs: PremedInputs = Field(default_factory=PremedInputs)


PRESCRIBER_REMINDER = "The prescriber decides: do not stop or restart this drug without them."
