"""Record a follow-up: pain (NRS 0-10), optional ODI (0-100 %) and PGIC (1-7)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.core.common import InvalidInputError
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.followup import service as followup_service
from rhizo.clinic.followup.models import PGIC, FollowUpCreate, FollowUpSource
from rhizo.clinic.web.access import ClinicalFormUser, WebUser, check_csrf, read_form
from rhizo.clinic.web.clinic_time import clinic_today, clinic_zone
from rhizo.clinic.web.form_errors import problem_errors, validation_errors
from rhizo.clinic.web.forms.common import (
    Errors,
    Values,
    given,
    procedure_options,
    read_chart,
    saved_redirect,
    values_of,
)
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)

FIELDS = ("followed_on", "nrs", "odi", "pgic", "procedure_id", "source", "notes")
#: Staff record clinic visits and phone calls; diary entries come from the portal.
STAFF_SOURCES = (FollowUpSource.CLINIC, FollowUpSource.PHONE)


def _page(
    request: Request,
    user: WebUser,
    session: Session,
    patient_id: int,
    values: Values,
    errors: Errors,
    status_code: int = 200,
) -> Response:
    record = read_chart(session, user, patient_id)
    patient = record.patient
    ctx: dict[str, Any] = {
        "p": patient,
        "values": values,
        "errors": errors,
        "nrs_scale": [(str(n), str(n)) for n in range(11)],
        "pgic_scale": [(str(int(g)), f"{int(g)} {g.name.lower().replace('_', ' ')}") for g in PGIC],
        "sources": [(s.value, s.value) for s in STAFF_SOURCES],
        "procedures": procedure_options(record, clinic_zone(request)),
    }
    return render(request, "forms/followup.html", ctx, user=user, status_code=status_code)


@router.get("/patients/{patient_id}/followups/new", response_class=HTMLResponse)
def followup_form(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId
) -> Response:
    """The empty follow-up form."""
    values = dict.fromkeys(FIELDS, "")
    values.update(followed_on=clinic_today(request).isoformat(), source=FollowUpSource.CLINIC.value)
    return _page(request, user, session, patient_id, values, {})


@router.post("/patients/{patient_id}/followups/new", response_class=HTMLResponse)
async def followup_submit(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId
) -> Response:
    """Validate through :class:`FollowUpCreate` and record through the follow-up service."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, FIELDS)
    raw: dict[str, Any] = given(values)
    errors: Errors = {}
    if values["source"] == FollowUpSource.DIARY.value:
        errors["source"] = "diary entries are recorded by the patient in the portal"
    try:
        data = FollowUpCreate.model_validate(raw)
    except ValidationError as error:
        errors = validation_errors(error) | errors
        return _page(request, user, session, patient_id, values, errors, 422)
    if errors:
        return _page(request, user, session, patient_id, values, errors, 422)
    try:
        followup_service.create(session=session, actor=user.actor, patient_id=patient_id, data=data)
    except InvalidInputError as error:
        return _page(request, user, session, patient_id, values, problem_errors(error), 422)
    return saved_redirect(patient_id, "followup")
