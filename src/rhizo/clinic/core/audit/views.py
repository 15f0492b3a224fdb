"""The audit trail, read-only, for auditors and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from rhizo.clinic.core.audit import service
from rhizo.clinic.core.audit.models import AuditAction, AuditRead
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import Page
from rhizo.clinic.core.deps import Limit, Offset, SessionDep, require
from rhizo.clinic.core.validation import DbId, PlannedAt

router = APIRouter(prefix="/audit", tags=["audit"])

AuditReader = Annotated[Actor, Depends(require(Permission.AUDIT_READ))]


@router.get("", response_model=Page[AuditRead])
def list_audit_events(
    actor: AuditReader,
    session: SessionDep,
    limit: Limit = 100,
    offset: Offset = 0,
    patient_id: DbId | None = None,
    actor_id: DbId | None = None,
    action: AuditAction | None = None,
    since: PlannedAt | None = None,
    until: PlannedAt | None = None,
) -> Page[AuditRead]:
    """Audit rows, newest first, by patient, actor, action or time (the read is audited)."""
    rows, total = service.read_events(
        session=session,
        actor=actor,
        limit=limit,
        offset=offset,
        patient_id=patient_id,
        actor_id=actor_id,
        action=action,
        since=since,
        until=until,
    )
    return Page[AuditRead](
        items=[AuditRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )
