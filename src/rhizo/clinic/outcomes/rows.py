"""Read the registry once into arrays: completed procedures, their baselines and their scores.

One pass for every outcome figure (the specialist pages, the Outcomes page,
the API). Per completed procedure performed on or before the clinic day
``as_of`` (:func:`rhizo.clinic.outcomes.queries.completed_by`):

- ``day``: its clinic day, :func:`rhizo.pathway.clinic_day.procedure_day` in
  the clinic's zone (``RHIZO_CLINIC_TIMEZONE``);
- ``baseline``: :func:`rhizo.pathway.baseline.baseline_for_procedure` over the
  patient's NRS scores and diagnostic blocks (-1: none);
- ``complicated``: at least one complication is linked to it;
- ``lowest_capture``: the lowest predicted capture among its performed lesions
  (the record link, :mod:`rhizo.clinic.procedure.prediction`; NaN when any of
  them has none);
- ``joint_capture``: the predicted probability that every nerve it targeted was
  captured (:func:`rhizo.clinic.procedure.prediction.procedure_joint_capture`; NaN
  in the same cases): the Outcomes page's capture bands.

And every NRS score of those patients dated on or before ``as_of``, assigned
to the procedure it follows: a score linked to a procedure belongs to it (to
none when that procedure is not a completed one); an unlinked score (a pain
diary entry) belongs to the patient's latest completed procedure on an
earlier clinic day, so a repeat procedure starts a new course. The scores are
sorted by procedure row, then date, then id (the layout of
:class:`rhizo.clinic.outcomes.arrays.ScoreRows`).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.orm import InstrumentedAttribute, Session

from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.outcomes.arrays import ScoreRows
from rhizo.clinic.outcomes.queries import completed_by
from rhizo.clinic.procedure.models import Lesion, Procedure
from rhizo.clinic.procedure.prediction import procedure_joint_capture
from rhizo.pathway.baseline import BlockReading, baseline_for_procedure
from rhizo.pathway.clinic_day import procedure_day
from rhizo.pathway.relief import Score

Ints = NDArray[np.int64]
#: Days per patient in the sort key of (patient, day): more than any registry's span.
_DAY_SPAN = 1 << 24


@dataclass(frozen=True)
class RegistryRows:
    """The completed procedures as of a clinic day, as parallel arrays, and their scores."""

    as_of: date
    procedure_id: Ints
    patient_id: Ints
    performer_id: Ints
    technique: NDArray[np.str_]
    region: NDArray[np.str_]
    #: Clinic day of each procedure (ordinal) and its baseline NRS (-1: none).
    day: Ints
    baseline: Ints
    complicated: NDArray[np.bool_]
    scores: ScoreRows
    #: PGIC of each score (0: not recorded), parallel to the score arrays.
    pgic: Ints
    #: Lowest predicted capture among each procedure's performed lesions (the record
    #: link); NaN when a performed lesion has no prediction or none was performed.
    lowest_capture: NDArray[np.float64]
    #: P(every targeted nerve captured) of each procedure (same NaN rule).
    joint_capture: NDArray[np.float64]

    @property
    def size(self) -> int:
        """Number of completed procedures."""
        return int(self.procedure_id.size)


def _raw(column: InstrumentedAttribute[date]) -> sa.ColumnElement[Any]:
    """A date column without SQLAlchemy's per-row conversion (ISO text on SQLite)."""
    return sa.type_coerce(column, sa.String())


def _date(value: object) -> date:
    # PostgreSQL's driver hands back a date, SQLite's the ISO text.
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _ints(values: list[int]) -> Ints:
    return np.asarray(values, dtype=np.int64)


def _patients(as_of: date, zone: tzinfo) -> sa.ScalarSelect[int]:
    return sa.select(Procedure.patient_id).where(*completed_by(as_of, zone)).scalar_subquery()


def read_rows(session: Session, *, as_of: date, zone: tzinfo) -> RegistryRows:
    """Every completed procedure as of the clinic day ``as_of`` (see the module docstring)."""
    procedures = session.execute(
        sa.select(
            Procedure.id,
            Procedure.patient_id,
            Procedure.performer_id,
            Procedure.technique,
            Procedure.region,
            Procedure.performed_at,
        )
        .where(*completed_by(as_of, zone))
        .order_by(Procedure.patient_id, Procedure.performed_at, Procedure.id)
    ).all()
    followups_raw = session.execute(
        sa.select(
            FollowUp.patient_id,
            FollowUp.procedure_id,
            _raw(FollowUp.followed_on),
            FollowUp.nrs,
            FollowUp.pgic,
        )
        .where(FollowUp.followed_on <= as_of, FollowUp.patient_id.in_(_patients(as_of, zone)))
        .order_by(FollowUp.patient_id, FollowUp.followed_on, FollowUp.id)
    ).all()
    blocks = session.execute(
        sa.select(
            DiagnosticBlock.patient_id,
            _raw(DiagnosticBlock.performed_on),
            DiagnosticBlock.baseline_nrs,
            DiagnosticBlock.relief_percent,
        )
        .where(DiagnosticBlock.patient_id.in_(_patients(as_of, zone)))
        .order_by(DiagnosticBlock.patient_id, DiagnosticBlock.id)
    ).all()
    # Dates as the driver returns them (ISO text on SQLite), read once here.
    followups = [(p, linked, _date(on), nrs, pgic) for p, linked, on, nrs, pgic in followups_raw]
    complicated_ids: set[int] = set(
        session.scalars(
            sa.select(sa.func.coalesce(Complication.procedure_id, -1))
            .join(Procedure, Procedure.id == Complication.procedure_id)
            .where(*completed_by(as_of, zone))
            .distinct()
        )
    )

    procedure_id = _ints([row[0] for row in procedures])
    patient_id = _ints([row[1] for row in procedures])
    days = [procedure_day(row[5], zone) for row in procedures]
    day = _ints([d.toordinal() for d in days])

    scores_of: dict[int, list[Score]] = defaultdict(list)
    for patient, _, followed_on, nrs, _ in followups:
        scores_of[patient].append((followed_on, nrs))
    score_days = {patient: [on for on, _ in scores] for patient, scores in scores_of.items()}
    blocks_of: dict[int, list[BlockReading]] = defaultdict(list)
    for patient, performed_on, block_nrs, relief_percent in blocks:
        blocks_of[patient].append(BlockReading(_date(performed_on), block_nrs, relief_percent))
    baseline = []
    for row, on in zip(procedures, days, strict=True):
        patient = row[1]
        # Only the scores dated before the day can be a baseline: the rest are not passed
        # (the rule itself, window and all, is the pathway's).
        before = bisect.bisect_left(score_days.get(patient, ()), on)
        chosen = baseline_for_procedure(
            day=on,
            scores=scores_of[patient][:before] if before else (),
            blocks=blocks_of.get(patient, ()),
        )
        baseline.append(-1 if chosen is None else chosen.nrs)

    lowest, joint = _predicted_capture(session, as_of=as_of, zone=zone)
    score_owner, score_day, score_nrs, score_pgic = _assign(
        followups, procedure_id=procedure_id, patient_id=patient_id, day=day
    )
    return RegistryRows(
        as_of=as_of,
        procedure_id=procedure_id,
        patient_id=patient_id,
        performer_id=_ints([row[2] for row in procedures]),
        technique=np.asarray([row[3].value for row in procedures], dtype=np.str_),
        region=np.asarray([row[4].value for row in procedures], dtype=np.str_),
        day=day,
        baseline=_ints(baseline),
        complicated=np.isin(procedure_id, _ints(sorted(complicated_ids))),
        scores=ScoreRows(
            day=day,
            baseline=_ints(baseline),
            score_of=score_owner,
            score_day=score_day,
            nrs=score_nrs,
        ),
        pgic=score_pgic,
        lowest_capture=np.asarray(
            [lowest.get(int(pid), np.nan) for pid in procedure_id], dtype=np.float64
        ),
        joint_capture=np.asarray(
            [joint.get(int(pid), np.nan) for pid in procedure_id], dtype=np.float64
        ),
    )


def _predicted_capture(
    session: Session, *, as_of: date, zone: tzinfo
) -> tuple[dict[int, float], dict[int, float]]:
    """({procedure id: lowest predicted lesion capture}, {procedure id: joint capture})
    where every performed lesion has a prediction.

    One GROUP BY per (procedure, nerve as written, lower case): the best lesion per
    nerve and the counts; the joint capture of each procedure is then
    :func:`rhizo.clinic.procedure.prediction.procedure_joint_capture` of those.
    """
    nerve = sa.func.lower(Lesion.target_nerve)
    statement = (
        sa.select(
            Lesion.procedure_id,
            nerve,
            sa.func.min(Lesion.predicted_capture_probability),
            sa.func.max(Lesion.predicted_capture_probability),
            sa.func.count(Lesion.id),
            sa.func.count(Lesion.predicted_capture_probability),
        )
        .join(Procedure, Procedure.id == Lesion.procedure_id)
        .where(*completed_by(as_of, zone), Lesion.performed.is_(True))
        .group_by(Lesion.procedure_id, nerve)
    )
    groups: dict[int, list[tuple[str, float, float]]] = defaultdict(list)
    missing: set[int] = set()
    for pid, name, lowest, best, lesions, predicted in session.execute(statement):
        if lesions != predicted or lowest is None:
            missing.add(int(pid))
        else:
            groups[int(pid)].append((str(name), float(lowest), float(best)))
    lowest_of: dict[int, float] = {}
    joint_of: dict[int, float] = {}
    for pid, rows in groups.items():
        if pid in missing:
            continue
        lowest_of[pid] = min(low for _, low, _ in rows)
        joint = procedure_joint_capture([(name, best) for name, _, best in rows])
        joint_of[pid] = joint.probability
    return lowest_of, joint_of


def _assign(
    followups: Sequence[Sequence[Any]],
    *,
    procedure_id: Ints,
    patient_id: Ints,
    day: Ints,
) -> tuple[Ints, Ints, Ints, Ints]:
    """(procedure row, day, nrs, pgic) of each assigned score, sorted by row, then date, id."""
    if not followups or not procedure_id.size:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    patient = _ints([row[0] for row in followups])
    linked = _ints([-1 if row[1] is None else row[1] for row in followups])
    on = _ints([row[2].toordinal() for row in followups])
    nrs = _ints([row[3] for row in followups])
    pgic = _ints([row[4] or 0 for row in followups])
    owner = owners(
        score_patient=patient,
        score_linked=linked,
        score_day=on,
        procedure_id=procedure_id,
        patient_id=patient_id,
        day=day,
    )
    keep = owner >= 0
    # Stable: within a procedure the scores keep their (date, id) order.
    order = np.argsort(owner[keep], kind="stable")
    return owner[keep][order], on[keep][order], nrs[keep][order], pgic[keep][order]


def owners(
    *,
    score_patient: Ints,
    score_linked: Ints,
    score_day: Ints,
    procedure_id: Ints,
    patient_id: Ints,
    day: Ints,
) -> Ints:
    """The procedure row each score belongs to (-1: none), for every score at once.

    The rule of :func:`rhizo.pathway.attribution.assign_scores`, vectorised and
    held to it by ``tests/clinic/test_outcome_arrays.py``: a linked score
    belongs to its procedure when that is one of the rows (completed), else to
    none; an unlinked score to the patient's latest row on an earlier day. The
    procedure rows must be sorted by patient, then start time (``day`` then
    ascends within a patient); ``score_linked`` is -1 for an unlinked score.
    """
    owner = np.full(score_day.size, -1, dtype=np.int64)
    if not procedure_id.size or not score_day.size:
        return owner
    by_id = np.argsort(procedure_id)
    at = np.minimum(
        np.searchsorted(procedure_id, score_linked, sorter=by_id), procedure_id.size - 1
    )
    found = (score_linked >= 0) & (procedure_id[by_id[at]] == score_linked)
    owner[found] = by_id[at[found]]
    base = int(min(day.min(), score_day.min()))
    procedure_key = patient_id * _DAY_SPAN + (day - base)
    score_key = score_patient * _DAY_SPAN + (score_day - base)
    before = np.searchsorted(procedure_key, score_key, side="left") - 1
    candidate = np.maximum(before, 0)
    unlinked = (score_linked < 0) & (before >= 0) & (patient_id[candidate] == score_patient)
    owner[unlinked] = candidate[unlinked]
    return owner
