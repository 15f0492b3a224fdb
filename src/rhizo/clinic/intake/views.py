"""REST routes for consultation requests.

Staff triage (``intake:triage``: clinician, nurse, admin): ``/consultation-requests``
(the open queue), one request, and its accept / ask / decline. A patient's own
requests: ``/patients/{patient_id}/consultation-requests`` (the patient role for
its own record with ``own:request``; staff with ``intake:triage`` may file one for
a patient who phoned). The public page has no REST twin: it is a form with its
abuse limits (:mod:`rhizo.clinic.web.intake`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.deps import Limit, SessionDep, require
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.intake import service
from rhizo.clinic.intake.models import (
    RequestAccept,
    RequestAsk,
    RequestCreate,
    RequestDecline,
    RequestRead,
)
from rhizo.clinic.patient.access import PatientReader, require_patient

router = APIRouter(tags=["consultation requests"])

Triager = Annotated[Actor, Depends(require(Permission.INTAKE_TRIAGE))]
OwnRequester = Annotated[
    Actor, Depends(require_patient(Permission.INTAKE_TRIAGE, own=Permission.OWN_REQUEST_WRITE))
]


@router.get("/consultation-requests", response_model=list[RequestRead])
def list_open_requests(
    actor: Triager, session: SessionDep, limit: Limit = 200
) -> list[RequestRead]:
    """The open requests (new, or waiting for information), oldest first."""
    rows = service.queue(session=session, actor=actor, limit=limit)
    return [RequestRead.model_validate(row) for row in rows]


@router.get("/consultation-requests/{request_id}", response_model=RequestRead)
def get_request(actor: Triager, session: SessionDep, request_id: DbId) -> RequestRead:
    """One request."""
    return RequestRead.model_validate(
        service.get(session=session, actor=actor, request_id=request_id)
    )


@router.post("/consultation-requests/{request_id}/accept", response_model=RequestRead)
def accept_request(
    actor: Triager, session: SessionDep, request_id: DbId, data: RequestAccept
) -> RequestRead:
    """Accept and book into a consultation slot (422: no patient, a slot no session offers,
    a time in the past; 409: the slot was taken, the request already triaged or the
    version stale)."""
    return RequestRead.model_validate(
        service.accept(session=session, actor=actor, request_id=request_id, data=data)
    )


@router.post("/consultation-requests/{request_id}/ask", response_model=RequestRead)
def ask_request(
    actor: Triager, session: SessionDep, request_id: DbId, data: RequestAsk
) -> RequestRead:
    """Ask the requester for more information (sent to them; the request stays open)."""
    return RequestRead.model_validate(
        service.ask(session=session, actor=actor, request_id=request_id, data=data)
    )


@router.post("/consultation-requests/{request_id}/decline", response_model=RequestRead)
def decline_request(
    actor: Triager, session: SessionDep, request_id: DbId, data: RequestDecline
) -> RequestRead:
    """Decline with a reason of 5-500 characters (sent to the requester)."""
    return RequestRead.model_validate(
        service.decline(session=session, actor=actor, request_id=request_id, data=data)
    )


@router.get("/patients/{patient_id}/consultation-requests", response_model=list[RequestRead])
def list_own_requests(
    actor: PatientReader, session: SessionDep, patient_id: DbId
) -> list[RequestRead]:
    """A patient's requests, newest first (staff, or the patient's own)."""
    rows = service.own_requests(session=session, actor=actor, patient_id=patient_id)
    return [RequestRead.model_validate(row) for row in rows]


@router.post(
    "/patients/{patient_id}/consultation-requests",
    response_model=RequestRead,
    status_code=status.HTTP_201_CREATED,
)
def create_own_request(
    actor: OwnRequester, session: SessionDep, patient_id: DbId, data: RequestCreate
) -> RequestRead:
    """A request for a consultation for this patient (the portal's)."""
    return RequestRead.model_validate(
        service.create_own(session=session, actor=actor, patient_id=patient_id, data=data)
    )
