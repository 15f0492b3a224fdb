"""A patient's medications page: active and stopped, add, stop, and the plan's holds now.

``GET /patients/{id}/medications`` lists the active medications (name, dose,
indication, start) and the stopped ones (with the day and the reason), for staff
and for the patient themself (the patient page's readers). Writers (the API's
``clinical:write``: clinicians, nurses, admin) get a form to add one
(``POST .../medications/new``) and, on each active row, a form to stop it
(``POST .../medications/stop``, the row's id and version in the form). Both
validate through the domain's schemas (:class:`MedicationCreate`,
:class:`MedicationStop`) and write through its service: one transaction with its
audit row; a bad field is shown inline next to it (422), a stale row as a
conflict (409), and nothing is saved.

The plan's drug holds are computed from the ACTIVE medications. The page shows
the current plan (the next one not done or cancelled, else the latest such)
with its holds *as they would be today*: :func:`rhizo.clinic.plan.service.recomputed`,
the same computation as saving the plan, on a copy that is not written. When
those differ from the holds saved with the plan, the page says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.chart.reader import read_record
from rhizo.clinic.chart.record import PatientRecord
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import ConflictError, InvalidInputError, NotFoundError
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import MAX_ID, DbId
from rhizo.clinic.medication import service as medication_service
from rhizo.clinic.medication.models import MedicationCreate, MedicationStop
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.lifecycle import EDITABLE
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.web.access import (
    ClinicalFormUser,
    PatientPageUser,
    WebUser,
    check_csrf,
    read_form,
)
from rhizo.clinic.web.clinic_time import clinic_today
from rhizo.clinic.web.form_errors import Errors, problem_errors, validation_errors
from rhizo.clinic.web.forms.common import Values, given, values_of
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)

ADD_FIELDS = ("name", "dose", "indication", "started_on")
STOP_FIELDS = ("medication_id", "version", "stopped_on", "stop_reason")
#: Plans whose holds still matter: not done, not cancelled (the lifecycle's editable ones).
OPEN_PLANS = EDITABLE


@dataclass(frozen=True)
class HoldsNow:
    """The current plan, its holds as saved, and as they would be with today's medications."""

    plan: Plan
    #: The same plan recomputed (not stored): its ``holds`` and ``unmatched_medications``.
    now: Plan
    #: Whether the saved holds differ from today's (the plan was saved with other drugs).
    changed: bool


def current_plan(plans: Sequence[Plan], today: date) -> Plan | None:
    """The plan the holds are for: the soonest open plan on or after ``today``, else the
    latest open one (``plans`` oldest first), else None."""
    open_plans = [p for p in plans if p.status in OPEN_PLANS]
    coming = [p for p in open_plans if p.planned_date >= today]
    if coming:
        return min(coming, key=lambda p: (p.planned_date, p.id))
    return max(open_plans, key=lambda p: (p.planned_date, p.id), default=None)


def _hold_key(holds: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted((h.get("drug"), h.get("hold"), h.get("last_dose_date")) for h in holds)


def holds_now(session: Session, record: PatientRecord, today: date) -> HoldsNow | str | None:
    """The current plan's holds now (None: no open plan; a string: why they cannot be
    computed, e.g. a stored input the rules now refuse)."""
    plan = current_plan(record.plans, today)
    if plan is None:
        return None
    try:
        now = plan_service.recomputed(session=session, plan=plan)
    except InvalidInputError as error:
        return f"The holds cannot be computed for this plan: {error}"
    changed = _hold_key(plan.holds) != _hold_key(now.holds) or sorted(
        plan.unmatched_medications
    ) != sorted(now.unmatched_medications)
    return HoldsNow(plan=plan, now=now, changed=changed)


def _page(
    request: Request,
    user: WebUser,
    session: Session,
    patient_id: int,
    *,
    add: Values | None = None,
    add_errors: Errors | None = None,
    stop: Values | None = None,
    stop_errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    record = read_record(session=session, actor=user.actor, patient_id=patient_id)
    today = clinic_today(request)
    meds = record.medications
    ctx: dict[str, Any] = {
        "p": record.patient,
        "active": [m for m in meds if m.active],
        "stopped": [m for m in meds if not m.active],
        "holds_now": holds_now(session, record, today),
        "may_write": not user.is_patient and user.can(Permission.CLINICAL_WRITE),
        "values": add or {"started_on": today.isoformat()},
        "errors": add_errors or {},
        "stop": stop or {},
        "stop_errors": stop_errors or {},
        "today": today.isoformat(),
    }
    return render(request, "records/medications.html", ctx, user=user, status_code=status_code)


def _saved(patient_id: int, what: str) -> RedirectResponse:
    return RedirectResponse(
        f"/patients/{patient_id}/medications?saved={what}#flash", status_code=303
    )


@router.get("/patients/{patient_id}/medications", response_class=HTMLResponse)
def medications_page(
    request: Request, user: PatientPageUser, session: SessionDep, patient_id: DbId
) -> Response:
    """The medications, the forms (writers only) and the current plan's holds now."""
    return _page(request, user, session, patient_id)


@router.post("/patients/{patient_id}/medications/new", response_class=HTMLResponse)
async def add_medication(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId
) -> Response:
    """Validate through :class:`MedicationCreate`; record through the medication service."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, ADD_FIELDS)
    try:
        data = MedicationCreate.model_validate(given(values))
        medication_service.create(
            session=session, actor=user.actor, patient_id=patient_id, data=data
        )
    except ValidationError as error:
        errors = validation_errors(error)
        return _page(
            request, user, session, patient_id, add=values, add_errors=errors, status_code=422
        )
    except InvalidInputError as error:
        errors = problem_errors(error)
        return _page(
            request, user, session, patient_id, add=values, add_errors=errors, status_code=422
        )
    return _saved(patient_id, "added")


@router.post("/patients/{patient_id}/medications/stop", response_class=HTMLResponse)
async def stop_medication(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId
) -> Response:
    """Validate through :class:`MedicationStop`; stop through the medication service (the
    row's id and the version it was read at come with the form)."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, STOP_FIELDS)

    def again(errors: Errors, status_code: int) -> Response:
        return _page(
            request,
            user,
            session,
            patient_id,
            stop=values,
            stop_errors=errors,
            status_code=status_code,
        )

    raw = given(values)
    medication_id = raw.pop("medication_id", "")
    if not medication_id.isdigit() or not 1 <= int(medication_id) <= MAX_ID:
        return again({"medication_id": "choose the medication to stop"}, 422)
    try:
        data = MedicationStop.model_validate(raw)
        medication_service.stop(
            session=session,
            actor=user.actor,
            patient_id=patient_id,
            medication_id=int(medication_id),
            data=data,
        )
    except ValidationError as error:
        return again(validation_errors(error), 422)
    except InvalidInputError as error:
        return again(problem_errors(error), 422)
    except NotFoundError:
        return again({"medication_id": f"no medication {medication_id} for this patient"}, 422)
    except ConflictError as error:
        return again({"form": str(error)}, 409)
    return _saved(patient_id, "stopped")
