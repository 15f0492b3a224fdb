"""Routes for a patient's follow-ups (patients add their own diary entries)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from rhizo.clinic.core.common import Page
from rhizo.clinic.core.deps import Limit, Offset, SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.followup import service
from rhizo.clinic.followup.models import (
    FollowUpCreate,
    FollowUpRead,
    FollowUpUpdate,
)
from rhizo.clinic.patient.access import ClinicalWriter, DiaryWriter, PatientReader

router = APIRouter(prefix="/patients")


@router.get("/{patient_id}/followups", response_model=Page[FollowUpRead], tags=["followups"])
def list_followups(
    actor: PatientReader,
    session: SessionDep,
    patient_id: DbId,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[FollowUpRead]:
    """A patient's follow-ups."""
    rows, total = service.get_all(
        session=session, actor=actor, patient_id=patient_id, limit=limit, offset=offset
    )
    return Page[FollowUpRead](
        items=[FollowUpRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/{patient_id}/followups",
    response_model=FollowUpRead,
    status_code=status.HTTP_201_CREATED,
    tags=["followups"],
)
def create_followup(
    actor: DiaryWriter, session: SessionDep, patient_id: DbId, data: FollowUpCreate
) -> FollowUpRead:
    """Record a follow-up."""
    return FollowUpRead.model_validate(
        service.create(session=session, actor=actor, patient_id=patient_id, data=data)
    )


@router.get(
    "/{patient_id}/followups/{followup_id}", response_model=FollowUpRead, tags=["followups"]
)
def get_followup(
    actor: PatientReader, session: SessionDep, patient_id: DbId, followup_id: DbId
) -> FollowUpRead:
    """One follow-up."""
    return FollowUpRead.model_validate(
        service.get(session=session, actor=actor, patient_id=patient_id, followup_id=followup_id)
    )


@router.patch(
    "/{patient_id}/followups/{followup_id}", response_model=FollowUpRead, tags=["followups"]
)
def update_followup(
    actor: ClinicalWriter,
    session: SessionDep,
    patient_id: DbId,
    followup_id: DbId,
    data: FollowUpUpdate,
) -> FollowUpRead:
    """Change a follow-up."""
    return FollowUpRead.model_validate(
        service.update(
            session=session, actor=actor, patient_id=patient_id, followup_id=followup_id, data=data
        )
    )


@router.delete(
    "/{patient_id}/followups/{followup_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["followups"],
)
def delete_followup(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, followup_id: DbId
) -> Response:
    """Delete a follow-up (recorded in error)."""
    service.delete(session=session, actor=actor, patient_id=patient_id, followup_id=followup_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
