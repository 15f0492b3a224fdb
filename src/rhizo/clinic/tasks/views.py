"""REST routes for worklist tasks (``/tasks``): open tasks, reviews due, the sweep, hand closes.

Staff read (``schedule:read``); the sweep and closes need ``schedule:write``.
Every read is audited (one row naming what was listed); every change is
audited by the service. The dates are pathway-derived decision support.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.database import utcnow
from rhizo.clinic.core.deps import SessionDep, SettingsDep, require
from rhizo.clinic.core.validation import MAX_ID, DbId
from rhizo.clinic.tasks import service
from rhizo.clinic.tasks.models import ReviewDue, TaskClose, TaskKind, TaskRead
from rhizo.pathway.clinic_day import procedure_day

router = APIRouter(prefix="/tasks", tags=["tasks"])

Reader = Annotated[Actor, Depends(require(Permission.SCHEDULE_READ))]
Writer = Annotated[Actor, Depends(require(Permission.SCHEDULE_WRITE))]


class RefreshRead(BaseModel):
    """What one sweep did: the dedupe keys of the tasks raised, closed and reopened."""

    today: date
    raised: list[str]
    closed: list[str]
    reopened: list[str]


@router.get("", response_model=list[TaskRead])
def list_open_tasks(
    actor: Reader,
    session: SessionDep,
    kind: TaskKind | None = None,
    patient_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[TaskRead]:
    """Open tasks, soonest due first (decision support: the clinician decides)."""
    rows = service.open_tasks(session=session, kind=kind, patient_id=patient_id)
    audit.record_now(
        session=session,
        actor=actor,
        action=AuditAction.READ,
        entity_type=service.ENTITY,
        patient_id=patient_id,
        details={"listed": len(rows), "kind": None if kind is None else kind.value},
    )
    return [TaskRead.model_validate(row) for row in rows]


@router.get("/reviews-due", response_model=list[ReviewDue])
def list_reviews_due(
    actor: Reader,
    session: SessionDep,
    settings: SettingsDep,
    horizon_days: Annotated[int, Query(ge=0, le=366)] = 14,
) -> list[ReviewDue]:
    """Reviews due within ``horizon_days`` of the clinic's today, and overdue ones."""
    zone = settings.clinic_zone
    today = procedure_day(utcnow(), zone)
    rows = service.reviews_due(session=session, today=today, horizon_days=horizon_days, zone=zone)
    audit.record_now(
        session=session,
        actor=actor,
        action=AuditAction.READ,
        entity_type="review_due",
        details={"listed": len(rows), "horizon_days": horizon_days},
    )
    return rows


@router.post("/refresh", response_model=RefreshRead)
def run_refresh(actor: Writer, session: SessionDep, settings: SettingsDep) -> RefreshRead:
    """Run the pathway's sweep now (it also runs after diary and follow-up writes)."""
    del actor
    zone = settings.clinic_zone
    today = procedure_day(utcnow(), zone)
    result = service.refresh(session=session, today=today, zone=zone)
    return RefreshRead(
        today=today,
        raised=list(result.raised),
        closed=list(result.closed),
        reopened=list(result.reopened),
    )


@router.post("/{task_id}/close", response_model=TaskRead)
def close_task(actor: Writer, session: SessionDep, task_id: DbId, data: TaskClose) -> TaskRead:
    """Close a task: done, or dismissed with a reason (422 without; 409 if already closed)."""
    return TaskRead.model_validate(
        service.close(session=session, actor=actor, task_id=task_id, data=data)
    )
