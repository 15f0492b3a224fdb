"""The pre-procedure plan: bleeding-risk category, drug holds, fasting, transport, the day.

Drug holds follow Narouze 2018 by procedure risk category. ``hold_days`` (or
``hold_hours``) is the minimum time between the last dose and the procedure,
so the last dose date is the procedure date minus ``hold_days``; hour-based
holds round up to whole days because the plan is given as dates. Every hold
reminds the patient that the prescriber decides.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rhizo.pathway.facts import Source, entries, entry

HoldDecision = Literal["yes", "no", "individualise"]


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


class Instruction(BaseModel):
    """One preparation step, with its source."""

    topic: str
    text: str
    source: str
    verified: bool


class PremedPlan(BaseModel):
    """Everything the patient and team need before the procedure day."""

    procedure: str
    procedure_label: str
    procedure_date: date
    risk_category: RiskCategory
    base_risk_category: RiskCategory
    risk_source: str
    risk_factors: list[RiskFactor]
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
    """The procedure's category, raised one step when any patient risk factor is present."""
    try:
        base = RiskCategory(entry("procedures", procedure)["risk_category"])
    except (KeyError, TypeError):
        raise KeyError(
            f"unknown procedure {procedure!r}; known: {', '.join(procedures())}"
        ) from None
    if not risk_factors:
        return base
    return _ORDER[min(_ORDER.index(base) + 1, len(_ORDER) - 1)]


def drug_hold(name: str, *, category: RiskCategory, procedure_date: date) -> DrugHold:
    """The hold for one drug before a procedure of ``category`` on ``procedure_date``."""
    item = _find_drug(name)
    rule: dict[str, Any] = item[category.value]
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
    notes = [rule.get("note", "")]
    if hold_hours is not None and hold != "no":
        notes.append(f"Last dose at least {hold_hours} h before the procedure start.")
    if item.get("restart_note") and hold != "no":
        notes.append(f"Restart window {item['restart_note']}.")
    if hold == "individualise" and hold_days is not None:
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
    )


def _instructions(request: PremedRequest) -> list[Instruction]:
    conditions = {
        None: True,
        "sedation": request.sedation,
        "diabetes": request.diabetes,
        "implanted_device": request.implanted_device,
    }
    chosen = []
    for item in entries("preparation"):
        if conditions.get(item.get("applies_when"), False):
            source: Source = item["source"]
            chosen.append(
                Instruction(
                    topic=item["topic"],
                    text=item["text"],
                    source=source.cite(),
                    verified=source.verified,
                )
            )
    return chosen


def plan_premedication(
    *,
    procedure: str,
    procedure_date: date,
    drugs: list[str] | None = None,
    sedation: bool = False,
    diabetes: bool = False,
    implanted_device: bool = False,
    risk_factors: list[RiskFactor] | None = None,
) -> PremedPlan:
    """Build the pre-procedure plan. Raises ``KeyError`` for an unknown procedure or drug."""
    request = PremedRequest(
        procedure=procedure,
        procedure_date=procedure_date,
        drugs=drugs or [],
        sedation=sedation,
        diabetes=diabetes,
        implanted_device=implanted_device,
        risk_factors=risk_factors or [],
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
        holds=[
            drug_hold(name, category=category, procedure_date=procedure_date)
            for name in request.drugs
        ],
        instructions=_instructions(request),
    )
