"""Patient inputs that change a drug-hold answer: aspirin indication, renal function, INR, stent.

Narouze 2018 makes some holds depend on facts about the patient, not only on
the procedure's risk category. This module holds the one definition of each
input (its allowed range, used alike by the CLI, the clinic API and the plan
form) and of each rule that reads it:

* **aspirin indication** (``primary`` or ``secondary`` prevention): before a
  high-risk procedure primary prophylaxis is held 6 days, secondary prevention
  is a shared assessment with the prescriber; without the indication the
  answer is ``needs_input``, never a silent 6 days or a silent no
  (UpToDate adaptation of Narouze 2018: secondary);
* **eGFR** in mL/min/1.73 m2: dabigatran is held longer with renal impairment
  (band and days recalled, shown so); *severe kidney disease* is
  ``eGFR < 30`` (KDIGO G4-G5), so the risk factor and the eGFR cannot
  disagree (:func:`severe_kidney_disease`);
* **INR** for vitamin K antagonists: "5 days, normal INR"; the cut-off for
  *normal* is ``INR < 1.3``, one clinic's protocol (the guideline gives no
  number), editable in ``knowledge/premed_inputs.yaml``;
* **coronary stent** (months since it was placed) or **dual antiplatelet
  therapy**: a warning to decide with the cardiologist before stopping any
  antiplatelet; with a recent stent (under 12 months, recalled) or dual
  therapy no antiplatelet is held automatically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from rhizo.pathway.facts import Source, entry

#: Allowed ranges (inclusive). eGFR 0 is anuria; above 250 is not a human value.
EGFR_MIN_ML_PER_MIN, EGFR_MAX_ML_PER_MIN = 0.0, 250.0
#: INR below 0.5 or above 20 is a transcription error, not a measurement.
INR_MIN, INR_MAX = 0.5, 20.0
#: 0 months (placed this month) to 50 years.
STENT_MONTHS_MIN, STENT_MONTHS_MAX = 0.0, 600.0

EgfrMlPerMin = Annotated[
    float,
    Field(
        ge=EGFR_MIN_ML_PER_MIN,
        le=EGFR_MAX_ML_PER_MIN,
        allow_inf_nan=False,
        description="estimated glomerular filtration rate, mL/min/1.73 m2 (0 to 250)",
    ),
]
Inr = Annotated[
    float,
    Field(
        ge=INR_MIN,
        le=INR_MAX,
        allow_inf_nan=False,
        description="international normalised ratio (0.5 to 20)",
    ),
]
StentMonths = Annotated[
    float,
    Field(
        ge=STENT_MONTHS_MIN,
        le=STENT_MONTHS_MAX,
        allow_inf_nan=False,
        description="months since a coronary stent was placed (0 to 600)",
    ),
]

STENT_WARNING = (
    "Coronary stent or dual antiplatelet therapy: decide with the cardiologist before "
    "stopping any antiplatelet."
)


class AspirinIndication(StrEnum):
    """Why the patient takes aspirin (Narouze 2018 splits the high-risk hold by it)."""

    PRIMARY = "primary"
    SECONDARY = "secondary"


class PremedInputs(BaseModel):
    """The patient facts a hold may depend on; every one is optional."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    aspirin_indication: AspirinIndication | None = None
    egfr_ml_per_min: EgfrMlPerMin | None = None
    inr: Inr | None = None
    stent_months: StentMonths | None = None
    dual_antiplatelet: bool = False


class PremedInputError(ValueError):
    """Two inputs contradict each other: names the field, the value and what is allowed."""

    def __init__(self, field_name: str, value: object, allowed: str) -> None:
        super().__init__(f"{field_name}: {value!r} is not allowed; {allowed}")
        self.field = field_name
        self.value = value
        self.allowed = allowed


def _fact(entry_id: str) -> dict[str, Any]:
    return entry("premed_inputs", entry_id)


def source_of(entry_id: str) -> Source:
    """The source of one input rule in ``premed_inputs.yaml``."""
    src: Source = _fact(entry_id)["source"]
    return src


def severe_kidney_egfr_below() -> float:
    """eGFR (mL/min/1.73 m2) below which kidney disease is severe (KDIGO G4-G5: 30)."""
    return float(_fact("severe-kidney-disease")["egfr_below_ml_per_min"])


def inr_normal_below() -> float:
    """The INR below which it counts as normal (local protocol: 1.3)."""
    return float(_fact("inr-normal")["normal_below"])


def recent_stent_below_months() -> float:
    """Months since a coronary stent below which it counts as recent (recalled: 12)."""
    return float(_fact("recent-coronary-stent")["recent_below_months"])


def severe_kidney_disease(*, egfr_ml_per_min: float | None, factor_given: bool) -> bool:
    """Whether the patient has severe kidney disease: one definition for factor and eGFR.

    With an eGFR the answer is ``eGFR < 30``; a ``severe_kidney_disease`` factor
    with an eGFR of 30 or more contradicts it (:class:`PremedInputError`).
    Without an eGFR the factor as given decides.
    """
    if egfr_ml_per_min is None:
        return factor_given
    below = severe_kidney_egfr_below()
    severe = egfr_ml_per_min < below
    if factor_given and not severe:
        raise PremedInputError(
            "risk_factors",
            "severe_kidney_disease",
            f"it contradicts eGFR {egfr_ml_per_min:g}: severe kidney disease means an eGFR "
            f"below {below:g} mL/min/1.73 m2 (KDIGO G4-G5); drop the factor or correct the eGFR",
        )
    return severe


def stent_caution(inputs: PremedInputs) -> bool:
    """Whether no antiplatelet may be held automatically: a recent stent or dual therapy."""
    recent = inputs.stent_months is not None and inputs.stent_months < recent_stent_below_months()
    return recent or inputs.dual_antiplatelet


@dataclass
class Adjusted:
    """A drug rule after the patient inputs: the rule, added notes, their sources."""

    rule: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    inr_normal: bool | None = None


_HOLD_KEYS = ("hold", "hold_days", "hold_hours", "note")


def _aspirin(adjusted: Adjusted, by_indication: dict[str, Any], inputs: PremedInputs) -> None:
    if inputs.aspirin_indication is None:
        return  # the rule's own hold (needs_input) and note stand
    chosen: dict[str, Any] = by_indication[inputs.aspirin_indication.value]
    kept = {k: v for k, v in adjusted.rule.items() if k not in _HOLD_KEYS}
    adjusted.rule = kept | chosen
    adjusted.sources.append(source_of("aspirin-indication"))


def _renal(
    adjusted: Adjusted, renal: dict[str, Any], inputs: PremedInputs, *, severe_kidney: bool
) -> None:
    if adjusted.rule.get("hold") != "yes":
        return
    band = float(renal["egfr_below_ml_per_min"])
    egfr = inputs.egfr_ml_per_min
    if egfr is not None and egfr < band:
        why = f"eGFR {egfr:g} is below {band:g} mL/min"
    elif egfr is None and severe_kidney:
        why = "severe kidney disease was entered"
    elif egfr is not None:
        adjusted.notes.append(
            f"eGFR {egfr:g} is not below {band:g} mL/min: the normal-function hold applies."
        )
        return
    else:
        adjusted.notes.append(
            f"Renal function not entered: with an eGFR below {band:g} mL/min the hold is "
            f"{renal['hold_days']} days; enter the eGFR."
        )
        return
    adjusted.rule["hold_days"] = int(renal["hold_days"])
    adjusted.notes.append(f"{renal['note']} ({why}).")


def _inr(adjusted: Adjusted, inputs: PremedInputs) -> None:
    if adjusted.rule.get("hold") == "no":
        return
    cut = inr_normal_below()
    adjusted.sources.append(source_of("inr-normal"))
    if inputs.inr is None:
        adjusted.notes.append(
            f"Check the INR before the procedure: it must be normal (below {cut:g} by the "
            "clinic's cut-off)."
        )
    elif inputs.inr < cut:
        adjusted.inr_normal = True
        adjusted.notes.append(
            f"INR {inputs.inr:g} is below {cut:g}: normal by the clinic's cut-off."
        )
    else:
        adjusted.inr_normal = False
        adjusted.notes.append(
            f"INR {inputs.inr:g} is not below {cut:g}: not normal; recheck it before the "
            "procedure and do not proceed until it is normal."
        )


def adjust_rule(
    item: dict[str, Any], rule: dict[str, Any], inputs: PremedInputs, *, severe_kidney: bool
) -> Adjusted:
    """Apply the patient inputs to one drug's rule for the procedure's category."""
    adjusted = Adjusted(rule=dict(rule))
    by_indication = adjusted.rule.pop("by_aspirin_indication", None)
    renal = adjusted.rule.pop("renal_impairment", None)
    if by_indication is not None:
        _aspirin(adjusted, by_indication, inputs)
    if renal is not None:
        _renal(adjusted, renal, inputs, severe_kidney=severe_kidney)
    if item.get("inr_check"):
        _inr(adjusted, inputs)
    if str(item["drug_class"]).startswith("antiplatelet") and stent_caution(inputs):
        if adjusted.rule.get("hold") in ("yes", "needs_input"):
            adjusted.rule["hold"] = "individualise"
        adjusted.notes.append(STENT_WARNING + " No automatic hold.")
        adjusted.sources.append(source_of("recent-coronary-stent"))
    return adjusted
