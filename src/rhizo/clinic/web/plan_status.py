"""A plan's status pages: schedule it, or cancel it with a reason.

Both go through :func:`rhizo.clinic.plan.service.update` with a
:class:`PlanUpdate` that carries the version the page was read at, so the
lifecycle table (:mod:`rhizo.clinic.plan.lifecycle`) decides: a move it refuses
is shown as a 409 page naming both states, a cancellation without its reason
is 422 with the message next to the field. "Schedule" is a one-button form on
the patient page (POST only); "Cancel" asks for the reason first (GET, then
POST). A plan becomes done only by recording its procedure.
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
from rhizo.clinic.plan import lifecycle
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.lifecycle import PlanStatus
from rhizo.clinic.plan.models import Plan, PlanUpdate
from rhizo.clinic.web.access import ClinicalFormUser, WebUser, check_csrf, read_form
from rhizo.clinic.web.form_errors import Errors, problem_errors, validation_errors
from rhizo.clinic.web.forms.common import Values, given, read_patient, saved_redirect, values_of
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)

#: A status form without its version (opened before versions were sent): reload it.
STALE_FORM = "This page is out of date; the plan is shown as it is now, try again."


def summary(plan: Plan) -> str:
    """One line a clinician recognises the plan by."""
    return (
        f"{plan.procedure} on {plan.planned_date.isoformat()}, {plan.side.value} "
        f"{', '.join(plan.levels)}, sedation {plan.sedation.value} ({plan.status.value})"
    )


def _page(
    request: Request,
    user: WebUser,
    session: Session,
    patient_id: int,
    plan_id: int,
    values: Values,
    errors: Errors,
    status_code: int = 200,
    *,
    stored_version: bool = False,
) -> Response:
    patient = read_patient(session, user, patient_id)
    plan = plan_service.get(
        session=session, actor=user.actor, patient_id=patient_id, plan_id=plan_id
    )
    if stored_version or not values.get("version"):
        values = values | {"version": str(plan.version)}
    ctx: dict[str, Any] = {
        "p": patient,
        "plan": plan,
        "summary": summary(plan),
        "values": values,
        "errors": errors,
        "may_cancel": lifecycle.allowed(plan.status, PlanStatus.CANCELLED),
        "reason_min": lifecycle.REASON_MIN_CHARS,
        "reason_max": lifecycle.REASON_MAX_CHARS,
    }
    return render(request, "forms/plan_cancel.html", ctx, user=user, status_code=status_code)


def _move(
    request: Request,
    user: WebUser,
    session: Session,
    patient_id: int,
    plan_id: int,
    values: Values,
    body: dict[str, Any],
    saved: str,
) -> Response:
    """Validate ``body`` as :class:`PlanUpdate`, move the plan, redirect or explain."""
    try:
        data = PlanUpdate.model_validate(body)
    except ValidationError as error:
        errors = validation_errors(error)
        stale = errors.pop("version", None) is not None
        if stale:
            errors["form"] = STALE_FORM
        return _page(
            request, user, session, patient_id, plan_id, values, errors, 422, stored_version=stale
        )
    try:
        plan_service.update(
            session=session, actor=user.actor, patient_id=patient_id, plan_id=plan_id, data=data
        )
    except InvalidInputError as error:
        return _page(
            request, user, session, patient_id, plan_id, values, problem_errors(error), 422
        )
    except ConflictError as error:
        return _page(
            request,
            user,
            session,
            patient_id,
            plan_id,
            values,
            {"form": str(error)},
            409,
            stored_version=True,
        )
    return saved_redirect(patient_id, saved)


@router.post("/patients/{patient_id}/plans/{plan_id}/schedule", response_class=HTMLResponse)
async def schedule_plan(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId, plan_id: DbId
) -> Response:
    """draft -> scheduled (the day is booked)."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, ("version",))
    body = given(values) | {"status": PlanStatus.SCHEDULED.value}
    return _move(request, user, session, patient_id, plan_id, {}, body, "plan-scheduled")


@router.get("/patients/{patient_id}/plans/{plan_id}/cancel", response_class=HTMLResponse)
def cancel_form(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId, plan_id: DbId
) -> Response:
    """The plan and a box for the reason (409 when the plan can no longer be cancelled)."""
    plan = plan_service.get(
        session=session, actor=user.actor, patient_id=patient_id, plan_id=plan_id
    )
    errors: Errors = {}
    status_code = 200
    if not lifecycle.allowed(plan.status, PlanStatus.CANCELLED):
        error = lifecycle.PlanTransitionError(plan.status, PlanStatus.CANCELLED)
        errors, status_code = {"form": error.detail}, 409
    values = {"version": str(plan.version), "cancel_reason": ""}
    return _page(request, user, session, patient_id, plan_id, values, errors, status_code)


@router.post("/patients/{patient_id}/plans/{plan_id}/cancel", response_class=HTMLResponse)
async def cancel_submit(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId, plan_id: DbId
) -> Response:
    """draft or scheduled -> cancelled, with the reason (who and when are stored)."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, ("version", "cancel_reason"))
    body = given(values) | {"status": PlanStatus.CANCELLED.value}
    return _move(request, user, session, patient_id, plan_id, values, body, "plan-cancelled")
