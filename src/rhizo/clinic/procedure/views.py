"""Routes for procedures, their lesions (gated), and a dry-run gate check (the discharge
after a procedure: :mod:`rhizo.clinic.discharge.views`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import Page
from rhizo.clinic.core.deps import Limit, Offset, SessionDep, require
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.patient.access import PatientReader, ProcedureWriter
from rhizo.clinic.procedure import service
from rhizo.clinic.procedure.models import (
    GateCheckRead,
    LesionCreate,
    LesionRead,
    ProcedureCreate,
    ProcedureRead,
    ProcedureUpdate,
)

router = APIRouter()

GateChecker = Annotated[Actor, Depends(require(Permission.PROCEDURE_WRITE))]
BASE = "/patients/{patient_id}/procedures"


@router.get(BASE, response_model=Page[ProcedureRead], tags=["procedures"])
def list_procedures(
    actor: PatientReader,
    session: SessionDep,
    patient_id: DbId,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ProcedureRead]:
    """A patient's procedures with their lesions, newest first."""
    rows, total = service.get_all(
        session=session, actor=actor, patient_id=patient_id, limit=limit, offset=offset
    )
    return Page[ProcedureRead](
        items=[ProcedureRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    BASE, response_model=ProcedureRead, status_code=status.HTTP_201_CREATED, tags=["procedures"]
)
def create_procedure(
    actor: ProcedureWriter, session: SessionDep, patient_id: DbId, data: ProcedureCreate
) -> ProcedureRead:
    """Record a procedure and its lesions, all or nothing; blocked lesions need an override."""
    return ProcedureRead.model_validate(
        service.create(session=session, actor=actor, patient_id=patient_id, data=data)
    )


@router.get(BASE + "/{procedure_id}", response_model=ProcedureRead, tags=["procedures"])
def get_procedure(
    actor: PatientReader, session: SessionDep, patient_id: DbId, procedure_id: DbId
) -> ProcedureRead:
    """One procedure with its lesions."""
    return ProcedureRead.model_validate(
        service.get(session=session, actor=actor, patient_id=patient_id, procedure_id=procedure_id)
    )


@router.patch(BASE + "/{procedure_id}", response_model=ProcedureRead, tags=["procedures"])
def update_procedure(
    actor: ProcedureWriter,
    session: SessionDep,
    patient_id: DbId,
    procedure_id: DbId,
    data: ProcedureUpdate,
) -> ProcedureRead:
    """Change a procedure's status, timings, sedation or notes."""
    return ProcedureRead.model_validate(
        service.update(
            session=session,
            actor=actor,
            patient_id=patient_id,
            procedure_id=procedure_id,
            data=data,
        )
    )


@router.delete(
    BASE + "/{procedure_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["procedures"]
)
def delete_procedure(
    actor: ProcedureWriter, session: SessionDep, patient_id: DbId, procedure_id: DbId
) -> Response:
    """Delete a procedure recorded in error, with its lesions."""
    service.delete(session=session, actor=actor, patient_id=patient_id, procedure_id=procedure_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    BASE + "/{procedure_id}/lesions",
    response_model=LesionRead,
    status_code=status.HTTP_201_CREATED,
    tags=["procedures"],
)
def add_lesion(
    actor: ProcedureWriter,
    session: SessionDep,
    patient_id: DbId,
    procedure_id: DbId,
    data: LesionCreate,
) -> LesionRead:
    """Append a gated lesion to a procedure."""
    return LesionRead.model_validate(
        service.add_lesion(
            session=session,
            actor=actor,
            patient_id=patient_id,
            procedure_id=procedure_id,
            data=data,
        )
    )


@router.post("/gates/lesion", response_model=GateCheckRead, tags=["procedures"])
def check_lesion(actor: GateChecker, data: LesionCreate) -> GateCheckRead:
    """The stimulation gates' verdict on a lesion, without storing anything."""
    verdict = service.evaluate(data)
    if not data.performed:
        outcome = "not_performed"
    elif verdict.proceed:
        outcome = "proceed"
    else:
        outcome = "overridden" if data.override_reason else "blocked"
    return GateCheckRead(proceed=verdict.proceed, findings=verdict.findings, outcome=outcome)
