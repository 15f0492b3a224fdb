"""Every page a role may open, and how it lays out on a phone (390 x 844 CSS px).

The page list is derived, not written down: every ``GET`` route of the web app
that answers HTML (its ``response_class``), outside ``/api`` and ``/static``,
with each ``{placeholder}`` filled from the served database (the seeded
cohort). A page another change adds is therefore visited without editing this
file; a placeholder nobody knows how to fill fails loudly in :func:`fill`.

Which role may open which page is read from the role x page matrix of
``tests/web/test_page_matrix.py`` (written from the role definitions), so the
browser and the matrix check each other.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.routing import APIRoute, iter_route_contexts
from playwright.sync_api import Page
from pydantic import SecretStr
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse

from rhizo.clinic.complication.models import Complication
from rhizo.clinic.core import migrate
from rhizo.clinic.core.auth.models import User
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.demo.seed import seed
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.procedure.models import Procedure
from rhizo.clinic.schedule.models import Appointment, AppointmentKind
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.web.app import create_web_app
from tests.e2e.conftest import TODAY, Clinic, DemoPatient, _serve
from tests.web.schedule_support import book_own_review

with warnings.catch_warnings():
    # The matrix module imports Starlette's TestClient, which warns about httpx2;
    # only its two tables are used here.
    warnings.simplefilter("ignore")
    from tests.web.test_page_matrix import EXPECTED, ROLES

#: An iPhone 12-15's CSS viewport, the issue's measurement (issue 16, "Phone").
PHONE = {"width": 390, "height": 844}
#: The smallest rendered text a phone reader is asked to read, CSS px (about 8 pt):
#: the issue measured about 3 px in every plot before.
MIN_PLOT_TEXT_PX = 11.0
ROLE_USERS = {role: f"demo-{role}" for role in ROLES}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

#: How far the page scrolls sideways: the document's width past the viewport's, CSS px.
OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"
#: The outermost elements that stick out past the right edge (to name the culprit).
CULPRITS_JS = """() => {
  const w = window.innerWidth, out = [];
  const past = (el) => el.getBoundingClientRect().right > w + 0.5;
  for (const el of document.body.querySelectorAll('*')) {
    if (!past(el) || (el.parentElement && past(el.parentElement))) continue;
    const named = typeof el.className === 'string' && el.className;
    const cls = named ? '.' + el.className.split(' ').join('.') : '';
    const by = Math.round(el.getBoundingClientRect().right - w);
    out.push(el.tagName.toLowerCase() + cls + ' +' + by);
  }
  return out.slice(0, 8);
}"""
#: Each SVG <text>'s rendered font size, CSS px: its computed font size (user units)
#: times the scale of its screen transform, plus its bounding box height as a check.
PLOT_TEXT_JS = """(svg) => Array.from(svg.querySelectorAll('text'))
  .filter(t => t.textContent.trim())
  .map(t => {
    const m = t.getScreenCTM(), size = parseFloat(getComputedStyle(t).fontSize);
    const box = t.getBoundingClientRect();
    // A rotated label's height on screen is its box's width.
    const across = Math.abs(m.b) > Math.abs(m.a) ? box.width : box.height;
    return {text: t.textContent.trim(), px: size * Math.hypot(m.a, m.b), box_px: across};
  })"""


@dataclass(frozen=True)
class PageVisit:
    """One page a role opens: the route's path and the URL with ids filled in."""

    route: str
    url: str
    #: The matrix's verdict for this role, or None when the matrix lacks the page
    #: (test_every_page_is_in_the_matrix fails for that, not the browser suite).
    allowed: bool | None


def _settings(database_url: str) -> Settings:
    # No second factor forced on the admin: the suite signs in as each role with a
    # password only (the forced enrolment is tested in tests/web, not the layout).
    return Settings(
        database_url=database_url,
        env="test",
        secret_key=SecretStr("p" * 24 + "h" * 24),
        admin_totp_required=False,
    )


@contextmanager
def served_clinic(folder: Path) -> Iterator[Clinic]:
    """The demo app on its own seeded database (read only here), served on 127.0.0.1.

    Its own, so another test's writes (an admin's enrolled second factor, a new
    user) cannot change what a role may open while the layout is measured.
    """
    url = f"sqlite:///{folder / 'phone.sqlite3'}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    session = create_session_factory(engine)()
    report = seed(session, patients=12, today=TODAY)
    book_own_review(session)  # an upcoming review: the portal's questionnaire page
    patients = {
        row.mrn: DemoPatient(row.id, row.mrn, row.given_name, row.family_name, row.user_id)
        for row in session.scalars(sa.select(Patient).order_by(Patient.mrn))
    }
    session.close()
    engine.dispose()
    server, thread, base_url = _serve(create_web_app(_settings(url), synthetic=True))
    try:
        yield Clinic(
            base_url=base_url,
            database_url=url,
            passwords={name: password for name, (_, password) in report.passwords.items()},
            patients=patients,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def html_get_routes(clinic: Clinic) -> list[str]:
    """Every HTML ``GET`` page route of the app the browser suite serves, in route order."""
    app = create_web_app(_settings(clinic.database_url), synthetic=True)
    routes: list[str] = []
    for context in iter_route_contexts(app.routes):
        route, path = context.route, context.path or ""
        if not isinstance(route, APIRoute) or "GET" not in (context.methods or ()):
            continue
        if not path or path.startswith(("/api/", "/static/")) or path == "/login":
            continue
        response_class = route.response_class
        if isinstance(response_class, type) and issubclass(response_class, HTMLResponse):
            routes.append(path)
    return routes


#: The records a placeholder belongs to, for choosing the staff's patient of a route:
#: a route naming one of these is shown for a patient who has such a row.
_ANCHORS: dict[str, type[Complication] | type[Plan] | type[Procedure]] = {
    "complication_id": Complication,
    "plan_id": Plan,
    "procedure_id": Procedure,
}


def _ids(session: Session, role: str, route: str) -> dict[str, str]:
    """Placeholder values for ``route``: the patient's own record for a patient; for
    staff, the first patient (not a login's) with a row of each kind the route names,
    else one with a complication (a procedure, follow-ups: the fullest demo page)."""
    own = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
    needs = [_ANCHORS[name] for name in _PLACEHOLDER.findall(route) if name in _ANCHORS]
    query = sa.select(Patient.id).where(Patient.user_id.is_(None)).order_by(Patient.id)
    for model in needs or [Complication]:
        query = query.where(sa.exists().where(model.patient_id == Patient.id))
    patient = own if role == "patient" else session.scalar(query)
    assert patient is not None, f"{route}: no demo patient has every row it names"

    def first(column: Any, *where: sa.ColumnElement[bool]) -> object:
        found = session.scalar(sa.select(column).where(*where).order_by(column))
        if found is None and role == "patient":  # another's row: the page must refuse it
            found = session.scalar(sa.select(column).order_by(column))
        return found

    values = {
        "patient_id": patient,
        "procedure_id": first(Procedure.id, Procedure.patient_id == patient),
        "complication_id": first(Complication.id, Complication.patient_id == patient),
        "plan_id": first(Plan.id, Plan.patient_id == patient),
        "entry_id": first(FollowUp.id, FollowUp.patient_id == patient),
        "specialist_id": first(Specialist.id),
        # A user page: the patient's login (linked to a record), the fullest one.
        "user_id": first(User.id, User.username == "demo-patient"),
        # An appointment: the patient's own upcoming review (book_own_review), staff the last.
        "appointment_id": session.scalar(
            sa.select(Appointment.id)
            .where(Appointment.patient_id == patient, Appointment.kind == AppointmentKind.REVIEW)
            .order_by(Appointment.id.desc())
        )
        if role == "patient"
        else session.scalar(sa.select(sa.func.max(Appointment.id))),
    }
    return {key: str(value) for key, value in values.items() if value is not None} | {
        "kind": "followups"
    }


def fill(route: str, ids: dict[str, str]) -> str:
    """``route`` with each placeholder replaced; an unknown one names itself."""
    unknown = [name for name in _PLACEHOLDER.findall(route) if name not in ids]
    if unknown:
        raise AssertionError(
            f"{route}: no demo value for {unknown}; add one to tests/e2e/phone.py _ids"
        )
    return _PLACEHOLDER.sub(lambda m: ids[m[1]], route)


def _matrix_allows(route: str, role: str) -> bool | None:
    """The matrix's verdict for ``role`` on ``route`` (own record for a patient)."""
    variant = "{own}" if role == "patient" else "{other}"
    candidates = []
    for method, path in EXPECTED:
        if method != "GET":
            continue
        generic = path.replace("{own}", "{patient_id}").replace("{other}", "{patient_id}")
        generic = generic.replace("followups/{fresh_followup}/remove", "{kind}/{entry_id}/remove")
        generic = generic.replace("{fresh_complication}", "{complication_id}")
        generic = generic.replace("{fresh_plan}", "{plan_id}")
        generic = generic.replace("{fresh_review}", "{appointment_id}")
        if generic == route:
            candidates.append(path)
    if not candidates:
        return None
    chosen = next((p for p in candidates if variant in p), candidates[0])
    return role in EXPECTED[("GET", chosen)]


def visits(clinic: Clinic, role: str) -> list[PageVisit]:
    """Every HTML page route, filled for ``role``, with the matrix's verdict."""
    engine = clinic.engine()
    try:
        with Session(engine) as session:
            return [
                PageVisit(
                    route, fill(route, _ids(session, role, route)), _matrix_allows(route, role)
                )
                for route in html_get_routes(clinic)
            ]
    finally:
        engine.dispose()


def overflow_px(page: Page) -> int:
    """How many CSS px the current page scrolls sideways (0 or less: none)."""
    return int(page.evaluate(OVERFLOW_JS))


def culprits(page: Page) -> list[str]:
    """The outermost elements past the right edge, with how far, for a failure message."""
    return list(page.evaluate(CULPRITS_JS))
