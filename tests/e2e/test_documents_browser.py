"""Documents in a real browser (issue 16): the operative note, PDF downloads, print.

References: the database (the procedure's stored lesions, the patient's name),
and the PDF read back with pypdf. The portal is printed by Chromium itself
(``page.pdf``, print media) with print.css and with print.css answered empty:
8 -> 5 A4 pages on the demo portal at commit time (the issue measured 6 pages
of menus and form fields).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, Route, expect
from pypdf import PdfReader
from sqlalchemy.orm import Session

from rhizo import DISCLAIMER
from rhizo.clinic.core.auth.models import User
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.procedure.models import Procedure, ProcedureStatus
from tests.e2e.conftest import Clinic, log_in, screenshot

pytestmark = pytest.mark.browser

#: Most A4 pages the demo portal may print to with print.css (5 at commit time).
PORTAL_MAX_PAGES = 5


def _pdf(data: bytes) -> tuple[str, int]:
    assert data.startswith(b"%PDF-"), data[:20]
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text), len(reader.pages)


def _procedure_with_lesions(clinic: Clinic) -> tuple[int, int, str, list[float | None]]:
    """A completed procedure with lesions: (patient id, procedure id, family name,
    each lesion's stored sensory threshold)."""
    engine = clinic.engine()
    try:
        with Session(engine) as session:
            procedure = next(
                p
                for p in session.scalars(
                    sa.select(Procedure)
                    .where(Procedure.status == ProcedureStatus.COMPLETED)
                    .order_by(Procedure.id)
                )
                if p.lesions
            )
            patient = session.get(Patient, procedure.patient_id)
            assert patient is not None
            thresholds = [les.sensory_threshold_v for les in procedure.lesions]
            return patient.id, procedure.id, patient.family_name, thresholds
    finally:
        engine.dispose()


def test_operative_note_page_and_its_pdf_download(
    page: Page, clinic: Clinic, tmp_path: Path
) -> None:
    patient_id, procedure_id, family, thresholds = _procedure_with_lesions(clinic)
    log_in(page, "demo-clinician", clinic.passwords["demo-clinician"])
    page.goto(f"/patients/{patient_id}")
    page.locator(f"#note-{procedure_id}").click()
    page.wait_for_url(f"**/procedures/{procedure_id}/note")
    expect(page.locator("#operative-note h1")).to_contain_text("Operative note")
    lesions = page.locator("#operative-note .lesion")
    expect(lesions).to_have_count(len(thresholds))
    for index, threshold in enumerate(thresholds):
        shown = "not recorded" if threshold is None else f"{threshold:g} V"
        expect(lesions.nth(index).locator("td.sensory")).to_have_text(shown)
    screenshot(page, "operative-note")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Operative note (PDF)").click()
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert download.suggested_filename == f"procedure-{procedure_id}-operative-note.pdf"
    text, pages = _pdf(target.read_bytes())
    assert family in text
    assert pages >= 1
    assert DISCLAIMER.split(":")[0] in text
    assert "SYNTHETIC" in text


def test_the_patient_downloads_their_plan_and_the_portal_prints_short(
    page: Page, clinic: Clinic, tmp_path: Path
) -> None:
    engine = clinic.engine()
    try:
        with Session(engine) as session:
            user_id = session.scalar(sa.select(User.id).where(User.username == "demo-patient"))
            patient = session.scalar(sa.select(Patient).where(Patient.user_id == user_id))
            assert patient is not None
            given = patient.given_name
    finally:
        engine.dispose()
    log_in(page, "demo-patient", clinic.passwords["demo-patient"])
    page.goto("/portal")
    # The seeded demo patient has one plan: the portal shows it with its PDF button.
    with page.expect_download() as download_info:
        page.locator("#plan-pdf").click()
    target = tmp_path / "plan.pdf"
    download_info.value.save_as(target)
    text, _ = _pdf(target.read_bytes())
    assert given in text
    assert "Your plan before the procedure" in text
    printed, pages = _pdf(page.pdf(format="A4"))
    assert "Log out" not in printed
    assert "Pain now, 0 (none) to 10" not in printed
    assert "When to get help" in printed

    def empty(route: Route) -> None:
        route.fulfill(status=200, content_type="text/css", body="")

    page.route("**/static/print.css", empty)
    page.reload()
    _, screen_pages = _pdf(page.pdf(format="A4"))
    assert pages <= PORTAL_MAX_PAGES, pages
    assert pages < screen_pages, (pages, screen_pages)
