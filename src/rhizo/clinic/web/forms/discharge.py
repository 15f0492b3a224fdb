"""Record the discharge after a procedure, beside the pathway's discharge criteria.

The criteria and the first-24-hours advice (no driving for 24 hours, and the
sedation items when the procedure had sedation) come from the pathway's
aftercare knowledge with their sources; the form records what was checked.
One discharge per procedure: a second one is refused (409) by the service.

A red flag (:mod:`rhizo.pathway.discharge_safety`) on a discharge home is
refused by the service (422) with the message beside the finding's own field;
a clinician then records an escalation (``escalation_kind`` and
``escalation_reason``, validated as :class:`Escalation`), as the API does.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.core.common import ConflictError, InvalidInputError
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.discharge import service as discharge_service
from rhizo.clinic.discharge.models import DischargeCreate, Disposition, Escalation, EscalationKind
from rhizo.clinic.plan.models import Sedation
from rhizo.clinic.procedure.models import Procedure
from rhizo.clinic.web.access import ClinicalFormUser, PageNotFound, WebUser, check_csrf, read_form
from rhizo.clinic.web.clinic_time import clinic_now, clinic_zone, form_value, from_form_value
from rhizo.clinic.web.form_errors import problem_errors, validation_errors
from rhizo.clinic.web.forms.common import (
    Errors,
    Values,
    choices,
    given,
    read_chart,
    saved_redirect,
    values_of,
)
from rhizo.clinic.web.pages import render
from rhizo.pathway.aftercare import discharge_criteria, plan_aftercare
from rhizo.pathway.clinic_day import procedure_day
from rhizo.pathway.discharge_safety import red_flag_rules
from rhizo.pathway.education import planned_region

router = APIRouter(include_in_schema=False)

FIELDS = ("discharged_at", "disposition", "nrs", "notes")
ESCALATION = ("escalation_kind", "escalation_reason")
CHECKBOXES = ("escort_present", "instructions_given", "new_deficit")
_FIRST_DAY = "first 24 hours"


def _owner(session: Session, procedure_id: int) -> int:
    """The id of the patient whose procedure this is (the page 404s for no procedure)."""
    procedure = session.get(Procedure, procedure_id)
    if procedure is None:
        raise PageNotFound
    return procedure.patient_id


def _page(
    request: Request,
    user: WebUser,
    session: Session,
    patient_id: int,
    procedure_id: int,
    values: Values,
    errors: Errors,
    status_code: int = 200,
) -> Response:
    record = read_chart(session, user, patient_id)
    procedure = next((p for p in record.procedures if p.id == procedure_id), None)
    if procedure is None:  # removed since the owner was looked up
        raise PageNotFound
    aftercare = plan_aftercare(
        procedure_date=procedure_day(procedure.performed_at, clinic_zone(request)),
        sedation=procedure.sedation is not Sedation.NONE,
        # The region's first-day advice (after neck RF: balance and driving); sacral: none.
        region=planned_region(procedure.region.value),
    )
    existing = record.discharge_of(procedure.id)
    ctx: dict[str, Any] = {
        "p": record.patient,
        "procedure": procedure,
        "existing": existing,
        "values": values,
        "errors": errors,
        "dispositions": choices(Disposition),
        "nrs_scale": [(str(n), str(n)) for n in range(11)],
        "criteria": discharge_criteria(),
        "red_flags": red_flag_rules(),
        "escalation_kinds": choices(EscalationKind),
        "findings": None if existing is None else discharge_service.findings(existing, procedure),
        "first_day": [s for s in aftercare.sections if s.title == _FIRST_DAY],
    }
    return render(request, "forms/discharge.html", ctx, user=user, status_code=status_code)


@router.get("/procedures/{procedure_id}/discharge", response_class=HTMLResponse)
def discharge_form(
    request: Request, user: ClinicalFormUser, session: SessionDep, procedure_id: DbId
) -> Response:
    """The discharge form (or the discharge already recorded)."""
    patient_id = _owner(session, procedure_id)
    values = dict.fromkeys((*FIELDS, *ESCALATION, *CHECKBOXES), "")
    values.update(
        discharged_at=form_value(clinic_now(request), clinic_zone(request)),
        disposition=Disposition.HOME.value,
    )
    return _page(request, user, session, patient_id, procedure_id, values, {})


@router.post("/procedures/{procedure_id}/discharge", response_class=HTMLResponse)
async def discharge_submit(
    request: Request, user: ClinicalFormUser, session: SessionDep, procedure_id: DbId
) -> Response:
    """Validate through :class:`DischargeCreate` and record through the discharge service."""
    form = await read_form(request)
    check_csrf(user, form)
    patient_id = _owner(session, procedure_id)
    values = values_of(form, (*FIELDS, *ESCALATION)) | {
        name: "1" if name in form else "" for name in CHECKBOXES
    }
    raw: dict[str, Any] = given(values, FIELDS)
    if "discharged_at" in raw:
        raw["discharged_at"] = from_form_value(raw["discharged_at"], clinic_zone(request))
    raw.update({name: bool(values[name]) for name in CHECKBOXES})

    def again(errors: Errors, status_code: int) -> Response:
        return _page(request, user, session, patient_id, procedure_id, values, errors, status_code)

    escalation = given(values, ESCALATION)
    if escalation:  # either field given: both are needed (Escalation says which is missing)
        try:
            raw["escalation"] = Escalation.model_validate(
                {name.removeprefix("escalation_"): value for name, value in escalation.items()}
            )
        except ValidationError as error:
            found = validation_errors(error)
            return again({f"escalation_{name}": text for name, text in found.items()}, 422)
    try:
        data = DischargeCreate.model_validate(raw)
    except ValidationError as error:
        return again(validation_errors(error), 422)
    try:
        discharge_service.create(
            session=session,
            actor=user.actor,
            patient_id=patient_id,
            procedure_id=procedure_id,
            data=data,
        )
    except InvalidInputError as error:
        found = problem_errors(error)
        return again({name.replace(".", "_"): text for name, text in found.items()}, 422)
    except ConflictError as error:
        return again({"form": str(error)}, 409)
    return saved_redirect(patient_id, "discharge")
