"""Writing and reading the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.audit import guard as _guard  # noqa: F401 - installs the append-only guard
from rhizo.clinic.audit.models import AuditAction, AuditEvent
from rhizo.clinic.auth.models import Actor


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
) -> tuple[Sequence[AuditEvent], int]:
    """Audit rows, newest first, filtered; with the total that matched."""
    conditions: list[sa.ColumnElement[bool]] = []
    if patient_id is not None:
        conditions.append(AuditEvent.patient_id == patient_id)
    if actor_id is not None:
        conditions.append(AuditEvent.actor_id == actor_id)
    if action is not None:
        conditions.append(AuditEvent.action == action)
    if since is not None:
        conditions.append(AuditEvent.ts >= since)
    if until is not None:
        conditions.append(AuditEvent.ts < until)
    total = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(*conditions))
    rows = session.scalars(
        sa.select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total or 0)
