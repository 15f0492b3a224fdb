"""The SQL the outcome figures still need: which procedures count, lesions and complications.

A completed procedure counts "as of" a clinic day when its clinic day
(:func:`rhizo.pathway.clinic_day.procedure_day`) is on or before that day.
In SQL that is one comparison of the stored UTC instant with the first
instant of the next clinic day (:func:`end_of_clinic_day`), so no date
arithmetic runs in the database and SQLite (which has no time zones) and
PostgreSQL read the same rows; ``tests/clinic/test_outcome_sql_day.py`` holds
the comparison to ``procedure_day`` over many instants (month ends, DST
changes) on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.complication.models import Complication
from rhizo.clinic.procedure.models import Lesion, Procedure, ProcedureStatus


def end_of_clinic_day(day: date, zone: tzinfo) -> datetime:
    """The first instant (UTC) after ``day`` on the clinic's clock in ``zone``.

    ``procedure_day(t, zone) <= day`` exactly when ``t < end_of_clinic_day(day, zone)``:
    local midnight starting ``day + 1``; where a DST change skips midnight (some zones
    spring forward at 00:00), the first existing local instant of that day.
    """
    following = day + timedelta(days=1)
    local = datetime.combine(following, time(0), tzinfo=zone)
    moment = local.astimezone(UTC)
    # A skipped midnight converts to an instant whose local date is still ``day``
    # (fold=0 reads it with the old offset); step forward to the new date's first minute.
    while moment.astimezone(zone).date() < following:
        moment += timedelta(minutes=15)
    return moment


def completed_by(as_of: date, zone: tzinfo) -> list[sa.ColumnElement[bool]]:
    """Filters: completed procedures performed on or before the clinic day ``as_of``."""
    return [
        Procedure.status == ProcedureStatus.COMPLETED,
        Procedure.performed_at < end_of_clinic_day(as_of, zone),
    ]


def lesions_performed(
    session: Session, *, as_of: date, zone: tzinfo, performer_id: int | None = None
) -> dict[int, int]:
    """Lesions recorded as performed in completed procedures, per performer id."""
    statement = (
        sa.select(Procedure.performer_id, sa.func.count(Lesion.id))
        .join(Lesion, Lesion.procedure_id == Procedure.id)
        .where(Lesion.performed.is_(True), *completed_by(as_of, zone))
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
    session: Session, *, as_of: date, zone: tzinfo, performer_id: int | None = None
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
        .where(*completed_by(as_of, zone))
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
