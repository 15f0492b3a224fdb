"""Warnings on a pre-procedure plan: how the answer was reached and what to decide with whom.

* eGFR below 30 counts as severe kidney disease (KDIGO G4-G5), said so;
* a raised category is rhizo's conservative local rule, with the guideline's
  "may increase risk" quoted and no invented age threshold;
* a coronary stent or dual antiplatelet therapy: decide with the cardiologist.
"""

from __future__ import annotations

from rhizo.pathway.facts import Source
from rhizo.pathway.premed_inputs import STENT_WARNING, severe_kidney_egfr_below, source_of
from rhizo.pathway.premed_models import Instruction, PremedRequest, RiskCategory, RiskFactor


def instruction(topic: str, text: str, source: Source) -> Instruction:
    """One instruction (or warning) citing ``source`` with its evidence level."""
    return Instruction(
        topic=topic,
        text=text,
        source=source.cite(),
        verified=source.verified,
        evidence=source.evidence,
    )


def plan_warnings(
    *, base: RiskCategory, category: RiskCategory, request: PremedRequest, derived_kidney: bool
) -> list[Instruction]:
    """What the clinician must know about how the answer was reached."""
    found = []
    egfr = request.inputs.egfr_ml_per_min
    if derived_kidney and egfr is not None:
        found.append(
            instruction(
                "severe kidney disease",
                f"eGFR {egfr:g} is below {severe_kidney_egfr_below():g} mL/min/1.73 m2: "
                "severe kidney disease (KDIGO G4-G5) counts as a patient risk factor.",
                source_of("severe-kidney-disease"),
            )
        )
    if request.risk_factors:
        raised = (
            f"raised from {base.value} to {category.value}"
            if category is not base
            else f"kept at {category.value} (already the highest)"
        )
        text = (
            f"Bleeding-risk category {raised} by rhizo's conservative local rule: one step "
            'for any patient factor. The guideline says these factors "may increase risk"; '
            "the clinician may judge otherwise."
        )
        if RiskFactor.OLDER_AGE in request.risk_factors:
            text += " Older age: the guideline sets no age threshold; the clinician decides."
        found.append(instruction("risk category", text, source_of("category-raise")))
    inputs = request.inputs
    if inputs.stent_months is not None or inputs.dual_antiplatelet:
        given = []
        if inputs.stent_months is not None:
            given.append(f"coronary stent {inputs.stent_months:g} months ago")
        if inputs.dual_antiplatelet:
            given.append("dual antiplatelet therapy")
        found.append(
            instruction(
                "antiplatelets",
                f"{STENT_WARNING} ({'; '.join(given)})",
                source_of("recent-coronary-stent"),
            )
        )
    return found
