"""``/patients``: list with search and paging, create, read, update, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import Page
from rhizo.clinic.core.deps import Limit, Offset, SessionDep, require
from rhizo.clinic.core.validation import DbId, QueryText
from rhizo.clinic.patient import service
from rhizo.clinic.patient.access import (
    PatientDeleter,
    PatientEditor,
    PatientReader,
    require_patient,
)
from rhizo.clinic.patient.models import (
    PatientCreate,
    PatientLoginLink,
    PatientRead,
    PatientSummary,
    PatientUpdate,
)

router = APIRouter(prefix="/patients", tags=["patients"])

StaffReader = Annotated[Actor, Depends(require(Permission.PATIENT_READ))]
Registrar = Annotated[Actor, Depends(require(Permission.PATIENT_WRITE))]
LoginLinker = Annotated[Actor, Depends(require_patient(Permission.PATIENT_LINK))]


@router.get("", response_model=Page[PatientSummary])
def list_patients(
    actor: StaffReader,
    session: SessionDep,
    search: Annotated[
        QueryText | None, Query(max_length=100, description="MRN or name prefixes")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PatientSummary]:
    """Patients by name; ``search`` matches an MRN prefix or the start of each name."""
    rows, total = service.get_all(
        session=session, actor=actor, search=search, limit=limit, offset=offset
    )
    return Page[PatientSummary](
        items=[PatientSummary.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post("", response_model=PatientRead, status_code=status.HTTP_201_CREATED)
def create_patient(actor: Registrar, session: SessionDep, data: PatientCreate) -> PatientRead:
    """Register a patient."""
    return PatientRead.model_validate(service.create(session=session, actor=actor, data=data))


@router.get("/{patient_id}", response_model=PatientRead)
def get_patient(actor: PatientReader, session: SessionDep, patient_id: DbId) -> PatientRead:
    """One patient (a patient may read only their own record)."""
    return PatientRead.model_validate(
        service.get(session=session, actor=actor, patient_id=patient_id)
    )


@router.patch("/{patient_id}", response_model=PatientRead)
def update_patient(
    actor: PatientEditor, session: SessionDep, patient_id: DbId, data: PatientUpdate
) -> PatientRead:
    """Change a patient's details."""
    return PatientRead.model_validate(
        service.update(session=session, actor=actor, patient_id=patient_id, data=data)
    )


@router.put("/{patient_id}/login", response_model=PatientRead)
def link_patient_login(
    actor: LoginLinker, session: SessionDep, patient_id: DbId, data: PatientLoginLink
) -> PatientRead:
    """Link a patient-role login to this record, or unlink it with ``{"user_id": null}``
    (admin; audited; ends the sessions of every login it touches)."""
    return PatientRead.model_validate(
        service.link_login(
            session=session, actor=actor, patient_id=patient_id, user_id=data.user_id
        )
    )


@router.delete("/{patient_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_patient(actor: PatientDeleter, session: SessionDep, patient_id: DbId) -> Response:
    """Delete a patient and their whole record (admin; the audit trail stays)."""
    service.delete(session=session, actor=actor, patient_id=patient_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
