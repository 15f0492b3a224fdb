"""Durability of relief after RF neurotomy: Kaplan-Meier curves over the outcome snapshot.

Each assessable completed procedure is one course
(:func:`rhizo.pathway.course.course_of`, computed for every procedure by
:func:`rhizo.clinic.outcomes.arrays.courses`): from the procedure's clinic day
to the score at which relief of at least 50 % was lost (or never came),
censored at the last score while relief holds. Time runs in calendar months
(:func:`rhizo.pathway.elapsed.months_elapsed`), so "at 3 months" on the curve,
in its at-risk row and in the table is the same calendar rule as the 3-month
review of the responder figures: a course is at risk at N months when its
event or censoring day is on or after ``months_after(day, N)``.

The curve S(t) is the share of procedures still giving at least 50 % relief t
months after the procedure, with a 95 % log-log Greenwood band
(:mod:`rhizo.stats.survival`). Two medians, each one quantity, labelled:

- **median time to loss of relief**: where S(t) first reaches 0.5, over every
  course (a procedure that never gave relief ends at its first score);
- **median duration of success**: the same among the procedures that reached
  50 % relief at some score (Streitberger 2011's "median duration of success").

The published reference (Streitberger K et al. 2011, "Long-term results of
radiofrequency denervation of lumbar facet joints in a real-world cohort",
Eur Spine J, PMC3229738, Results): success (>= 50 % relief) in 76 % at 7-21
days, 32 % at 6 months, 22 % at 1 year; median success duration 17 weeks.
It is drawn beside the clinic's curve for orientation, not as a target: that
cohort's case mix, technique and definitions differ from any one clinic's.

Groups (region, technique, performer, or the band of the procedure's lowest
predicted lesion capture: an association in the clinic's own data, not proof
that capture causes relief) are compared with the log-rank test;
a group under 10 courses is shown but labelled too few to judge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.outcomes.figures import CheckpointOutcome, review_outcome
from rhizo.clinic.outcomes.proportion import MIN_DENOMINATOR
from rhizo.clinic.outcomes.snapshot import REVIEW_MONTHS, OutcomeSnapshot
from rhizo.clinic.procedure.prediction import capture_bands
from rhizo.stats.survival import LogRank, SurvivalCurve, kaplan_meier, log_rank

ENTITY = "durability_analysis"
#: Under this many courses a group's curve is shown but labelled "too few to judge",
#: the specialist rates' threshold (and reason: rhizo.clinic.outcomes.proportion).
MIN_COURSES = MIN_DENOMINATOR
#: Calendar months the table reports the curve at.
CHECKPOINT_MONTHS = (3, 6, 12)
#: Calendar months the plot's at-risk row is given at (the table's months among them).
AT_RISK_MONTHS = (0, 3, 6, 9, 12, 18, 24)

#: Streitberger 2011 (module docstring): (months after the procedure, % still successful,
#: label). "7-21 days" is drawn at 14 days, 14 / (365.25 / 12) = 0.46 months.
PUBLISHED_SUCCESS = ((0.46, 76.0, "7-21 days"), (6.0, 32.0, "6 months"), (12.0, 22.0, "1 year"))
PUBLISHED_MEDIAN_SUCCESS_WEEKS = 17.0
PUBLISHED_SOURCE = (
    "Streitberger K et al. 2011, Long-term results of radiofrequency denervation of lumbar "
    "facet joints in a real-world cohort, Eur Spine J (PMC3229738), Results"
)


class Grouping(StrEnum):
    """How the procedures are split into curves."""

    NONE = "none"
    REGION = "region"
    TECHNIQUE = "technique"
    PERFORMER = "performer"
    #: The band of the joint predicted capture: every targeted nerve (the record link).
    CAPTURE = "capture"


@dataclass(frozen=True)
class CurvePoint:
    """The curve at N calendar months: S with its band, and how many were still at risk."""

    months: int
    survival: float
    low: float
    high: float
    at_risk: int


@dataclass(frozen=True)
class GroupCurve:
    """One group's curves, counts and responder rates."""

    key: str
    label: str
    curve: SurvivalCurve
    #: Among the procedures that reached 50 % relief (None when none did).
    success_curve: SurvivalCurve | None
    courses: int
    ended: int
    #: The curve at AT_RISK_MONTHS (the table shows CHECKPOINT_MONTHS of these rows).
    points: tuple[CurvePoint, ...]
    #: Responders at 3 and 6 months among the group's procedures (the specialist figures).
    reviews: tuple[CheckpointOutcome, ...]

    @property
    def too_few(self) -> bool:
        """Fewer than :data:`MIN_COURSES` courses."""
        return self.courses < MIN_COURSES

    @property
    def checkpoints(self) -> tuple[CurvePoint, ...]:
        """The rows of :attr:`points` at the table's months."""
        return tuple(p for p in self.points if p.months in CHECKPOINT_MONTHS)

    @property
    def median_months(self) -> float | None:
        """Median time to loss of relief (None: not reached)."""
        return self.curve.median

    @property
    def success_median_months(self) -> float | None:
        """Median duration of success among the relieved (None: none, or not reached)."""
        return self.success_curve.median if self.success_curve is not None else None


@dataclass(frozen=True)
class DurabilityReport:
    """The analysis as of a day."""

    as_of: date
    computed_at: datetime
    grouping: Grouping
    overall: GroupCurve
    groups: tuple[GroupCurve, ...]
    #: Across the groups with at least 2 courses (None with fewer than 2 such groups).
    comparison: LogRank | None
    procedures: int
    no_baseline: int
    no_followup: int


def points_of(curve: SurvivalCurve) -> tuple[CurvePoint, ...]:
    """The curve's rows at :data:`AT_RISK_MONTHS` (the plot's at-risk row and the table)."""
    rows = []
    for months in AT_RISK_MONTHS:
        value, low, high = curve.at(months)
        rows.append(CurvePoint(months, value, low, high, curve.at_risk_at(months)))
    return tuple(rows)


def _group(snapshot: OutcomeSnapshot, key: str, label: str, rows: NDArray[np.bool_]) -> GroupCurve:
    """The curves of the procedure rows ``rows`` (a mask) that have a course."""
    c = snapshot.courses
    with_course = rows & c.assessable
    times = c.event_months[with_course]
    ended = c.ended[with_course]
    curve = kaplan_meier(times, ended)
    relieved = c.relieved[with_course]
    success = kaplan_meier(times[relieved], ended[relieved]) if relieved.any() else None
    return GroupCurve(
        key=key,
        label=label,
        curve=curve,
        success_curve=success,
        courses=int(times.size),
        ended=int(np.count_nonzero(ended)),
        points=points_of(curve),
        reviews=tuple(review_outcome(snapshot, m, rows) for m in REVIEW_MONTHS),
    )


def _keys(snapshot: OutcomeSnapshot, grouping: Grouping) -> NDArray[np.str_]:
    rows = snapshot.rows
    if grouping is Grouping.REGION:
        return rows.region
    if grouping is Grouping.TECHNIQUE:
        return rows.technique
    if grouping is Grouping.CAPTURE:
        return capture_bands(rows.joint_capture)
    return rows.performer_id.astype(np.str_)


def analyse(
    snapshot: OutcomeSnapshot, *, grouping: Grouping, performer_names: dict[int, str]
) -> DurabilityReport | None:
    """Curves of the snapshot's courses split by ``grouping`` (None when none is assessable)."""
    c = snapshot.courses
    if not c.assessable.any():
        return None
    everything = np.ones(snapshot.rows.size, dtype=bool)
    overall = _group(snapshot, "all", "all procedures", everything)
    groups: tuple[GroupCurve, ...] = ()
    comparison = None
    if grouping is not Grouping.NONE:
        keys = _keys(snapshot, grouping)

        def label(key: str) -> str:
            if grouping is Grouping.PERFORMER:
                return performer_names.get(int(key), f"specialist {key}")
            return key

        present = sorted({str(k) for k in keys[c.assessable]}, key=label)
        groups = tuple(_group(snapshot, key, label(key), keys == key) for key in present)
        testable = [
            (
                c.event_months[(keys == g.key) & c.assessable],
                c.ended[(keys == g.key) & c.assessable],
            )
            for g in groups
            if g.courses >= 2
        ]
        if len(testable) >= 2 and any(ended.any() for _, ended in testable):
            comparison = log_rank([(t.tolist(), e.tolist()) for t, e in testable])
    return DurabilityReport(
        as_of=snapshot.as_of,
        computed_at=snapshot.computed_at,
        grouping=grouping,
        overall=overall,
        groups=groups,
        comparison=comparison,
        procedures=snapshot.procedures,
        no_baseline=snapshot.no_baseline,
        no_followup=snapshot.no_followup,
    )


def record_view(*, session: Session, actor: Actor, as_of: date, grouping: Grouping) -> None:
    """Audit one view of the analysis (a ``read`` of aggregates; no patient named)."""
    with transactions.transaction(session):
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.READ,
            entity_type=ENTITY,
            details={"as_of": as_of.isoformat(), "grouping": grouping.value},
        )
