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
from typing import Any

from rhizo.pathway.facts import Source, entries, entry
from rhizo.pathway.premed_inputs import (
    AspirinIndication,
    PremedInputs,
    adjust_rule,
    severe_kidney_disease,
)
from rhizo.pathway.premed_models import (
    CATEGORY_ORDER,
    DrugHold,
    HoldDecision,
    Instruction,
    PremedPlan,
    PremedRequest,
    RiskCategory,
    RiskFactor,
)
from rhizo.pathway.premed_warnings import instruction, plan_warnings

__all__ = [
    "PRESCRIBER_REMINDER",
    "DrugHold",
    "HoldDecision",
    "Instruction",
    "PremedPlan",
    "PremedRequest",
    "RiskCategory",
    "RiskFactor",
    "drug_hold",
    "known_drugs",
    "plan_premedication",
    "procedures",
    "risk_category",
]

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
    return CATEGORY_ORDER[min(CATEGORY_ORDER.index(base) + 1, len(CATEGORY_ORDER) - 1)]


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


def _instructions(request: PremedRequest) -> list[Instruction]:
    conditions = {
        None: True,
        "sedation": request.sedation,
        "diabetes": request.diabetes,
        "implanted_device": request.implanted_device,
    }
    return [
        instruction(item["topic"], item["text"], item["source"])
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
        warnings=plan_warnings(
            base=base, category=category, request=request, derived_kidney=derived
        ),
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
