"""Routes for a patient's pre-procedure plans (holds computed by the pathway)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from rhizo.clinic.core.common import Page
from rhizo.clinic.core.deps import Limit, Offset, SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.patient.access import ClinicalWriter, PatientReader
from rhizo.clinic.plan import service
from rhizo.clinic.plan.models import (
    PlanCreate,
    PlanRead,
    PlanUpdate,
)

router = APIRouter(prefix="/patients")


@router.get("/{patient_id}/plans", response_model=Page[PlanRead], tags=["plans"])
def list_plans(
    actor: PatientReader,
    session: SessionDep,
    patient_id: DbId,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PlanRead]:
    """A patient's pre-procedure plans."""
    rows, total = service.get_all(
        session=session, actor=actor, patient_id=patient_id, limit=limit, offset=offset
    )
    return Page[PlanRead](
        items=[PlanRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.post(
    "/{patient_id}/plans",
    response_model=PlanRead,
    status_code=status.HTTP_201_CREATED,
    tags=["plans"],
)
def create_plan(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, data: PlanCreate
) -> PlanRead:
    """Record a pre-procedure plan."""
    return PlanRead.model_validate(
        service.create(session=session, actor=actor, patient_id=patient_id, data=data)
    )


@router.get("/{patient_id}/plans/{plan_id}", response_model=PlanRead, tags=["plans"])
def get_plan(
    actor: PatientReader, session: SessionDep, patient_id: DbId, plan_id: DbId
) -> PlanRead:
    """One pre-procedure plan."""
    return PlanRead.model_validate(
        service.get(session=session, actor=actor, patient_id=patient_id, plan_id=plan_id)
    )


@router.patch("/{patient_id}/plans/{plan_id}", response_model=PlanRead, tags=["plans"])
def update_plan(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, plan_id: DbId, data: PlanUpdate
) -> PlanRead:
    """Edit a draft or scheduled plan, schedule it or cancel it (with ``cancel_reason``).

    Moves follow :data:`rhizo.clinic.plan.lifecycle.TRANSITIONS`: a refused move, an
    edit of a done or cancelled plan, ``status: done`` by hand (a plan is done when a
    completed procedure is recorded with its ``plan_id``) and a stale ``version`` are
    409; a cancellation without its reason, or a reason without one, is 422."""
    return PlanRead.model_validate(
        service.update(
            session=session, actor=actor, patient_id=patient_id, plan_id=plan_id, data=data
        )
    )


@router.delete(
    "/{patient_id}/plans/{plan_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["plans"]
)
def delete_plan(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, plan_id: DbId
) -> Response:
    """Delete a pre-procedure plan (recorded in error)."""
    service.delete(session=session, actor=actor, patient_id=patient_id, plan_id=plan_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
