"""Writing and reading the audit trail.

:func:`record` is the one way to write an audit row (every domain, the login
code and :mod:`rhizo.clinic.core.audit.attempts` call it); the row joins the
caller's transaction and takes its place in the hash chain when flushed
(:mod:`rhizo.clinic.core.audit.chain`). :func:`record_now` commits it on its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core.audit import chain as _chain  # noqa: F401 - installs the hash chain
from rhizo.clinic.core.audit import guard as _guard  # noqa: F401 - installs the append-only guard
from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import Actor

#: ``entity_type`` of a read of the audit trail itself.
AUDIT_LOG_ENTITY = "audit_log"


def record(
    *,
    session: Session,
    actor: Actor,
    action: AuditAction,
    entity_type: str,
    entity_id: object = None,
    patient_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit row to the session (committed with the change it records)."""
    event = AuditEvent(
        actor_id=actor.user_id,
        actor_username=actor.username[:64],
        actor_role=actor.role.value if actor.role is not None else None,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        patient_id=patient_id,
        request_id=actor.request_id,
        ip=actor.ip,
        details=details or {},
    )
    session.add(event)
    return event


def record_now(
    *,
    session: Session,
    actor: Actor,
    action: AuditAction,
    entity_type: str,
    entity_id: object = None,
    patient_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """:func:`record` and commit at once (events that change nothing else: reads, refusals)."""
    event = record(
        session=session,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        patient_id=patient_id,
        details=details,
    )
    session.commit()
    return event


def event_filters(
    *,
    patient_id: int | None = None,
    actor_id: int | None = None,
    actor_username: str | None = None,
    action: AuditAction | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions of a filtered read (``since`` included, ``until`` excluded)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if patient_id is not None:
        conditions.append(AuditEvent.patient_id == patient_id)
    if actor_id is not None:
        conditions.append(AuditEvent.actor_id == actor_id)
    if actor_username is not None:
        conditions.append(AuditEvent.actor_username == actor_username)
    if action is not None:
        conditions.append(AuditEvent.action == action)
    if since is not None:
        conditions.append(AuditEvent.ts >= since)
    if until is not None:
        conditions.append(AuditEvent.ts < until)
    return conditions


def stream_events(
    session: Session, conditions: Sequence[sa.ColumnElement[bool]], *, batch: int = 1000
) -> Iterator[AuditEvent]:
    """Every matching row, newest first, read ``batch`` rows at a time (keyset on ``id``,
    so a long download holds no cursor open between batches). Read-only; not audited:
    the caller records the download."""
    below: int | None = None
    while True:
        statement = sa.select(AuditEvent).where(*conditions)
        if below is not None:
            statement = statement.where(AuditEvent.id < below)
        rows = session.scalars(statement.order_by(AuditEvent.id.desc()).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        below = rows[-1].id


def list_events(
    *,
    session: Session,
    limit: int,
    offset: int,
    patient_id: int | None = None,
    actor_id: int | None = None,
    action: AuditAction | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    actor_username: str | None = None,
) -> tuple[Sequence[AuditEvent], int]:
    """Audit rows, newest first, filtered; with the total that matched."""
    conditions = event_filters(
        patient_id=patient_id,
        actor_id=actor_id,
        actor_username=actor_username,
        action=action,
        since=since,
        until=until,
    )
    total = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(*conditions))
    rows = session.scalars(
        sa.select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total or 0)


def read_events(
    *,
    session: Session,
    actor: Actor,
    limit: int,
    offset: int,
    patient_id: int | None = None,
    actor_id: int | None = None,
    action: AuditAction | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    actor_username: str | None = None,
) -> tuple[Sequence[AuditEvent], int]:
    """:func:`list_events` for a reader, who is audited in turn (filters and rows shown)."""
    rows, total = list_events(
        session=session,
        limit=limit,
        offset=offset,
        patient_id=patient_id,
        actor_id=actor_id,
        action=action,
        since=since,
        until=until,
        actor_username=actor_username,
    )
    filters: dict[str, Any] = {
        "patient_id": patient_id,
        "actor_id": actor_id,
        "actor_username": actor_username,
        "action": action.value if action is not None else None,
        "since": since.isoformat() if since is not None else None,
        "until": until.isoformat() if until is not None else None,
    }
    details = {
        "filters": {key: value for key, value in filters.items() if value is not None},
        "limit": limit,
        "offset": offset,
        "returned": len(rows),
    }
    record_now(
        session=session,
        actor=actor,
        action=AuditAction.READ,
        entity_type=AUDIT_LOG_ENTITY,
        patient_id=patient_id,
        details=details,
    )
    return rows, total
