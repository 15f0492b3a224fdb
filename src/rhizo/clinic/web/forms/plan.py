"""Plan a procedure: the pathway computes the bleeding-risk category and the drug holds.

The plan service matches the patient's active medications against the
pathway's hold rules (Narouze 2018, via :mod:`rhizo.pathway.premed`); the
patient page then lists each hold with its last-dose date and source, and
the medications it could not match. The patient inputs a hold depends on
(aspirin indication, eGFR, INR, months since a coronary stent, dual
antiplatelet therapy) are fields of the same :class:`PlanCreate`, so a bad
value is shown inline next to its field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.core.common import InvalidInputError, Side
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.models import PlanCreate, Sedation
from rhizo.clinic.web.access import ClinicalFormUser, WebUser, check_csrf, read_form
from rhizo.clinic.web.clinic_time import clinic_today
from rhizo.clinic.web.form_errors import problem_errors, validation_errors
from rhizo.clinic.web.forms.common import (
    Errors,
    Values,
    choices,
    given,
    read_patient,
    saved_redirect,
    split_levels,
    values_of,
)
from rhizo.clinic.web.pages import render
from rhizo.pathway.premed import RiskFactor, procedures
from rhizo.pathway.premed_inputs import AspirinIndication

router = APIRouter(include_in_schema=False)

FIELDS = (
    "procedure",
    "planned_date",
    "side",
    "levels",
    "sedation",
    "aspirin_indication",
    "egfr_ml_per_min",
    "inr",
    "stent_months",
    "notes",
)
CHECKBOXES = ("diabetes", "implanted_device", "dual_antiplatelet")


def _page(
    request: Request,
    user: WebUser,
    session: Session,
    patient_id: int,
    values: Values,
    risks: list[str],
    errors: Errors,
    status_code: int = 200,
) -> Response:
    patient = read_patient(session, user, patient_id)
    ctx: dict[str, Any] = {
        "p": patient,
        "values": values,
        "risks": risks,
        "errors": errors,
        "procedures": list(procedures().items()),
        "sides": choices(Side),
        "sedations": choices(Sedation),
        "risk_factors": choices(RiskFactor),
        "aspirin_indications": choices(AspirinIndication),
    }
    return render(request, "forms/plan.html", ctx, user=user, status_code=status_code)


@router.get("/patients/{patient_id}/plans/new", response_class=HTMLResponse)
def plan_form(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId
) -> Response:
    """The empty plan form."""
    values = dict.fromkeys((*FIELDS, *CHECKBOXES), "")
    values.update(procedure="lumbar-facet-rf", sedation=Sedation.NONE.value)
    return _page(request, user, session, patient_id, values, [], {})


@router.post("/patients/{patient_id}/plans/new", response_class=HTMLResponse)
async def plan_submit(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId
) -> Response:
    """Validate through :class:`PlanCreate`; the plan service computes the holds."""
    form = await read_form(request)
    check_csrf(user, form)
    # Several ticked risk factors share one name; _form keeps only the last.
    risks = [str(v)[:64] for v in (await request.form()).getlist("risk_factors")][:10]
    values = values_of(form, FIELDS) | {name: "1" if name in form else "" for name in CHECKBOXES}
    raw: dict[str, Any] = given(values, FIELDS)
    if "levels" in raw:
        raw["levels"] = split_levels(raw["levels"])
    raw.update(
        risk_factors=risks,
        diabetes=bool(values["diabetes"]),
        implanted_device=bool(values["implanted_device"]),
        dual_antiplatelet=bool(values["dual_antiplatelet"]),
    )
    try:
        data = PlanCreate.model_validate(raw)
    except ValidationError as error:
        return _page(
            request, user, session, patient_id, values, risks, validation_errors(error), 422
        )
    if data.planned_date < clinic_today(request):
        errors = {"planned_date": f"{data.planned_date.isoformat()} has passed; plan a future day"}
        return _page(request, user, session, patient_id, values, risks, errors, 422)
    try:
        plan_service.create(session=session, actor=user.actor, patient_id=patient_id, data=data)
    except InvalidInputError as error:
        return _page(request, user, session, patient_id, values, risks, problem_errors(error), 422)
    return saved_redirect(patient_id, "plan")
