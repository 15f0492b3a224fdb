"""Candidacy for medial-branch RF neurotomy under the guideline of the patient's region.

From a patient's facts to one verdict: ``candidate``, ``not_yet`` (what is
missing), ``not_candidate`` or ``contraindicated``, with every reason citing
its rule. The worst reason decides the verdict, so a contraindication is never
hidden behind a positive block.

Without a named policy the region's guideline applies
(:func:`rhizo.pathway.policies.policy_for_region`: lumbar Cohen 2020, cervical
Hurley 2022); a region no guideline covers (thoracic) gets ``no_guideline``:
the clinician decides, and it is never screened under another region's
guideline. The exceptions a guideline itself allows ("may be less in certain
circumstances", "lower cut-offs considered") are clinician-documented
:class:`ClinicianOverride` s with a reason, shown in the verdict as a ``note`` with the
guideline's sentence; a rule the guideline does not let be lowered (a
contraindication, the cervical cut-off) cannot be overridden
(:class:`ScreeningInputError`).

A repeat RF needs the pain to have come back (``pain_returned``) and the last
RF's relief to have lasted the policy's months, counted in calendar months
from the RF's day (:func:`rhizo.pathway.dates.relief_lasted`, the responder
check's rule).
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from rhizo.pathway.dates import months_after, relief_lasted
from rhizo.pathway.durations import weeks_in_words
from rhizo.pathway.facts import Evidence, Source, entries, entry
from rhizo.pathway.policies import (
    POLICIES,
    REGION_DEFAULTS,
    WEEKS_PER_MONTH,
    BlockRule,
    DurationRule,
    FacetRegion,
    Policy,
    Threshold,
    get_policy,
    policies_covering,
)
from rhizo.pathway.relief import meets


class Verdict(StrEnum):
    """The screening outcome, from best to worst; ``no_guideline`` stands apart.

    ``no_guideline``: no guideline policy covers the patient's region (thoracic):
    the clinician decides (a contraindication still wins).
    """

    CANDIDATE = "candidate"
    NOT_YET = "not_yet"
    NOT_CANDIDATE = "not_candidate"
    CONTRAINDICATED = "contraindicated"
    NO_GUIDELINE = "no_guideline"


class ScreeningInputError(ValueError):
    """Facts or a policy the screen refuses: names the field, the value and what is allowed.

    The CLI prints it as one line (exit 2); the API answers 422.
    """

    def __init__(self, *, field: str, value: object, allowed: str) -> None:
        super().__init__(f"{field}: {value!r} is not allowed; {allowed}")
        self.field = field
        self.value = value
        self.allowed = allowed


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


#: The longest duration the facts may state: 100 years (weeks), a lifetime.
MAX_WEEKS = 5200.0
#: Days the facts may carry: wide, but far from the calendar's ends, so adding
#: months or a relief duration can never overflow the date type.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def _plausible_day(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(
            f"a date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}, got {day.isoformat()}"
        )
    return day


#: A calendar day in the facts (a block's, an RF's, the screen's "today").
Day = Annotated[date, AfterValidator(_plausible_day)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConservativeCare(_Strict):
    """One conservative treatment tried (physiotherapy, medicines, exercise...)."""

    kind: str
    weeks: float = Field(ge=0, le=MAX_WEEKS)


class BlockRelief(_Strict):
    """A diagnostic block and the percentage of the index pain it relieved (candidacy input)."""

    kind: Literal["medial_branch", "intra_articular"] = "medial_branch"
    relief_percent: float = Field(ge=0, le=100)
    performed_on: Day | None = None


class PriorTreatment(_Strict):
    """A previous RF treatment of the same region: how much and how long it helped."""

    performed_on: Day | None = None
    relief_percent: float = Field(ge=0, le=100)
    relief_duration_weeks: float = Field(ge=0, le=MAX_WEEKS)


class OverrideRule(StrEnum):
    """The rules a guideline lets a clinician lower "in certain circumstances".

    ``conservative_care`` and ``pain_duration``: Cohen 2020 Table 11 and Hurley
    2022 Table 22, "preferably 3 months, but may be less"; ``block_cutoff``:
    Cohen 2020 Table 11, "lower cut-offs considered in certain circumstances".
    Whether the chosen policy allows each is in ``policies.yaml``
    (``override_allowed``).
    """

    CONSERVATIVE_CARE = "conservative_care"
    PAIN_DURATION = "pain_duration"
    BLOCK_CUTOFF = "block_cutoff"


_OVERRIDABLE = ", ".join(rule.value for rule in OverrideRule)


class ClinicianOverride(_Strict):
    """A clinician's documented exception to one rule: which rule and why (required)."""

    rule: OverrideRule
    reason: str

    @field_validator("rule", mode="before")
    @classmethod
    def _known_rule(cls, value: object) -> object:
        if value not in {rule.value for rule in OverrideRule} and not isinstance(
            value, OverrideRule
        ):
            raise ValueError(
                f"only a rule a guideline allows to be lowered can be overridden ({_OVERRIDABLE});"
                " contraindications, precautions and red flags cannot"
            )
        return value

    @field_validator("reason")
    @classmethod
    def _reason_given(cls, value: str) -> str:
        text = value.strip()
        if not text:
            raise ValueError(
                "an override needs the clinician's reason (e.g. incapacitating pain), not empty"
            )
        return text


class CandidacyInput(_Strict):
    """The facts about one patient that screening needs (not a registry row).

    Everything optional defaults to 'absent'.
    """

    region: FacetRegion
    pain_duration_weeks: float = Field(ge=0, le=MAX_WEEKS)
    pain_pattern: PainPattern = PainPattern.AXIAL
    conditions: list[CandidacyCondition] = Field(default_factory=list)
    conservative_care: list[ConservativeCare] = Field(default_factory=list)
    conservative_care_weeks: float | None = Field(default=None, ge=0, le=MAX_WEEKS)
    overrides: list[ClinicianOverride] = Field(default_factory=list)
    blocks: list[BlockRelief] = Field(default_factory=list)
    prior_rf: list[PriorTreatment] = Field(default_factory=list)
    #: Has the pain come back since the last RF? Only asked for a repeat (None: not known).
    pain_returned: StrictBool | None = None
    active_infection: bool = False
    bleeding_disorder: bool = False
    anticoagulant_without_plan: bool = False
    pregnant: bool = False
    allergy_local_anaesthetic: bool = False
    allergy_contrast: bool = False
    implanted_electrical_device: bool = False
    red_flags: list[RedFlag] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _exception_is_an_override(cls, data: Any) -> Any:
        """The older ``conservative_care_exception: TEXT`` is a conservative-care override."""
        if isinstance(data, dict) and "conservative_care_exception" in data:
            data = dict(data)
            text = data.pop("conservative_care_exception")
            if text is not None:
                override = {"rule": "conservative_care", "reason": text}
                data["overrides"] = [*(data.get("overrides") or []), override]
        return data

    @field_validator("overrides")
    @classmethod
    def _one_override_per_rule(cls, value: list[ClinicianOverride]) -> list[ClinicianOverride]:
        rules = [override.rule for override in value]
        repeated = sorted({rule.value for rule in rules if rules.count(rule) > 1})
        if repeated:
            raise ValueError(f"one override per rule; {', '.join(repeated)} is given twice")
        return value

    def override_for(self, rule: OverrideRule) -> ClinicianOverride | None:
        """The clinician's override of ``rule``, if one is documented."""
        return next((o for o in self.overrides if o.rule is rule), None)

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
    evidence: Evidence


class Screening(BaseModel):
    """The verdict under one policy (``None``: no guideline covers the region), with reasons.

    ``policy_from_region``: the policy was the region's default, not named.
    """

    policy: str | None
    region: FacetRegion
    policy_from_region: bool
    verdict: Verdict
    reasons: list[Reason]
    repeat_treatment: bool


def _reason(rule: str, message: str, source: Source, effect: Effect) -> Reason:
    return Reason(
        rule=rule,
        message=message,
        source=source.cite(),
        effect=effect,
        verified=source.verified,
        evidence=source.evidence,
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


def _override_text(override: ClinicianOverride, basis: str | None) -> str:
    """The words every used override adds: the clinician's reason and the guideline's."""
    allowed = f" Allowed by {basis}." if basis else ""
    return f" Override by clinician: {override.reason}.{allowed}"


def _check_overrides(patient: CandidacyInput, policy: Policy) -> None:
    """Refuse an override of a rule this policy does not let a clinician lower."""
    rules: dict[OverrideRule, DurationRule | BlockRule | None] = {
        OverrideRule.CONSERVATIVE_CARE: policy.conservative_care,
        OverrideRule.PAIN_DURATION: policy.pain_duration,
        OverrideRule.BLOCK_CUTOFF: policy.diagnostic_blocks,
    }
    allowed = [rule.value for rule, found in rules.items() if found and found.override_allowed]
    for override in patient.overrides:
        found = rules[override.rule]
        if found is None or not found.override_allowed:
            raise ScreeningInputError(
                field="overrides",
                value=override.rule.value,
                allowed=(
                    f"the {policy.id} policy does not let a clinician lower this rule "
                    f"(its source allows no exception); it allows overrides of: "
                    f"{', '.join(allowed) or 'none'}"
                ),
            )


def _duration_reason(
    *,
    rule_id: str,
    what: str,
    weeks: float,
    rule: DurationRule,
    override: ClinicianOverride | None,
    via: str = "",
) -> Reason:
    """One duration rule (pain, conservative care): met, overridden, or not yet."""
    message = f"{what} for {weeks_in_words(weeks)}; the policy asks for {rule.describe()}."
    if rule.note:
        message += f" {rule.note}"
    if weeks >= rule.min_weeks:
        if override is not None:
            message += f" (An override was documented but is not needed: {override.reason}.)"
        return _reason(rule_id, message, rule.source, "supports")
    if override is not None and rule.override_allowed:
        message += via + _override_text(override, rule.override_basis)
        return _reason(rule_id, message, rule.source, "note")
    return _reason(rule_id, message, rule.source, "not_yet")


def _first_treatment_reasons(patient: CandidacyInput, policy: Policy) -> list[Reason]:
    reasons: list[Reason] = []
    care_override = patient.override_for(OverrideRule.CONSERVATIVE_CARE)
    if policy.pain_duration is not None:
        # The guideline's exception to its 3 months is one row (failure of conservative
        # treatment, Cohen 2020 Table 11 / Hurley 2022 Table 22): an accepted conservative-
        # care exception (e.g. incapacitating pain) lowers the pain duration too (audit c12).
        own = patient.override_for(OverrideRule.PAIN_DURATION)
        override, via = own, ""
        if own is None and care_override is not None:
            override = care_override
            via = " The documented conservative-care exception also covers the pain duration."
        reasons.append(
            _duration_reason(
                rule_id="pain-duration",
                what="Pain",
                weeks=patient.pain_duration_weeks,
                rule=policy.pain_duration,
                override=override,
                via=via,
            )
        )
    reasons.append(
        _duration_reason(
            rule_id="conservative-care",
            what="Conservative care",
            weeks=patient.total_conservative_care_weeks(),
            rule=policy.conservative_care,
            override=care_override,
        )
    )
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
    override = patient.override_for(OverrideRule.BLOCK_CUTOFF)
    if positive >= rule.count:
        message = f"Has {wanted}."
        if override is not None:
            message += f" (An override was documented but is not needed: {override.reason}.)"
        return _reason("diagnostic-blocks", message, rule.source, "supports")
    if negative:
        message = (
            f"A medial branch block gave too little relief ({_percentages(reliefs)});"
            f" the policy needs {wanted}."
        )
        if override is not None and rule.override_allowed and len(reliefs) >= rule.count:
            message += _override_text(override, rule.override_basis)
            return _reason("diagnostic-blocks", message, rule.source, "note")
        return _reason("diagnostic-blocks", message, rule.source, "not_candidate")
    return _reason(
        "diagnostic-blocks",
        f"{positive} of {rule.count} positive block(s) so far; the policy needs {wanted}.",
        rule.source,
        "not_yet",
    )


def _last_treatment(patient: CandidacyInput) -> PriorTreatment:
    """The most recent prior RF: by its day when every day is known, else the last listed."""
    if all(t.performed_on is not None for t in patient.prior_rf):
        return max(patient.prior_rf, key=lambda t: t.performed_on or date.min)
    return patient.prior_rf[-1]


def _pain_returned_reason(patient: CandidacyInput) -> Reason:
    item: dict[str, Any] = entry("screening", "pain-returned")
    if patient.pain_returned is None:
        return _reason("pain-returned", item["message"], item["source"], "not_yet")
    if not patient.pain_returned:
        return _reason("pain-returned", item["message_ongoing"], item["source"], "not_yet")
    return _reason("pain-returned", item["message_returned"], item["source"], "supports")


def _relief_long_enough(last: PriorTreatment, months: float) -> tuple[bool, str]:
    """Whether the last RF's relief lasted ``months``, and what was asked, in words.

    Calendar months from the RF's day (:func:`relief_lasted`, the responder
    check's rule); without the day, months * 52 / 12 weeks (3 months = 13.0
    weeks = 91 days), said so in the words.
    """
    if last.performed_on is not None and float(months).is_integer():
        relieved_until = last.performed_on + timedelta(days=round(last.relief_duration_weeks * 7))
        whole = int(months)
        until = months_after(last.performed_on, whole)
        return (
            relief_lasted(last.performed_on, relieved_until, whole),
            f"{whole} calendar months (to {until.isoformat()})",
        )
    weeks = months * WEEKS_PER_MONTH
    return (
        last.relief_duration_weeks >= weeks,
        f"{months:g} months, counted as {weeks:.1f} weeks ({round(weeks * 7)} days) because "
        "the day of the last RF is not known",
    )


def first_review_due(last: PriorTreatment, months: float) -> date | None:
    """The day the repeat rule can first be judged: ``months`` calendar months after the
    last RF (:func:`months_after`); ``None`` when the RF's day or whole months are unknown."""
    if last.performed_on is None or not float(months).is_integer():
        return None
    return months_after(last.performed_on, int(months))


def _too_early(patient: CandidacyInput, due: date | None, today: date | None) -> bool:
    """Before the first review the rule needs, relief short of it is not a failure.

    Too early when ``today`` is before ``due`` and the pain has not been seen back
    (``pain_returned`` not true): relief that has not yet had the months to last
    cannot have failed to last them. On ``due`` itself the rule is judged. Pain
    already back before ``due`` means the relief ended early: judged as it stands.
    """
    if today is None or due is None:
        return False
    return today < due and patient.pain_returned is not True


def _repeat_reasons(patient: CandidacyInput, policy: Policy, today: date | None) -> list[Reason]:
    rule = policy.repeat
    last = _last_treatment(patient)
    relief = Threshold(value=rule.min_relief_percent, inclusive=rule.inclusive)
    sign = ">=" if rule.inclusive else ">"
    long_enough, needed = _relief_long_enough(last, rule.min_duration_months)
    ok = passes(last.relief_percent, relief) and long_enough
    asked = f"a repeat needs {sign} {rule.min_relief_percent:g} % for {needed}" + (
        "; no repeat diagnostic block is needed." if not rule.repeat_block_needed else "."
    )
    due = first_review_due(last, rule.min_duration_months)
    if due is not None and not ok and _too_early(patient, due, today):
        response = _reason(
            "repeat-response",
            f"Too early to judge the last RF: first review due {due.isoformat()}; {asked}",
            rule.source,
            "not_yet",
        )
    else:
        response = _reason(
            "repeat-response",
            f"Last RF gave {round(last.relief_percent, 1):g} % relief for "
            f"{weeks_in_words(last.relief_duration_weeks)}; {asked}",
            rule.source,
            "supports" if ok else "not_candidate",
        )
    reasons = [_pain_returned_reason(patient), response]
    for override in patient.overrides:
        reasons.append(
            _reason(
                f"override-{override.rule.value.replace('_', '-')}",
                f"Override by clinician not used: {override.reason}. A repeat RF is judged on "
                "the last RF's relief, not on the first-treatment rules.",
                rule.source,
                "note",
            )
        )
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


def chronic_pain_rule() -> DurationRule:
    """The chronic-pain duration where no region guideline sets one (``screening:chronic-pain``
    in the knowledge files: more than 3 months, Treede 2019); the one reading of it."""
    item: dict[str, Any] = entry("screening", "chronic-pain")
    return DurationRule(min_months=float(item["min_months"]), source=item["source"])


def _chronic_pain_reason(patient: CandidacyInput) -> Reason:
    """Chronicity where no region guideline sets a pain duration (``screening:chronic-pain``).

    Pain must have lasted more than 3 months (Treede 2019, the IASP/ICD-11
    definition of chronic pain): a pain duration of at least 3 calendar months'
    worth of weeks (3 * 52 / 12 = 13.0 weeks) supports, anything shorter is
    ``not_yet``. The guideline policies carry their own pain-duration rule.
    """
    rule = chronic_pain_rule()
    weeks = patient.pain_duration_weeks
    message = f"Pain for {weeks_in_words(weeks)}; chronic pain means more than {rule.describe()}."
    if weeks >= rule.min_weeks:
        return _reason("screening:chronic-pain", message, rule.source, "supports")
    advice = entry("screening", "chronic-pain")["message"]
    return _reason("screening:chronic-pain", f"{message} {advice}", rule.source, "not_yet")


def _no_guideline(patient: CandidacyInput) -> Screening:
    """A region no guideline covers: safety, chronicity, and the clinician decides.

    The policy-free rules (safety, conditions, pain pattern, chronicity) hold in
    every region: the worst of them decides as under a policy; when none
    objects the verdict is ``no_guideline``.
    """
    default = REGION_DEFAULTS[patient.region]
    reasons = [*_safety_reasons(patient), *_condition_reasons(patient)]
    if not patient.prior_rf:
        reasons.append(_chronic_pain_reason(patient))
    reasons.append(
        _reason("region-policy", default.message or "", default.source, "note"),
    )
    for override in patient.overrides:
        reasons.append(
            _reason(
                f"override-{override.rule.value.replace('_', '-')}",
                f"Override by clinician recorded: {override.reason} (no guideline policy "
                "applies to this region).",
                default.source,
                "note",
            )
        )
    worst = max((_SEVERITY[r.effect] for r in reasons), default=0)
    verdict = _VERDICT_BY_SEVERITY[worst] if worst else Verdict.NO_GUIDELINE
    return Screening(
        policy=None,
        region=patient.region,
        policy_from_region=True,
        verdict=verdict,
        reasons=reasons,
        repeat_treatment=bool(patient.prior_rf),
    )


def screen_candidacy(
    patient: CandidacyInput, *, policy: str | None = None, today: date | None = None
) -> Screening:
    """Screen ``patient`` under the named policy, or the region's guideline when ``None``.

    The region's guideline is :data:`rhizo.pathway.policies.REGION_DEFAULTS`
    (``knowledge/regions.yaml``); a region with none (thoracic) is screened
    ``no_guideline``. ``today`` is only used for the per-12-month session limit
    of policies that have one. Raises :class:`ScreeningInputError` for an
    unknown policy, a policy that does not cover the patient's region (naming
    those that do), or an override the policy does not allow.
    """
    if today is not None and not FIRST_DAY <= today <= LAST_DAY:
        raise ScreeningInputError(
            field="today",
            value=today.isoformat(),
            allowed=f"a date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}",
        )
    if policy is None:
        default = REGION_DEFAULTS[patient.region].policy
        if default is None:
            return _no_guideline(patient)
        chosen = get_policy(default)
    elif policy not in POLICIES:
        raise ScreeningInputError(
            field="policy", value=policy, allowed=f"one of: {', '.join(POLICIES)}"
        )
    else:
        chosen = POLICIES[policy]
    if patient.region not in chosen.regions:
        covering = policies_covering(patient.region)
        raise ScreeningInputError(
            field="policy",
            value=policy,
            allowed=(
                f"{chosen.id} does not cover the {patient.region.value} region; "
                f"use one of: {', '.join(covering) or 'none'} (or name none: the region's "
                "guideline applies)"
            ),
        )
    _check_overrides(patient, chosen)
    repeat = bool(patient.prior_rf)
    reasons = [*_safety_reasons(patient), *_condition_reasons(patient)]
    if repeat:
        reasons.extend(_repeat_reasons(patient, chosen, today))
    else:
        reasons.extend(_first_treatment_reasons(patient, chosen))
    worst = max((_SEVERITY[r.effect] for r in reasons), default=0)
    return Screening(
        policy=chosen.id,
        region=patient.region,
        policy_from_region=policy is None,
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
    "ClinicianOverride",
    "ConservativeCare",
    "OverrideRule",
    "PainPattern",
    "PriorTreatment",
    "Reason",
    "RedFlag",
    "Screening",
    "ScreeningInputError",
    "Verdict",
    "condition_evidence",
    "screen_candidacy",
]
