"""Plan a procedure, or edit a plan: the pathway computes the bleeding-risk category
and the drug holds.

The plan service matches the patient's active medications against the
pathway's hold rules (Narouze 2018, via :mod:`rhizo.pathway.premed`); the
patient page then lists each hold with its last-dose date and source, and
the medications it could not match. The patient inputs a hold depends on
(aspirin indication, eGFR, INR, months since a coronary stent, dual
antiplatelet therapy) are fields of the same :class:`PlanCreate`, so a bad
value is shown inline next to its field.

``/patients/{id}/plans/{plan_id}/edit`` shows the same form filled from the
stored plan (the procedure itself is fixed) and saves through
:class:`PlanUpdate` with the version it was read at: the service recomputes the
holds once, refuses a stale form (409, the plan shown as it is now) and a plan
that is done or cancelled (409). Scheduling and cancelling are
:mod:`rhizo.clinic.web.plan_status`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.core.common import ConflictError, InvalidInputError, Side
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.plan import lifecycle
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.models import Plan, PlanCreate, PlanUpdate, Sedation
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
#: The fields an edit changes (the procedure is fixed once planned).
EDIT_FIELDS = tuple(name for name in FIELDS if name != "procedure")
#: An edit cannot clear these: blank is "required", never "unchanged".
REQUIRED = ("planned_date", "side", "levels", "sedation")
#: An edit form without its version (a page opened before versions were sent): reload it.
STALE_FORM = "This form is out of date; the plan is shown as it is now, save again."


def _page(
    request: Request,
    user: WebUser,
    session: Session,
    patient_id: int,
    values: Values,
    risks: list[str],
    errors: Errors,
    status_code: int = 200,
    plan: Plan | None = None,
) -> Response:
    patient = read_patient(session, user, patient_id)
    ctx: dict[str, Any] = {
        "p": patient,
        "plan": plan,
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


async def _typed(request: Request, user: WebUser) -> tuple[Values, list[str], dict[str, Any]]:
    """The posted form (CSRF checked): typed values, ticked risk factors, and the
    non-blank values as model input (levels split, checkboxes as booleans)."""
    form = await read_form(request)
    check_csrf(user, form)
    # Several ticked risk factors share one name; read_form keeps only the last.
    risks = [str(v)[:64] for v in (await request.form()).getlist("risk_factors")][:10]
    values = values_of(form, (*FIELDS, "version")) | {
        name: "1" if name in form else "" for name in CHECKBOXES
    }
    raw: dict[str, Any] = given(values, FIELDS)
    if "levels" in raw:
        raw["levels"] = split_levels(raw["levels"])
    raw.update(
        risk_factors=risks,
        diabetes=bool(values["diabetes"]),
        implanted_device=bool(values["implanted_device"]),
        dual_antiplatelet=bool(values["dual_antiplatelet"]),
    )
    return values, risks, raw


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
    values, risks, raw = await _typed(request, user)
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


def plan_values(plan: Plan) -> Values:
    """A stored plan as the form's typed values (blank for an input not given)."""

    def text(value: object) -> str:
        return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    values = {
        "procedure": plan.procedure,
        "planned_date": plan.planned_date.isoformat(),
        "side": plan.side.value,
        "levels": ", ".join(plan.levels),
        "sedation": plan.sedation.value,
        "aspirin_indication": text(plan.aspirin_indication and plan.aspirin_indication.value),
        "egfr_ml_per_min": text(plan.egfr_ml_per_min),
        "inr": text(plan.inr),
        "stent_months": text(plan.stent_months),
        "notes": plan.notes or "",
        "version": str(plan.version),
    }
    return values | {name: "1" if getattr(plan, name) else "" for name in CHECKBOXES}


def _read_plan(session: Session, user: WebUser, patient_id: int, plan_id: int) -> Plan:
    return plan_service.get(
        session=session, actor=user.actor, patient_id=patient_id, plan_id=plan_id
    )


@router.get("/patients/{patient_id}/plans/{plan_id}/edit", response_class=HTMLResponse)
def plan_edit_form(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId, plan_id: DbId
) -> Response:
    """The plan form filled from the stored plan (409 for a done or cancelled plan)."""
    plan = _read_plan(session, user, patient_id, plan_id)
    values = plan_values(plan)
    errors: Errors = {}
    status_code = 200
    if plan.status not in lifecycle.EDITABLE:
        errors, status_code = {"form": str(lifecycle.PlanNotEditableError(plan.status))}, 409
    return _page(
        request,
        user,
        session,
        patient_id,
        values,
        list(plan.risk_factors),
        errors,
        status_code,
        plan,
    )


def _update_input(values: Values, raw: dict[str, Any]) -> tuple[dict[str, Any], Errors]:
    """The edit as :class:`PlanUpdate` input: every field sent, a blank optional input
    cleared (None), a blank required one refused."""
    errors = {name: "required" for name in REQUIRED if not values.get(name)}
    update: dict[str, Any] = {name: raw.get(name) for name in EDIT_FIELDS}
    update.update({name: raw[name] for name in ("risk_factors", *CHECKBOXES)})
    for name in REQUIRED:
        if update[name] is None:
            del update[name]
    if values.get("version"):
        update["version"] = values["version"]
    return update, errors


@router.post("/patients/{patient_id}/plans/{plan_id}/edit", response_class=HTMLResponse)
async def plan_edit_submit(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId, plan_id: DbId
) -> Response:
    """Validate through :class:`PlanUpdate`; the service recomputes the holds once."""
    values, risks, raw = await _typed(request, user)

    def again(errors: Errors, status_code: int, *, stored_version: bool = False) -> Response:
        # The plan as it is now (its version when the form's is stale), typed values kept.
        plan = _read_plan(session, user, patient_id, plan_id)
        values["procedure"] = plan.procedure
        if stored_version:
            values["version"] = str(plan.version)
        return _page(request, user, session, patient_id, values, risks, errors, status_code, plan)

    update, errors = _update_input(values, raw)
    try:
        data = PlanUpdate.model_validate(update)
    except ValidationError as error:
        errors |= validation_errors(error)
    else:
        if data.planned_date is not None and data.planned_date < clinic_today(request):
            errors["planned_date"] = (
                f"{data.planned_date.isoformat()} has passed; choose a future day"
            )
    if errors:
        stale = errors.pop("version", None) is not None
        if stale:
            errors["form"] = STALE_FORM
        return again(errors, 422, stored_version=stale)
    try:
        plan_service.update(
            session=session, actor=user.actor, patient_id=patient_id, plan_id=plan_id, data=data
        )
    except InvalidInputError as error:
        return again(problem_errors(error), 422)
    except ConflictError as error:
        return again({"form": str(error)}, 409, stored_version=True)
    return saved_redirect(patient_id, "plan-edited")
