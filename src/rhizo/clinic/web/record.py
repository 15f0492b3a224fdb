"""Read a patient's whole record for the pages: timeline, pain series, candidacy.

The page's audit row is written by :func:`rhizo.clinic.patient.service.get`
(one ``read`` per page view); the rows here are read without further audit
rows, inside the same request.

A stored row with an implausible date (outside the clinical window of
:mod:`rhizo.clinic.core.validation`, or before the patient's birth: written before
the input checks, or straight into the database) is listed on the timeline
with :data:`ODD_DATE_FLAG`, and left out of the pain plot, the baseline and the
candidacy screening, whose date arithmetic it would break or mislead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import TypeVar

from sqlalchemy.orm import Session

from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.condition.models import CareTrial, Condition
from rhizo.clinic.core.validation import before_birth, stored_date_problem
from rhizo.clinic.followup.models import FollowUp, FollowUpSource
from rhizo.clinic.patient import records
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.procedure import service as procedure_service
from rhizo.clinic.procedure.models import Procedure, ProcedureStatus
from rhizo.pathway import candidacy
from rhizo.pathway.followup import PainScore, relief_duration
from rhizo.pathway.policies import FacetRegion
from rhizo.plots.pain import PainPoint

#: What the pages say beside a row whose date cannot be right.
ODD_DATE_FLAG = "date outside the plausible window: check this record"

R = TypeVar("R")


@dataclass(frozen=True)
class TimelineItem:
    """One dated event on the patient page."""

    on: date
    kind: str
    text: str
    detail: list[str] = field(default_factory=list)
    #: Corrections a clinical writer may make: ``(element id, label, href)``.
    actions: tuple[tuple[str, str, str], ...] = ()
    #: :data:`ODD_DATE_FLAG` when the stored date is implausible, else None.
    flag: str | None = None


def _remove(patient_id: int, kind: str, entry_id: int) -> tuple[str, str, str]:
    return (
        f"remove-{kind}-{entry_id}",
        "remove",
        f"/patients/{patient_id}/{kind}/{entry_id}/remove",
    )


def _resolve(patient_id: int, complication_id: int) -> tuple[str, str, str]:
    href = f"/patients/{patient_id}/complications/{complication_id}/resolve"
    return (f"resolve-complications-{complication_id}", "resolve", href)


@dataclass
class PatientRecord:
    """Everything the patient page shows."""

    patient: Patient
    conditions: Sequence[Condition]
    trials: Sequence[CareTrial]
    blocks: Sequence[DiagnosticBlock]
    plans: Sequence[Plan]
    procedures: Sequence[Procedure]
    followups: Sequence[FollowUp]
    complications: Sequence[Complication]
    #: The clinic's zone: a procedure's calendar day is the day where the clinic is.
    zone: tzinfo = UTC
    #: The clinic's today, which the plausible window of stored dates reaches from.
    today: date = field(default_factory=date.today)

    def day_of(self, moment: datetime) -> date:
        """The clinic's calendar day of a stored (UTC) time (its UTC day at the calendar's
        ends, where the zone's day does not exist)."""
        try:
            return moment.astimezone(self.zone).date()
        except OverflowError:  # 9999-12-31T23:00Z east of UTC, 0001-01-01T00:00Z west
            return moment.date()

    def flag(self, value: date | datetime | None) -> str | None:
        """:data:`ODD_DATE_FLAG` for a stored date outside the clinical window or before
        the patient's birth, else None."""
        if value is None:
            return None
        day = value.date() if isinstance(value, datetime) else value
        odd = stored_date_problem(day, today=self.today) or before_birth(
            self.patient.birth_date, {"date": day}
        )
        return ODD_DATE_FLAG if odd else None

    def plausible(self, rows: Sequence[R], when: Callable[[R], date | datetime | None]) -> list[R]:
        """The rows whose date (``when(row)``) is not flagged: what plots and rules use."""
        return [row for row in rows if self.flag(when(row)) is None]

    @property
    def baseline_nrs(self) -> int | None:
        """The pre-procedure pain: the last block's baseline NRS, else the first score."""
        for block in reversed(self.plausible(self.blocks, lambda b: b.performed_on)):
            if block.baseline_nrs is not None:
                return block.baseline_nrs
        scores = self.scores()
        return scores[0].nrs if scores else None

    def scores(self) -> list[FollowUp]:
        """The follow-ups with plausible dates, oldest first."""
        return self.plausible(self.followups, lambda f: f.followed_on)

    def completed(self) -> list[Procedure]:
        """The completed procedures with plausible dates, oldest first."""
        return [
            p
            for p in self.plausible(self.procedures, lambda p: p.performed_at)
            if p.status is ProcedureStatus.COMPLETED
        ]

    def pain_points(self) -> list[PainPoint]:
        """Every plausibly dated NRS score, diary entries marked."""
        return [
            PainPoint(on=f.followed_on, nrs=f.nrs, diary=f.source is FollowUpSource.DIARY)
            for f in self.scores()
        ]

    def procedure_dates(self) -> list[date]:
        """Dates of completed procedures (plausibly dated)."""
        return [self.day_of(p.performed_at) for p in self.completed()]

    def timeline(self) -> list[TimelineItem]:
        """Conditions, blocks, plans, procedures (each lesion), follow-ups, complications."""
        items: list[TimelineItem] = []
        for c in self.conditions:
            if c.onset_date is not None:
                items.append(
                    TimelineItem(
                        c.onset_date,
                        "condition",
                        f"{c.icd10_code} {c.description}",
                        flag=self.flag(c.onset_date),
                    )
                )
        for b in self.blocks:
            items.append(
                TimelineItem(
                    b.performed_on,
                    "block",
                    f"{b.block_type.value.replace('_', ' ')} block {', '.join(b.levels)} "
                    f"({b.side.value}, {b.agent.value}): {b.relief_percent} % relief",
                    actions=(_remove(self.patient.id, "blocks", b.id),),
                    flag=self.flag(b.performed_on),
                )
            )
        for plan in self.plans:
            items.append(
                TimelineItem(
                    plan.planned_date,
                    "plan",
                    f"plan {plan.procedure} {', '.join(plan.levels)} ({plan.status.value})",
                    flag=self.flag(plan.planned_date),
                )
            )
        for p in self.procedures:
            lesions = [
                f"#{les.ordinal} {les.target_nerve} {les.side.value}: "
                + ("performed" if les.performed else "not performed")
                + ("" if les.gate_proceed else " - gates blocked")
                + (f" (override: {les.override_reason})" if les.override_reason else "")
                + (
                    f", {les.set_temperature_c:g} °C {les.duration_s:g} s"
                    if les.set_temperature_c is not None and les.duration_s is not None
                    else ""
                )
                for les in p.lesions
            ]
            items.append(
                TimelineItem(
                    self.day_of(p.performed_at),
                    "procedure",
                    f"{p.technique.value} RF {p.region.value} {', '.join(p.levels)} "
                    f"({p.side.value}, {p.status.value})",
                    lesions,
                    flag=self.flag(p.performed_at),
                )
            )
        for f in self.followups:
            extra = "".join(
                [
                    f", ODI {f.odi} %" if f.odi is not None else "",
                    f", PGIC {f.pgic}" if f.pgic is not None else "",
                ]
            )
            items.append(
                TimelineItem(
                    f.followed_on,
                    "follow-up",
                    f"NRS {f.nrs}{extra} ({f.source.value})",
                    actions=(_remove(self.patient.id, "followups", f.id),),
                    flag=self.flag(f.followed_on),
                )
            )
        for comp in self.complications:
            items.append(
                TimelineItem(
                    comp.onset_date,
                    "complication",
                    f"{comp.type.value.replace('_', ' ')} ({comp.severity.value})"
                    + (f", resolved {comp.resolved_on.isoformat()}" if comp.resolved_on else ""),
                    actions=(
                        *(() if comp.resolved_on else (_resolve(self.patient.id, comp.id),)),
                        _remove(self.patient.id, "complications", comp.id),
                    ),
                    flag=self.flag(comp.onset_date) or self.flag(comp.resolved_on),
                )
            )
        return sorted(items, key=lambda item: item.on, reverse=True)


def load_record(
    session: Session, patient: Patient, *, zone: tzinfo = UTC, today: date | None = None
) -> PatientRecord:
    """Every row of the patient's record, oldest first; days of timestamps in ``zone``;
    stored dates judged plausible or not from ``today`` (the server's day by default)."""
    pid = patient.id
    rows = records.rows_of_patient
    return PatientRecord(
        patient=patient,
        conditions=rows(session, Condition, pid, Condition.id),
        trials=rows(session, CareTrial, pid, CareTrial.start_date),
        blocks=rows(session, DiagnosticBlock, pid, DiagnosticBlock.performed_on),
        plans=rows(session, Plan, pid, Plan.planned_date),
        procedures=procedure_service.procedures_of_patient(session, pid),
        followups=rows(session, FollowUp, pid, FollowUp.followed_on, FollowUp.id),
        complications=rows(session, Complication, pid, Complication.onset_date),
        zone=zone,
        today=today or date.today(),
    )


_ICD_CONDITION: tuple[tuple[str, candidacy.CandidacyCondition], ...] = (
    ("M47", candidacy.CandidacyCondition.SPONDYLOSIS),
    ("M48.0", candidacy.CandidacyCondition.SPINAL_STENOSIS),
    ("M53.3", candidacy.CandidacyCondition.SACROILIAC_JOINT_PAIN),
    ("M46.1", candidacy.CandidacyCondition.SACROILIAC_JOINT_PAIN),
)


def _region(record: PatientRecord) -> FacetRegion:
    for source in (*record.conditions, *record.procedures):
        value = getattr(source, "region", None)
        if value is not None and value.value in FacetRegion.__members__.values():
            return FacetRegion(value.value)
    return FacetRegion.LUMBAR


def screening_input(record: PatientRecord, today: date) -> candidacy.CandidacyInput:
    """The registry's facts in the pathway's candidacy terms (plausibly dated rows only)."""
    onsets = [
        c.onset_date
        for c in record.conditions
        if c.onset_date is not None and record.flag(c.onset_date) is None
    ]
    weeks = (today - min(onsets)).days / 7 if onsets else 0.0
    conditions = sorted(
        {
            condition
            for c in record.conditions
            for prefix, condition in _ICD_CONDITION
            if c.icd10_code.startswith(prefix)
        }
    )
    care = [
        candidacy.ConservativeCare(
            kind=t.modality.value, weeks=((t.end_date or today) - t.start_date).days / 7
        )
        for t in record.trials
        if record.flag(t.start_date) is None and record.flag(t.end_date) is None
    ]
    blocks = [
        candidacy.BlockRelief(
            kind=b.block_type.value, relief_percent=b.relief_percent, performed_on=b.performed_on
        )
        for b in record.plausible(record.blocks, lambda b: b.performed_on)
    ]
    prior: list[candidacy.PriorTreatment] = []
    baseline = record.baseline_nrs
    if baseline:
        for proc in record.completed():
            when = record.day_of(proc.performed_at)
            scores = [
                PainScore(on=f.followed_on, nrs=f.nrs)
                for f in record.scores()
                if f.followed_on > when
            ]
            relief = relief_duration(baseline_nrs=baseline, procedure_date=when, scores=scores)
            prior.append(
                candidacy.PriorTreatment(
                    performed_on=when,
                    relief_percent=relief.peak_relief_percent or 0.0,
                    relief_duration_weeks=relief.confirmed_weeks,
                )
            )
    return candidacy.CandidacyInput(
        region=_region(record),
        pain_duration_weeks=max(weeks, 0.0),
        conditions=conditions,
        conservative_care=care,
        blocks=blocks,
        prior_rf=prior,
    )


def screen(record: PatientRecord, today: date) -> candidacy.Screening | str:
    """The candidacy screening, or why it could not run."""
    try:
        return candidacy.screen_candidacy(screening_input(record, today), today=today)
    except ValueError as error:
        return str(error)
