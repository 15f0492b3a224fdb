"""Register a patient (``/patients/new``) and edit a patient's demographics
(``/patients/{id}/edit``).

Both forms validate through the patient domain's schemas (:class:`PatientCreate`,
:class:`PatientUpdate`), so the rules are the API's: a birth date not in the
future and not before 1900 (:data:`rhizo.clinic.core.validation.BirthDate`), nor
after an event already in the record (edit), a phone by the clinic phone's rule
(:func:`rhizo.clinic.core.config.dialable_phone`), an MRN of 3-32 letters, digits
and hyphens that no other patient has (the duplicate is named on the MRN field).
The referring clinician (name; practice or address) is what the letter to the
referring doctor is addressed to. Who may: the API's ``patient:write`` (admin,
clinician, nurse). The edit form carries the version it was read at: a save
after someone else's is refused (409) with the record as it is now and the typed
values kept. Each save is one transaction with its audit row.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import ConflictError, InvalidInputError
from rhizo.clinic.core.conflicts import DUPLICATE_MRN
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.patient import service as patient_service
from rhizo.clinic.patient.models import Patient, PatientCreate, PatientUpdate, Sex
from rhizo.clinic.web.access import PageAccess, WebUser, check_csrf, read_form
from rhizo.clinic.web.form_errors import Errors, problem_errors, validation_errors
from rhizo.clinic.web.forms.common import Values, choices, given, values_of
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)

#: Registering and editing patients: the REST API's ``patient:write`` (staff only).
Registrar = Annotated[WebUser, Depends(PageAccess(Permission.PATIENT_WRITE))]

#: Fields both forms show (the MRN is set at registration only).
DETAILS = (
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "email",
    "phone",
    "postcode",
    "referrer_name",
    "referrer_address",
)
REQUIRED = ("given_name", "family_name", "birth_date", "sex")
OPTIONAL = tuple(name for name in DETAILS if name not in REQUIRED)
REGISTER_FIELDS = ("mrn", *DETAILS)
EDIT_FIELDS = (*DETAILS, "version")
#: An edit form without its version (opened before versions existed): reload it.
STALE_FORM = "This form is out of date; the patient is shown as they are now, save again."


def _form(
    request: Request,
    user: WebUser,
    *,
    patient: Patient | None,
    values: Values,
    errors: Errors,
    status_code: int = 200,
) -> Response:
    ctx: dict[str, Any] = {
        "p": patient,
        "values": values,
        "errors": errors,
        "sexes": choices(Sex),
        "editing": patient is not None,
    }
    return render(request, "records/patient_form.html", ctx, user=user, status_code=status_code)


def _values_of(patient: Patient) -> Values:
    values = dict.fromkeys(EDIT_FIELDS, "")
    for name in DETAILS:
        value = getattr(patient, name)
        if value is None:
            continue
        values[name] = (
            value.isoformat() if name == "birth_date" else str(getattr(value, "value", value))
        )
    values["version"] = str(patient.version)
    return values


@router.get("/patients/new", response_class=HTMLResponse)
def register_form(request: Request, user: Registrar) -> Response:
    """The empty registration form."""
    return _form(request, user, patient=None, values=dict.fromkeys(REGISTER_FIELDS, ""), errors={})


@router.post("/patients/new", response_class=HTMLResponse)
async def register_submit(request: Request, user: Registrar, session: SessionDep) -> Response:
    """Validate through :class:`PatientCreate` and register through the patient service."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, REGISTER_FIELDS)
    try:
        data = PatientCreate.model_validate(given(values))
        patient = patient_service.create(session=session, actor=user.actor, data=data)
    except ValidationError as error:
        errors = validation_errors(error)
        return _form(request, user, patient=None, values=values, errors=errors, status_code=422)
    except InvalidInputError as error:
        errors = problem_errors(error)
        return _form(request, user, patient=None, values=values, errors=errors, status_code=422)
    except ConflictError as error:
        field = "mrn" if str(error) == DUPLICATE_MRN else "form"
        errors = {field: str(error)}
        return _form(request, user, patient=None, values=values, errors=errors, status_code=409)
    return RedirectResponse(f"/patients/{patient.id}?saved=registered#flash", status_code=303)


@router.get("/patients/{patient_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, user: Registrar, session: SessionDep, patient_id: DbId) -> Response:
    """The demographics as stored, with the version they were read at."""
    patient = patient_service.get(session=session, actor=user.actor, patient_id=patient_id)
    return _form(request, user, patient=patient, values=_values_of(patient), errors={})


def _update_of(values: Values) -> tuple[PatientUpdate | None, Errors]:
    """The update a submitted edit form asks for: every field as typed (an empty optional
    field clears it; an empty required one is an error), or the inline errors."""
    errors: Errors = {
        name: "required: enter or choose a value" for name in REQUIRED if not values.get(name)
    }
    raw: dict[str, Any] = given(values, (*REQUIRED, "version"))
    raw.update({name: values.get(name) or None for name in OPTIONAL})
    try:
        data = PatientUpdate.model_validate(raw)
    except ValidationError as error:
        errors = {**validation_errors(error), **errors}
        return None, errors
    return (None, errors) if errors else (data, {})


@router.post("/patients/{patient_id}/edit", response_class=HTMLResponse)
async def edit_submit(
    request: Request, user: Registrar, session: SessionDep, patient_id: DbId
) -> Response:
    """Validate through :class:`PatientUpdate`, save through the patient service."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, EDIT_FIELDS)

    def again(errors: Errors, status_code: int, *, stored_version: bool) -> Response:
        patient = patient_service.get(session=session, actor=user.actor, patient_id=patient_id)
        if stored_version:
            values["version"] = str(patient.version)
        return _form(
            request, user, patient=patient, values=values, errors=errors, status_code=status_code
        )

    data, errors = _update_of(values)
    if data is None:
        stale = errors.pop("version", None) is not None
        if stale:
            errors["form"] = STALE_FORM
        return again(errors, 422, stored_version=stale)
    try:
        patient_service.update(session=session, actor=user.actor, patient_id=patient_id, data=data)
    except InvalidInputError as error:
        return again(problem_errors(error), 422, stored_version=False)
    except ConflictError as error:
        return again({"form": str(error)}, 409, stored_version=True)
    return RedirectResponse(f"/patients/{patient_id}?saved=demographics#flash", status_code=303)
