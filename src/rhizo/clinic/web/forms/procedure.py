"""Record a procedure with several lesions; the stimulation gates are shown live per row.

Without JavaScript the form is a plain POST: ``action=add_row`` (or
``remove_row-<i>``) re-renders it with the rows changed and saves nothing; a
submit validates every row, runs the gates through the procedure service and
stores the procedure and all its lesions, or nothing (422, each blocked row
explained). With htmx each row posts itself to ``/procedures/gate`` on change
and "add lesion row" fetches one row from ``/procedures/row``.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.allergy.relevance import procedure_warnings
from rhizo.clinic.chart.record import PatientRecord
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import InvalidInputError, PermissionDeniedError, Region, Side
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.plan import lifecycle
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.models import Sedation
from rhizo.clinic.procedure import service as procedure_service
from rhizo.clinic.procedure.models import (
    LesionSide,
    Placement,
    ProcedureCreate,
    ProcedureStatus,
    Technique,
)
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.web.access import PageForbidden, ProcedureFormUser, WebUser, check_csrf, read_form
from rhizo.clinic.web.clinic_time import clinic_now, clinic_zone, form_value, from_form_value
from rhizo.clinic.web.form_errors import problem_errors, validation_errors
from rhizo.clinic.web.forms import plan_prefill
from rhizo.clinic.web.forms.common import (
    Errors,
    Values,
    given,
    read_chart,
    saved_redirect,
    split_levels,
    values_of,
)
from rhizo.clinic.web.forms.lesions import (
    MAX_ROWS,
    gate_view,
    is_blank,
    lesion_payload,
    new_row,
    row_values,
)
from rhizo.clinic.web.pages import render
from rhizo.pathway.clinic_day import procedure_day
from rhizo.pathway.gates import MotorResponse, SensoryResponse

router = APIRouter(include_in_schema=False)

FIELDS = (
    "performer_id",
    "performed_at",
    "technique",
    "region",
    "side",
    "levels",
    "sedation",
    "fluoroscopy_time_s",
    "duration_min",
    "status",
    "plan_id",
    "repeat_of_id",
    "notes",
)


def _choices(enum: Any) -> list[tuple[str, str]]:
    return [(member.value, member.value.replace("_", " ")) for member in enum]


def _options(session: Session, record: PatientRecord, zone: tzinfo) -> dict[str, Any]:
    specialists = session.scalars(
        sa.select(Specialist).where(Specialist.active.is_(True)).order_by(Specialist.display_name)
    ).all()
    options: dict[str, Any] = {
        "specialists": [(str(s.id), s.display_name) for s in specialists],
        # Only a draft or scheduled plan can still be carried out ("From plan").
        "plans": [
            (
                str(p.id),
                f"{p.planned_date.isoformat()} {p.procedure} {', '.join(p.levels)} "
                f"{p.side.value} ({p.status.value})",
            )
            for p in record.plans
            if p.status in lifecycle.EDITABLE
        ],
        "previous": [
            (
                str(p.id),
                f"{procedure_day(p.performed_at, zone).isoformat()} {', '.join(p.levels)} "
                f"{p.side.value}",
            )
            for p in record.procedures
        ],
        "techniques": _choices(Technique),
        "regions": _choices(Region),
        "sides": _choices(Side),
        "sedations": _choices(Sedation),
        "statuses": _choices(ProcedureStatus),
    }
    return options | _row_choices()


def _row_choices() -> dict[str, Any]:
    return {
        "lesion_sides": _choices(LesionSide),
        "placements": _choices(Placement),
        "sensory_responses": _choices(SensoryResponse),
        "motor_responses": _choices(MotorResponse),
    }


def _page(
    request: Request,
    user: WebUser,
    session: Session,
    patient_id: int,
    values: Values,
    rows: list[Values],
    errors: Errors,
    status_code: int = 200,
) -> Response:
    record = read_chart(session, user, patient_id)
    patient = record.patient
    ctx: dict[str, Any] = {
        "p": patient,
        "pid": patient.id,
        "values": values,
        "rows": rows,
        "gates": [gate_view(row) if not is_blank(row) else None for row in rows],
        "errors": errors,
        "max_rows": MAX_ROWS,
        "may_override": user.can(Permission.GATE_OVERRIDE),
        # The recorded allergies the procedure touches, shown at the top of the form.
        "allergy_warnings": procedure_warnings(record.allergies),
    }
    ctx.update(_options(session, record, clinic_zone(request)))
    return render(request, "forms/procedure.html", ctx, user=user, status_code=status_code)


def _own_specialist(session: Session, user: WebUser) -> str:
    found = session.scalar(sa.select(Specialist.id).where(Specialist.user_id == user.user.id))
    return "" if found is None else str(found)


@router.get("/patients/{patient_id}/procedures/new", response_class=HTMLResponse)
def procedure_form(
    request: Request, user: ProcedureFormUser, session: SessionDep, patient_id: DbId
) -> Response:
    """The empty procedure form with one lesion row."""
    values = dict.fromkeys(FIELDS, "")
    values.update(
        performer_id=_own_specialist(session, user),
        performed_at=form_value(clinic_now(request), clinic_zone(request)),
        technique=Technique.CONVENTIONAL.value,
        region=Region.LUMBAR.value,
        sedation=Sedation.NONE.value,
        status=ProcedureStatus.COMPLETED.value,
    )
    rows = [new_row()]
    plan_id = request.query_params.get("plan_id", "")
    if plan_id.isdigit():  # "record the procedure from this plan" on the patient page
        values, rows = _from_plan(request, user, session, patient_id, int(plan_id), values)
    return _page(request, user, session, patient_id, values, rows, {})


def _from_plan(
    request: Request,
    user: WebUser,
    session: Session,
    patient_id: int,
    plan_id: int,
    values: Values,
) -> tuple[Values, list[Values]]:
    """The form prefilled from a plan: its side, levels, sedation, day and one lesion
    row per side and nerve (:mod:`rhizo.clinic.web.forms.plan_prefill`)."""
    plan = plan_service.get(
        session=session, actor=user.actor, patient_id=patient_id, plan_id=plan_id
    )
    zone = clinic_zone(request)
    prefilled = values | plan_prefill.plan_values(plan, clinic_now(request), zone)
    return prefilled, plan_prefill.plan_rows(plan)


def _rows(form: dict[str, str]) -> list[Values]:
    try:
        count = int(form.get("lesion_count", "0"))
    except ValueError:
        count = 0
    return [row_values(form, index) for index in range(max(0, min(count, MAX_ROWS)))]


def _edit_rows(action: str, rows: list[Values]) -> list[Values] | None:
    """``add_row`` / ``remove_row-<i>``: the changed rows, or None for a real submit."""
    if action == "add_row":
        return [*rows, new_row(rows[-1] if rows else None)] if len(rows) < MAX_ROWS else rows
    if action.startswith("remove_row-"):
        index = action.removeprefix("remove_row-")
        if index.isdigit():
            return [row for i, row in enumerate(rows) if i != int(index)]
    return None


@router.post("/patients/{patient_id}/procedures/new", response_class=HTMLResponse)
async def procedure_submit(
    request: Request, user: ProcedureFormUser, session: SessionDep, patient_id: DbId
) -> Response:
    """Add or remove a row, or record the procedure and every lesion (all or nothing)."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, FIELDS)
    rows = _rows(form)
    if form.get("action") == "from_plan" and values["plan_id"].isdigit():
        # "Fill from plan" (no JavaScript needed): typed rows are kept unless all blank.
        filled, plan_rows = _from_plan(
            request, user, session, patient_id, int(values["plan_id"]), values
        )
        kept = rows if any(not is_blank(row) for row in rows) else plan_rows
        return _page(request, user, session, patient_id, filled, kept, {})
    edited = _edit_rows(form.get("action", ""), rows)
    if edited is not None:
        return _page(request, user, session, patient_id, values, edited, {})
    rows = [row for row in rows if not is_blank(row)]
    raw: dict[str, Any] = given(values)
    if "levels" in raw:
        raw["levels"] = split_levels(raw["levels"])
    if "performed_at" in raw:
        raw["performed_at"] = from_form_value(raw["performed_at"], clinic_zone(request))
    raw["lesions"] = [lesion_payload(row) for row in rows]
    try:
        data = ProcedureCreate.model_validate(raw)
    except ValidationError as error:
        errors = validation_errors(error, model_field="performed_at")
        return _page(request, user, session, patient_id, values, rows, errors, 422)
    try:
        procedure_service.create(
            session=session, actor=user.actor, patient_id=patient_id, data=data
        )
    except InvalidInputError as error:
        return _page(request, user, session, patient_id, values, rows, problem_errors(error), 422)
    except PermissionDeniedError:
        raise PageForbidden from None
    return saved_redirect(patient_id, "procedure")


@router.post("/patients/{patient_id}/procedures/gate", response_class=HTMLResponse)
async def gate_fragment(request: Request, user: ProcedureFormUser, patient_id: DbId) -> Response:
    """The verdict box of one row (``row`` = its index), for htmx; nothing is stored."""
    form = await read_form(request)
    check_csrf(user, form)
    index = form.get("row", "")
    if not index.isdigit() or int(index) >= MAX_ROWS:
        return HTMLResponse("row must be a lesion row index", status_code=422)
    row = row_values(form, int(index))
    ctx = {
        "i": int(index),
        "gate": None if is_blank(row) else gate_view(row),
        "may_override": user.can(Permission.GATE_OVERRIDE),
    }
    return render(request, "forms/_gate.html", ctx, user=user)


@router.post("/patients/{patient_id}/procedures/row", response_class=HTMLResponse)
async def row_fragment(request: Request, user: ProcedureFormUser, patient_id: DbId) -> Response:
    """One new lesion row (and the updated ``lesion_count``, out of band), for htmx."""
    form = await read_form(request)
    check_csrf(user, form)
    rows = _rows(form)
    if len(rows) >= MAX_ROWS:
        ctx: dict[str, Any] = {"count": len(rows), "full": True}
        return render(request, "forms/_row_added.html", ctx, user=user)
    ctx = {
        "pid": patient_id,
        "i": len(rows),
        "row": new_row(rows[-1] if rows else None),
        "gate": None,
        "errors": {},
        "count": len(rows) + 1,
        "full": False,
        "may_override": user.can(Permission.GATE_OVERRIDE),
    }
    ctx.update(_row_choices())
    return render(request, "forms/_row_added.html", ctx, user=user)
