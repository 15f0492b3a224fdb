"""Record a complication, linked to the procedure that caused it when known."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.complication import service as complication_service
from rhizo.clinic.complication.models import ComplicationCreate, ComplicationType, Severity
from rhizo.clinic.core.common import InvalidInputError
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.web.access import ClinicalFormUser, WebUser, check_csrf, read_form
from rhizo.clinic.web.clinic_time import clinic_today, clinic_zone
from rhizo.clinic.web.form_errors import problem_errors, validation_errors
from rhizo.clinic.web.forms.common import (
    Errors,
    Values,
    choices,
    given,
    procedure_options,
    read_chart,
    saved_redirect,
    values_of,
)
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)

FIELDS = ("type", "severity", "onset_date", "resolved_on", "procedure_id", "notes")


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
        "types": choices(ComplicationType),
        "severities": choices(Severity),
        "procedures": procedure_options(record, clinic_zone(request)),
    }
    return render(request, "forms/complication.html", ctx, user=user, status_code=status_code)


@router.get("/patients/{patient_id}/complications/new", response_class=HTMLResponse)
def complication_form(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId
) -> Response:
    """The empty complication form."""
    values = dict.fromkeys(FIELDS, "")
    values["onset_date"] = clinic_today(request).isoformat()
    return _page(request, user, session, patient_id, values, {})


@router.post("/patients/{patient_id}/complications/new", response_class=HTMLResponse)
async def complication_submit(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId
) -> Response:
    """Validate through :class:`ComplicationCreate` and record through its service."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, FIELDS)
    raw: dict[str, Any] = given(values)
    try:
        # The model's only whole-record rule is "resolved_on is before onset_date".
        data = ComplicationCreate.model_validate(raw)
    except ValidationError as error:
        errors = validation_errors(error, model_field="resolved_on")
        return _page(request, user, session, patient_id, values, errors, 422)
    try:
        complication_service.create(
            session=session, actor=user.actor, patient_id=patient_id, data=data
        )
    except InvalidInputError as error:
        return _page(request, user, session, patient_id, values, problem_errors(error), 422)
    return saved_redirect(patient_id, "complication")
