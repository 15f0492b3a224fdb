"""Default deny for pages: every page route declares a PageAccess; the role x page matrix holds.

The expected matrix is written from the role definitions (issue 6 and the REST
API's matrix in tests/clinic/test_api_permissions.py), not read from the code's
permission table, so a wrong entry on either side fails. A new page that is not
in :data:`EXPECTED` fails :func:`test_every_page_is_in_the_matrix`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from rhizo.clinic.core.auth.models import User
from rhizo.clinic.core.outbox.models import OutboxMessage
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.procedure.models import Procedure
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.web.access import PageAccess
from tests.web.conftest import csrf_of
from tests.web.plan_support import new_plan
from tests.web.schedule_support import book_own_review
from tests.web.test_forms_support import new_complication, new_followup

AsRole = Callable[[str], TestClient]
ROLES = ("admin", "clinician", "nurse", "researcher", "auditor", "patient")
STAFF = {"admin", "clinician", "nurse"}
EVERY_STAFF_ROLE = STAFF | {"researcher", "auditor"}
#: The login form and its one-time-code step (a signed 5-minute cookie, not a session).
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/login/totp")}
#: The public consultation request form (no login; its abuse limits: tests/clinic/intake).
PUBLIC |= {("GET", "/request-consultation"), ("POST", "/request-consultation")}

#: (method, path) -> roles that may use it. ``{own}`` / ``{other}`` are filled
#: with the demo patient's own record and another patient's.
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("GET", "/"): set(ROLES),
    ("POST", "/logout"): set(ROLES),
    # One's own account: password change and TOTP enrolment (empty forms: 422).
    ("GET", "/account"): set(ROLES),
    ("POST", "/account/password"): set(ROLES),
    ("GET", "/account/totp"): set(ROLES),
    ("POST", "/account/totp/start"): set(ROLES),
    ("POST", "/account/totp/confirm"): set(ROLES),
    ("GET", "/patients"): STAFF,
    ("GET", "/patients/{other}"): STAFF,
    ("GET", "/patients/{own}"): STAFF | {"patient"},
    ("GET", "/portal"): {"patient"},
    # FHIR R4 download: the API's PatientReader (staff, or the patient's own record).
    ("GET", "/patients/{other}/fhir.json"): STAFF,
    ("GET", "/patients/{own}/fhir.json"): STAFF | {"patient"},
    ("POST", "/portal/diary"): {"patient"},
    ("GET", "/planner"): EVERY_STAFF_ROLE,
    ("POST", "/planner"): EVERY_STAFF_ROLE,
    # Aggregates, no single patient's data: the API's specialist readers.
    ("GET", "/specialists"): STAFF | {"researcher"},
    ("GET", "/specialists/{specialist_id}"): STAFF | {"researcher"},
    ("GET", "/analytics"): STAFF | {"researcher"},
    # The audit trail (the API's audit:read): auditor and admin; the CSV is audited.
    ("GET", "/audit"): {"admin", "auditor"},
    ("GET", "/audit.csv"): {"admin", "auditor"},
    # The de-identified export (the API's deidentified:read): researcher and admin.
    ("GET", "/research"): {"admin", "researcher"},
    ("GET", "/research/export-csv.zip"): {"admin", "researcher"},
    ("GET", "/research/export-parquet.zip"): {"admin", "researcher"},
    # General patient education, no patient data: every signed-in role.
    ("GET", "/learn/choosing-a-specialist"): set(ROLES),
    # Clinical writes: the API's ClinicalWriter (nurses chart too).
    **{
        (method, f"/patients/{{other}}/{kind}/new"): STAFF
        for kind in ("blocks", "plans", "followups", "complications")
        for method in ("GET", "POST")
    },
    # Medications and allergies: read as the patient page (staff, or the patient's own),
    # written by the API's ClinicalWriter; registration and demographics: patient:write.
    ("GET", "/patients/{other}/medications"): STAFF,
    ("GET", "/patients/{own}/medications"): STAFF | {"patient"},
    ("POST", "/patients/{other}/medications/new"): STAFF,
    ("POST", "/patients/{other}/medications/stop"): STAFF,
    ("GET", "/patients/{other}/allergies"): STAFF,
    ("GET", "/patients/{own}/allergies"): STAFF | {"patient"},
    ("POST", "/patients/{other}/allergies/new"): STAFF,
    ("POST", "/patients/{other}/allergies/error"): STAFF,
    ("GET", "/patients/new"): STAFF,
    ("POST", "/patients/new"): STAFF,
    ("GET", "/patients/{other}/edit"): STAFF,
    ("POST", "/patients/{other}/edit"): STAFF,
    # Documents (issue 16): the operative note page and PDFs; the discharge sheet and the
    # personal plan also for the patient's own record (tests/web/test_documents.py).
    ("GET", "/procedures/{procedure_id}/note"): STAFF,
    ("GET", "/procedures/{procedure_id}/note.pdf"): STAFF,
    ("GET", "/procedures/{procedure_id}/letter.pdf"): STAFF,
    ("GET", "/procedures/{procedure_id}/discharge.pdf"): STAFF,
    ("GET", "/patients/{doc_patient}/plans/{doc_plan}/plan.pdf"): STAFF,
    ("GET", "/procedures/{procedure_id}/discharge"): STAFF,
    ("POST", "/procedures/{procedure_id}/discharge"): STAFF,
    # Procedures: physicians only (the API's ProcedureWriter).
    ("GET", "/patients/{other}/procedures/new"): {"admin", "clinician"},
    ("POST", "/patients/{other}/procedures/new"): {"admin", "clinician"},
    ("POST", "/patients/{other}/procedures/gate"): {"admin", "clinician"},
    ("POST", "/patients/{other}/procedures/row"): {"admin", "clinician"},
    # Corrections: the API's ClinicalWriter (DELETE and PATCH). {fresh_*} is an
    # entry made for the case, so an allowed POST really removes one.
    ("GET", "/patients/{other}/followups/{fresh_followup}/remove"): STAFF,
    ("POST", "/patients/{other}/followups/{fresh_followup}/remove"): STAFF,
    ("GET", "/patients/{other}/complications/{fresh_complication}/resolve"): STAFF,
    ("POST", "/patients/{other}/complications/{fresh_complication}/resolve"): STAFF,
    # A plan's edit, schedule and cancel pages: the API's ClinicalWriter (PATCH); the
    # empty forms carry no version, so they change nothing (422).
    ("GET", "/patients/{other}/plans/{fresh_plan}/edit"): STAFF,
    ("POST", "/patients/{other}/plans/{fresh_plan}/edit"): STAFF,
    ("POST", "/patients/{other}/plans/{fresh_plan}/schedule"): STAFF,
    ("GET", "/patients/{other}/plans/{fresh_plan}/cancel"): STAFF,
    ("POST", "/patients/{other}/plans/{fresh_plan}/cancel"): STAFF,
    # The admin's pages: users and clinic settings (the API's user:manage, admin only).
    # {user_id} is demo-clinician; the empty forms change nothing (422).
    ("GET", "/admin/users"): {"admin"},
    ("POST", "/admin/users"): {"admin"},
    ("GET", "/admin/users/{user_id}"): {"admin"},
    **{
        ("POST", f"/admin/users/{{user_id}}/{action}"): {"admin"}
        for action in ("role", "active", "password", "link")
    },
    ("GET", "/admin/settings"): {"admin"},
    ("POST", "/admin/settings"): {"admin"},
    # Consultation requests (issue 18): the patient's own (own:request); the triage queue
    # (intake:triage); the empty triage forms are refused (422) before a request is read.
    ("GET", "/portal/request"): {"patient"},
    ("POST", "/portal/request"): {"patient"},
    ("GET", "/requests"): STAFF,
    **{
        ("POST", f"/requests/{{request_no}}/{action}"): STAFF
        for action in ("accept", "ask", "decline")
    },
    # The calendar (issue 18): schedule:read (staff who read patients) for the views,
    # the appointment page and the worklists; schedule:write (admin, clinician, nurse)
    # for booking and an appointment's changes (the empty forms carry no version or
    # slot: 422); availability:manage (admin, clinician) for rooms, sessions and leave.
    ("GET", "/schedule/day"): STAFF,
    ("GET", "/schedule/week"): STAFF,
    ("GET", "/schedule/book"): STAFF,
    ("POST", "/schedule/book"): STAFF,
    ("GET", "/appointments/{appointment_id}"): STAFF,
    **{
        ("POST", f"/appointments/{{appointment_id}}/{action}"): STAFF
        for action in ("cancel", "reschedule", "arrived", "no-show", "complete")
    },
    ("GET", "/worklists"): STAFF,
    ("POST", "/worklists/refresh"): STAFF,
    **{
        (method, path): {"admin", "clinician"}
        for method in ("GET", "POST")
        for path in ("/schedule/rooms", "/schedule/sessions", "/schedule/leave")
    },
    **{
        ("POST", path): {"admin", "clinician"}
        for path in (
            "/schedule/rooms/deactivate",
            "/schedule/sessions/deactivate",
            "/schedule/leave/remove",
        )
    },
    # The patient's own appointments and review questionnaires (the portal: patient only);
    # {fresh_review} is an upcoming review booked for the demo patient for the case.
    # An appointment's .ics (C2): staff with schedule:read, or the appointment's own patient
    # (appointment 1 is another patient's: the patient's 403).
    ("GET", "/appointments/{appointment_id}/calendar.ics"): STAFF,
    # The reminder outbox (reminders:manage, admin only); {message_id}: a stored message.
    ("GET", "/admin/outbox"): {"admin"},
    ("POST", "/admin/outbox/{message_id}/retry"): {"admin"},
    ("GET", "/portal/appointments"): {"patient"},
    ("GET", "/portal/reviews"): {"patient"},
    ("GET", "/portal/reviews/{fresh_review}"): {"patient"},
    ("POST", "/portal/reviews/{fresh_review}"): {"patient"},
}


def page_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.route
        if isinstance(route, APIRoute) and not context.path.startswith("/api/"):
            for method in sorted(context.methods or ()):
                found.append((method, context.path, route))
    return found


def _calls(dependant: Any) -> list[Any]:
    calls = []
    for sub in dependant.dependencies:
        calls.append(sub.call)
        calls.extend(_calls(sub))
    return calls


def _generic(path: str) -> str:
    generic = path.replace("{own}", "{patient_id}").replace("{other}", "{patient_id}")
    generic = generic.replace("followups/{fresh_followup}/remove", "{kind}/{entry_id}/remove")
    generic = generic.replace("{doc_patient}", "{patient_id}").replace("{doc_plan}", "{plan_id}")
    generic = generic.replace("{fresh_plan}", "{plan_id}")
    generic = generic.replace("{fresh_review}", "{appointment_id}")
    return generic.replace("{fresh_complication}", "{complication_id}")


def test_every_page_route_declares_access(web_app: FastAPI) -> None:
    missing = [
        f"{method} {path}"
        for method, path, route in page_routes(web_app)
        if (method, path) not in PUBLIC
        and not any(isinstance(call, PageAccess) for call in _calls(route.dependant))
    ]
    assert not missing, f"page routes without a PageAccess dependency: {missing}"


def test_every_page_is_in_the_matrix(web_app: FastAPI) -> None:
    routes = {(method, path) for method, path, _ in page_routes(web_app)} - PUBLIC
    declared = {(method, _generic(path)) for method, path in EXPECTED}
    assert routes == declared


def _first_message(app: FastAPI) -> int:
    session = app.state.session_factory()
    try:
        found = session.scalar(sa.select(sa.func.min(OutboxMessage.id)))
    finally:
        session.close()
    return int(found) if found is not None else 1


def _ids(app: FastAPI) -> dict[str, int]:
    session = app.state.session_factory()
    try:
        own = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
        other = session.scalar(
            sa.select(Patient.id).where(Patient.user_id.is_(None)).order_by(Patient.id)
        )
        procedure = session.scalar(
            sa.select(Procedure.id).where(Procedure.patient_id == other).order_by(Procedure.id)
        )
        specialist = session.scalar(sa.select(Specialist.id).order_by(Specialist.id))
        # A plan of a patient who is not the demo patient (the plan's PDF for "other").
        doc_patient, doc_plan = session.execute(
            sa.select(Plan.patient_id, Plan.id)
            .join(Patient, Patient.id == Plan.patient_id)
            .where(Patient.user_id.is_(None))
            .order_by(Plan.id)
        ).first() or (None, None)
        user = session.scalar(sa.select(User.id).where(User.username == "demo-clinician"))
    finally:
        session.close()
    ids = {"own": own, "other": other, "procedure_id": procedure, "specialist_id": specialist}
    ids["doc_patient"], ids["doc_plan"] = doc_patient, doc_plan
    ids["user_id"] = user
    ids["request_no"] = 1  # any number: the empty triage forms fail before it is read
    ids["appointment_id"] = 1  # the demo week's first appointment
    ids["message_id"] = _first_message(app)
    assert all(value is not None for value in ids.values()), ids
    return {key: int(value) for key, value in ids.items() if value is not None}


# Logout ends the session the other cases reuse: tests/web/test_pages.py covers it.
CASES = [
    (method, path, role)
    for method, path in EXPECTED
    if (method, path) != ("POST", "/logout")
    for role in ROLES
]


@pytest.mark.parametrize(("method", "path", "role"), CASES, ids=[" ".join(c) for c in CASES])
def test_role_page_matrix(
    as_role: AsRole, web_app: FastAPI, method: str, path: str, role: str
) -> None:
    client = as_role(role)
    ids = _ids(web_app)
    if "{fresh_followup}" in path:
        ids["fresh_followup"] = new_followup(web_app, ids["other"])
    if "{fresh_complication}" in path:
        ids["fresh_complication"] = new_complication(web_app, ids["other"])
    if "{fresh_plan}" in path:
        ids["fresh_plan"] = new_plan(web_app, ids["other"])
    if "{fresh_review}" in path:
        session = web_app.state.session_factory()
        try:
            ids["fresh_review"] = book_own_review(session)
        finally:
            session.close()
    url = re.sub(r"\{(\w+)\}", lambda m: str(ids[m[1]]), path)
    if method == "GET":
        response = client.get(url, follow_redirects=False)
    else:
        # A token of this session, so only the page's access rule can refuse;
        # an empty form cannot create anything (it fails validation, 422).
        token = csrf_of(client.get("/account").text)
        response = client.post(url, data={"csrf_token": token}, follow_redirects=False)
    allowed = role in EXPECTED[(method, path)]
    location = response.headers.get("location", "")
    assert not location.startswith("/login"), "a logged-in user is never sent to log in"
    if allowed:
        assert response.status_code in (200, 303, 422), (response.status_code, response.text)
    else:
        assert response.status_code == 403, response.status_code
        assert "DEMO-" not in response.text
