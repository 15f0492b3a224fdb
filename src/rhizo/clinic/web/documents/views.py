"""The view model of each document, built from one stored record (no database access here).

Every quantity shown is the stored one or the pathway's one definition of it:

- a lesion's thresholds, impedance, settings, gate findings and override are the
  stored lesion row's; its predicted capture is the record link's stored estimate
  in words (:func:`rhizo.clinic.procedure.prediction.predicted_capture_line`, a
  model estimate, not a measurement);
- a discharge's red flags are :func:`rhizo.clinic.chart.discharges.discharge_summaries`
  (the rule that refuses a routine discharge);
- the patient's medicines and preparation are
  :func:`rhizo.clinic.web.patient_plan_view.patient_plan_of` (the portal's source:
  holds with last-dose and restart dates, fasting only with sedation, transport);
- aftercare and warning signs are :func:`rhizo.pathway.aftercare.plan_aftercare`;
- the letter's outcome is the procedure's baseline
  (:meth:`rhizo.clinic.web.record.RecordPage.baseline_for`), its course of scores
  (:func:`rhizo.pathway.attribution.assign_scores`) and its relief
  (:func:`rhizo.pathway.followup.relief_duration` at the responder threshold of
  :data:`rhizo.pathway.relief.RESPONDER_THRESHOLD`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from rhizo.clinic.chart.discharges import DischargeSummary
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan.lifecycle import PlanStatus
from rhizo.clinic.plan.models import Plan, Sedation
from rhizo.clinic.procedure.models import Lesion, Procedure
from rhizo.clinic.procedure.prediction import PLACEMENT_ANGLE_DEG, predicted_capture_line
from rhizo.clinic.web.clinic_contact import ClinicContact
from rhizo.clinic.web.patient_plan_view import has_sedation, patient_plan_of
from rhizo.clinic.web.record import RecordPage
from rhizo.pathway.aftercare import AftercarePlan, AftercareSection, plan_aftercare
from rhizo.pathway.attribution import assign_scores
from rhizo.pathway.durations import human_duration
from rhizo.pathway.education import planned_region
from rhizo.pathway.followup import PainScore, follow_up_schedule, relief_duration
from rhizo.pathway.gates import GateFinding
from rhizo.pathway.patient_plan import PatientPlan
from rhizo.pathway.premed_models import DrugHold
from rhizo.pathway.relief import RESPONDER_THRESHOLD

#: Shown for a value the record does not hold.
NOT_RECORDED = "not recorded"
#: The letter's addressee when the patient's record names no referrer.
FALLBACK_ADDRESSEE = "the referring clinician"
#: The aftercare section that lists the warning signs (``knowledge/aftercare.yaml``).
WARNING_SECTION = "call us"


def measured(value: float | None, unit: str) -> str:
    """A stored number with its unit ("0.4 V", "250 ohm"), or :data:`NOT_RECORDED`."""
    return NOT_RECORDED if value is None else f"{value:g} {unit}"


def yes_no(value: bool | None) -> str:
    """``yes`` / ``no`` / :data:`NOT_RECORDED`."""
    return NOT_RECORDED if value is None else ("yes" if value else "no")


@dataclass(frozen=True)
class PatientHeader:
    """Who the document is about."""

    name: str
    mrn: str
    birth_date: date
    synthetic: bool

    @classmethod
    def of(cls, patient: Patient) -> PatientHeader:
        """The header of ``patient``."""
        return cls(
            name=f"{patient.given_name} {patient.family_name}",
            mrn=patient.mrn,
            birth_date=patient.birth_date,
            synthetic=patient.synthetic,
        )


@dataclass(frozen=True)
class LesionLine:
    """One stored lesion as the operative note shows it (numbers with their units)."""

    ordinal: int
    target_nerve: str
    side: str
    performed: bool
    gauge: str
    tip: str
    placement: str
    sensory_threshold: str
    sensory_response: str
    motor_test: str
    motor_response: str
    impedance: str
    power: str
    local_anaesthetic: str
    set_temperature: str
    time_at_temperature: str
    gate: str
    findings: tuple[GateFinding, ...]
    override: str | None
    predicted_capture: str


def _placement(lesion: Lesion) -> str:
    if lesion.placement is None:
        return NOT_RECORDED
    angle = PLACEMENT_ANGLE_DEG.get(lesion.placement.value)
    shown = f" ({angle:g} deg to the nerve)" if angle is not None else " (angle not recorded)"
    return lesion.placement.value + shown


def _gate(lesion: Lesion) -> str:
    if not lesion.performed:
        return "not performed"
    if lesion.gate_proceed:
        return "gates passed"
    return "gates blocked: performed under an override" if lesion.override_reason else "blocked"


def lesion_line(lesion: Lesion, overriders: Mapping[int, str], zone_day: str | None) -> LesionLine:
    """The note's line for one stored lesion; ``overriders``: user id -> username."""
    override = None
    if lesion.override_reason:
        who = overriders.get(lesion.override_by_id or -1, "a clinician")
        when = f" on {zone_day}" if zone_day else ""
        override = f"overridden by {who}{when}: {lesion.override_reason}"
    return LesionLine(
        ordinal=lesion.ordinal,
        target_nerve=lesion.target_nerve,
        side=lesion.side.value,
        performed=lesion.performed,
        gauge=NOT_RECORDED if lesion.gauge is None else f"{lesion.gauge} G",
        tip=measured(lesion.tip_length_mm, "mm"),
        placement=_placement(lesion),
        sensory_threshold=measured(lesion.sensory_threshold_v, "V"),
        sensory_response=NOT_RECORDED
        if lesion.sensory_response is None
        else lesion.sensory_response.value,
        motor_test=measured(lesion.motor_test_voltage_v, "V"),
        motor_response=NOT_RECORDED
        if lesion.motor_response is None
        else lesion.motor_response.value,
        impedance=measured(lesion.impedance_ohm, "ohm"),
        power=measured(lesion.power_w, "W"),
        local_anaesthetic=yes_no(lesion.local_anaesthetic_given),
        set_temperature=measured(lesion.set_temperature_c, "°C"),
        time_at_temperature=measured(lesion.duration_s, "s"),
        gate=_gate(lesion),
        findings=tuple(GateFinding.model_validate(item) for item in lesion.gate_findings),
        override=override,
        predicted_capture=predicted_capture_line(lesion)
        if lesion.performed
        else "no prediction: the lesion was not performed",
    )


@dataclass(frozen=True)
class ProcedureHeader:
    """What was done, when and by whom."""

    id: int
    day: date
    technique: str
    region: str
    side: str
    levels: tuple[str, ...]
    sedation: str
    status: str
    performer: str
    fluoroscopy: str
    duration: str
    notes: str | None

    @property
    def title(self) -> str:
        """One line: "conventional RF lumbar L4-L5, L5-S1 (left)"."""
        return f"{self.technique} RF {self.region} {', '.join(self.levels)} ({self.side})"


def procedure_header(page: RecordPage, procedure: Procedure, performer: str) -> ProcedureHeader:
    """The header of ``procedure`` (its day is the clinic's calendar day)."""
    return ProcedureHeader(
        id=procedure.id,
        day=page.day_of(procedure.performed_at),
        technique=procedure.technique.value,
        region=procedure.region.value,
        side=procedure.side.value,
        levels=tuple(procedure.levels),
        sedation=procedure.sedation.value,
        status=procedure.status.value,
        performer=performer,
        fluoroscopy=measured(procedure.fluoroscopy_time_s, "s"),
        duration=measured(procedure.duration_min, "min"),
        notes=procedure.notes,
    )


def find_procedure(page: RecordPage, procedure_id: int) -> Procedure | None:
    """The record's procedure ``procedure_id`` (None: not this patient's)."""
    return next((p for p in page.procedures if p.id == procedure_id), None)


def _discharge_of(page: RecordPage, procedure_id: int) -> DischargeSummary | None:
    return next((d for d in page.discharges() if d.procedure.id == procedure_id), None)


def _complications_of(page: RecordPage, procedure_id: int) -> tuple[Complication, ...]:
    return tuple(c for c in page.record.complications if c.procedure_id == procedure_id)


def complication_text(comp: Complication) -> str:
    """One line: "numbness (mild), from 2026-05-02, resolved 2026-05-20"."""
    resolved = f", resolved {comp.resolved_on.isoformat()}" if comp.resolved_on else ", ongoing"
    return (
        f"{comp.type.value.replace('_', ' ')} ({comp.severity.value}), "
        f"from {comp.onset_date.isoformat()}{resolved}"
    )


@dataclass(frozen=True)
class OperativeNote:
    """The operative note of one procedure."""

    patient: PatientHeader
    procedure: ProcedureHeader
    lesions: tuple[LesionLine, ...]
    discharge: DischargeSummary | None
    complications: tuple[str, ...]
    kind: str = "operative_note"
    title: str = "Operative note"


def operative_note(
    *,
    page: RecordPage,
    procedure: Procedure,
    performer: str,
    overriders: Mapping[int, str],
) -> OperativeNote:
    """The note of ``procedure`` from the stored record (``performer``: the specialist's
    name; ``overriders``: user id -> username of whoever overrode a gate)."""

    def day(moment: datetime | None) -> str | None:
        return None if moment is None else page.day_of(moment).isoformat()

    return OperativeNote(
        patient=PatientHeader.of(page.patient),
        procedure=procedure_header(page, procedure, performer),
        lesions=tuple(
            lesion_line(lesion, overriders, day(lesion.override_at)) for lesion in procedure.lesions
        ),
        discharge=_discharge_of(page, procedure.id),
        complications=tuple(complication_text(c) for c in _complications_of(page, procedure.id)),
    )


def _plan_holds(page: RecordPage, procedure: Procedure) -> list[DrugHold]:
    plan = next((p for p in page.plans if p.id == procedure.plan_id), None)
    return [] if plan is None else [DrugHold.model_validate(hold) for hold in plan.holds]


@dataclass(frozen=True)
class DischargeSheet:
    """What the patient takes home: the discharge record, warning signs, aftercare, contact."""

    patient: PatientHeader
    procedure: ProcedureHeader
    discharge: DischargeSummary | None
    warning_signs: AftercareSection | None
    aftercare: AftercarePlan
    contact: ClinicContact
    kind: str = "discharge_sheet"
    title: str = "Discharge sheet"

    @property
    def other_sections(self) -> list[AftercareSection]:
        """The aftercare sections after the warning signs."""
        return [s for s in self.aftercare.sections if s.title != WARNING_SECTION]


def discharge_sheet(
    *, page: RecordPage, procedure: Procedure, performer: str, contact: ClinicContact
) -> DischargeSheet:
    """The discharge sheet of ``procedure``: the stored discharge (None: not recorded yet),
    the aftercare for its day, sedation and region, with the restart of each medicine its
    plan paused, and the clinic to call."""
    header = procedure_header(page, procedure, performer)
    aftercare = plan_aftercare(
        procedure_date=header.day,
        sedation=procedure.sedation is not Sedation.NONE,
        region=planned_region(procedure.region.value),
        holds=_plan_holds(page, procedure),
    )
    warning = next((s for s in aftercare.sections if s.title == WARNING_SECTION), None)
    return DischargeSheet(
        patient=PatientHeader.of(page.patient),
        procedure=header,
        discharge=_discharge_of(page, procedure.id),
        warning_signs=warning,
        aftercare=aftercare,
        contact=contact,
    )


@dataclass(frozen=True)
class PersonalPlan:
    """The patient's own plan before a procedure (the portal's words, from one source)."""

    patient: PatientHeader
    plan_id: int
    planned_date: date
    procedure: str
    levels: tuple[str, ...]
    side: str
    sedation: bool
    told: PatientPlan
    stent_warning: bool
    contact: ClinicContact
    kind: str = "personal_plan"
    title: str = "Your plan before the procedure"


def personal_plan(*, page: RecordPage, plan: Plan, contact: ClinicContact) -> PersonalPlan:
    """The personal plan of ``plan``: :func:`patient_plan_of` (the portal's source)."""
    return PersonalPlan(
        patient=PatientHeader.of(page.patient),
        plan_id=plan.id,
        planned_date=plan.planned_date,
        procedure=plan.procedure,
        levels=tuple(plan.levels),
        side=plan.side.value,
        sedation=has_sedation(plan),
        told=patient_plan_of(plan),
        stent_warning=any(w.get("topic") == "antiplatelets" for w in plan.warnings or []),
        contact=contact,
    )


@dataclass(frozen=True)
class Outcome:
    """The procedure's course so far at the responder threshold."""

    baseline: str
    latest: str
    peak_relief: str
    relief: str
    scores: int


def outcome_so_far(page: RecordPage, procedure: Procedure) -> Outcome:
    """Baseline, latest score, peak relief and how long relief has lasted (one definition
    of each: the record page's baseline, the attribution of scores, relief_duration)."""
    completed = page.completed()
    days = [(p.id, page.day_of(p.performed_at)) for p in completed]
    if procedure.id not in dict(days):
        return Outcome(NOT_RECORDED, NOT_RECORDED, "not known", "not known", 0)
    day = dict(days)[procedure.id]
    courses = assign_scores(days, [(f.followed_on, f.nrs, f.procedure_id) for f in page.scores()])
    scores = [(on, nrs) for on, nrs in courses[procedure.id] if on > day]
    latest = f"NRS {scores[-1][1]} on {scores[-1][0].isoformat()}" if scores else "no review yet"
    baseline = page.baseline_for(day)
    if baseline is None or baseline.nrs == 0:
        return Outcome("not known (no baseline NRS above 0)", latest, "not known", "not known", 0)
    relief = relief_duration(
        baseline_nrs=baseline.nrs,
        procedure_date=day,
        scores=[PainScore(on=on, nrs=nrs) for on, nrs in scores],
        threshold_percent=RESPONDER_THRESHOLD.value,
        inclusive=RESPONDER_THRESHOLD.inclusive,
    )
    sign = ">=" if RESPONDER_THRESHOLD.inclusive else ">"
    peak = relief.peak_relief_percent
    return Outcome(
        baseline=f"NRS {baseline.nrs} ({baseline.measured_on.isoformat()})",
        latest=latest,
        peak_relief="not known" if peak is None else f"{max(peak, 0.0):.0f} %",
        relief=(
            f"{sign} {RESPONDER_THRESHOLD.value:g} % relief for "
            f"{human_duration(relief.confirmed_weeks)}" + (" so far" if relief.censored else "")
            if relief.onset is not None
            else f"no relief of {sign} {RESPONDER_THRESHOLD.value:g} % recorded"
        ),
        scores=len(scores),
    )


@dataclass(frozen=True)
class ReferralLetter:
    """The letter to the referring doctor after a procedure."""

    patient: PatientHeader
    written_on: date
    addressee: str
    address: tuple[str, ...]
    procedure: ProcedureHeader
    performed_lesions: tuple[str, ...]
    outcome: Outcome
    reviews: tuple[str, ...]
    plans: tuple[str, ...]
    complications: tuple[str, ...]
    contact: ClinicContact
    kind: str = "referral_letter"
    title: str = "Letter to the referring doctor"

    @property
    def salutation(self) -> str:
        """The greeting: "Dear <referrer>", or "Dear colleague" when the record names none."""
        named = self.addressee != FALLBACK_ADDRESSEE
        return f"Dear {self.addressee}," if named else "Dear colleague,"


def referral_letter(
    *,
    page: RecordPage,
    procedure: Procedure,
    performer: str,
    contact: ClinicContact,
    today: date,
) -> ReferralLetter:
    """The letter about ``procedure``: addressed to the record's referrer (else
    :data:`FALLBACK_ADDRESSEE`); procedure and levels, outcome so far, plan, contact."""
    patient = page.patient
    # The referrer columns (migration 0009); read by name so an older schema still answers.
    referrer: str | None = getattr(patient, "referrer_name", None)
    referrer_address: str | None = getattr(patient, "referrer_address", None)
    name = (referrer or "").strip()
    address = tuple(line.strip() for line in (referrer_address or "").splitlines() if line.strip())
    header = procedure_header(page, procedure, performer)
    reviews = tuple(
        f"{visit.due.isoformat()}: {visit.label}"
        for visit in follow_up_schedule(header.day)
        if visit.due >= today
    )
    plans = tuple(
        f"{p.procedure} {', '.join(p.levels)} ({p.side.value}) planned for "
        f"{p.planned_date.isoformat()} ({p.status.value})"
        for p in page.plausible(page.plans, lambda p: p.planned_date)
        if p.planned_date >= today and p.status is not PlanStatus.CANCELLED
    )
    return ReferralLetter(
        patient=PatientHeader.of(patient),
        written_on=today,
        addressee=name or FALLBACK_ADDRESSEE,
        address=address,
        procedure=header,
        performed_lesions=tuple(
            f"{les.target_nerve} ({les.side.value})" for les in procedure.lesions if les.performed
        ),
        outcome=outcome_so_far(page, procedure),
        reviews=reviews,
        plans=plans,
        complications=tuple(complication_text(c) for c in _complications_of(page, procedure.id)),
        contact=contact,
    )
