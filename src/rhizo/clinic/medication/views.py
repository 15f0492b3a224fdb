"""Routes for a patient's medications."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from rhizo.clinic.core.common import Page
from rhizo.clinic.core.deps import Limit, Offset, SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.medication import service
from rhizo.clinic.medication.models import (
    MedicationCreate,
    MedicationRead,
    MedicationStop,
    MedicationUpdate,
)
from rhizo.clinic.patient.access import ClinicalWriter, PatientReader

router = APIRouter(prefix="/patients")


@router.get("/{patient_id}/medications", response_model=Page[MedicationRead], tags=["medications"])
def list_medications(
    actor: PatientReader,
    session: SessionDep,
    patient_id: DbId,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[MedicationRead]:
    """A patient's medications."""
    rows, total = service.get_all(
        session=session, actor=actor, patient_id=patient_id, limit=limit, offset=offset
    )
    return Page[MedicationRead](
        items=[MedicationRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/{patient_id}/medications",
    response_model=MedicationRead,
    status_code=status.HTTP_201_CREATED,
    tags=["medications"],
)
def create_medication(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, data: MedicationCreate
) -> MedicationRead:
    """Record a medication."""
    return MedicationRead.model_validate(
        service.create(session=session, actor=actor, patient_id=patient_id, data=data)
    )


@router.get(
    "/{patient_id}/medications/{medication_id}", response_model=MedicationRead, tags=["medications"]
)
def get_medication(
    actor: PatientReader, session: SessionDep, patient_id: DbId, medication_id: DbId
) -> MedicationRead:
    """One medication."""
    return MedicationRead.model_validate(
        service.get(
            session=session, actor=actor, patient_id=patient_id, medication_id=medication_id
        )
    )


@router.patch(
    "/{patient_id}/medications/{medication_id}", response_model=MedicationRead, tags=["medications"]
)
def update_medication(
    actor: ClinicalWriter,
    session: SessionDep,
    patient_id: DbId,
    medication_id: DbId,
    data: MedicationUpdate,
) -> MedicationRead:
    """Change a medication."""
    return MedicationRead.model_validate(
        service.update(
            session=session,
            actor=actor,
            patient_id=patient_id,
            medication_id=medication_id,
            data=data,
        )
    )


@router.post(
    "/{patient_id}/medications/{medication_id}/stop",
    response_model=MedicationRead,
    tags=["medications"],
)
def stop_medication(
    actor: ClinicalWriter,
    session: SessionDep,
    patient_id: DbId,
    medication_id: DbId,
    data: MedicationStop,
) -> MedicationRead:
    """Stop a medication: the day (not in the future, not before the start) and the reason
    (409 when already stopped or the version is stale)."""
    return MedicationRead.model_validate(
        service.stop(
            session=session,
            actor=actor,
            patient_id=patient_id,
            medication_id=medication_id,
            data=data,
        )
    )


@router.delete(
    "/{patient_id}/medications/{medication_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["medications"],
)
def delete_medication(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, medication_id: DbId
) -> Response:
    """Delete a medication (recorded in error)."""
    service.delete(session=session, actor=actor, patient_id=patient_id, medication_id=medication_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
