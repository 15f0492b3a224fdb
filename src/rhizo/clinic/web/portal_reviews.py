"""The portal's questionnaires before a review: NRS, ODI and PGIC, filled in by the patient.

``GET /portal/reviews`` lists the patient's own upcoming review appointments;
``GET/POST /portal/reviews/{appointment_id}`` shows and takes the questionnaires
for one of them. Only the patient's own booked review appointments: any other id
is a 404 (the page does not say whether it exists). The answers are stored as a
follow-up of the appointment's procedure through the follow-up service, which
stores a patient's own entry as source ``diary`` (the existing value; a review's
clinic score is recorded by staff at the visit). The ODI is scored by
:func:`rhizo.pathway.outcomes.score_odi` (ten sections 0-5, one may be left out;
Fairbank 2000 scoring rule as read in ``knowledge/outcomes.yaml``); the official
ODI v2.1a wording is licensed and not reproduced, so each section is named with
a 0 (no difficulty) to 5 (worst) scale. The PGIC labels are
``knowledge/outcomes.yaml`` ``pgic`` (Farrar 2001). After the write the worklist
sweep runs for the patient (:func:`rhizo.clinic.tasks.service.refresh`), so a
score back out of relief can raise "pain has returned".
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.common import FieldProblem, InvalidInputError
from rhizo.clinic.core.database import utcnow
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.followup import service as followup_service
from rhizo.clinic.followup.models import FollowUpCreate, FollowUpSource
from rhizo.clinic.schedule.models import Appointment, AppointmentKind, AppointmentStatus
from rhizo.clinic.tasks import service as tasks_service
from rhizo.clinic.web.access import (
    DiaryUser,
    PageForbidden,
    PageNotFound,
    PortalUser,
    WebUser,
    check_csrf,
    read_form,
)
from rhizo.clinic.web.clinic_time import clinic_today, clinic_zone
from rhizo.clinic.web.form_errors import problem_errors, validation_errors
from rhizo.clinic.web.pages import render
from rhizo.pathway.facts import entry
from rhizo.pathway.outcomes import score_odi

router = APIRouter()

#: The ten ODI v2.1a sections, in the questionnaire's order (names only).
ODI_SECTIONS = (
    "Pain intensity",
    "Personal care",
    "Lifting",
    "Walking",
    "Sitting",
    "Standing",
    "Sleeping",
    "Sex life",
    "Social life",
    "Travelling",
)


def _pgic_labels() -> list[tuple[int, str]]:
    labels: list[str] = entry("outcomes", "pgic")["labels"]
    return list(enumerate(labels, start=1))


def _own_reviews(session: Session, user: WebUser) -> list[Appointment]:
    if user.patient_id is None:
        raise PageForbidden
    return list(
        session.scalars(
            sa.select(Appointment)
            .where(
                Appointment.patient_id == user.patient_id,
                Appointment.kind == AppointmentKind.REVIEW,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.ends_at >= utcnow(),
            )
            .order_by(Appointment.starts_at)
        )
    )


def _own_review(session: Session, user: WebUser, appointment_id: int) -> Appointment:
    for appointment in _own_reviews(session, user):
        if appointment.id == appointment_id:
            return appointment
    raise PageNotFound


def _audit_read(session: Session, user: WebUser, appointment_id: int | None) -> None:
    audit.record_now(
        session=session,
        actor=user.actor,
        action=AuditAction.READ,
        entity_type="appointment",
        entity_id=appointment_id,
        patient_id=user.patient_id,
        details={"page": "portal_reviews"},
    )


def _context(appointment: Appointment, request: Request) -> dict[str, Any]:
    return {
        "appointment": appointment,
        "zone": clinic_zone(request),
        "odi_sections": list(enumerate(ODI_SECTIONS)),
        "pgic_labels": _pgic_labels(),
    }


@router.get("/portal/reviews", response_class=HTMLResponse)
def portal_reviews(request: Request, user: PortalUser, session: SessionDep) -> Response:
    """The patient's upcoming reviews, each with its questionnaires link."""
    reviews = _own_reviews(session, user)
    _audit_read(session, user, None)
    return render(
        request,
        "tasks/portal_reviews.html",
        {"reviews": reviews, "zone": clinic_zone(request)},
        user=user,
    )


@router.get("/portal/reviews/{appointment_id}", response_class=HTMLResponse)
def portal_review_form(
    request: Request, user: PortalUser, session: SessionDep, appointment_id: DbId
) -> Response:
    """The questionnaires for one of the patient's own upcoming reviews."""
    appointment = _own_review(session, user, appointment_id)
    _audit_read(session, user, appointment.id)
    ctx = _context(appointment, request)
    ctx.update({"errors": {}, "values": {}, "saved": request.query_params.get("saved") == "1"})
    return render(request, "tasks/portal_review.html", ctx, user=user)


def _int_or_none(raw: str) -> int | str | None:
    text = raw.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text


def _odi_percent(form: dict[str, str]) -> int | None:
    """The ODI % from the ten sections (:func:`score_odi`); None when all are left out.

    :class:`InvalidInputError` naming the section (``odi_3``) for an answer outside
    0-5, or ``odi`` when more than one section is missing (no score, Fairbank 2000).
    """
    answers: list[int | None] = []
    for index, name in enumerate(ODI_SECTIONS):
        value = _int_or_none(form.get(f"odi_{index}", ""))
        if value is not None and (not isinstance(value, int) or not 0 <= value <= 5):
            raise InvalidInputError(
                [FieldProblem(f"odi_{index}", value, "range", f"{name}: choose 0 to 5")]
            )
        answers.append(value if isinstance(value, int) else None)
    if all(answer is None for answer in answers):
        return None
    scored = score_odi(answers)
    if scored.score_percent is None:
        raise InvalidInputError(
            [
                FieldProblem(
                    "odi",
                    scored.missing_items,
                    "odi_missing",
                    f"{scored.message} Answer them all, or all but one.",
                )
            ]
        )
    return round(scored.score_percent)


@router.post("/portal/reviews/{appointment_id}", response_class=HTMLResponse)
async def portal_review_submit(
    request: Request, user: DiaryUser, session: SessionDep, appointment_id: DbId
) -> Response:
    """Store the answers as a follow-up of the review's procedure (inline errors: 422)."""
    form = await read_form(request)
    check_csrf(user, form)
    appointment = _own_review(session, user, appointment_id)
    values = dict(form)
    today = clinic_today(request)
    try:
        odi = _odi_percent(form)
        data = FollowUpCreate.model_validate(
            {
                "followed_on": today,
                "nrs": form.get("nrs", "").strip(),
                "odi": odi,
                "pgic": form.get("pgic", "").strip() or None,
                "procedure_id": appointment.procedure_id,
                "source": FollowUpSource.DIARY,
                "notes": f"questionnaires before the review {appointment.review_id or ''} "
                f"(appointment {appointment.id}), from the portal",
            }
        )
        if user.patient_id is None:  # _own_review checked it already
            raise PageForbidden
        followup_service.create(
            session=session, actor=user.actor, patient_id=user.patient_id, data=data
        )
    except (ValidationError, InvalidInputError) as error:
        errors = (
            validation_errors(error)
            if isinstance(error, ValidationError)
            else problem_errors(error)
        )
        ctx = _context(appointment, request)
        ctx.update({"errors": errors, "values": values, "saved": False})
        return render(request, "tasks/portal_review.html", ctx, user=user, status_code=422)
    tasks_service.refresh(
        session=session, today=today, zone=clinic_zone(request), patient_id=user.patient_id
    )
    return RedirectResponse(f"/portal/reviews/{appointment.id}?saved=1", status_code=303)
