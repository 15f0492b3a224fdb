"""Routes for the discharge after a procedure (one per procedure)."""

from __future__ import annotations

from fastapi import APIRouter, status

from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.discharge import service
from rhizo.clinic.discharge.models import DischargeCreate, DischargeRead
from rhizo.clinic.patient.access import ClinicalWriter, PatientReader

router = APIRouter()

PATH = "/patients/{patient_id}/procedures/{procedure_id}/discharge"


@router.post(
    PATH, response_model=DischargeRead, status_code=status.HTTP_201_CREATED, tags=["discharge"]
)
def create_discharge(
    actor: ClinicalWriter,
    session: SessionDep,
    patient_id: DbId,
    procedure_id: DbId,
    data: DischargeCreate,
) -> DischargeRead:
    """Record the discharge after a procedure (one per procedure)."""
    return DischargeRead.model_validate(
        service.create(
            session=session,
            actor=actor,
            patient_id=patient_id,
            procedure_id=procedure_id,
            data=data,
        )
    )


@router.get(PATH, response_model=DischargeRead, tags=["discharge"])
def get_discharge(
    actor: PatientReader, session: SessionDep, patient_id: DbId, procedure_id: DbId
) -> DischargeRead:
    """The discharge of a procedure."""
    return DischargeRead.model_validate(
        service.get(session=session, actor=actor, patient_id=patient_id, procedure_id=procedure_id)
    )
