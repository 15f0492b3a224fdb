"""Durability of relief after RF neurotomy: Kaplan-Meier curves over the registry.

Each assessable completed procedure is one course (:mod:`rhizo.clinic.analytics.courses`):
time from the procedure day to the score at which relief of at least 50 % was
lost (or never came), censored at the last score while relief holds. The
curve S(t) is the share of procedures still giving at least 50 % relief t days
after the procedure, with a 95 % log-log Greenwood band
(:mod:`rhizo.stats.survival`); "success duration" is the same among the
procedures that reached 50 % relief at some score.

The published reference (Streitberger K et al. 2011, "Long-term results of
radiofrequency denervation of lumbar facet joints in a real-world cohort",
Eur Spine J, PMC3229738, Results): success (>= 50 % relief) in 76 % at 7-21
days, 32 % at 6 months, 22 % at 1 year; median success duration 17 weeks.
It is drawn beside the clinic's curve for orientation, not as a target: that
cohort's case mix, technique and definitions differ from any one clinic's.

Groups (region, technique, performer) are compared with the log-rank test;
a group under 10 courses is shown but labelled too few to judge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from rhizo.clinic.analytics.courses import Course, Courses
from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.database import utcnow
from rhizo.clinic.specialist.outcomes import DAYS_PER_MONTH
from rhizo.clinic.specialist.proportion import MIN_DENOMINATOR
from rhizo.stats.survival import LogRank, SurvivalCurve, kaplan_meier, log_rank

ENTITY = "durability_analysis"
#: Under this many courses a group's curve is shown but labelled "too few to judge",
#: the specialist rates' threshold (and reason: rhizo.clinic.specialist.proportion).
MIN_COURSES = MIN_DENOMINATOR
#: Days of the checkpoints reported: 3, 6 and 12 months as the specialist figures
#: count them (mean Gregorian month, rounded: 91, 183 and 365 days).
CHECKPOINT_DAYS = {months: round(months * DAYS_PER_MONTH) for months in (3, 6, 12)}

#: Streitberger 2011 (module docstring): (days after the procedure, % still successful, label).
PUBLISHED_SUCCESS = ((14, 76.0, "7-21 days"), (183, 32.0, "6 months"), (365, 22.0, "1 year"))
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


@dataclass(frozen=True)
class GroupCurve:
    """One group's curves and counts."""

    key: str
    label: str
    curve: SurvivalCurve
    #: Among the procedures that reached 50 % relief (None when none did).
    success_curve: SurvivalCurve | None
    courses: int
    ended: int

    @property
    def too_few(self) -> bool:
        """Fewer than :data:`MIN_COURSES` courses."""
        return self.courses < MIN_COURSES


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


def _curve(key: str, label: str, courses: Sequence[Course]) -> GroupCurve:
    curve = kaplan_meier([c.days for c in courses], [c.ended for c in courses])
    relieved = [c for c in courses if c.relieved]
    success = (
        kaplan_meier([c.days for c in relieved], [c.ended for c in relieved]) if relieved else None
    )
    return GroupCurve(
        key=key,
        label=label,
        curve=curve,
        success_curve=success,
        courses=len(courses),
        ended=sum(c.ended for c in courses),
    )


def _key_of(grouping: Grouping) -> Callable[[Course], str]:
    if grouping is Grouping.REGION:
        return lambda c: c.region
    if grouping is Grouping.TECHNIQUE:
        return lambda c: c.technique
    return lambda c: str(c.performer_id)


def analyse(
    courses: Courses, *, grouping: Grouping, performer_names: dict[int, str]
) -> DurabilityReport | None:
    """Curves for ``courses`` split by ``grouping`` (``None`` when nothing is assessable)."""
    if not courses.courses:
        return None
    overall = _curve("all", "all procedures", courses.courses)
    groups: tuple[GroupCurve, ...] = ()
    comparison = None
    if grouping is not Grouping.NONE:
        key_of = _key_of(grouping)
        split: dict[str, list[Course]] = {}
        for course in courses.courses:
            split.setdefault(key_of(course), []).append(course)

        def label(key: str) -> str:
            if grouping is Grouping.PERFORMER:
                return performer_names.get(int(key), f"specialist {key}")
            return key

        groups = tuple(_curve(key, label(key), split[key]) for key in sorted(split, key=label))
        testable = [split[g.key] for g in groups if g.courses >= 2]
        if len(testable) >= 2 and any(c.ended for part in testable for c in part):
            comparison = log_rank([([c.days for c in p], [c.ended for c in p]) for p in testable])
    return DurabilityReport(
        as_of=courses.as_of,
        computed_at=utcnow(),
        grouping=grouping,
        overall=overall,
        groups=groups,
        comparison=comparison,
        procedures=courses.procedures,
        no_baseline=courses.no_baseline,
        no_followup=courses.no_followup,
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
