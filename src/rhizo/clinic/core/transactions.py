"""Write helpers every domain shares: one transaction per write, changes, pages.

Each domain's ``service.py`` writes through :func:`transaction`, so a constraint
clash or a concurrent edit becomes one 409 in words and nothing half-written
stays behind. The patient-scoped create/read/update/delete helpers built on
these are :mod:`rhizo.clinic.patient.records`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from rhizo.clinic.core.common import ConflictError, FieldProblem, InvalidInputError
from rhizo.clinic.core.conflicts import (
    STALE_WRITE,
    VERSION_FIELD,
    check_version,
    integrity_message,
)
from rhizo.clinic.core.database import Base, begin_write

M = TypeVar("M", bound=Base)


@contextmanager
def transaction(session: Session) -> Iterator[None]:
    """One write transaction (``BEGIN IMMEDIATE`` on SQLite: it waits for the write lock,
    :func:`rhizo.clinic.core.database.begin_write`): commit what the block did, or roll all
    of it back (constraint clashes and concurrent edits -> 409 in words,
    :mod:`rhizo.clinic.core.conflicts`)."""
    begin_write(session)
    try:
        yield
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise ConflictError(integrity_message(error)) from error
    except StaleDataError as error:
        session.rollback()
        raise ConflictError(STALE_WRITE) from error
    except BaseException:
        session.rollback()
        raise


def changes_of(data: BaseModel) -> dict[str, Any]:
    """The fields an update schema actually set (None included when given explicitly)."""
    return data.model_dump(exclude_unset=True, mode="python")


def _nulls_refused(row: Base, changes: dict[str, Any]) -> list[FieldProblem]:
    """An explicit null for a column that cannot hold one (a PATCH sends it to mean "clear";
    such a field can only be changed, never cleared)."""
    columns = sa.inspect(type(row)).columns
    return [
        FieldProblem(
            name, None, "not_null", f"{name} cannot be cleared: give a value or leave it out"
        )
        for name, value in changes.items()
        if value is None and name in columns and not columns[name].nullable
    ]


def apply_changes(row: Base, changes: dict[str, Any]) -> list[str]:
    """Set ``changes`` on ``row``; returns the names of fields whose value changed.

    A ``version`` in ``changes`` is the version the edit was read at: it is
    checked (:func:`rhizo.clinic.core.conflicts.check_version`), never set. A null for a
    column that cannot hold one is refused (422) before anything is set.
    """
    if VERSION_FIELD in changes:
        check_version(row, changes[VERSION_FIELD])
    refused = _nulls_refused(row, changes)
    if refused:
        raise InvalidInputError(refused)
    changed = []
    for name, value in changes.items():
        if name == VERSION_FIELD:
            continue
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)
    return sorted(changed)


def page(
    session: Session,
    statement: sa.Select[M],
    *,
    limit: int,
    offset: int,
) -> tuple[Sequence[M], int]:
    """One page of ``statement`` and the number of rows it matches in all."""
    total = session.scalar(
        sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    )
    rows = session.scalars(statement.limit(limit).offset(offset)).all()
    return rows, int(total or 0)
