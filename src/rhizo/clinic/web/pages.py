"""The server-rendered pages: login, patients, the patient page, the planner, the portal.

Every page uses the API's roles (:mod:`rhizo.clinic.core.auth.permissions`) and its
audit trail: a page that shows a patient's data reads the whole record through
:func:`rhizo.clinic.chart.reader.read_record`, which writes the audit ``read`` row;
a failed login is audited by :func:`rhizo.clinic.core.auth.login.authenticate`.
Every POST form carries a CSRF token checked here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo import DISCLAIMER
from rhizo.clinic.chart.reader import read_record
from rhizo.clinic.core.auth.models import Role
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import InvalidInputError
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId, QueryText
from rhizo.clinic.followup import service as followup_service
from rhizo.clinic.followup.models import FollowUpCreate, FollowUpSource
from rhizo.clinic.patient import service as patient_service
from rhizo.clinic.tasks import service as tasks_service
from rhizo.clinic.web import session as web_session
from rhizo.clinic.web.access import (
    AnyUser,
    DiaryUser,
    PageForbidden,
    PatientListUser,
    PatientPageUser,
    PortalUser,
    WebUser,
    check_csrf,
    read_form,
)
from rhizo.clinic.web.clinic_contact import clinic_contact
from rhizo.clinic.web.clinic_time import clinic_time_filter, clinic_today, clinic_zone
from rhizo.clinic.web.form_errors import problem_errors, validation_errors
from rhizo.clinic.web.patient_plan_view import has_sedation, patient_plan_of
from rhizo.clinic.web.record import RecordPage, record_page, screen
from rhizo.pathway.aftercare import plan_aftercare
from rhizo.pathway.durations import human_duration
from rhizo.pathway.education import choosing_a_specialist, faq, planned_region, procedure_steps
from rhizo.pathway.facts import EVIDENCE_LABELS
from rhizo.pathway.premed_models import DrugHold
from rhizo.pathway.relief import RESPONDER_MONTHS, RESPONDER_THRESHOLD
from rhizo.pathway.techniques import compare_techniques
from rhizo.pathway.windows import WINDOW_DAYS
from rhizo.plots.pain import figure_svg, pain_figure, responder_threshold_nrs

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
TEMPLATES.env.filters["clinic_time"] = clinic_time_filter
#: A fact's evidence level in words (the _evidence.html macro shows it beside each source).
TEMPLATES.env.filters["evidence_label"] = EVIDENCE_LABELS.__getitem__
#: The responder threshold and review window, from their one definition in rhizo.pathway.
TEMPLATES.env.globals["responder_percent"] = f"{RESPONDER_THRESHOLD.value:g}"
TEMPLATES.env.globals["responder_months"] = RESPONDER_MONTHS
TEMPLATES.env.globals["review_window_days"] = WINDOW_DAYS
#: Durations a person reads ("about 5 years", "26 weeks"): one helper for every page.
TEMPLATES.env.filters["duration"] = human_duration
#: A stored plan as the patient reads it (the portal and the patient page share it).
TEMPLATES.env.globals["patient_plan_of"] = patient_plan_of
PAGE_SIZE = 25

router = APIRouter(include_in_schema=False)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    user: WebUser | None = None,
    status_code: int = 200,
    csrf: str | None = None,
) -> HTMLResponse:
    """A page with the shared context: notice, SYNTHETIC label, user, CSRF token."""
    ctx: dict[str, Any] = {
        "disclaimer": DISCLAIMER,
        "synthetic": bool(getattr(request.app.state, "synthetic", False)),
        "web_user": user,
        "csrf_token": csrf if csrf is not None else (user.csrf if user else ""),
        "csrf_field": web_session.CSRF_FIELD,
        "Permission": Permission,
        "clinic_timezone": clinic_zone(request).key,
    }
    ctx.update(context or {})
    response = TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


# Login and logout: rhizo.clinic.web.login; one's account: rhizo.clinic.web.account.


#: Each role's start page (issue 16): where ``GET /`` and a login without a target go.
START_PAGES: dict[Role, str] = {
    Role.ADMIN: "/admin/users",
    Role.CLINICIAN: "/patients",
    Role.NURSE: "/patients",
    Role.PATIENT: "/portal",
    Role.RESEARCHER: "/research",
    Role.AUDITOR: "/audit",
}


@router.get("/", response_class=HTMLResponse)
def home(user: AnyUser) -> Response:
    """Each role's start page (:data:`START_PAGES`)."""
    return RedirectResponse(START_PAGES[user.user.role], status_code=303)


# --- clinician pages ------------------------------------------------------------


@router.get("/patients", response_class=HTMLResponse)
def patients_page(
    request: Request,
    user: PatientListUser,
    session: SessionDep,
    q: QueryText = "",
    page: int = 1,
) -> Response:
    """Patients by name, with search (name words or MRN prefix) and paging."""
    page = max(1, min(page, 100_000))
    q = q.strip()[:100]
    rows, total = patient_service.get_all(
        session=session,
        actor=user.actor,
        search=q or None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "patients.html",
        {
            "patients": rows,
            "total": total,
            "q": q,
            "page": page,
            "pages": pages,
            "q_url": quote(q),
        },
        user=user,
    )


def _pain_table(record: RecordPage) -> dict[str, Any]:
    """The pain plot's numbers for the table under it: every score, the procedure days,
    the baseline and the responder threshold (the plot's own function)."""
    baseline = record.baseline_nrs
    return {
        "points": sorted(record.pain_points(), key=lambda p: (p.on, p.diary)),
        "procedure_dates": sorted(record.procedure_dates()),
        "baseline_nrs": baseline,
        "threshold_nrs": None if baseline is None else responder_threshold_nrs(baseline),
    }


def _pain_svg(record: RecordPage) -> str:
    figure = pain_figure(
        record.pain_points(), record.procedure_dates(), baseline_nrs=record.baseline_nrs
    )
    return figure_svg(figure, title="Pain trajectory")


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
def patient_page(
    request: Request, user: PatientPageUser, session: SessionDep, patient_id: DbId
) -> Response:
    """One patient: timeline, pain trajectory plot, candidacy verdict (read audited)."""
    today = clinic_today(request)
    record = record_page(
        read_record(session=session, actor=user.actor, patient_id=patient_id),
        zone=clinic_zone(request),
        today=today,
    )
    patient = record.patient
    return render(
        request,
        "patient.html",
        {
            "p": patient,
            "record": record,
            "timeline": record.timeline(),
            "pain_svg": _pain_svg(record),
            "pain_table_data": _pain_table(record),
            "screening": screen(record, today),
            "today": today,
            "may_correct": user.user.role is not Role.PATIENT
            and user.can(Permission.CLINICAL_WRITE),
        },
        user=user,
    )


# --- patient portal --------------------------------------------------------------


def _portal_context(request: Request, user: WebUser, session: Session) -> dict[str, Any]:
    if user.patient_id is None:  # a patient login not linked to a record
        raise PageForbidden
    today = clinic_today(request)
    record = record_page(
        read_record(session=session, actor=user.actor, patient_id=user.patient_id),
        zone=clinic_zone(request),
        today=today,
    )
    patient = record.patient
    plans = record.plausible(record.plans, lambda p: p.planned_date)  # no aftercare for 9999
    # A cancelled plan tells the patient nothing to do: no holds, no fasting, no day.
    plans = [p for p in plans if p.status != "cancelled"]
    upcoming = [p for p in plans if p.planned_date >= today]
    plan = upcoming[0] if upcoming else (plans[-1] if plans else None)
    procedure_day = plan.planned_date if plan is not None else None
    # The texts are worded for the planned region (neck or low back); None: not known.
    region = planned_region(plan.procedure, plan.levels) if plan is not None else None
    return {
        "p": patient,
        "record": record,
        "plan": plan,
        "patient_plan": patient_plan_of(plan) if plan is not None else None,
        "contact": clinic_contact(request, session),
        "region": region,
        "aftercare": plan_aftercare(
            procedure_date=procedure_day,
            sedation=has_sedation(plan) if plan is not None else False,
            patient_name=None,
            region=region,
            holds=[DrugHold.model_validate(hold) for hold in plan.holds] if plan else [],
        ),
        "steps": procedure_steps(region),
        "faq": faq(region),
        "techniques": compare_techniques(),
        "pain_svg": _pain_svg(record),
        "pain_table_data": _pain_table(record),
        "today": today,
    }


@router.get("/portal", response_class=HTMLResponse)
def portal_page(request: Request, user: PortalUser, session: SessionDep) -> Response:
    """The patient's own plan, what happens on the day, aftercare, FAQ, pain diary."""
    ctx = _portal_context(request, user, session)
    ctx.update({"errors": {}, "values": {}, "saved": request.query_params.get("saved") == "1"})
    return render(request, "portal.html", ctx, user=user)


@router.post("/portal/diary", response_class=HTMLResponse)
async def portal_diary(request: Request, user: DiaryUser, session: SessionDep) -> Response:
    """Record a pain diary entry (NRS, optional ODI) for the patient's own record."""
    form = await read_form(request)
    check_csrf(user, form)
    if user.patient_id is None:
        raise PageForbidden
    values = {
        "followed_on": form.get("followed_on", "").strip(),
        "nrs": form.get("nrs", "").strip(),
        "odi": form.get("odi", "").strip(),
    }
    try:
        data = FollowUpCreate.model_validate(
            {
                "followed_on": values["followed_on"] or clinic_today(request),
                "nrs": values["nrs"],
                "odi": values["odi"] or None,
                "source": FollowUpSource.DIARY,
            }
        )
        # A day outside the plausible window is refused by the model itself (HappenedOn),
        # a day before the patient's birth by the service, as in the API.
        followup_service.create(
            session=session, actor=user.actor, patient_id=user.patient_id, data=data
        )
    except (ValidationError, InvalidInputError) as error:
        errors = (
            validation_errors(error)
            if isinstance(error, ValidationError)
            else problem_errors(error)
        )
        ctx = _portal_context(request, user, session)
        ctx.update({"errors": errors, "values": values, "saved": False})
        return render(request, "portal.html", ctx, user=user, status_code=422)
    # The worklist sweep for this patient: a diary back out of relief raises "pain returned".
    tasks_service.refresh(
        session=session,
        today=clinic_today(request),
        zone=clinic_zone(request),
        patient_id=user.patient_id,
    )
    return RedirectResponse("/portal?saved=1#diary", status_code=303)


# --- patient education ------------------------------------------------------------


@router.get("/learn/choosing-a-specialist", response_class=HTMLResponse)
def choosing_a_specialist_page(request: Request, user: AnyUser) -> Response:
    """Choosing a specialist: qualifications, experience, asking about results, questions.

    General education, no patient data: open to every signed-in role.
    """
    return render(
        request, "choosing_specialist.html", {"advice": choosing_a_specialist()}, user=user
    )
