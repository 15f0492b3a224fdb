"""Candidacy for medial-branch RF neurotomy under a named policy.

From a patient's facts to one verdict: ``candidate``, ``not_yet`` (what is
missing), ``not_candidate`` or ``contraindicated``, with every reason citing
its rule. The worst reason decides the verdict, so a contraindication is never
hidden behind a positive block.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rhizo.pathway.dates import months_after
from rhizo.pathway.facts import Source, entries, entry
from rhizo.pathway.policies import (
    POLICIES,
    WEEKS_PER_MONTH,
    FacetRegion,
    Policy,
    Threshold,
    get_policy,
)
from rhizo.pathway.relief import meets


class Verdict(StrEnum):
    """The screening outcome, from best to worst."""

    CANDIDATE = "candidate"
    NOT_YET = "not_yet"
    NOT_CANDIDATE = "not_candidate"
    CONTRAINDICATED = "contraindicated"


Effect = Literal["supports", "note", "not_yet", "not_candidate", "contraindicated"]
_SEVERITY: dict[str, int] = {
    "supports": 0,
    "note": 0,
    "not_yet": 1,
    "not_candidate": 2,
    "contraindicated": 3,
}
_VERDICT_BY_SEVERITY = {
    0: Verdict.CANDIDATE,
    1: Verdict.NOT_YET,
    2: Verdict.NOT_CANDIDATE,
    3: Verdict.CONTRAINDICATED,
}


class PainPattern(StrEnum):
    """Where the pain is felt: in the spine (axial), down a limb (radicular) or both."""

    AXIAL = "axial"
    RADICULAR = "radicular"
    MIXED = "mixed"


class CandidacyCondition(StrEnum):
    """Conditions the patient articles name; see ``knowledge/conditions.yaml``.

    What candidacy weighs, not a coded diagnosis (the clinic's ICD-10
    ``Condition`` rows map onto it by code prefix).
    """

    FACET_JOINT_SYNDROME = "facet_joint_syndrome"
    SPONDYLOSIS = "spondylosis"
    SPINAL_STENOSIS = "spinal_stenosis"
    SACROILIAC_JOINT_PAIN = "sacroiliac_joint_pain"
    SPASTICITY = "spasticity"
    TRIGEMINAL_NEURALGIA = "trigeminal_neuralgia"


class RedFlag(StrEnum):
    """Features that call for work-up before any facet procedure (recalled list)."""

    FEVER = "fever"
    UNEXPLAINED_WEIGHT_LOSS = "unexplained_weight_loss"
    CANCER_HISTORY = "cancer_history"
    PROGRESSIVE_NEUROLOGICAL_DEFICIT = "progressive_neurological_deficit"
    BOWEL_OR_BLADDER_CHANGE = "bowel_or_bladder_change"
    SIGNIFICANT_TRAUMA = "significant_trauma"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConservativeCare(_Strict):
    """One conservative treatment tried (physiotherapy, medicines, exercise...)."""

    kind: str
    weeks: float = Field(ge=0)


class BlockRelief(_Strict):
    """A diagnostic block and the percentage of the index pain it relieved (candidacy input)."""

    kind: Literal["medial_branch", "intra_articular"] = "medial_branch"
    relief_percent: float = Field(ge=0, le=100)
    performed_on: date | None = None


class PriorTreatment(_Strict):
    """A previous RF treatment of the same region: how much and how long it helped."""

    performed_on: date | None = None
    relief_percent: float = Field(ge=0, le=100)
    relief_duration_weeks: float = Field(ge=0)


class CandidacyInput(_Strict):
    """The facts about one patient that screening needs (not a registry row).

    Everything optional defaults to 'absent'.
    """

    region: FacetRegion
    pain_duration_weeks: float = Field(ge=0)
    pain_pattern: PainPattern = PainPattern.AXIAL
    conditions: list[CandidacyCondition] = Field(default_factory=list)
    conservative_care: list[ConservativeCare] = Field(default_factory=list)
    conservative_care_weeks: float | None = Field(default=None, ge=0)
    conservative_care_exception: str | None = None
    blocks: list[BlockRelief] = Field(default_factory=list)
    prior_rf: list[PriorTreatment] = Field(default_factory=list)
    active_infection: bool = False
    bleeding_disorder: bool = False
    anticoagulant_without_plan: bool = False
    pregnant: bool = False
    allergy_local_anaesthetic: bool = False
    allergy_contrast: bool = False
    implanted_electrical_device: bool = False
    red_flags: list[RedFlag] = Field(default_factory=list)

    def total_conservative_care_weeks(self) -> float:
        """The stated total, else the longest single therapy.

        Therapies often run side by side, so summing them would overstate the trial.
        """
        if self.conservative_care_weeks is not None:
            return self.conservative_care_weeks
        return max((care.weeks for care in self.conservative_care), default=0.0)


class Reason(BaseModel):
    """One rule that applied, what it did to the verdict, and its source."""

    rule: str
    message: str
    source: str
    effect: Effect
    verified: bool


class Screening(BaseModel):
    """The verdict under one policy, with every reason."""

    policy: str
    verdict: Verdict
    reasons: list[Reason]
    repeat_treatment: bool


def _reason(rule: str, message: str, source: Source, effect: Effect) -> Reason:
    return Reason(
        rule=rule, message=message, source=source.cite(), effect=effect, verified=source.verified
    )


def _knowledge_reason(file: str, rule_id: str, detail: str = "") -> Reason:
    item: dict[str, Any] = entry(file, rule_id)
    message = item.get("message") or item["evidence_summary"]
    if detail:
        message = f"{message} ({detail})"
    return _reason(f"{file}:{rule_id}", message, item["source"], item["effect"])


def _safety_reasons(patient: CandidacyInput) -> list[Reason]:
    flags = {
        "active-infection": patient.active_infection,
        "bleeding-disorder": patient.bleeding_disorder,
        "anticoagulation-unmanaged": patient.anticoagulant_without_plan,
        "pregnancy": patient.pregnant,
        "allergy-local-anaesthetic": patient.allergy_local_anaesthetic,
        "allergy-contrast": patient.allergy_contrast,
        "implanted-device": patient.implanted_electrical_device,
    }
    reasons = [_knowledge_reason("screening", rule) for rule, present in flags.items() if present]
    if patient.red_flags:
        detail = ", ".join(flag.value.replace("_", " ") for flag in patient.red_flags)
        reasons.append(_knowledge_reason("screening", "red-flag", detail))
    if patient.pain_pattern is PainPattern.RADICULAR:
        reasons.append(_knowledge_reason("screening", "radicular-pain"))
    elif patient.pain_pattern is PainPattern.MIXED:
        reasons.append(_knowledge_reason("screening", "mixed-pain"))
    return reasons


def _condition_reasons(patient: CandidacyInput) -> list[Reason]:
    reasons = [_knowledge_reason("conditions", c.value) for c in patient.conditions]
    has_spinal_pain_condition = any(
        entry("conditions", c.value)["effect"] != "not_candidate" for c in patient.conditions
    )
    # A non-spinal "rhizotomy" condition rules out medial-branch RF only when it is
    # the whole story; alongside facet pain it is just context.
    if has_spinal_pain_condition:
        reasons = [
            r.model_copy(update={"effect": "note"}) if r.effect == "not_candidate" else r
            for r in reasons
        ]
    return reasons


def passes(value: float, threshold: Threshold) -> bool:
    """``value`` meets a threshold, honouring whether the rule says >= or > (relief.meets)."""
    return meets(value, threshold)


def _first_treatment_reasons(patient: CandidacyInput, policy: Policy) -> list[Reason]:
    reasons: list[Reason] = []
    if policy.pain_duration is not None:
        ok = patient.pain_duration_weeks >= policy.pain_duration.min_weeks
        reasons.append(
            _reason(
                "pain-duration",
                f"Pain for {patient.pain_duration_weeks:g} weeks; the policy asks for "
                f"{policy.pain_duration.describe()}.",
                policy.pain_duration.source,
                "supports" if ok else "not_yet",
            )
        )
    care = policy.conservative_care
    tried = patient.total_conservative_care_weeks()
    message = f"Conservative care for {tried:g} weeks; the policy asks for {care.describe()}."
    if tried >= care.min_weeks:
        effect: Effect = "supports"
    elif care.exceptions_allowed and patient.conservative_care_exception:
        effect = "note"
        message += (
            f" Shorter trial accepted as an exception: {patient.conservative_care_exception}."
        )
    else:
        effect = "not_yet"
    reasons.append(_reason("conservative-care", message, care.source, effect))
    reasons.append(_block_reason(patient, policy))
    return reasons


def _percentages(values: list[float]) -> str:
    return ", ".join(f"{value:g} %" for value in values)


def _block_reason(patient: CandidacyInput, policy: Policy) -> Reason:
    rule = policy.diagnostic_blocks
    sign = ">=" if rule.inclusive else ">"
    wanted = f"{rule.count} medial branch block(s) each {sign} {rule.min_relief_percent:g} % relief"
    # Medial branch blocks are the prognostic block of choice (Cohen 2020 Table 12);
    # intra-articular injections do not count towards the policy.
    reliefs = [b.relief_percent for b in patient.blocks if b.kind == "medial_branch"]
    threshold = Threshold(value=rule.min_relief_percent, inclusive=rule.inclusive)
    positive = sum(passes(relief, threshold) for relief in reliefs)
    negative = len(reliefs) - positive
    if positive >= rule.count:
        return _reason("diagnostic-blocks", f"Has {wanted}.", rule.source, "supports")
    if negative:
        return _reason(
            "diagnostic-blocks",
            f"A medial branch block gave too little relief ({_percentages(reliefs)});"
            f" the policy needs {wanted}.",
            rule.source,
            "not_candidate",
        )
    return _reason(
        "diagnostic-blocks",
        f"{positive} of {rule.count} positive block(s) so far; the policy needs {wanted}.",
        rule.source,
        "not_yet",
    )


def _repeat_reasons(patient: CandidacyInput, policy: Policy, today: date | None) -> list[Reason]:
    rule = policy.repeat
    last = patient.prior_rf[-1]
    relief = Threshold(value=rule.min_relief_percent, inclusive=rule.inclusive)
    need_weeks = rule.min_duration_months * WEEKS_PER_MONTH
    sign = ">=" if rule.inclusive else ">"
    if last.performed_on is not None and float(rule.min_duration_months).is_integer():
        # Calendar months from the RF day (rhizo.pathway.dates, as the responder check);
        # weeks * 52 / 12 only when the RF's day is unknown.
        relieved_until = last.performed_on + timedelta(days=round(last.relief_duration_weeks * 7))
        months = int(rule.min_duration_months)
        until = months_after(last.performed_on, months)
        long_enough = relieved_until >= until
        needed = f"{months} calendar months (to {until.isoformat()})"
    else:
        long_enough = last.relief_duration_weeks >= need_weeks
        needed = f"{rule.min_duration_months:g} months ({need_weeks:.1f} weeks)"
    ok = passes(last.relief_percent, relief) and long_enough
    reasons = [
        _reason(
            "repeat-response",
            f"Last RF gave {round(last.relief_percent, 1):g} % relief for "
            f"{round(last.relief_duration_weeks, 1):g} "
            f"weeks; a repeat needs {sign} {rule.min_relief_percent:g} % for "
            f"{needed}"
            + ("; no repeat diagnostic block is needed." if not rule.repeat_block_needed else "."),
            rule.source,
            "supports" if ok else "not_candidate",
        )
    ]
    limit = policy.max_sessions_per_12_months
    if limit is not None and today is not None:
        window_start = today - timedelta(days=365)
        recent = [t for t in patient.prior_rf if t.performed_on and t.performed_on > window_start]
        if len(recent) >= limit.count:
            reasons.append(
                _reason(
                    "sessions-per-12-months",
                    f"{len(recent)} RF sessions in the 12 months before {today.isoformat()}; "
                    f"the policy allows {limit.count}.",
                    limit.source,
                    "not_yet",
                )
            )
    return reasons


def screen_candidacy(
    patient: CandidacyInput, *, policy: str = "asra-2020", today: date | None = None
) -> Screening:
    """Screen ``patient`` under the named policy (see :data:`POLICIES`).

    ``today`` is only used for the per-12-month session limit of policies that have one.
    Raises ``ValueError`` if the policy does not cover the patient's region.
    """
    chosen = get_policy(policy)
    if patient.region not in chosen.regions:
        covering = [p.id for p in POLICIES.values() if patient.region in p.regions]
        raise ValueError(
            f"policy {policy!r} does not cover the {patient.region.value} region; "
            f"use one of: {', '.join(covering) or 'none'}"
        )
    repeat = bool(patient.prior_rf)
    reasons = [*_safety_reasons(patient), *_condition_reasons(patient)]
    if repeat:
        reasons.extend(_repeat_reasons(patient, chosen, today))
    else:
        reasons.extend(_first_treatment_reasons(patient, chosen))
    worst = max((_SEVERITY[r.effect] for r in reasons), default=0)
    return Screening(
        policy=chosen.id,
        verdict=_VERDICT_BY_SEVERITY[worst],
        reasons=reasons,
        repeat_treatment=repeat,
    )


def condition_evidence() -> list[dict[str, str]]:
    """What the evidence supports for each condition patients are told RF treats."""
    return [
        {
            "condition": item["id"],
            "label": item["label"],
            "evidence": item["evidence_summary"],
            "source": item["source"].cite(),
        }
        for item in entries("conditions")
    ]


__all__ = [
    "BlockRelief",
    "CandidacyCondition",
    "CandidacyInput",
    "ConservativeCare",
    "PainPattern",
    "PriorTreatment",
    "Reason",
    "RedFlag",
    "Screening",
    "Verdict",
    "condition_evidence",
    "screen_candidacy",
]
