"""Record a diagnostic block (medial-branch or intra-articular) and its relief."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.block import service as block_service
from rhizo.clinic.block.models import BlockAgent, BlockCreate, BlockType
from rhizo.clinic.core.common import InvalidInputError, Side
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.web.access import ClinicalFormUser, WebUser, check_csrf, read_form
from rhizo.clinic.web.clinic_time import clinic_today
from rhizo.clinic.web.form_errors import problem_errors, validation_errors
from rhizo.clinic.web.forms.common import (
    Errors,
    Values,
    given,
    read_patient,
    saved_redirect,
    split_levels,
    values_of,
)
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)

FIELDS = (
    "performed_on",
    "block_type",
    "levels",
    "side",
    "agent",
    "volume_ml",
    "baseline_nrs",
    "relief_percent",
    "relief_hours",
    "notes",
)


def _page(
    request: Request,
    user: WebUser,
    session: Session,
    patient_id: int,
    values: Values,
    errors: Errors,
    status_code: int = 200,
) -> Response:
    patient = read_patient(session, user, patient_id)
    ctx: dict[str, Any] = {
        "p": patient,
        "values": values,
        "errors": errors,
        "block_types": [(t.value, t.value.replace("_", " ")) for t in BlockType],
        "sides": [(s.value, s.value) for s in Side],
        "agents": [(a.value, a.value) for a in BlockAgent],
    }
    return render(request, "forms/block.html", ctx, user=user, status_code=status_code)


@router.get("/patients/{patient_id}/blocks/new", response_class=HTMLResponse)
def block_form(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId
) -> Response:
    """The empty block form."""
    values = dict.fromkeys(FIELDS, "")
    values.update(
        performed_on=clinic_today(request).isoformat(), block_type=BlockType.MEDIAL_BRANCH.value
    )
    return _page(request, user, session, patient_id, values, {})


@router.post("/patients/{patient_id}/blocks/new", response_class=HTMLResponse)
async def block_submit(
    request: Request, user: ClinicalFormUser, session: SessionDep, patient_id: DbId
) -> Response:
    """Validate through :class:`BlockCreate` and record through the block service."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, FIELDS)
    raw: dict[str, Any] = given(values)
    if "levels" in raw:
        raw["levels"] = split_levels(raw["levels"])
    try:
        data = BlockCreate.model_validate(raw)
    except ValidationError as error:
        return _page(request, user, session, patient_id, values, validation_errors(error), 422)
    try:
        block_service.create(session=session, actor=user.actor, patient_id=patient_id, data=data)
    except InvalidInputError as error:
        return _page(request, user, session, patient_id, values, problem_errors(error), 422)
    return saved_redirect(patient_id, "block")
