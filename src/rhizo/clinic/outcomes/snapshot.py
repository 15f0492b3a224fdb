"""One outcome snapshot as of a clinic day: the registry read once, every course and review.

Every outcome figure rhizo shows (the specialist pages, the Outcomes page and
its plot, ``GET /api/v1/analytics/durability``) is computed from one
:class:`OutcomeSnapshot`, so a figure shown in two places is one number:

- the rows (:mod:`rhizo.clinic.outcomes.rows`: clinic day, baseline, scores);
- each procedure's course (:func:`rhizo.clinic.outcomes.arrays.courses`, the
  definition of :func:`rhizo.pathway.course.course_of`);
- each procedure's review at 3 and 6 months
  (:func:`rhizo.clinic.outcomes.arrays.reviews`, the definition of
  :func:`rhizo.pathway.responder.responder_at`);
- lesions and complications per performer (SQL counts).

The pages share one snapshot per app (:mod:`rhizo.clinic.outcomes.service`),
refreshed in the background (:mod:`rhizo.clinic.outcomes.cache`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

import numpy as np
from sqlalchemy.orm import Session

from rhizo.clinic.core.database import utcnow
from rhizo.clinic.outcomes import arrays, queries
from rhizo.clinic.outcomes.arrays import CourseArrays, ReviewArrays
from rhizo.clinic.outcomes.queries import ComplicationRow
from rhizo.clinic.outcomes.rows import RegistryRows, read_rows

#: The reviews the figures report, in calendar months (knowledge ``outcomes``
#: ``follow-up-3-months`` and ``follow-up-6-months``).
REVIEW_MONTHS = (3, 6)


@dataclass(frozen=True)
class ProcedureCourse:
    """One procedure's course (rhizo.pathway.course.ReliefCourse's event view), by id."""

    procedure_id: int
    performer_id: int
    day: date
    event_on: date
    event_months: float
    ended: bool
    relieved: bool

    @property
    def event_days(self) -> int:
        """Days from the procedure day to the event or censoring."""
        return (self.event_on - self.day).days


@dataclass(frozen=True)
class OutcomeSnapshot:
    """Everything the outcome figures are computed from, as of one clinic day."""

    as_of: date
    computed_at: datetime
    rows: RegistryRows
    courses: CourseArrays
    reviews: dict[int, ReviewArrays]
    lesions: dict[int, int]
    complications: dict[int, list[ComplicationRow]]

    def review(self, months: int) -> ReviewArrays:
        """The review at ``months`` (``KeyError`` for one not computed)."""
        return self.reviews[months]

    @property
    def procedures(self) -> int:
        """Completed procedures as of the day."""
        return self.rows.size

    @property
    def no_baseline(self) -> int:
        """Procedures without a baseline NRS above 0 (not assessable)."""
        return int(np.count_nonzero(self.rows.baseline <= 0))

    @property
    def no_followup(self) -> int:
        """Procedures with a baseline but no score after their day (not assessable)."""
        return self.procedures - self.no_baseline - int(np.count_nonzero(self.courses.assessable))

    def course_list(self) -> tuple[ProcedureCourse, ...]:
        """Every assessable procedure's course, in procedure-row order (patient, time)."""
        c, rows = self.courses, self.rows
        return tuple(
            ProcedureCourse(
                procedure_id=int(rows.procedure_id[i]),
                performer_id=int(rows.performer_id[i]),
                day=date.fromordinal(int(rows.day[i])),
                event_on=date.fromordinal(int(c.event_day[i])),
                event_months=float(c.event_months[i]),
                ended=bool(c.ended[i]),
                relieved=bool(c.relieved[i]),
            )
            for i in np.flatnonzero(c.assessable).tolist()
        )


def compute_snapshot(*, session: Session, as_of: date, zone: tzinfo) -> OutcomeSnapshot:
    """Read the registry as of the clinic day ``as_of`` in ``zone`` and compute every course."""
    rows = read_rows(session, as_of=as_of, zone=zone)
    as_of_day = as_of.toordinal()
    return OutcomeSnapshot(
        as_of=as_of,
        computed_at=utcnow(),
        rows=rows,
        courses=arrays.courses(rows.scores),
        reviews={
            m: arrays.reviews(rows.scores, months=m, as_of=as_of_day, pgic=rows.pgic)
            for m in REVIEW_MONTHS
        },
        lesions=queries.lesions_performed(session, as_of=as_of, zone=zone),
        complications=queries.complication_counts(session, as_of=as_of, zone=zone),
    )
