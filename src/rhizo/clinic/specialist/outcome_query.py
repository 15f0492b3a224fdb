"""The SQL behind the outcome figures: one row per procedure, then counts per performer.

Everything is computed by the database (correlated subqueries on indexed
columns, then ``SUM(CASE ...)`` per performer); Python receives one row of
counts per specialist, never the follow-ups themselves. See
:mod:`rhizo.clinic.specialist.outcomes` for the definitions and their sources.

Per completed procedure (performed on or before ``as_of``):

- ``baseline``: the ``baseline_nrs`` of the patient's latest diagnostic block
  on or before the procedure's date (as the patient page's pain plot takes it,
  ``rhizo.clinic.web.record.PatientRecord.baseline_nrs``), else the patient's
  latest NRS score *before* that date (the page falls back to the first score;
  a score after the procedure would be an outcome, not a baseline);
- ``fu_<months>``: the id of the follow-up nearest to ``target_days`` after the
  procedure within +-``window_days`` (ties: the earlier date, then the lower
  id), recorded on or before ``as_of``, that belongs to this procedure: linked
  to it by ``procedure_id``, or unlinked (e.g. a diary entry) with no later
  completed procedure of the same patient before it;
- ``complicated``: 1 when at least one complication is linked to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.procedure.models import Lesion, Procedure, ProcedureStatus
from rhizo.clinic.specialist.sqldates import add_days, days_between, utc_day


@dataclass(frozen=True)
class Window:
    """A follow-up checkpoint: ``target_days`` after the procedure, +-``window_days``."""

    months: int
    target_days: int
    window_days: int


@dataclass
class CheckpointCounts:
    """Counts at one checkpoint; assessable + pending + missing + no baseline = procedures."""

    assessable: int = 0
    responders: int = 0
    pending: int = 0
    missing: int = 0
    pgic_answered: int = 0
    pgic_improved: int = 0


@dataclass
class OutcomeCounts:
    """The counts behind one specialist's (or the clinic's) figures."""

    procedures: int = 0
    last_12_months: int = 0
    no_baseline: int = 0
    complicated: int = 0
    checkpoints: dict[int, CheckpointCounts] = field(default_factory=dict)

    def add(self, other: OutcomeCounts) -> None:
        """Add another performer's counts (clinic-wide = the sum over performers)."""
        self.procedures += other.procedures
        self.last_12_months += other.last_12_months
        self.no_baseline += other.no_baseline
        self.complicated += other.complicated
        for months, theirs in other.checkpoints.items():
            mine = self.checkpoints.setdefault(months, CheckpointCounts())
            for name in vars(mine):
                setattr(mine, name, getattr(mine, name) + getattr(theirs, name))


#: The packed nearest follow-up: ((rank x ID_SPAN + id) x NRS_SPAN + nrs) x PGIC_SPAN + pgic.
#: Ids below 2**40, NRS 0-10 below 16, PGIC 1-7 (0 = none) below 8, and a rank of at
#: most 2 x 366 + 1 stay below 2**57, inside SQLite's and PostgreSQL's 64-bit integers.
ID_SPAN = 2**40
NRS_SPAN = 16
PGIC_SPAN = 8


def end_of(day: date) -> datetime:
    """The first instant after ``day`` (UTC): procedures before it are "on or before"."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def completed_by(as_of: date) -> list[sa.ColumnElement[bool]]:
    """Filters: completed procedures performed on or before ``as_of`` (UTC day)."""
    return [
        Procedure.status == ProcedureStatus.COMPLETED,
        Procedure.performed_at < end_of(as_of),
    ]


def _nearest_followup(window: Window, as_of: date) -> sa.ScalarSelect[int]:
    day = utc_day(Procedure.performed_at)
    followup = aliased(FollowUp)
    later = aliased(Procedure)
    later_procedure_between = (
        sa.select(later.id)
        .where(
            later.patient_id == Procedure.patient_id,
            later.status == ProcedureStatus.COMPLETED,
            later.performed_at > Procedure.performed_at,
            utc_day(later.performed_at) < followup.followed_on,
        )
        .correlate_except(later)
        .exists()
    )
    offset = days_between(followup.followed_on, day) - window.target_days
    # SQLite refuses outer columns in a subquery's ORDER BY, so the nearest row is
    # an arg-min: MIN over one packed integer (distance rank, id, NRS, PGIC). Same
    # distance: the earlier follow-up (rank 2d before 2d+1); same day: lower id.
    # The NRS and PGIC ride in the low bits, so no join back to the row is needed.
    rank = sa.func.abs(offset) * 2 + sa.case((offset > 0, 1), else_=0)
    span = sa.literal(ID_SPAN, type_=sa.BigInteger())  # PostgreSQL binds ints as int4
    packed = ((rank * span + followup.id) * NRS_SPAN + followup.nrs) * PGIC_SPAN + sa.func.coalesce(
        followup.pgic, 0
    )
    return (
        sa.select(sa.func.min(packed))
        .where(
            followup.patient_id == Procedure.patient_id,
            followup.followed_on >= add_days(day, window.target_days - window.window_days),
            followup.followed_on <= add_days(day, window.target_days + window.window_days),
            followup.followed_on <= as_of,
            sa.or_(
                followup.procedure_id == Procedure.id,
                sa.and_(followup.procedure_id.is_(None), ~later_procedure_between),
            ),
        )
        .correlate(Procedure)
        .scalar_subquery()
    )


def _nrs_of(packed: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    return (packed // PGIC_SPAN) % NRS_SPAN


def _pgic_of(packed: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    return sa.func.nullif(packed % PGIC_SPAN, 0)


def baseline_nrs() -> sa.ColumnElement[int]:
    """Per procedure (correlated): the baseline NRS defined in this module's docstring."""
    day = utc_day(Procedure.performed_at)
    from_block = (
        sa.select(DiagnosticBlock.baseline_nrs)
        .where(
            DiagnosticBlock.patient_id == Procedure.patient_id,
            DiagnosticBlock.performed_on <= day,
            DiagnosticBlock.baseline_nrs.is_not(None),
        )
        .order_by(DiagnosticBlock.performed_on.desc(), DiagnosticBlock.id.desc())
        .limit(1)
        .correlate(Procedure)
        .scalar_subquery()
    )
    earlier = aliased(FollowUp)
    from_score = (
        sa.select(earlier.nrs)
        .where(earlier.patient_id == Procedure.patient_id, earlier.followed_on < day)
        .order_by(earlier.followed_on.desc(), earlier.id.desc())
        .limit(1)
        .correlate(Procedure)
        .scalar_subquery()
    )
    return sa.func.coalesce(from_block, from_score)


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def outcome_counts(
    session: Session,
    *,
    windows: tuple[Window, ...],
    relief_percent: float,
    pgic_improved_up_to: int,
    as_of: date,
    since: datetime,
    performer_id: int | None = None,
) -> dict[int, OutcomeCounts]:
    """Counts per performer id (only the one performer when ``performer_id`` is given).

    ``since`` starts the "last 12 months" volume. A procedure is a responder at a
    checkpoint when ``100 * (baseline - nrs) >= relief_percent * baseline``
    (integer-exact; baseline 0 cannot show relief and is not assessable).
    """
    complicated = sa.exists().where(Complication.procedure_id == Procedure.id)
    per_procedure_columns: list[sa.ColumnElement[Any]] = [
        Procedure.performer_id.label("performer_id"),
        Procedure.performed_at.label("performed_at"),
        utc_day(Procedure.performed_at).label("day"),
        baseline_nrs().label("baseline"),
        sa.case((complicated, 1), else_=0).label("complicated"),
    ]
    for window in windows:
        per_procedure_columns.append(
            _nearest_followup(window, as_of).label(f"nearest_{window.months}")
        )
    statement = sa.select(*per_procedure_columns).where(*completed_by(as_of))
    if performer_id is not None:
        statement = statement.where(Procedure.performer_id == performer_id)
    # MATERIALIZED: computed once per procedure. Without it SQLite flattens the
    # subquery and re-runs each correlated subquery at every reference below.
    per_procedure = statement.cte("per_procedure").prefix_with("MATERIALIZED")

    has_baseline = per_procedure.c.baseline > 0
    columns: list[sa.ColumnElement[Any]] = [
        per_procedure.c.performer_id,
        sa.func.count().label("procedures"),
        _count(per_procedure.c.performed_at >= since).label("last_12_months"),
        _count(sa.or_(per_procedure.c.baseline.is_(None), ~has_baseline)).label("no_baseline"),
        _count(per_procedure.c.complicated == 1).label("complicated"),
    ]
    for window in windows:
        months = window.months
        nearest = per_procedure.c[f"nearest_{months}"]
        found = nearest.is_not(None)
        nrs, pgic = _nrs_of(nearest), _pgic_of(nearest)
        # The window has closed when day + target + window < as_of.
        closes_after = as_of - timedelta(days=window.target_days + window.window_days)
        relieved = (
            100 * (per_procedure.c.baseline - nrs)
            >= sa.bindparam(f"relief_{months}", relief_percent, type_=sa.Float())
            * per_procedure.c.baseline
        )
        columns += [
            _count(sa.and_(has_baseline, found)).label(f"assessable_{months}"),
            _count(sa.and_(has_baseline, found, relieved)).label(f"responders_{months}"),
            _count(sa.and_(has_baseline, ~found, per_procedure.c.day >= closes_after)).label(
                f"pending_{months}"
            ),
            _count(sa.and_(has_baseline, ~found, per_procedure.c.day < closes_after)).label(
                f"missing_{months}"
            ),
            _count(pgic.is_not(None)).label(f"pgic_answered_{months}"),
            _count(pgic <= pgic_improved_up_to).label(f"pgic_improved_{months}"),
        ]
    statement = sa.select(*columns).group_by(per_procedure.c.performer_id)
    if session.get_bind().dialect.name == "postgresql":
        # The planner's cost for ~10^5 correlated subqueries switches JIT compilation
        # on, which took 0.8 s of a 2.2 s pass at 100,000 patients; the plan is index
        # lookups that JIT does not speed up. SET LOCAL ends with the transaction.
        session.execute(sa.text("SET LOCAL jit = off"))
    result: dict[int, OutcomeCounts] = {}
    for row in session.execute(statement).mappings():
        counts = OutcomeCounts(
            procedures=int(row["procedures"]),
            last_12_months=int(row["last_12_months"]),
            no_baseline=int(row["no_baseline"]),
            complicated=int(row["complicated"]),
        )
        for window in windows:
            m = window.months
            counts.checkpoints[m] = CheckpointCounts(
                **{
                    name: int(row[f"{name}_{m}"])
                    for name in (
                        "assessable",
                        "responders",
                        "pending",
                        "missing",
                        "pgic_answered",
                        "pgic_improved",
                    )
                }
            )
        result[int(row["performer_id"])] = counts
    return result


def lesions_performed(
    session: Session, *, as_of: date, performer_id: int | None = None
) -> dict[int, int]:
    """Lesions recorded as performed in completed procedures, per performer id."""
    statement = (
        sa.select(Procedure.performer_id, sa.func.count(Lesion.id))
        .join(Lesion, Lesion.procedure_id == Procedure.id)
        .where(Lesion.performed.is_(True), *completed_by(as_of))
        .group_by(Procedure.performer_id)
    )
    if performer_id is not None:
        statement = statement.where(Procedure.performer_id == performer_id)
    return {int(performer): int(n) for performer, n in session.execute(statement)}


@dataclass(frozen=True)
class ComplicationRow:
    """Complications of one type and severity among a performer's procedures."""

    type: str
    severity: str
    complications: int
    procedures: int


def complication_counts(
    session: Session, *, as_of: date, performer_id: int | None = None
) -> dict[int, list[ComplicationRow]]:
    """Complications linked to completed procedures, per performer id, most frequent first."""
    statement = (
        sa.select(
            Procedure.performer_id,
            Complication.type,
            Complication.severity,
            sa.func.count(Complication.id),
            sa.func.count(sa.distinct(Complication.procedure_id)),
        )
        .join(Procedure, Procedure.id == Complication.procedure_id)
        .where(*completed_by(as_of))
        .group_by(Procedure.performer_id, Complication.type, Complication.severity)
    )
    if performer_id is not None:
        statement = statement.where(Procedure.performer_id == performer_id)
    result: dict[int, list[ComplicationRow]] = {}
    for performer, kind, severity, n, procedures in session.execute(statement):
        result.setdefault(int(performer), []).append(
            ComplicationRow(str(kind.value), str(severity.value), int(n), int(procedures))
        )
    for rows in result.values():
        rows.sort(key=lambda row: (-row.complications, row.type, row.severity))
    return result
