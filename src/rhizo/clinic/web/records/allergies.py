"""A patient's allergies page: list, add, mark entered in error.

``GET /patients/{id}/allergies`` lists the current allergies (category,
substance, reaction, severity, day recorded) and, struck through, those marked
entered in error with the reason; it opens for staff and for the patient
themself. Writers (``clinical:write``) add one (``POST .../allergies/new``,
through :class:`AllergyCreate`) or mark one entered in error
(``POST .../allergies/error``, the row's id and version in the form, through
:class:`AllergyEnteredInError`). Inline errors per field (422), a stale row as a
conflict (409); each write is one transaction with its audit row.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.allergy import service as allergy_service
from rhizo.clinic.allergy.models import (
    CATEGORY_LABEL,
    AllergyCategory,
    AllergyCreate,
    AllergyEnteredInError,
    AllergySeverity,
)
from rhizo.clinic.allergy.relevance import current, procedure_warnings
from rhizo.clinic.chart.reader import read_record
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import ConflictError, InvalidInputError, NotFoundError
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import MAX_ID, DbId
from rhizo.clinic.web.access import (
    ClinicalFormUser,
    PatientPageUser,
    WebUser,
    check_csrf,
    read_form,
)
from rhizo.clinic.web.clinic_time import clinic_today
from rhizo.clinic.web.form_errors import Errors, problem_errors, validation_errors
from rhizo.clinic.web.forms.common import Values, choices, given, values_of
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)

ADD_FIELDS = ("category", "substance", "reaction", "severity", "recorded_on")
ERROR_FIELDS = ("allergy_id", "version", "reason")


def _page(
    request: Request,
    user: WebUser,
    session: Session,
    patient_id: int,
    *,
    add: Values | None = None,
    add_errors: Errors | None = None,
    mark: Values | None = None,
    mark_errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    record = read_record(session=session, actor=user.actor, patient_id=patient_id)
    rows = sorted(record.allergies, key=lambda a: (a.recorded_on, a.id), reverse=True)
    today = clinic_today(request).isoformat()
    ctx: dict[str, Any] = {
        "p": record.patient,
        "current": current(rows),
        "in_error": [a for a in rows if a.entered_in_error],
        "warnings": procedure_warnings(rows),
        "category_label": {c.value: label for c, label in CATEGORY_LABEL.items()},
        "categories": [(c.value, CATEGORY_LABEL[c]) for c in AllergyCategory],
        "severities": choices(AllergySeverity),
        "may_write": not user.is_patient and user.can(Permission.CLINICAL_WRITE),
        "values": add or {"recorded_on": today, "severity": AllergySeverity.UNKNOWN.value},
        "errors": add_errors or {},
        "mark": mark or {},
        "mark_errors": mark_errors or {},
    }
    return render(request, "records/allergies.html", ctx, user=user, status_code=status_code)


def _saved(patient_id: int, what: str) -> RedirectResponse:
    return RedirectResponse(f"/patients/{patient_id}/allergies?saved={what}#flash", status_code=303)


@router.get("/patients/{patient_id}/allergies", response_class=HTMLResponse)
def allergies_page(
    request: Request, user: PatientPageUser, session: SessionDep, patient_id: DbId
) -> Response:
    """The allergies and, for writers, the forms."""
    return _page(request, user, session, patient_id)


@router.post("/patients/{patient_id}/allergies/new", response_class=HTMLResponse)
async def add_allergy(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId
) -> Response:
    """Validate through :class:`AllergyCreate`; record through the allergy service."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, ADD_FIELDS)
    try:
        data = AllergyCreate.model_validate(given(values))
        allergy_service.create(session=session, actor=user.actor, patient_id=patient_id, data=data)
    except ValidationError as error:
        return _page(
            request,
            user,
            session,
            patient_id,
            add=values,
            add_errors=validation_errors(error),
            status_code=422,
        )
    except InvalidInputError as error:
        return _page(
            request,
            user,
            session,
            patient_id,
            add=values,
            add_errors=problem_errors(error),
            status_code=422,
        )
    return _saved(patient_id, "added")


@router.post("/patients/{patient_id}/allergies/error", response_class=HTMLResponse)
async def mark_entered_in_error(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId
) -> Response:
    """Mark an allergy entered in error through :class:`AllergyEnteredInError`."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, ERROR_FIELDS)

    def again(errors: Errors, status_code: int) -> Response:
        return _page(
            request,
            user,
            session,
            patient_id,
            mark=values,
            mark_errors=errors,
            status_code=status_code,
        )

    raw = given(values)
    allergy_id = raw.pop("allergy_id", "")
    if not allergy_id.isdigit() or not 1 <= int(allergy_id) <= MAX_ID:
        return again({"allergy_id": "choose the allergy recorded in error"}, 422)
    try:
        data = AllergyEnteredInError.model_validate(raw)
        allergy_service.mark_entered_in_error(
            session=session,
            actor=user.actor,
            patient_id=patient_id,
            allergy_id=int(allergy_id),
            data=data,
        )
    except ValidationError as error:
        return again(validation_errors(error), 422)
    except NotFoundError:
        return again({"allergy_id": f"no allergy {allergy_id} for this patient"}, 422)
    except ConflictError as error:
        return again({"form": str(error)}, 409)
    return _saved(patient_id, "marked")
