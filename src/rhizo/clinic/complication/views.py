"""Routes for a patient's complications."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from rhizo.clinic.complication import service
from rhizo.clinic.complication.models import (
    ComplicationCreate,
    ComplicationRead,
    ComplicationUpdate,
)
from rhizo.clinic.core.common import Page
from rhizo.clinic.core.deps import Limit, Offset, SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.patient.access import ClinicalWriter, PatientReader

router = APIRouter(prefix="/patients")


@router.get(
    "/{patient_id}/complications", response_model=Page[ComplicationRead], tags=["complications"]
)
def list_complications(
    actor: PatientReader,
    session: SessionDep,
    patient_id: DbId,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ComplicationRead]:
    """A patient's complications."""
    rows, total = service.get_all(
        session=session, actor=actor, patient_id=patient_id, limit=limit, offset=offset
    )
    return Page[ComplicationRead](
        items=[ComplicationRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/{patient_id}/complications",
    response_model=ComplicationRead,
    status_code=status.HTTP_201_CREATED,
    tags=["complications"],
)
def create_complication(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, data: ComplicationCreate
) -> ComplicationRead:
    """Record a complication."""
    return ComplicationRead.model_validate(
        service.create(session=session, actor=actor, patient_id=patient_id, data=data)
    )


@router.get(
    "/{patient_id}/complications/{complication_id}",
    response_model=ComplicationRead,
    tags=["complications"],
)
def get_complication(
    actor: PatientReader, session: SessionDep, patient_id: DbId, complication_id: DbId
) -> ComplicationRead:
    """One complication."""
    return ComplicationRead.model_validate(
        service.get(
            session=session, actor=actor, patient_id=patient_id, complication_id=complication_id
        )
    )


@router.patch(
    "/{patient_id}/complications/{complication_id}",
    response_model=ComplicationRead,
    tags=["complications"],
)
def update_complication(
    actor: ClinicalWriter,
    session: SessionDep,
    patient_id: DbId,
    complication_id: DbId,
    data: ComplicationUpdate,
) -> ComplicationRead:
    """Change a complication."""
    return ComplicationRead.model_validate(
        service.update(
            session=session,
            actor=actor,
            patient_id=patient_id,
            complication_id=complication_id,
            data=data,
        )
    )


@router.delete(
    "/{patient_id}/complications/{complication_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["complications"],
)
def delete_complication(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, complication_id: DbId
) -> Response:
    """Delete a complication (recorded in error)."""
    service.delete(
        session=session, actor=actor, patient_id=patient_id, complication_id=complication_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
