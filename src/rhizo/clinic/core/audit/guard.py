"""The ORM half of append-only: audit rows cannot be changed or removed.

The database half is a trigger on ``audit_event`` (PostgreSQL and SQLite,
created by the migration). Here every session refuses to flush a changed or
deleted :class:`AuditEvent`, and refuses ``UPDATE``/``DELETE`` statements on
its table, so the application has no path to rewrite the trail.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapper, Session, UOWTransaction

from rhizo.clinic.core.audit.models import AuditEvent


class AuditImmutableError(RuntimeError):
    """Someone tried to update or delete an audit row."""


def _refuse(*_: Any) -> None:
    raise AuditImmutableError("audit_event is append-only: rows are never updated or deleted")


@event.listens_for(Session, "before_flush")
def _no_dirty_audit(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    del flush_context, instances
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            _refuse()


@event.listens_for(AuditEvent, "before_update")
def _no_update(mapper: Mapper[Any], connection: sa.Connection, target: AuditEvent) -> None:
    _refuse()


@event.listens_for(AuditEvent, "before_delete")
def _no_delete(mapper: Mapper[Any], connection: sa.Connection, target: AuditEvent) -> None:
    _refuse()


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_rewrite(state: Any) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) == AuditEvent.__tablename__:
        _refuse()
