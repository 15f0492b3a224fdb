"""Each completed procedure's course of relief, read from the registry.

One row per completed RF procedure (performed on or before ``as_of``) with
its performer, technique, region, UTC day and baseline NRS (the definition
the specialist outcome figures use: the latest block's baseline on or before
the procedure day, else the latest score before it; see
:mod:`rhizo.clinic.specialist.outcome_query`). Then every NRS score of those
patients up to ``as_of``, assigned to a procedure as the specialist figures
assign them: a score linked to a procedure belongs to it; an unlinked score
(a diary entry, say) belongs to the patient's latest completed procedure
performed on an earlier day, so a repeat procedure starts a new course.

The course of one procedure (:func:`course_of`, the definition of
:func:`rhizo.pathway.followup.relief_duration`) with the responder threshold
(>= 50 % NRS reduction; Cohen 2010, Anesthesiology 113:395):

- no baseline above 0, or no score after the procedure: not assessable;
- relief never reached 50 %: the course ends (an event) at the first score;
- relief reached 50 % and a later score fell below it: an event on that day;
- relief still at or above 50 % at the last score: censored on that day.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.procedure.models import Procedure
from rhizo.clinic.specialist.outcome_query import baseline_nrs, completed_by
from rhizo.clinic.specialist.sqldates import utc_day
from rhizo.pathway.outcomes import percent_relief

#: Responder threshold, % NRS reduction from baseline (Cohen 2010).
RELIEF_THRESHOLD_PERCENT = 50.0


@dataclass(frozen=True)
class Course:
    """One assessable procedure: days from the procedure to the end of relief or censoring."""

    procedure_id: int
    performer_id: int
    technique: str
    region: str
    day: date
    days: int
    #: True: relief ended (or never came) on ``days``; False: still relieved at the last score.
    ended: bool
    #: Relief of at least the threshold at some score (an initial success).
    relieved: bool


@dataclass(frozen=True)
class Courses:
    """Every completed procedure's course as of a day, and the ones that could not be assessed."""

    as_of: date
    courses: tuple[Course, ...]
    procedures: int
    no_baseline: int
    no_followup: int


def _procedures(session: Session, as_of: date) -> list[sa.Row[tuple[int, ...]]]:
    statement = (
        sa.select(
            Procedure.id,
            Procedure.patient_id,
            Procedure.performer_id,
            Procedure.technique,
            Procedure.region,
            utc_day(Procedure.performed_at).label("day"),
            Procedure.performed_at,
            baseline_nrs().label("baseline"),
        )
        .where(*completed_by(as_of))
        .order_by(Procedure.patient_id, Procedure.performed_at, Procedure.id)
    )
    return list(session.execute(statement))


def _day(value: object) -> date:
    # SQLite hands back the ISO text of utc_day(); PostgreSQL a date.
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def course_of(
    *, baseline: int, day: date, scores: list[tuple[date, int]]
) -> tuple[int, bool, bool]:
    """(days, ended, relieved) of one procedure from its scores after ``day``, in date order.

    The definition of :func:`rhizo.pathway.followup.relief_duration` (inclusive 50 %
    threshold) applied to plain tuples: the pass runs it for every procedure of the
    registry, and building a validated model per score was most of its time. A test
    holds the two to the same answer on random series.
    """
    onset: date | None = None
    for on, nrs in scores:
        relief = percent_relief(baseline, nrs)
        meets = relief is not None and relief >= RELIEF_THRESHOLD_PERCENT
        if meets:
            onset = onset or on
        elif onset is not None:
            return (on - day).days, True, True
    if onset is None:
        return (scores[0][0] - day).days, True, False
    return (scores[-1][0] - day).days, False, True


def load_courses(session: Session, *, as_of: date) -> Courses:
    """Read the registry and compute every completed procedure's course (see module docstring)."""
    rows = _procedures(session, as_of)
    by_patient: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for row in rows:
        by_patient[row.patient_id].append((_day(row.day), row.id))
    scores: dict[int, list[tuple[date, int]]] = defaultdict(list)
    completed_ids = {row.id for row in rows}
    followups = session.execute(
        sa.select(FollowUp.patient_id, FollowUp.procedure_id, FollowUp.followed_on, FollowUp.nrs)
        .where(
            FollowUp.followed_on <= as_of,
            FollowUp.patient_id.in_(
                sa.select(Procedure.patient_id).where(*completed_by(as_of)).scalar_subquery()
            ),
        )
        .order_by(FollowUp.patient_id, FollowUp.followed_on, FollowUp.id)
    )
    for patient_id, procedure_id, followed_on, nrs in followups:
        if procedure_id is not None:
            if procedure_id in completed_ids:
                scores[procedure_id].append((followed_on, nrs))
            continue
        own = by_patient.get(patient_id, [])
        # The latest completed procedure on an earlier day (days are sorted per patient).
        index = bisect.bisect_left(own, (followed_on, -1)) - 1
        if index >= 0:
            scores[own[index][1]].append((followed_on, nrs))
    courses: list[Course] = []
    no_baseline = no_followup = 0
    for row in rows:
        day = _day(row.day)
        baseline = row.baseline
        if baseline is None or baseline <= 0:
            no_baseline += 1
            continue
        # Already in date order: the follow-ups were read ordered by patient and date.
        after = [(on, nrs) for on, nrs in scores.get(row.id, []) if on > day]
        if not after:
            no_followup += 1
            continue
        days, ended, relieved = course_of(baseline=baseline, day=day, scores=after)
        courses.append(
            Course(
                procedure_id=row.id,
                performer_id=row.performer_id,
                technique=row.technique.value,
                region=row.region.value,
                day=day,
                days=days,
                ended=ended,
                relieved=relieved,
            )
        )
    return Courses(
        as_of=as_of,
        courses=tuple(courses),
        procedures=len(rows),
        no_baseline=no_baseline,
        no_followup=no_followup,
    )
