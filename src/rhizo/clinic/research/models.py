"""The de-identified research export: one row model per table, each column described once.

Every column is a pydantic field whose ``description`` is its meaning and whose
``json_schema_extra`` holds its ``unit`` and ``source`` (where the value comes
from). The API's JSON (:class:`DeidCase`), the CSV and Parquet files
(:mod:`rhizo.clinic.research.files`) and the data dictionary (the page and
docs/research-export.md, :mod:`rhizo.clinic.research.dictionary`) are all read
from these models, so a column has one name, type and meaning everywhere.

De-identification (HIPAA Safe Harbor style, 45 CFR 164.514(b)(2)): no names,
MRN, e-mail, phone, postcode, address, referrer or free-text notes; the patient
is a pseudonym (an HMAC of the id under ``RHIZO_PSEUDONYM_KEY``), the performer
another (an HMAC of the specialist id under the same key), the birth date only
as a year (90 and over pooled: no year) and a ten-year age band; every date is
given as **days relative to the patient's first procedure** (its clinic day is
day 0; a patient with no procedure counts from their first recorded event).
Dates are not shifted: relative days carry no calendar date.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

#: Where most columns come from: the clinic's own record (table.column).
_RECORD = "clinic record"


def column(meaning: str, *, source: str, unit: str | None = None, default: Any = ...) -> Any:
    """A described column: ``meaning`` (the description), its ``unit`` and ``source``."""
    return Field(default, description=meaning, json_schema_extra={"unit": unit, "source": source})


RESEARCH_ID = "HMAC-SHA256 of 'patient:<id>' under RHIZO_PSEUDONYM_KEY, first 20 hex digits"
DAY_ZERO = "days after the patient's first procedure's clinic day (day 0); negative before it"


class ResearchPatient(BaseModel):
    """Table ``patients``: one row per patient."""

    research_id: str = column("The patient's pseudonym (stable for one key)", source=RESEARCH_ID)
    birth_year: int | None = column(
        "Year of birth; empty for patients aged 90 or over (pooled)",
        unit="year",
        source="patient.birth_date (year only)",
    )
    age_90_or_over: bool = column(
        "Aged 90 or over on the export day", source="patient.birth_date, export day"
    )
    age_band: str = column(
        "Age on the export day in whole years, as a ten-year band ('40-49'; '90+')",
        unit="years",
        source="patient.birth_date, export day",
    )
    sex: str = column("Sex as recorded (female, male, other, unknown)", source="patient.sex")
    synthetic: bool = column(
        "A generated demo patient, not a real person", source="patient.synthetic"
    )


class ResearchCondition(BaseModel):
    """Table ``conditions``: one row per recorded diagnosis."""

    research_id: str = column("The patient's pseudonym", source=RESEARCH_ID)
    icd10_code: str = column("ICD-10 code of the diagnosis", source="condition.icd10_code")
    region: str | None = column(
        "Spinal region it concerns (cervical, thoracic, lumbar, sacral)", source="condition.region"
    )
    status: str = column("active, recurrence, remission or resolved", source="condition.status")
    onset_day: int | None = column("Onset, " + DAY_ZERO, unit="days", source="condition.onset_date")


class ResearchBlock(BaseModel):
    """Table ``blocks``: one row per diagnostic block, in day then id order."""

    research_id: str = column("The patient's pseudonym", source=RESEARCH_ID)
    block_no: int = column(
        "Number of the block within the patient (1 = first; day, then entry order)",
        source="diagnostic_block.performed_on, id",
    )
    day: int = column("Day the block was done, " + DAY_ZERO, unit="days", source="performed_on")
    block_type: str = column(
        "medial_branch or intra_articular", source="diagnostic_block.block_type"
    )
    levels: str = column(
        "Joint levels blocked, ';'-separated (L4-L5;L5-S1)", source="diagnostic_block.levels"
    )
    side: str = column("left, right or bilateral", source="diagnostic_block.side")
    agent: str = column(
        "Agent injected (lidocaine, bupivacaine, ropivacaine, saline, other)",
        source="diagnostic_block.agent",
    )
    volume_ml: float = column("Injected volume", unit="mL", source="diagnostic_block.volume_ml")
    baseline_nrs: int | None = column(
        "Pain before the injection (block baseline NRS), 0-10; empty when not recorded",
        unit="NRS 0-10",
        source="diagnostic_block.baseline_nrs",
    )
    relief_percent: int = column(
        "Relief the block gave", unit="%", source="diagnostic_block.relief_percent"
    )
    relief_hours: float | None = column(
        "How long the block's relief lasted", unit="h", source="diagnostic_block.relief_hours"
    )


class ResearchProcedure(BaseModel):
    """Table ``procedures``: one row per procedure, in the order performed."""

    research_id: str = column("The patient's pseudonym", source=RESEARCH_ID)
    procedure_no: int = column(
        "Number of the procedure within the patient (1 = first; time performed, then id)",
        source="procedure.performed_at, id",
    )
    day: int = column(
        "Clinic day of the procedure, " + DAY_ZERO,
        unit="days",
        source="procedure.performed_at on the clinic's calendar (RHIZO_CLINIC_TIMEZONE)",
    )
    status: str = column(
        "scheduled, completed, abandoned or cancelled; outcome figures count completed ones",
        source="procedure.status",
    )
    technique: str = column("RF technique (conventional, cooled or pulsed)", source="technique")
    region: str = column("Spinal region (cervical, thoracic, lumbar, sacral)", source="region")
    side: str = column("left, right or bilateral", source="procedure.side")
    levels: str = column("Joint levels treated, ';'-separated", source="procedure.levels")
    sedation: str = column("Sedation (none, minimal, moderate, deep, general)", source="sedation")
    performer: str = column(
        "Pseudonym of the performing specialist (never the name)",
        source="HMAC-SHA256 of 'specialist:<id>' under RHIZO_PSEUDONYM_KEY, first 16 hex digits",
    )
    repeat_of_no: int | None = column(
        "procedure_no of the procedure this one repeats", source="procedure.repeat_of_id"
    )
    lesions_performed: int = column(
        "Lesions recorded as performed", unit="count", source="lesion.performed"
    )
    fluoroscopy_time_s: float | None = column(
        "Fluoroscopy time", unit="s", source="procedure.fluoroscopy_time_s"
    )
    duration_min: float | None = column(
        "Procedure duration", unit="min", source="procedure.duration_min"
    )
    baseline_nrs: int | None = column(
        "Baseline NRS the relief is measured against; empty when none (not assessable)",
        unit="NRS 0-10",
        source="rhizo.pathway.baseline.baseline_for_procedure over the patient's scores "
        "(followups) and blocks (blocks.baseline_nrs) as exported",
    )
    baseline_source: str | None = column(
        "Where the baseline came from: 'score' (an NRS in the 90 days before) or 'block' "
        "(the latest positive block's pre-injection NRS)",
        source="rhizo.pathway.baseline.baseline_for_procedure",
    )
    review_3m_day: int = column(
        "The 3-month review day (same calendar day 3 months on), " + DAY_ZERO + "; the "
        "review counts the score nearest it within +-30 days",
        unit="days",
        source="rhizo.pathway.dates.months_after(procedure day, 3)",
    )
    review_6m_day: int = column(
        "The 6-month review day, " + DAY_ZERO + "; +-30 days as for 3 months",
        unit="days",
        source="rhizo.pathway.dates.months_after(procedure day, 6)",
    )
    review_3m_closed: bool = column(
        "The 3-month window (review day + 30 days) had ended by the export day: a missing "
        "score is lost to follow-up, not pending",
        source="export day > review day + rhizo.pathway.windows.WINDOW_DAYS",
    )
    review_6m_closed: bool = column(
        "The 6-month window had ended by the export day",
        source="export day > review day + rhizo.pathway.windows.WINDOW_DAYS",
    )


class ResearchLesion(BaseModel):
    """Table ``lesions``: one row per lesion, in the order recorded in its procedure."""

    research_id: str = column("The patient's pseudonym", source=RESEARCH_ID)
    procedure_no: int = column("procedure_no of its procedure", source="lesion.procedure_id")
    lesion_no: int = column("Order within the procedure (1 = first)", source="lesion.ordinal")
    target_nerve: str | None = column(
        "Target nerve as the planner names it ('L4 medial branch', which carries the level); "
        "empty for a name the planner does not know (free text is not exported)",
        source="lesion.target_nerve via rhizo.clinic.procedure.prediction.known_nerve",
    )
    side: str = column("left or right", source="lesion.side")
    performed: bool = column("The lesion was made", source="lesion.performed")
    gauge: int | None = column("Cannula gauge", unit="G", source="lesion.gauge")
    tip_length_mm: float | None = column(
        "Active tip length", unit="mm", source="lesion.tip_length_mm"
    )
    set_temperature_c: float | None = column(
        "Set tip temperature", unit="degC", source="lesion.set_temperature_c"
    )
    duration_s: float | None = column("Lesion time at temperature", unit="s", source="duration_s")
    placement: str | None = column(
        "Cannula placement relative to the nerve (parallel, oblique, perpendicular)",
        source="lesion.placement",
    )
    sensory_threshold_v: float | None = column(
        "Sensory stimulation threshold", unit="V", source="lesion.sensory_threshold_v"
    )
    motor_test_voltage_v: float | None = column(
        "Motor test voltage", unit="V", source="lesion.motor_test_voltage_v"
    )
    impedance_ohm: float | None = column("Impedance", unit="ohm", source="lesion.impedance_ohm")
    power_w: float | None = column("Generator power", unit="W", source="lesion.power_w")
    local_anaesthetic_given: bool = column(
        "Local anaesthetic before lesioning", source="lesion.local_anaesthetic_given"
    )
    gate_proceed: bool = column(
        "The stimulation gate passed (or was overridden)", source="lesion.gate_proceed"
    )
    overridden: bool = column(
        "A clinician overrode the gate (the reason is free text and not exported)",
        source="lesion.override_reason is set",
    )
    predicted_capture_probability: float | None = column(
        "Predicted probability that the lesion captured the nerve (a model estimate, "
        "stored when the lesion was recorded; not a measurement)",
        unit="probability 0-1",
        source="lesion.predicted_capture_probability (rhizo.planning)",
    )
    predicted_coagulated_length_mm: float | None = column(
        "Predicted coagulated length along the cannula (model estimate)",
        unit="mm",
        source="lesion.predicted_coagulated_length_mm",
    )
    prediction_model: str | None = column(
        "Name and version of the model that made the prediction", source="prediction_model"
    )
    prediction_note: str | None = column(
        "The model's note on the prediction (generated text, not typed by staff)",
        source="lesion.prediction_note",
    )


class ResearchDischarge(BaseModel):
    """Table ``discharges``: one row per discharge after a procedure."""

    research_id: str = column("The patient's pseudonym", source=RESEARCH_ID)
    procedure_no: int = column("procedure_no of the procedure", source="discharge.procedure_id")
    minutes_after_start: int = column(
        "Minutes from the procedure's start to the discharge",
        unit="min",
        source="discharge.discharged_at - procedure.performed_at",
    )
    disposition: str = column(
        "Where the patient went (home, admitted, transferred)", source="disposition"
    )
    nrs: int | None = column("Pain at discharge", unit="NRS 0-10", source="discharge.nrs")
    escort_present: bool = column("An adult escort was present", source="escort_present")
    instructions_given: bool = column("Aftercare instructions were given", source="instructions")
    new_deficit: bool = column("New weakness or numbness was found", source="new_deficit")
    escalation_kind: str | None = column(
        "The clinician's escalation of a red flag (admitted, reviewed_by_clinician, "
        "complication_recorded); empty when none; the reason is not exported",
        source="discharge.escalation_kind",
    )


class ResearchFollowUp(BaseModel):
    """Table ``followups``: one row per pain score (visit, call or diary), day then id order."""

    research_id: str = column("The patient's pseudonym", source=RESEARCH_ID)
    followup_no: int = column(
        "Number within the patient (1 = first; day, then entry order)",
        source="follow_up.followed_on, id",
    )
    day: int = column("Day of the score, " + DAY_ZERO, unit="days", source="followed_on")
    nrs: int = column("Pain score", unit="NRS 0-10", source="follow_up.nrs")
    odi: int | None = column(
        "Oswestry Disability Index (function)", unit="% 0-100", source="follow_up.odi"
    )
    pgic: int | None = column(
        "Patient Global Impression of Change, 1 (very much improved) to 7 (very much worse)",
        unit="PGIC 1-7",
        source="follow_up.pgic",
    )
    source: str = column("clinic (a visit), phone or diary", source="follow_up.source")
    linked_procedure_no: int | None = column(
        "procedure_no the follow-up was recorded against; empty when unlinked (a diary entry)",
        source="follow_up.procedure_id",
    )
    procedure_no: int | None = column(
        "procedure_no of the completed procedure whose course the score counts in; empty "
        "for a pre-procedure score",
        source="rhizo.pathway.attribution.assign_reviews (linked: that procedure; unlinked: "
        "the latest completed procedure on an earlier day)",
    )
    days_after_procedure: int | None = column(
        "Days after that procedure's clinic day", unit="days", source="day - procedures.day"
    )


class ResearchComplication(BaseModel):
    """Table ``complications``: one row per complication."""

    research_id: str = column("The patient's pseudonym", source=RESEARCH_ID)
    procedure_no: int | None = column(
        "procedure_no it followed; empty when linked to none", source="complication.procedure_id"
    )
    day: int = column("Onset, " + DAY_ZERO, unit="days", source="complication.onset_date")
    type: str = column("Kind of complication", source="complication.type")
    severity: str = column("mild, moderate or severe", source="complication.severity")
    resolved_day: int | None = column(
        "Day it resolved, " + DAY_ZERO + "; empty while open",
        unit="days",
        source="complication.resolved_on",
    )


class DeidCase(BaseModel):
    """One patient, de-identified: the patient row's columns and the rows of every table."""

    research_id: str
    birth_year: int | None
    age_90_or_over: bool
    age_band: str
    sex: str
    synthetic: bool
    conditions: list[ResearchCondition]
    blocks: list[ResearchBlock]
    procedures: list[ResearchProcedure]
    lesions: list[ResearchLesion]
    discharges: list[ResearchDischarge]
    followups: list[ResearchFollowUp]
    complications: list[ResearchComplication]


#: The export's tables in file order: name -> row model (``patients`` first).
TABLES: dict[str, type[BaseModel]] = {
    "patients": ResearchPatient,
    "conditions": ResearchCondition,
    "blocks": ResearchBlock,
    "procedures": ResearchProcedure,
    "lesions": ResearchLesion,
    "discharges": ResearchDischarge,
    "followups": ResearchFollowUp,
    "complications": ResearchComplication,
}
