"""The document pages and PDFs: operative note, discharge sheet, personal plan, letter.

- ``GET /procedures/{id}/note``: the operative note page (staff);
- ``GET /procedures/{id}/note.pdf``: the same note as a PDF (staff);
- ``GET /procedures/{id}/letter.pdf``: the letter to the referring doctor (staff);
- ``GET /procedures/{id}/discharge.pdf``: the discharge sheet (staff, or the patient
  whose procedure it is: the own-record rule of :mod:`rhizo.clinic.patient.access`);
- ``GET /patients/{id}/plans/{plan_id}/plan.pdf``: the personal plan (staff, or the
  patient themself).

Each reads the whole record once through :func:`rhizo.clinic.chart.reader.read_record`
(one audited ``read`` whose details name the document) and builds one view model
(:mod:`rhizo.clinic.web.documents.views`); the page and the PDF render the same
partial from it. Without WeasyPrint or Pango a PDF answers 503 with the reason in
words (:class:`rhizo.clinic.web.documents.pdf.PdfUnavailable`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from rhizo import DISCLAIMER
from rhizo.clinic.chart.reader import read_record
from rhizo.clinic.core.auth.models import User
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.patient.access import may_act_on_record
from rhizo.clinic.procedure.models import Procedure
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.web.access import (
    PageAccess,
    PageForbidden,
    PageNotFound,
    PatientPageUser,
    WebUser,
    WebUserDep,
)
from rhizo.clinic.web.clinic_contact import clinic_contact
from rhizo.clinic.web.clinic_time import clinic_today, clinic_zone
from rhizo.clinic.web.documents import views
from rhizo.clinic.web.documents.pdf import PdfUnavailable, html_to_pdf
from rhizo.clinic.web.pages import TEMPLATES, render
from rhizo.clinic.web.record import RecordPage, record_page

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
#: The PDFs' stylesheet (A4, page numbers, the notice on every page).
DOCUMENT_CSS = STATIC_DIR / "document.css"
#: Each document's partial template (page and PDF).
PARTIALS = {
    "operative_note": "documents/_operative_note.html",
    "discharge_sheet": "documents/_discharge_sheet.html",
    "personal_plan": "documents/_personal_plan.html",
    "referral_letter": "documents/_referral_letter.html",
}


def _owner(session: Session, procedure_id: int) -> int | None:
    """The id of the patient whose procedure this is (None: no such procedure)."""
    procedure = session.get(Procedure, procedure_id)
    return None if procedure is None else procedure.patient_id


class OwnProcedureAccess(PageAccess):
    """A document of one procedure: staff who may read patients, or the patient whose
    procedure it is (:func:`rhizo.clinic.patient.access.may_act_on_record`). A patient
    asking for a procedure that is not theirs, or none, gets 403 (no existence oracle)."""

    def __init__(self) -> None:
        super().__init__(Permission.PATIENT_READ, audience="any")

    def __call__(  # type: ignore[override]
        self, user: WebUserDep, session: SessionDep, procedure_id: DbId
    ) -> WebUser:
        owner = _owner(session, procedure_id)
        if owner is None:
            if user.can(Permission.PATIENT_READ):
                raise PageNotFound
            raise PageForbidden
        allowed = may_act_on_record(
            user.user.role,
            permission=Permission.PATIENT_READ,
            own=Permission.OWN_RECORD_READ,
            linked_patient_id=user.patient_id,
            patient_id=owner,
        )
        if allowed:
            return user
        raise PageForbidden


#: Staff documents (the note and the letter): the roles that read patients' records.
StaffDocumentUser = Annotated[WebUser, Depends(PageAccess(Permission.PATIENT_READ))]
#: The discharge sheet: staff, or the patient whose procedure it is.
OwnProcedureUser = Annotated[WebUser, Depends(OwnProcedureAccess())]


def _page_of(
    request: Request, user: WebUser, session: Session, patient_id: int, kind: str
) -> RecordPage:
    """The patient's record, read once and audited as a read naming the document."""
    record = read_record(
        session=session, actor=user.actor, patient_id=patient_id, details={"document": kind}
    )
    return record_page(record, zone=clinic_zone(request), today=clinic_today(request))


def _procedure_page(
    request: Request, user: WebUser, session: Session, procedure_id: int, kind: str
) -> tuple[RecordPage, Procedure]:
    owner = _owner(session, procedure_id)
    if owner is None:
        raise PageNotFound
    page = _page_of(request, user, session, owner, kind)
    procedure = views.find_procedure(page, procedure_id)
    if procedure is None:  # removed since the owner was looked up
        raise PageNotFound
    return page, procedure


def _performer(session: Session, procedure: Procedure) -> str:
    specialist = session.get(Specialist, procedure.performer_id)
    return "the performing specialist" if specialist is None else specialist.display_name


def _overriders(session: Session, procedure: Procedure) -> dict[int, str]:
    ids = {les.override_by_id for les in procedure.lesions if les.override_by_id is not None}
    if not ids:
        return {}
    rows = session.execute(sa.select(User.id, User.username).where(User.id.in_(ids))).all()
    return {int(uid): str(name) for uid, name in rows}


def _synthetic(request: Request) -> bool:
    return bool(getattr(request.app.state, "synthetic", False))


def unavailable_page(request: Request, error: PdfUnavailable) -> Response:
    """The 503 page: why no PDF can be made, in words (the error page's layout)."""
    return render(
        request,
        "error.html",
        {
            "status": 503,
            "title": "PDF not available",
            "message": str(error),
            "request_id": getattr(request.state, "request_id", None),
            "back": None,
        },
        status_code=503,
    )


def pdf_response(request: Request, doc: Any, filename: str) -> Response:
    """``doc`` rendered through its partial as a PDF attachment (503 without Pango)."""
    html = TEMPLATES.get_template("documents/pdf.html").render(
        {
            "doc": doc,
            "partial": PARTIALS[doc.kind],
            "synthetic": _synthetic(request),
            "disclaimer": DISCLAIMER,
        }
    )
    try:
        pdf = html_to_pdf(html, stylesheets=(DOCUMENT_CSS,))
    except PdfUnavailable as error:
        return unavailable_page(request, error)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            # A patient's document must not linger in shared caches or the browser's.
            "Cache-Control": "no-store",
        },
    )


def _note(
    request: Request, user: WebUser, session: Session, procedure_id: int
) -> views.OperativeNote:
    page, procedure = _procedure_page(request, user, session, procedure_id, "operative_note")
    return views.operative_note(
        page=page,
        procedure=procedure,
        performer=_performer(session, procedure),
        overriders=_overriders(session, procedure),
    )


def document_buttons(procedure_id: int) -> list[tuple[str, str]]:
    """The note page's downloads: ``(label, href)``."""
    base = f"/procedures/{procedure_id}"
    return [
        ("Operative note (PDF)", f"{base}/note.pdf"),
        ("Discharge sheet (PDF)", f"{base}/discharge.pdf"),
        ("Letter to the referring doctor (PDF)", f"{base}/letter.pdf"),
    ]


@router.get("/procedures/{procedure_id}/note", response_class=HTMLResponse)
def note_page(
    request: Request, user: StaffDocumentUser, session: SessionDep, procedure_id: DbId
) -> Response:
    """The operative note of one procedure (read audited)."""
    note = _note(request, user, session, procedure_id)
    patient_id = _owner(session, procedure_id)
    return render(
        request,
        "documents/page.html",
        {
            "doc": note,
            "partial": PARTIALS[note.kind],
            "buttons": document_buttons(procedure_id),
            "back_href": f"/patients/{patient_id}",
        },
        user=user,
    )


@router.get("/procedures/{procedure_id}/note.pdf")
def note_pdf(
    request: Request, user: StaffDocumentUser, session: SessionDep, procedure_id: DbId
) -> Response:
    """The operative note as a PDF (the page's view model)."""
    note = _note(request, user, session, procedure_id)
    return pdf_response(request, note, f"procedure-{procedure_id}-operative-note.pdf")


@router.get("/procedures/{procedure_id}/discharge.pdf")
def discharge_pdf(
    request: Request, user: OwnProcedureUser, session: SessionDep, procedure_id: DbId
) -> Response:
    """The discharge sheet: the stored discharge, warning signs, aftercare, contact."""
    page, procedure = _procedure_page(request, user, session, procedure_id, "discharge_sheet")
    sheet = views.discharge_sheet(
        page=page,
        procedure=procedure,
        performer=_performer(session, procedure),
        contact=clinic_contact(request),
    )
    return pdf_response(request, sheet, f"procedure-{procedure_id}-discharge-sheet.pdf")


@router.get("/procedures/{procedure_id}/letter.pdf")
def letter_pdf(
    request: Request, user: StaffDocumentUser, session: SessionDep, procedure_id: DbId
) -> Response:
    """The letter to the referring doctor about one procedure."""
    page, procedure = _procedure_page(request, user, session, procedure_id, "referral_letter")
    letter = views.referral_letter(
        page=page,
        procedure=procedure,
        performer=_performer(session, procedure),
        contact=clinic_contact(request),
        today=clinic_today(request),
    )
    return pdf_response(request, letter, f"procedure-{procedure_id}-letter.pdf")


@router.get("/patients/{patient_id}/plans/{plan_id}/plan.pdf")
def plan_pdf(
    request: Request,
    user: PatientPageUser,
    session: SessionDep,
    patient_id: DbId,
    plan_id: DbId,
) -> Response:
    """The patient's personal plan (the portal's source: ``patient_plan_of``)."""
    page = _page_of(request, user, session, patient_id, "personal_plan")
    plan = next((p for p in page.plans if p.id == plan_id), None)
    if plan is None:
        raise PageNotFound
    doc = views.personal_plan(page=page, plan=plan, contact=clinic_contact(request))
    return pdf_response(request, doc, f"plan-{plan_id}-personal-plan.pdf")
