"""One patient's per-procedure outcome figures, from the rows of their record.

For the pages and exports that show one patient (the patient page, the
research export): each completed procedure's clinic day, baseline NRS,
course of relief and reviews at 3 and 6 months, computed by calling the
pathway's definitions on the patient's rows, as the registry snapshot
computes them for every procedure at once (``tests/clinic/test_outcome_patient.py``
holds the two equal):

- :func:`rhizo.pathway.clinic_day.procedure_day` (the clinic's zone);
- :func:`rhizo.pathway.attribution.assign_reviews` (which procedure a score is for);
- :func:`rhizo.pathway.baseline.baseline_for_procedure`;
- :func:`rhizo.pathway.course.course_of`;
- :func:`rhizo.pathway.responder.responder_at` at each of
  :data:`rhizo.clinic.outcomes.snapshot.REVIEW_MONTHS`.

Only completed procedures performed on or before the clinic day ``as_of``
have outcomes; scores dated after ``as_of`` are not read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Protocol

from rhizo.clinic.outcomes.snapshot import REVIEW_MONTHS
from rhizo.clinic.procedure.models import ProcedureStatus
from rhizo.pathway.attribution import assign_reviews
from rhizo.pathway.baseline import BaselineNrs, BlockReading, baseline_for_procedure
from rhizo.pathway.clinic_day import procedure_day
from rhizo.pathway.course import ReliefCourse, course_of
from rhizo.pathway.responder import ResponderAt, responder_at


class ProcedureRow(Protocol):
    """What is read from a procedure (the ORM row has it)."""

    @property
    def id(self) -> int: ...
    @property
    def performed_at(self) -> datetime: ...
    @property
    def status(self) -> ProcedureStatus: ...


class ScoreRow(Protocol):
    """What is read from a follow-up."""

    @property
    def id(self) -> int: ...
    @property
    def followed_on(self) -> date: ...
    @property
    def nrs(self) -> int: ...
    @property
    def procedure_id(self) -> int | None: ...
    @property
    def pgic(self) -> int | None: ...


class BlockRow(Protocol):
    """What is read from a diagnostic block."""

    @property
    def id(self) -> int: ...
    @property
    def performed_on(self) -> date: ...
    @property
    def baseline_nrs(self) -> int | None: ...
    @property
    def relief_percent(self) -> int: ...


@dataclass(frozen=True)
class ProcedureOutcome:
    """One completed procedure's figures."""

    procedure_id: int
    #: The clinic day it counts from.
    day: date
    baseline: BaselineNrs | None
    #: None when not assessable (no baseline above 0, or no score after the day).
    course: ReliefCourse | None
    #: The review at each of REVIEW_MONTHS, in that order.
    reviews: tuple[ResponderAt, ...]


def procedure_outcomes(
    *,
    procedures: Iterable[ProcedureRow],
    followups: Iterable[ScoreRow],
    blocks: Iterable[BlockRow],
    zone: tzinfo,
    as_of: date,
) -> dict[int, ProcedureOutcome]:
    """Each completed procedure's outcome figures, by procedure id (rules in the docstring)."""
    done = sorted(
        (
            (p.performed_at, p.id)
            for p in procedures
            if p.status == ProcedureStatus.COMPLETED
            and procedure_day(p.performed_at, zone) <= as_of
        ),
    )
    days = {pid: procedure_day(at, zone) for at, pid in done}
    scores = sorted(
        (f for f in followups if f.followed_on <= as_of), key=lambda f: (f.followed_on, f.id)
    )
    readings = [
        BlockReading(b.performed_on, b.baseline_nrs, b.relief_percent)
        for b in sorted(blocks, key=lambda b: b.id)
    ]
    all_scores = [(f.followed_on, f.nrs) for f in scores]
    # Each score keeps its follow-up's PGIC: the responder check's global-effect criterion.
    owned = assign_reviews(
        [(pid, days[pid]) for _, pid in done],
        [(f.followed_on, f.nrs, f.procedure_id, f.pgic) for f in scores],
    )
    result = {}
    for _, pid in done:
        day = days[pid]
        baseline = baseline_for_procedure(day=day, scores=all_scores, blocks=readings)
        value = None if baseline is None else baseline.nrs
        mine = owned[pid]
        result[pid] = ProcedureOutcome(
            procedure_id=pid,
            day=day,
            baseline=baseline,
            course=course_of(day=day, baseline_nrs=value, scores=mine, as_of=as_of),
            reviews=tuple(
                responder_at(day=day, baseline_nrs=value, scores=mine, months=m, as_of=as_of)
                for m in REVIEW_MONTHS
            ),
        )
    return result
