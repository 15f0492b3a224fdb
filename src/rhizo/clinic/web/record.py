"""What the patient page and the portal show of a record: timeline, pain series, candidacy.

The rows are one :class:`rhizo.clinic.chart.record.PatientRecord`, read by the
one reader of a patient's whole record
(:func:`rhizo.clinic.chart.reader.read_record`, one audited ``read`` per page
view); nothing here queries the database.

A stored row with an implausible date (outside the clinical window of
:mod:`rhizo.clinic.core.validation`, or before the patient's birth: written before
the input checks, or straight into the database) is listed on the timeline
with :data:`ODD_DATE_FLAG`, and left out of the pain plot, the baseline and the
candidacy screening, whose date arithmetic it would break or mislead.

The clinical quantities are the pathway's one definition of each: a
procedure's day is the clinic's calendar day
(:func:`rhizo.pathway.clinic_day.procedure_day`), its baseline NRS
:func:`rhizo.pathway.baseline.baseline_for_procedure`, the scores that count
in its course :func:`rhizo.pathway.attribution.assign_scores`, and the
duration of relief :func:`rhizo.pathway.followup.relief_duration` (on
:func:`rhizo.pathway.course.course_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import TypeVar

from rhizo.clinic.allergy.relevance import candidacy_flags
from rhizo.clinic.chart.discharges import DischargeSummary, discharge_summaries
from rhizo.clinic.chart.record import PatientRecord
from rhizo.clinic.core.validation import before_birth, stored_date_problem
from rhizo.clinic.followup.models import FollowUp, FollowUpSource
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.procedure.models import Procedure, ProcedureStatus
from rhizo.clinic.procedure.prediction import predicted_capture_line
from rhizo.pathway import candidacy
from rhizo.pathway.attribution import assign_scores
from rhizo.pathway.baseline import (
    BASELINE_WINDOW_DAYS,
    BaselineNrs,
    BlockReading,
    baseline_for_procedure,
)
from rhizo.pathway.clinic_day import procedure_day
from rhizo.pathway.followup import PainScore, relief_duration
from rhizo.pathway.policies import FacetRegion, Threshold, policy_for_region
from rhizo.pathway.relief import meets
from rhizo.pathway.returned import pain_has_returned
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
    #: The row shown, ``<kind>-<id>`` (the item's ``data-row`` on the page).
    row: str = ""


def _remove(patient_id: int, kind: str, entry_id: int) -> tuple[str, str, str]:
    return (
        f"remove-{kind}-{entry_id}",
        "remove",
        f"/patients/{patient_id}/{kind}/{entry_id}/remove",
    )


def _resolve(patient_id: int, complication_id: int) -> tuple[str, str, str]:
    href = f"/patients/{patient_id}/complications/{complication_id}/resolve"
    return (f"resolve-complications-{complication_id}", "resolve", href)


@dataclass(frozen=True)
class RecordPage:
    """A patient's record as the patient page and the portal show it."""

    record: PatientRecord
    #: The clinic's zone: a procedure's calendar day is the day where the clinic is.
    zone: tzinfo = UTC
    #: The clinic's today, which the plausible window of stored dates reaches from.
    today: date = field(default_factory=date.today)

    @property
    def patient(self) -> Patient:
        """The patient."""
        return self.record.patient

    @property
    def plans(self) -> Sequence[Plan]:
        """The patient's plans, oldest first."""
        return self.record.plans

    @property
    def procedures(self) -> Sequence[Procedure]:
        """The patient's procedures (any status), oldest first."""
        return self.record.procedures

    def day_of(self, moment: datetime) -> date:
        """The clinic's calendar day of a stored time (:func:`procedure_day`)."""
        return procedure_day(moment, self.zone)

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

    def scores(self) -> list[FollowUp]:
        """The follow-ups with plausible dates, oldest first."""
        return self.plausible(self.record.followups, lambda f: f.followed_on)

    def completed(self) -> list[Procedure]:
        """The completed procedures with plausible dates, oldest first."""
        return [
            p
            for p in self.plausible(self.record.procedures, lambda p: p.performed_at)
            if p.status is ProcedureStatus.COMPLETED
        ]

    def baseline_for(self, day: date) -> BaselineNrs | None:
        """The baseline NRS of a procedure on ``day`` from the plausibly dated scores and
        blocks (:func:`rhizo.pathway.baseline.baseline_for_procedure`)."""
        blocks = self.plausible(self.record.blocks, lambda b: b.performed_on)
        return baseline_for_procedure(
            day=day,
            scores=[(f.followed_on, f.nrs) for f in self.scores()],
            blocks=[
                BlockReading(
                    performed_on=b.performed_on,
                    baseline_nrs=b.baseline_nrs,
                    relief_percent=b.relief_percent,
                )
                for b in blocks
            ],
        )

    @property
    def baseline(self) -> BaselineNrs | None:
        """The baseline the pain plot's responder threshold is drawn from: that of the
        latest completed procedure, else that of a procedure done today."""
        completed = self.completed()
        day = self.day_of(completed[-1].performed_at) if completed else self.today
        return self.baseline_for(day)

    @property
    def baseline_nrs(self) -> int | None:
        """:attr:`baseline`'s NRS (None when there is none)."""
        baseline = self.baseline
        return None if baseline is None else baseline.nrs

    def screening_blocks(self) -> list[ScreeningBlock]:
        """Every plausibly dated diagnostic block as the screening judges it
        (:func:`screening_blocks`), negative ones included."""
        return screening_blocks(self)

    def pain_points(self) -> list[PainPoint]:
        """Every plausibly dated NRS score, diary entries marked."""
        return [
            PainPoint(on=f.followed_on, nrs=f.nrs, diary=f.source is FollowUpSource.DIARY)
            for f in self.scores()
        ]

    def procedure_dates(self) -> list[date]:
        """Days of completed procedures (plausibly dated)."""
        return [self.day_of(p.performed_at) for p in self.completed()]

    def discharges(self) -> list[DischargeSummary]:
        """Every discharge with its red flags and escalation, oldest first
        (:func:`rhizo.clinic.chart.discharges.discharge_summaries`)."""
        return discharge_summaries(self.record, self.zone)

    def open_discharges(self) -> list[DischargeSummary]:
        """The discharges with a red flag and no review since: the page's top."""
        return [d for d in self.discharges() if d.open]

    def timeline(self) -> list[TimelineItem]:
        """Conditions, blocks, plans, procedures (each lesion), discharges (red flags,
        escalation), follow-ups, complications; newest first."""
        record = self.record
        pid = self.patient.id
        items: list[TimelineItem] = []
        for c in record.conditions:
            if c.onset_date is not None:
                items.append(
                    TimelineItem(
                        c.onset_date,
                        "condition",
                        f"{c.icd10_code} {c.description}",
                        flag=self.flag(c.onset_date),
                        row=f"condition-{c.id}",
                    )
                )
        for b in record.blocks:
            items.append(
                TimelineItem(
                    b.performed_on,
                    "block",
                    f"{b.block_type.value.replace('_', ' ')} block {', '.join(b.levels)} "
                    f"({b.side.value}, {b.agent.value}): {b.relief_percent} % relief",
                    actions=(_remove(pid, "blocks", b.id),),
                    flag=self.flag(b.performed_on),
                    row=f"block-{b.id}",
                )
            )
        for plan in record.plans:
            items.append(
                TimelineItem(
                    plan.planned_date,
                    "plan",
                    f"plan {plan.procedure} {', '.join(plan.levels)} ({plan.status.value})",
                    flag=self.flag(plan.planned_date),
                    row=f"plan-{plan.id}",
                )
            )
        for p in record.procedures:
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
                + (f"; {predicted_capture_line(les)}" if les.performed else "")
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
                    row=f"procedure-{p.id}",
                )
            )
        for d in self.discharges():
            items.append(
                TimelineItem(
                    d.day,
                    "discharge",
                    d.text,
                    d.detail,
                    flag=self.flag(d.discharge.discharged_at),
                    row=f"discharge-{d.discharge.id}",
                )
            )
        for f in record.followups:
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
                    actions=(_remove(pid, "followups", f.id),),
                    flag=self.flag(f.followed_on),
                    row=f"followup-{f.id}",
                )
            )
        for comp in record.complications:
            items.append(
                TimelineItem(
                    comp.onset_date,
                    "complication",
                    f"{comp.type.value.replace('_', ' ')} ({comp.severity.value})"
                    + (f", resolved {comp.resolved_on.isoformat()}" if comp.resolved_on else ""),
                    actions=(
                        *(() if comp.resolved_on else (_resolve(pid, comp.id),)),
                        _remove(pid, "complications", comp.id),
                    ),
                    flag=self.flag(comp.onset_date) or self.flag(comp.resolved_on),
                    row=f"complication-{comp.id}",
                )
            )
        return sorted(items, key=lambda item: item.on, reverse=True)


def record_page(
    record: PatientRecord, *, zone: tzinfo = UTC, today: date | None = None
) -> RecordPage:
    """The page's view of ``record``: days of timestamps in ``zone``; stored dates judged
    plausible or not from ``today`` (the server's day by default)."""
    return RecordPage(record=record, zone=zone, today=today or date.today())


_ICD_CONDITION: tuple[tuple[str, candidacy.CandidacyCondition], ...] = (
    ("M47", candidacy.CandidacyCondition.SPONDYLOSIS),
    ("M48.0", candidacy.CandidacyCondition.SPINAL_STENOSIS),
    ("M53.3", candidacy.CandidacyCondition.SACROILIAC_JOINT_PAIN),
    ("M46.1", candidacy.CandidacyCondition.SACROILIAC_JOINT_PAIN),
)


def _region(page: RecordPage) -> FacetRegion:
    for source in (*page.record.conditions, *page.record.procedures):
        value = getattr(source, "region", None)
        if value is not None and value.value in FacetRegion.__members__.values():
            return FacetRegion(value.value)
    return FacetRegion.LUMBAR


def _prior_rf(page: RecordPage) -> list[candidacy.PriorTreatment]:
    """Each completed procedure's relief: its own baseline, the scores of its course."""
    completed = page.completed()
    days = [(p.id, page.day_of(p.performed_at)) for p in completed]
    courses = assign_scores(days, [(f.followed_on, f.nrs, f.procedure_id) for f in page.scores()])
    prior: list[candidacy.PriorTreatment] = []
    for procedure_id, day in days:
        baseline = page.baseline_for(day)
        if baseline is None or baseline.nrs == 0:  # not assessable: no relief can be shown
            continue
        relief = relief_duration(
            baseline_nrs=baseline.nrs,
            procedure_date=day,
            scores=[PainScore(on=on, nrs=nrs) for on, nrs in courses[procedure_id]],
        )
        prior.append(
            candidacy.PriorTreatment(
                performed_on=day,
                # Pain worse than the baseline is no relief: 0 %, not a negative percent.
                relief_percent=max(relief.peak_relief_percent or 0.0, 0.0),
                relief_duration_weeks=relief.confirmed_weeks,
            )
        )
    return prior


def _pain_returned(page: RecordPage, region: FacetRegion) -> bool | None:
    """Has the pain come back since the last completed RF? ``None`` when not known.

    The last RF's course under :func:`rhizo.pathway.returned.pain_has_returned` with
    the region policy's repeat relief; no guideline policy for the region: not known
    (the screen then asks to confirm it).
    """
    policy = policy_for_region(region)
    completed = page.completed()
    if policy is None or not completed:
        return None
    days = [(p.id, page.day_of(p.performed_at)) for p in completed]
    courses = assign_scores(days, [(f.followed_on, f.nrs, f.procedure_id) for f in page.scores()])
    last_id, last_day = max(days, key=lambda item: item[1])
    baseline = page.baseline_for(last_day)
    if baseline is None:
        return None
    rule = policy.repeat
    return pain_has_returned(
        baseline_nrs=baseline.nrs,
        day=last_day,
        scores=courses[last_id],
        threshold=Threshold(value=rule.min_relief_percent, inclusive=rule.inclusive),
    )


def screening_input(page: RecordPage, today: date) -> candidacy.CandidacyInput:
    """The registry's facts in the pathway's candidacy terms (plausibly dated rows only)."""
    record = page.record
    onsets = [
        c.onset_date
        for c in record.conditions
        if c.onset_date is not None and page.flag(c.onset_date) is None
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
        for t in record.care_trials
        if page.flag(t.start_date) is None and page.flag(t.end_date) is None
    ]
    blocks = [
        candidacy.BlockRelief(
            kind=b.block_type.value, relief_percent=b.relief_percent, performed_on=b.performed_on
        )
        for b in page.plausible(record.blocks, lambda b: b.performed_on)
    ]
    region = _region(page)
    allergies = candidacy_flags(record.allergies)
    return candidacy.CandidacyInput(
        region=region,
        pain_duration_weeks=max(weeks, 0.0),
        conditions=conditions,
        conservative_care=care,
        blocks=blocks,
        prior_rf=_prior_rf(page),
        pain_returned=_pain_returned(page, region),
        allergy_local_anaesthetic=allergies.local_anaesthetic,
        allergy_contrast=allergies.contrast,
    )


#: The block kind the guidelines' block rule counts (``candidacy._block_reason``).
COUNTED_BLOCK = "medial_branch"


@dataclass(frozen=True)
class ScreeningBlock:
    """One diagnostic block as the screening judges it, in words for the page.

    ``result``: ``positive`` / ``negative`` against the region policy's block
    cut-off (Cohen 2020 Table 11 >= 50 % lumbar, Hurley 2022 Table 22 > 50 %
    cervical: :func:`rhizo.pathway.relief.meets`, the rule the verdict uses);
    ``not counted`` for a kind the rule does not count (intra-articular);
    ``no guideline cut-off`` where no guideline covers the region (thoracic).
    """

    on: date
    kind: str
    text: str
    relief_percent: float
    result: str


def screening_blocks(page: RecordPage) -> list[ScreeningBlock]:
    """Every plausibly dated block, oldest first, with its result under the region's
    policy: the same blocks, and the same cut-off, the verdict was computed from."""
    policy = policy_for_region(_region(page))
    rule = None if policy is None else policy.diagnostic_blocks
    rows: list[ScreeningBlock] = []
    for b in sorted(
        page.plausible(page.record.blocks, lambda b: b.performed_on), key=lambda b: b.performed_on
    ):
        if rule is None:
            result = "no guideline cut-off"
        elif b.block_type.value != COUNTED_BLOCK:
            result = "not counted: the block rule counts medial branch blocks"
        else:
            threshold = Threshold(value=rule.min_relief_percent, inclusive=rule.inclusive)
            sign = ">=" if rule.inclusive else ">"
            verdict = "positive" if meets(b.relief_percent, threshold) else "negative"
            result = f"{verdict} (the cut-off is {sign} {rule.min_relief_percent:g} %)"
        baseline = "" if b.baseline_nrs is None else f", from NRS {b.baseline_nrs}"
        rows.append(
            ScreeningBlock(
                on=b.performed_on,
                kind=b.block_type.value,
                text=(
                    f"{b.block_type.value.replace('_', ' ')} block, {', '.join(b.levels)} "
                    f"{b.side.value}, {b.agent.value}: {b.relief_percent:g} % relief{baseline}"
                ),
                relief_percent=b.relief_percent,
                result=result,
            )
        )
    return rows


def screen(page: RecordPage, today: date) -> candidacy.Screening | str:
    """The candidacy screening under the guideline of the patient's region (none for
    thoracic: ``no_guideline``), or why it could not run.

    A last RF without a baseline NRS above 0 cannot be judged (its relief, whether the
    pain came back): the page says so rather than screen the patient as if never
    treated (which would read as a first-treatment candidate).
    """
    completed = page.completed()
    if completed:
        last_day = max(page.day_of(p.performed_at) for p in completed)
        baseline = page.baseline_for(last_day)
        if baseline is None or baseline.nrs == 0:
            return (
                f"the last RF ({last_day.isoformat()}) has no baseline NRS above 0 (no score "
                f"in the {BASELINE_WINDOW_DAYS} days before it, no positive block with a "
                "pre-injection NRS), so its relief and a repeat cannot be judged: record the "
                "pain score before the RF"
            )
    try:
        return candidacy.screen_candidacy(screening_input(page, today), today=today)
    except ValueError as error:
        return str(error)
