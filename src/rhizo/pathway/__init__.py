"""rhizo.pathway: the care pathway as pure, cited rules (see docs/pathway.md).

Every function here is pure: pydantic models (or plain values) in, pydantic
models out, with each clinical statement carrying its source. The facts live
in ``rhizo/pathway/knowledge/*.yaml``.
"""

from rhizo.pathway.aftercare import (
    AftercarePlan,
    discharge_criteria,
    plan_aftercare,
    render_html,
    render_markdown,
    render_text,
)
from rhizo.pathway.attribution import assign_scores
from rhizo.pathway.baseline import BaselineNrs, BlockReading, baseline_for_procedure
from rhizo.pathway.candidacy import (
    BlockRelief,
    CandidacyCondition,
    CandidacyInput,
    ClinicianOverride,
    ConservativeCare,
    OverrideRule,
    PainPattern,
    PriorTreatment,
    Reason,
    RedFlag,
    Screening,
    ScreeningInputError,
    Verdict,
    condition_evidence,
    screen_candidacy,
)
from rhizo.pathway.cited import Cited
from rhizo.pathway.clinic_day import procedure_day
from rhizo.pathway.complications import ComplicationRisk, complication_catalogue
from rhizo.pathway.course import ReliefCourse, course_of
from rhizo.pathway.dates import months_after, relief_lasted, whole_months_between
from rhizo.pathway.education import (
    FaqItem,
    GlossaryTerm,
    SpecialistAdvice,
    choosing_a_specialist,
    faq,
    glossary,
    planned_region,
    procedure_steps,
)
from rhizo.pathway.facts import Source
from rhizo.pathway.followup import (
    PainScore,
    ReliefDuration,
    RepeatAssessment,
    ResponderStatus,
    ScheduledReview,
    follow_up_schedule,
    is_responder,
    relief_duration,
    repeat_eligibility,
)
from rhizo.pathway.gates import (
    GateFinding,
    GateVerdict,
    LesionCheck,
    MotorResponse,
    SensoryResponse,
    evaluate_lesion,
)
from rhizo.pathway.outcomes import (
    NrsChange,
    OdiScore,
    PgicScore,
    odi_change_is_important,
    percent_relief,
    score_nrs,
    score_odi,
    score_pgic,
)
from rhizo.pathway.policies import (
    POLICIES,
    REGION_DEFAULTS,
    FacetRegion,
    Policy,
    get_policy,
    policy_for_region,
)
from rhizo.pathway.premed import (
    DrugHold,
    PremedPlan,
    RiskCategory,
    RiskFactor,
    drug_hold,
    known_drugs,
    plan_premedication,
    procedures,
    risk_category,
)
from rhizo.pathway.protocol import JointTargets, nerves_for_joint
from rhizo.pathway.relief import RESPONDER_THRESHOLD, in_relief
from rhizo.pathway.responder import ResponderAt, responder_at
from rhizo.pathway.techniques import Comparison, TechniqueProfile, compare_techniques
from rhizo.pathway.windows import MonthWindow, window_for

__all__ = [
    "POLICIES",
    "REGION_DEFAULTS",
    "RESPONDER_THRESHOLD",
    "AftercarePlan",
    "BaselineNrs",
    "BlockReading",
    "BlockRelief",
    "CandidacyCondition",
    "CandidacyInput",
    "Cited",
    "ClinicianOverride",
    "Comparison",
    "ComplicationRisk",
    "ConservativeCare",
    "DrugHold",
    "FacetRegion",
    "FaqItem",
    "GateFinding",
    "GateVerdict",
    "GlossaryTerm",
    "JointTargets",
    "LesionCheck",
    "MonthWindow",
    "MotorResponse",
    "NrsChange",
    "OdiScore",
    "OverrideRule",
    "PainPattern",
    "PainScore",
    "PgicScore",
    "Policy",
    "PremedPlan",
    "PriorTreatment",
    "Reason",
    "RedFlag",
    "ReliefCourse",
    "ReliefDuration",
    "RepeatAssessment",
    "ResponderAt",
    "ResponderStatus",
    "RiskCategory",
    "RiskFactor",
    "ScheduledReview",
    "Screening",
    "ScreeningInputError",
    "SensoryResponse",
    "Source",
    "SpecialistAdvice",
    "TechniqueProfile",
    "Verdict",
    "assign_scores",
    "baseline_for_procedure",
    "choosing_a_specialist",
    "compare_techniques",
    "complication_catalogue",
    "condition_evidence",
    "course_of",
    "discharge_criteria",
    "drug_hold",
    "evaluate_lesion",
    "faq",
    "follow_up_schedule",
    "get_policy",
    "glossary",
    "in_relief",
    "is_responder",
    "known_drugs",
    "months_after",
    "nerves_for_joint",
    "odi_change_is_important",
    "percent_relief",
    "plan_aftercare",
    "plan_premedication",
    "planned_region",
    "policy_for_region",
    "procedure_day",
    "procedure_steps",
    "procedures",
    "relief_duration",
    "relief_lasted",
    "render_html",
    "render_markdown",
    "render_text",
    "repeat_eligibility",
    "responder_at",
    "risk_category",
    "score_nrs",
    "score_odi",
    "score_pgic",
    "screen_candidacy",
    "whole_months_between",
    "window_for",
]
