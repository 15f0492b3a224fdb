"""Routes for a patient's allergies (``/patients/{patient_id}/allergies``)."""

from __future__ import annotations

from fastapi import APIRouter, status

from rhizo.clinic.allergy import service
from rhizo.clinic.allergy.models import AllergyCreate, AllergyEnteredInError, AllergyRead
from rhizo.clinic.core.common import Page
from rhizo.clinic.core.deps import Limit, Offset, SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.patient.access import ClinicalWriter, PatientReader

router = APIRouter(prefix="/patients", tags=["allergies"])


@router.get("/{patient_id}/allergies", response_model=Page[AllergyRead])
def list_allergies(
    actor: PatientReader,
    session: SessionDep,
    patient_id: DbId,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AllergyRead]:
    """A patient's allergies, those entered in error included (flagged)."""
    rows, total = service.get_all(
        session=session, actor=actor, patient_id=patient_id, limit=limit, offset=offset
    )
    return Page[AllergyRead](
        items=[AllergyRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/{patient_id}/allergies", response_model=AllergyRead, status_code=status.HTTP_201_CREATED
)
def create_allergy(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, data: AllergyCreate
) -> AllergyRead:
    """Record an allergy (422: unknown category or severity, future date, ``other``
    without its substance)."""
    return AllergyRead.model_validate(
        service.create(session=session, actor=actor, patient_id=patient_id, data=data)
    )


@router.get("/{patient_id}/allergies/{allergy_id}", response_model=AllergyRead)
def get_allergy(
    actor: PatientReader, session: SessionDep, patient_id: DbId, allergy_id: DbId
) -> AllergyRead:
    """One allergy."""
    return AllergyRead.model_validate(
        service.get(session=session, actor=actor, patient_id=patient_id, allergy_id=allergy_id)
    )


@router.post("/{patient_id}/allergies/{allergy_id}/entered-in-error", response_model=AllergyRead)
def mark_allergy_entered_in_error(
    actor: ClinicalWriter,
    session: SessionDep,
    patient_id: DbId,
    allergy_id: DbId,
    data: AllergyEnteredInError,
) -> AllergyRead:
    """Mark an allergy as recorded by mistake (it stays, flagged; 409 if already marked or
    the version is stale)."""
    return AllergyRead.model_validate(
        service.mark_entered_in_error(
            session=session, actor=actor, patient_id=patient_id, allergy_id=allergy_id, data=data
        )
    )
