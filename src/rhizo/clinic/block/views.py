"""Routes for a patient's diagnostic blocks."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from rhizo.clinic.block import service
from rhizo.clinic.block.models import (
    BlockCreate,
    BlockRead,
    BlockUpdate,
)
from rhizo.clinic.core.common import Page
from rhizo.clinic.core.deps import Limit, Offset, SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.patient.access import ClinicalWriter, PatientReader

router = APIRouter(prefix="/patients")


@router.get("/{patient_id}/blocks", response_model=Page[BlockRead], tags=["blocks"])
def list_blocks(
    actor: PatientReader,
    session: SessionDep,
    patient_id: DbId,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[BlockRead]:
    """A patient's diagnostic blocks."""
    rows, total = service.get_all(
        session=session, actor=actor, patient_id=patient_id, limit=limit, offset=offset
    )
    return Page[BlockRead](
        items=[BlockRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.post(
    "/{patient_id}/blocks",
    response_model=BlockRead,
    status_code=status.HTTP_201_CREATED,
    tags=["blocks"],
)
def create_block(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, data: BlockCreate
) -> BlockRead:
    """Record a diagnostic block."""
    return BlockRead.model_validate(
        service.create(session=session, actor=actor, patient_id=patient_id, data=data)
    )


@router.get("/{patient_id}/blocks/{block_id}", response_model=BlockRead, tags=["blocks"])
def get_block(
    actor: PatientReader, session: SessionDep, patient_id: DbId, block_id: DbId
) -> BlockRead:
    """One diagnostic block."""
    return BlockRead.model_validate(
        service.get(session=session, actor=actor, patient_id=patient_id, block_id=block_id)
    )


@router.patch("/{patient_id}/blocks/{block_id}", response_model=BlockRead, tags=["blocks"])
def update_block(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, block_id: DbId, data: BlockUpdate
) -> BlockRead:
    """Change a diagnostic block."""
    return BlockRead.model_validate(
        service.update(
            session=session, actor=actor, patient_id=patient_id, block_id=block_id, data=data
        )
    )


@router.delete(
    "/{patient_id}/blocks/{block_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["blocks"]
)
def delete_block(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, block_id: DbId
) -> Response:
    """Delete a diagnostic block (recorded in error)."""
    service.delete(session=session, actor=actor, patient_id=patient_id, block_id=block_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
