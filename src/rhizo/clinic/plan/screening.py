"""``POST /candidacy/screen``: candidacy for medial-branch RF from a patient's facts.

A dry run, like ``POST /gates/lesion``: nothing is stored. The body is the
pathway's own :class:`rhizo.pathway.candidacy.CandidacyInput` (the YAML of
``rhizo screen``, as JSON) with an optional policy and day; without a policy
the guideline of the patient's region applies (lumbar ``asra-2020``, cervical
``cervical-2022``, thoracic none: ``no_guideline``), the one map of
``pathway/knowledge/regions.yaml`` that the CLI and the patient page use too.
A bad field (an override without a reason, a ``pain_returned`` that is not a
boolean, an unknown region) is a 422 naming it; so is a policy that does not
cover the region (naming those that do) and an override the policy does not
allow.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import FieldProblem, InvalidInputError
from rhizo.clinic.core.deps import require
from rhizo.pathway.candidacy import (
    CandidacyInput,
    Day,
    Screening,
    ScreeningInputError,
    screen_candidacy,
)

router = APIRouter()

#: Staff who read patient records may screen (a dry run over facts they give).
Screener = Annotated[Actor, Depends(require(Permission.PATIENT_READ))]


class ScreenRequest(BaseModel):
    """The facts to screen, and optionally the policy and the day of the screen."""

    model_config = ConfigDict(extra="forbid")

    patient: CandidacyInput
    policy: str | None = Field(
        default=None,
        max_length=40,
        description="asra-2020 | dual-block-80 | cervical-2022; null: the region's guideline",
    )
    today: Day | None = Field(default=None, description="the day for 12-month session limits")


@router.post("/candidacy/screen", response_model=Screening, tags=["candidacy"])
def screen(actor: Screener, data: ScreenRequest) -> Screening:
    """The candidacy verdict with every reason and its source, without storing anything."""
    try:
        return screen_candidacy(data.patient, policy=data.policy, today=data.today)
    except ScreeningInputError as error:
        raise InvalidInputError(
            problems=[
                FieldProblem(
                    field=error.field,
                    value=error.value,
                    rule="candidacy",
                    message=error.allowed,
                )
            ]
        ) from error
