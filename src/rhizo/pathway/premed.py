"""The pre-procedure plan: bleeding-risk category, drug holds, fasting, transport, the day.

Drug holds follow Narouze 2018 by procedure risk category. ``hold_days`` (or
``hold_hours``) is the minimum time between the last dose and the procedure,
so the last dose date is the procedure date minus ``hold_days``; hour-based
holds round up to whole days because the plan is given as dates. Every hold
reminds the patient that the prescriber decides.

Some holds depend on the patient (aspirin indication, eGFR, INR, a coronary
stent): :mod:`rhizo.pathway.premed_inputs` defines those inputs and their
rules. Patient factors raise the category one step by rhizo's conservative
local rule (the guideline says they "may increase risk"); the plan says so.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rhizo.pathway.facts import Evidence, Source, entries, entry
from rhizo.pathway.premed_inputs import (
    STENT_WARNING,
    AspirinIndication,
    PremedInputs,
    adjust_rule,
    severe_kidney_disease,
    severe_kidney_egfr_below,
    source_of,
)

#: ``needs_input``: the answer depends on a patient input that was not given.
HoldDecision = Literal["yes", "no", "individualise", "needs_input"]


class RiskCategory(StrEnum):
    """Procedure bleeding-risk category (Narouze 2018)."""

    LOW = "low"
    INTERMEDIATE = "intermediate"
    HIGH = "high"


_ORDER = [RiskCategory.LOW, RiskCategory.INTERMEDIATE, RiskCategory.HIGH]


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
    evidence: Evidence
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
    evidence: Evidence


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


def procedures() -> dict[str, str]:
    """Procedure ids rhizo knows, with their labels."""
    return {
        item["id"]: item["label"]
        for item in entries("procedures")
        if item.get("risk_category") is not None
    }


def known_drugs() -> list[str]:
    """Every drug name (and alias) rhizo has a hold rule for."""
    return sorted(name for item in entries("drugs") for name in item["names"])


def _find_drug(name: str) -> dict[str, Any]:
    wanted = name.strip().lower()
    for item in entries("drugs"):
        if wanted == item["id"] or wanted in (alias.lower() for alias in item["names"]):
            return item
    raise KeyError(f"no hold rule for drug {name!r}; known: {', '.join(known_drugs())}")


def risk_category(procedure: str, risk_factors: list[RiskFactor] | None = None) -> RiskCategory:
    """The procedure's category, raised one step when any patient risk factor is present.

    The raise is rhizo's conservative local rule (``premed_inputs.yaml``
    ``category-raise``, local protocol): the guideline's footnote says these
    factors "may increase risk", not that they must raise the category.
    """
    try:
        base = RiskCategory(entry("procedures", procedure)["risk_category"])
    except (KeyError, TypeError):
        raise KeyError(
            f"unknown procedure {procedure!r}; known: {', '.join(procedures())}"
        ) from None
    if not risk_factors:
        return base
    return _ORDER[min(_ORDER.index(base) + 1, len(_ORDER) - 1)]


def drug_hold(
    name: str,
    *,
    category: RiskCategory,
    procedure_date: date,
    inputs: PremedInputs | None = None,
    severe_kidney: bool = False,
) -> DrugHold:
    """The hold for one drug before a procedure of ``category`` on ``procedure_date``.

    ``inputs`` (aspirin indication, eGFR, INR, stent) and ``severe_kidney``
    adjust the rule as :func:`rhizo.pathway.premed_inputs.adjust_rule` says.
    """
    item = _find_drug(name)
    adjusted = adjust_rule(
        item, item[category.value], inputs or PremedInputs(), severe_kidney=severe_kidney
    )
    rule = adjusted.rule
    source: Source = item["source"]
    hold: HoldDecision = rule["hold"]
    hold_days: int | None = rule.get("hold_days")
    hold_hours: int | None = rule.get("hold_hours")
    last_dose: date | None = None
    if hold != "no":
        if hold_days is not None:
            last_dose = procedure_date - timedelta(days=hold_days)
        elif hold_hours is not None:
            # Dates only: round hours up to whole days so the date is never too late.
            last_dose = procedure_date - timedelta(days=math.ceil(hold_hours / 24))
    # A drug that is not held has nothing to restart.
    restart = (
        None if hold == "no" else rule.get("restart_after_hours", item.get("restart_after_hours"))
    )
    notes = [rule.get("note", ""), *adjusted.notes]
    if hold_hours is not None and hold != "no":
        notes.append(f"Last dose at least {hold_hours} h before the procedure start.")
    if item.get("restart_note") and hold != "no":
        notes.append(f"Restart window {item['restart_note']}.")
    if hold in ("individualise", "needs_input") and hold_days is not None:
        notes.append(f"If held: last dose on {last_dose}.")
        last_dose = None
    notes.append(PRESCRIBER_REMINDER)
    return DrugHold(
        drug=item["id"],
        drug_class=item["drug_class"],
        hold=hold,
        hold_days=hold_days if hold == "yes" else None,
        hold_hours=hold_hours if hold == "yes" else None,
        last_dose_date=last_dose if hold == "yes" else None,
        restart_after_hours=restart,
        note=" ".join(n for n in notes if n),
        source=source.cite(),
        verified=source.verified,
        evidence=source.evidence,
        input_sources=[extra.cite() for extra in adjusted.sources],
        inr_normal=adjusted.inr_normal,
    )


def _instruction(topic: str, text: str, source: Source) -> Instruction:
    return Instruction(
        topic=topic,
        text=text,
        source=source.cite(),
        verified=source.verified,
        evidence=source.evidence,
    )


def _warnings(
    *, base: RiskCategory, category: RiskCategory, request: PremedRequest, derived_kidney: bool
) -> list[Instruction]:
    """What the clinician must know about how the answer was reached."""
    found = []
    egfr = request.inputs.egfr_ml_per_min
    if derived_kidney and egfr is not None:
        found.append(
            _instruction(
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
        found.append(_instruction("risk category", text, source_of("category-raise")))
    inputs = request.inputs
    if inputs.stent_months is not None or inputs.dual_antiplatelet:
        given = []
        if inputs.stent_months is not None:
            given.append(f"coronary stent {inputs.stent_months:g} months ago")
        if inputs.dual_antiplatelet:
            given.append("dual antiplatelet therapy")
        found.append(
            _instruction(
                "antiplatelets",
                f"{STENT_WARNING} ({'; '.join(given)})",
                source_of("recent-coronary-stent"),
            )
        )
    return found


def _instructions(request: PremedRequest) -> list[Instruction]:
    conditions = {
        None: True,
        "sedation": request.sedation,
        "diabetes": request.diabetes,
        "implanted_device": request.implanted_device,
    }
    return [
        _instruction(item["topic"], item["text"], item["source"])
        for item in entries("preparation")
        if conditions.get(item.get("applies_when"), False)
    ]


def plan_premedication(
    *,
    procedure: str,
    procedure_date: date,
    drugs: list[str] | None = None,
    sedation: bool = False,
    diabetes: bool = False,
    implanted_device: bool = False,
    risk_factors: list[RiskFactor] | None = None,
    aspirin_indication: AspirinIndication | None = None,
    egfr_ml_per_min: float | None = None,
    inr: float | None = None,
    stent_months: float | None = None,
    dual_antiplatelet: bool = False,
) -> PremedPlan:
    """Build the pre-procedure plan.

    Raises ``KeyError`` for an unknown procedure or drug, ``ValidationError``
    for an input out of range and
    :class:`~rhizo.pathway.premed_inputs.PremedInputError` when the
    ``severe_kidney_disease`` factor contradicts the eGFR. An eGFR below 30
    adds that factor (one definition of severe kidney disease).
    """
    request = PremedRequest(
        procedure=procedure,
        procedure_date=procedure_date,
        drugs=drugs or [],
        sedation=sedation,
        diabetes=diabetes,
        implanted_device=implanted_device,
        risk_factors=list(dict.fromkeys(risk_factors or [])),
        inputs=PremedInputs(
            aspirin_indication=aspirin_indication,
            egfr_ml_per_min=egfr_ml_per_min,
            inr=inr,
            stent_months=stent_months,
            dual_antiplatelet=dual_antiplatelet,
        ),
    )
    given = RiskFactor.SEVERE_KIDNEY_DISEASE in request.risk_factors
    severe = severe_kidney_disease(
        egfr_ml_per_min=request.inputs.egfr_ml_per_min, factor_given=given
    )
    derived = severe and not given
    if derived:
        request = request.model_copy(
            update={"risk_factors": [*request.risk_factors, RiskFactor.SEVERE_KIDNEY_DISEASE]}
        )
    base = risk_category(procedure)
    category = risk_category(procedure, request.risk_factors)
    procedure_entry = entry("procedures", procedure)
    return PremedPlan(
        procedure=procedure,
        procedure_label=procedure_entry["label"],
        procedure_date=procedure_date,
        risk_category=category,
        base_risk_category=base,
        risk_source=procedure_entry["source"].cite(),
        risk_factors=request.risk_factors,
        inputs=request.inputs,
        warnings=_warnings(base=base, category=category, request=request, derived_kidney=derived),
        holds=[
            drug_hold(
                name,
                category=category,
                procedure_date=procedure_date,
                inputs=request.inputs,
                severe_kidney=severe,
            )
            for name in request.drugs
        ],
        instructions=_instructions(request),
    )
