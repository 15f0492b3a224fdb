"""Consultation request pages: the public form, the portal's form, and the staff triage queue.

* ``GET/POST /request-consultation``: no login. CSRF as the login form (a signed
  pre-login cookie, double submit: :mod:`rhizo.clinic.web.session`); the abuse
  limits of :mod:`rhizo.clinic.intake.abuse` (a honeypot field, 3 requests an hour
  per address: 429 with ``Retry-After`` and the wait in words) and a body of at
  most :data:`MAX_FORM_BYTES` (413). Inline errors name the field.
* ``GET/POST /portal/request``: the patient's own request (``own:request``); the
  portal shows the form through ``intake/_portal_request.html``.
* ``GET /requests`` and ``POST /requests/{id}/accept|ask|decline``: the triage
  queue (``intake:triage``: clinician, nurse, admin), each open request with the
  free consultation slots of the next :data:`SLOT_DAYS` days
  (:func:`rhizo.clinic.schedule.slots.free_slots`) to book it into.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import ConflictError, FieldProblem, InvalidInputError
from rhizo.clinic.core.deps import SessionDep, client_ip, request_id
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.intake import abuse, chronic, service
from rhizo.clinic.intake.models import (
    DECLINE_REASON_MAX,
    DECLINE_REASON_MIN,
    MESSAGE_MAX,
    REGION_LABEL,
    DayPart,
    PainRegion,
    RequestAccept,
    RequestAsk,
    RequestCreate,
    RequestDecline,
    RequestSource,
    Weekday,
)
from rhizo.clinic.patient.models import Sex
from rhizo.clinic.schedule import clock, slots
from rhizo.clinic.schedule.models import AppointmentKind
from rhizo.clinic.web import session as web_session
from rhizo.clinic.web.access import CsrfRefused, PageAccess, WebUser, check_csrf
from rhizo.clinic.web.clinic_time import clinic_zone
from rhizo.clinic.web.form_errors import Errors, problem_errors, validation_errors
from rhizo.clinic.web.forms.common import choices
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)

#: The largest request form body accepted (bytes): the texts' limits with room to spare.
MAX_FORM_BYTES = 16 * 1024
#: How far ahead the triage queue offers slots (days).
SLOT_DAYS = 28
#: How many free slots each request's booking choice lists.
SLOT_CHOICES = 40
#: The fields of the request form.
FIELDS = ("name", "email", "phone", "region", "pain_for", "pain_unit", "referrer_name")
TEXTS = ("preferred_note", "message")
#: The public form's actor in the audit trail (no login).
PUBLIC_USERNAME = "public"

Portal = Annotated[WebUser, Depends(PageAccess(Permission.OWN_REQUEST_WRITE, audience="patient"))]
Triage = Annotated[WebUser, Depends(PageAccess(Permission.INTAKE_TRIAGE))]


class FormTooLarge(Exception):
    """A request form over :data:`MAX_FORM_BYTES` (answered with the 413 page)."""


def _too_large(request: Request) -> Response:
    return render(
        request,
        "error.html",
        {
            "status": 413,
            "title": "Too long",
            "message": "The form was longer than this page accepts "
            f"({MAX_FORM_BYTES // 1024} KiB). "
            "Shorten the message and send it again.",
            "request_id": getattr(request.state, "request_id", None),
            "back": None,
        },
        status_code=413,
    )


def _choices() -> dict[str, Any]:
    return {
        "regions": [(r.value, REGION_LABEL[r]) for r in PainRegion],
        "weekdays": choices(Weekday),
        "day_parts": choices(DayPart),
        "units": [(unit, unit) for unit in chronic.WEEKS_PER_UNIT],
        "message_max": MESSAGE_MAX,
        "honeypot": abuse.HONEYPOT_FIELD,
    }


async def _read(request: Request) -> FormData:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise FormTooLarge
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise FormTooLarge
    return await request.form()


def _values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: str(form.get(name) or "").strip() for name in (*FIELDS, *TEXTS)}
    values["preferred_days"] = [str(v) for v in form.getlist("preferred_days")]
    values["preferred_parts"] = [str(v) for v in form.getlist("preferred_parts")]
    return values


def request_of(values: dict[str, Any]) -> tuple[RequestCreate | None, Errors]:
    """The request a submitted form asks for, or the inline errors (the duration is
    "how many" of weeks, months or years, converted to weeks by
    :data:`rhizo.clinic.intake.chronic.WEEKS_PER_UNIT`)."""
    errors: Errors = {}
    raw: dict[str, Any] = {
        name: values[name]
        for name in ("name", "email", "phone", "region", "referrer_name", *TEXTS)
        if values.get(name)
    }
    raw["preferred_days"] = values["preferred_days"]
    raw["preferred_parts"] = values["preferred_parts"]
    if values.get("pain_for"):
        unit = values.get("pain_unit") or "weeks"
        try:
            amount = float(values["pain_for"])
        except ValueError:
            errors["pain_for"] = f"enter a number (entered {values['pain_for'][:20]!r})"
        else:
            if unit not in chronic.WEEKS_PER_UNIT:
                errors["pain_unit"] = "choose weeks, months or years"
            elif not 0 <= amount <= 100 * 52:
                errors["pain_for"] = "enter how long, from 0 to 100 years"
            else:
                raw["pain_weeks"] = round(amount * chronic.WEEKS_PER_UNIT[unit], 2)
    try:
        data = RequestCreate.model_validate(raw)
    except ValidationError as error:
        found = validation_errors(error, model_field="email")
        found = {("pain_for" if k == "pain_weeks" else k): v for k, v in found.items()}
        return None, {**found, **errors}
    return (None, errors) if errors else (data, {})


# --- the public form ---------------------------------------------------------------------


def _public_page(
    request: Request,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    token, cookie = web_session.pre_login_token(request)
    response = render(
        request,
        "intake/public.html",
        {**_choices(), "values": {}, "errors": {}, **context},
        csrf=token,
        status_code=status_code,
    )
    if cookie is not None:
        web_session.set_pre_login_cookie(request, response, cookie)
    response.headers.update(headers or {})
    return response


def _public_actor(request: Request) -> Actor:
    return Actor(
        user_id=None,
        username=PUBLIC_USERNAME,
        role=None,
        request_id=request_id(request),
        ip=client_ip(request),
    )


@router.get("/request-consultation", response_class=HTMLResponse)
def public_form(request: Request) -> Response:
    """The public request form (no login)."""
    return _public_page(request, {})


@router.post("/request-consultation", response_class=HTMLResponse)
async def public_submit(request: Request, session: SessionDep) -> Response:
    """Store a public request after CSRF, honeypot, size and rate checks."""
    try:
        form = await _read(request)
    except FormTooLarge:
        return _too_large(request)
    if not web_session.pre_login_csrf_ok(request, form.get(web_session.CSRF_FIELD)):
        raise CsrfRefused
    if str(form.get(abuse.HONEYPOT_FIELD) or ""):
        return _public_page(request, {"done": True, "reference": None})
    values = _values(form)
    data, errors = request_of(values)
    if data is None:
        return _public_page(request, {"values": values, "errors": errors}, status_code=422)
    secret = request.app.state.settings.secret
    try:
        row = service.create(
            session=session,
            actor=_public_actor(request),
            data=data,
            source=RequestSource.PUBLIC,
            address_hash=abuse.client_hash(client_ip(request), secret=secret),
        )
    except abuse.RequestThrottled as refused:
        message = (
            f"We have already had {abuse.MAX_PER_WINDOW} requests from your connection in the "
            f"last hour. Please try again in {abuse.wait_in_words(refused.retry_after_s)}, "
            "or phone the clinic."
        )
        return _public_page(
            request,
            {"values": values, "errors": {}, "refused": message},
            status_code=429,
            headers={"Retry-After": str(refused.retry_after_s)},
        )
    except InvalidInputError as error:
        return _public_page(
            request, {"values": values, "errors": problem_errors(error)}, status_code=422
        )
    return _public_page(request, {"done": True, "reference": service.reference_of(row)})


# --- the portal ----------------------------------------------------------------------------


def _portal_page(
    request: Request,
    user: WebUser,
    session: Session,
    *,
    values: dict[str, Any] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    assert user.patient_id is not None  # noqa: S101 - the portal's patient
    mine = service.own_requests(session=session, actor=user.actor, patient_id=user.patient_id)
    context = {
        **_choices(),
        "request_values": values or {},
        "request_errors": errors or {},
        "my_requests": mine,
    }
    return render(
        request, "intake/portal_request.html", context, user=user, status_code=status_code
    )


@router.get("/portal/request", response_class=HTMLResponse)
def portal_form(request: Request, user: Portal, session: SessionDep) -> Response:
    """The patient's request form and their earlier requests."""
    if user.patient_id is None:
        return render(request, "intake/portal_request.html", {"unlinked": True}, user=user)
    return _portal_page(request, user, session)


@router.post("/portal/request", response_class=HTMLResponse)
async def portal_submit(request: Request, user: Portal, session: SessionDep) -> Response:
    """Store the patient's own request (inline errors on the portal's request page)."""
    try:
        form = await _read(request)
    except FormTooLarge:
        return _too_large(request)
    check_csrf(user, {web_session.CSRF_FIELD: str(form.get(web_session.CSRF_FIELD) or "")})
    if user.patient_id is None:
        return render(request, "intake/portal_request.html", {"unlinked": True}, user=user)
    values = _values(form)
    data, errors = request_of(values)
    if data is None:
        return _portal_page(request, user, session, values=values, errors=errors, status_code=422)
    service.create_own(session=session, actor=user.actor, patient_id=user.patient_id, data=data)
    return RedirectResponse("/portal/request?sent=1#request", status_code=303)


# --- the triage queue ------------------------------------------------------------------------


def _queue(
    request: Request,
    user: WebUser,
    session: Session,
    *,
    errors: dict[int, Errors] | None = None,
    status_code: int = 200,
) -> Response:
    rows = service.queue(session=session, actor=user.actor)
    now = clock.now_utc()
    free = slots.free_slots(
        session=session,
        kind=AppointmentKind.CONSULTATION,
        start=now,
        end=now + timedelta(days=SLOT_DAYS),
    )[:SLOT_CHOICES]
    zone = clinic_zone(request)
    context = {
        "rows": rows,
        "slots": [
            {
                "value": f"{s.session_id}|{s.starts_at.isoformat()}",
                "label": clock.local(s.starts_at, zone).strftime("%a %d %b %Y %H:%M"),
                "specialist_id": s.specialist_id,
                "mode": s.mode.value.replace("_", " "),
            }
            for s in free
        ],
        "region_label": REGION_LABEL,
        "duration_words": chronic.duration_words,
        "reference_of": service.reference_of,
        "sexes": choices(Sex),
        "errors": errors or {},
        "saved": request.query_params.get("saved"),
        "decline_min": DECLINE_REASON_MIN,
        "decline_max": DECLINE_REASON_MAX,
        "zone": zone,
        "local": clock.local,
    }
    return render(request, "intake/queue.html", context, user=user, status_code=status_code)


@router.get("/requests", response_class=HTMLResponse)
def queue_page(request: Request, user: Triage, session: SessionDep) -> Response:
    """The open requests, oldest first, each with accept, ask and decline."""
    return _queue(request, user, session)


async def _triage_form(request: Request, user: WebUser) -> dict[str, str]:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(user, values)
    return values


def _refused(
    request: Request, user: WebUser, session: Session, request_no: int, error: Exception
) -> Response:
    if isinstance(error, ValidationError):
        return _queue(
            request, user, session, errors={request_no: validation_errors(error)}, status_code=422
        )
    if isinstance(error, InvalidInputError):
        return _queue(
            request, user, session, errors={request_no: problem_errors(error)}, status_code=422
        )
    return _queue(
        request, user, session, errors={request_no: {"form": str(error)}}, status_code=409
    )


def _accept_data(form: dict[str, str]) -> RequestAccept:
    session_id, _, starts_at = form.get("slot", "").partition("|")
    raw: dict[str, Any] = {"version": form.get("version"), "session_id": session_id or None}
    raw["starts_at"] = starts_at or None
    if form.get("patient_id"):
        raw["patient_id"] = form["patient_id"]
    new = {
        name: form[name]
        for name in ("mrn", "given_name", "family_name", "birth_date", "sex", "email", "phone")
        if form.get(name)
    }
    if form.get("mrn"):  # a new registration names its MRN; else the record chosen
        raw["new_patient"] = new
    try:
        return RequestAccept.model_validate(raw)
    except ValidationError as error:
        if any(item["loc"][:1] == ("session_id",) for item in error.errors()):
            raise InvalidInputError(
                [FieldProblem("slot", form.get("slot"), "required", "choose a free slot to book")]
            ) from None
        raise


@router.post("/requests/{request_no}/accept", response_class=HTMLResponse)
async def accept_submit(
    request: Request, user: Triage, session: SessionDep, request_no: DbId
) -> Response:
    """Accept the request and book the chosen slot."""
    form = await _triage_form(request, user)
    try:
        service.accept(
            session=session, actor=user.actor, request_id=request_no, data=_accept_data(form)
        )
    except (ValidationError, InvalidInputError, ConflictError) as error:
        return _refused(request, user, session, request_no, error)
    return RedirectResponse("/requests?saved=booked#flash", status_code=303)


@router.post("/requests/{request_no}/ask", response_class=HTMLResponse)
async def ask_submit(
    request: Request, user: Triage, session: SessionDep, request_no: DbId
) -> Response:
    """Send the requester a question; the request stays open."""
    form = await _triage_form(request, user)
    try:
        data = RequestAsk.model_validate(
            {"version": form.get("version"), "message": form.get("message", "")}
        )
        service.ask(session=session, actor=user.actor, request_id=request_no, data=data)
    except (ValidationError, InvalidInputError, ConflictError) as error:
        return _refused(request, user, session, request_no, error)
    return RedirectResponse("/requests?saved=asked#flash", status_code=303)


@router.post("/requests/{request_no}/decline", response_class=HTMLResponse)
async def decline_submit(
    request: Request, user: Triage, session: SessionDep, request_no: DbId
) -> Response:
    """Decline with the reason the requester is told."""
    form = await _triage_form(request, user)
    try:
        data = RequestDecline.model_validate(
            {"version": form.get("version"), "reason": form.get("reason", "")}
        )
        service.decline(session=session, actor=user.actor, request_id=request_no, data=data)
    except (ValidationError, InvalidInputError, ConflictError) as error:
        return _refused(request, user, session, request_no, error)
    return RedirectResponse("/requests?saved=declined#flash", status_code=303)
