"""The clinician in a real browser: log in, search, the patient page, the lesion planner.

References are the database rows (read here with SQLAlchemy, not through the
pages), the pathway's own candidacy screening of the same record, and the
lesion engine called directly.
"""

from __future__ import annotations

from datetime import UTC, date

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from rhizo import DISCLAIMER
from rhizo.clinic.chart.reader import load_record
from rhizo.clinic.followup.models import FollowUp, FollowUpSource
from rhizo.clinic.outcomes.snapshot import compute_snapshot
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.procedure.models import Lesion, Procedure, ProcedureStatus
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.web.record import record_page, screen
from rhizo.physics import CLINICAL_TISSUE, LesionProtocol, simulate
from tests.e2e.conftest import Clinic, DemoPatient, log_in, screenshot
from tests.e2e.plot import FOLLOW_UP_COLOUR, plotted_points

pytestmark = pytest.mark.browser


def _treated_patient(clinic: Clinic) -> tuple[DemoPatient, int]:
    """The first seeded patient (MRN order, not the portal's) with a completed
    procedure, and how many clinic follow-up scores they have."""
    engine = clinic.engine()
    try:
        with Session(engine) as session:
            for patient in clinic.patients.values():
                if patient.user_id is not None:
                    continue
                completed = session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Procedure)
                    .where(Procedure.patient_id == patient.id)
                    .where(Procedure.status == ProcedureStatus.COMPLETED)
                )
                scores = session.scalar(
                    sa.select(sa.func.count())
                    .select_from(FollowUp)
                    .where(FollowUp.patient_id == patient.id)
                    .where(FollowUp.source != FollowUpSource.DIARY)
                )
                if completed and scores:
                    return patient, int(scores)
    finally:
        engine.dispose()
    raise AssertionError("the seeded cohort has no treated patient with follow-ups")


def _expected_verdict(clinic: Clinic, patient_id: int) -> str:
    """The verdict line the page should show: the pathway's screening of the same rows."""
    engine = clinic.engine()
    try:
        with Session(engine) as session:
            patient = session.get(Patient, patient_id)
            assert patient is not None
            result = screen(record_page(load_record(session, patient.id)), date.today())
    finally:
        engine.dispose()
    assert not isinstance(result, str), result
    repeat = " (repeat treatment)" if result.repeat_treatment else ""
    return f"Verdict under {result.policy}: {result.verdict.value.replace('_', ' ')}{repeat}"


def test_clinician_finds_a_patient_and_reads_their_page(page: Page, clinic: Clinic) -> None:
    log_in(page, "demo-clinician", clinic.passwords["demo-clinician"])
    # A clinician's start page is the patient list (pages.home).
    expect(page).to_have_url(f"{clinic.base_url}/patients")
    expect(page.locator("table.list tbody tr")).to_have_count(len(clinic.patients))
    screenshot(page, "patients")

    target, clinic_scores = _treated_patient(clinic)
    word = target.family_name
    # patient.service.search_condition: each word starts a family or given name.
    expected = sorted(
        f"{p.family_name}, {p.given_name}"
        for p in clinic.patients.values()
        if p.family_name.lower().startswith(word.lower())
        or p.given_name.lower().startswith(word.lower())
        or p.mrn.lower().startswith(word.lower())
    )
    page.get_by_label("Search").fill(word)
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(f"{clinic.base_url}/patients?q={word}")
    name_cells = page.locator("table.list tbody tr td:nth-child(2) a")
    expect(name_cells).to_have_count(len(expected))
    assert sorted(name_cells.all_text_contents()) == expected

    full_name = f"{target.family_name}, {target.given_name}"
    page.get_by_role("link", name=full_name, exact=True).click()
    expect(page).to_have_url(f"{clinic.base_url}/patients/{target.id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(full_name)
    expect(page.locator("p.meta").first).to_contain_text(f"MRN {target.mrn}")

    plot = page.locator("#pain figure.plot")
    expect(plot.locator("svg")).to_be_visible()
    # One plotted circle per clinic follow-up row of this patient.
    expect(plotted_points(plot, FOLLOW_UP_COLOUR)).to_have_count(clinic_scores)

    expect(page.locator("p.verdict")).to_have_text(_expected_verdict(clinic, target.id))

    expect(page.locator("div.synthetic")).to_be_visible()
    expect(page.locator("div.synthetic")).to_contain_text("SYNTHETIC demo data")
    expect(page.locator("h1 .tag")).to_have_text("SYNTHETIC")
    expect(page).to_have_title(f"{full_name} [SYNTHETIC]")
    expect(page.get_by_role("contentinfo")).to_have_text(DISCLAIMER)
    screenshot(page, "patient")


def test_lesion_planner_simulates_and_plots(page: Page, clinic: Clinic) -> None:
    log_in(page, "demo-clinician", clinic.passwords["demo-clinician"])
    page.get_by_role("link", name="Lesion planner").click()
    expect(page).to_have_url(f"{clinic.base_url}/planner")
    # The form's defaults (planner.DEFAULTS): 18 G, 10 mm tip, 80 °C, 90 s, planned in the
    # clinical (in-vivo) tissue; the page solves when no surrogate table is built.
    reference = simulate(
        LesionProtocol(
            gauge=18,
            tip_length_mm=10,
            set_temperature_c=80,
            duration_s=90,
            tissue=CLINICAL_TISSUE,
        )
    ).lesion
    # "Simulate" answers without the temperature map (tests/e2e/test_planner.py); the full
    # solve draws it.
    page.get_by_role("button", name="Full solve (temperature map)").click()
    result = page.locator("#result")
    expect(result.locator("svg")).to_be_visible()
    expect(result.locator("tr", has_text="Width").locator("td")).to_have_text(
        f"{reference.width_mm:.1f} mm"
    )
    expect(result.locator("tr", has_text="Length").locator("td")).to_have_text(
        f"{reference.length_mm:.1f} mm"
    )
    expect(page.get_by_role("contentinfo")).to_have_text(DISCLAIMER)
    screenshot(page, "planner")


def _specialist_volume(clinic: Clinic) -> tuple[list[str], int, int, int]:
    """Every specialist's name, and demo-clinician's specialist id, completed procedures
    and performed lesions (all seeded procedures lie on or before today)."""
    engine = clinic.engine()
    try:
        with Session(engine) as session:
            names = list(session.scalars(sa.select(Specialist.display_name)))
            own = session.scalar(
                sa.select(Specialist.id).where(Specialist.display_name == "Dr Demo Clinician")
            )
            assert own is not None
            completed = (Procedure.performer_id == own) & (
                Procedure.status == ProcedureStatus.COMPLETED
            )
            procedures = session.scalar(
                sa.select(sa.func.count()).select_from(Procedure).where(completed)
            )
            lesions = session.scalar(
                sa.select(sa.func.count())
                .select_from(Lesion)
                .join(Procedure)
                .where(completed, Lesion.performed.is_(True))
            )
    finally:
        engine.dispose()
    return names, own, int(procedures or 0), int(lesions or 0)


def test_specialist_page_counts_the_specialists_procedures(page: Page, clinic: Clinic) -> None:
    # Runs before test_forms.py adds a procedure (file order), so the counts are the seed's.
    names, own_id, procedures, lesions = _specialist_volume(clinic)
    assert procedures > 0
    log_in(page, "demo-clinician", clinic.passwords["demo-clinician"])
    page.get_by_role("link", name="Specialists", exact=True).click()
    expect(page).to_have_url(f"{clinic.base_url}/specialists")
    listed = page.locator("table.specialists tbody tr td:first-child a")
    expect(listed).to_have_count(len(names))
    assert sorted(listed.all_text_contents()) == sorted(names)

    page.get_by_role("link", name="Dr Demo Clinician", exact=True).click()
    expect(page).to_have_url(f"{clinic.base_url}/specialists/{own_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dr Demo Clinician")
    expect(page.locator("#procedures")).to_have_text(str(procedures))
    expect(page.locator("#lesions")).to_have_text(str(lesions))
    expect(page.locator("#outcomes figure.plot svg")).to_be_visible()
    expect(page.get_by_role("contentinfo")).to_have_text(DISCLAIMER)
    screenshot(page, "specialist")


def test_outcomes_page_draws_the_durability_curve(page: Page, clinic: Clinic) -> None:
    # Runs before test_forms.py adds a follow-up (file order), so the courses are the seed's.
    engine = clinic.engine()
    try:
        with Session(engine) as session:
            # The demo server's clinic zone is the default, UTC.
            courses = compute_snapshot(session=session, as_of=date.today(), zone=UTC)
    finally:
        engine.dispose()
    assert courses.course_list()
    log_in(page, "demo-researcher", clinic.passwords["demo-researcher"])
    page.get_by_role("link", name="Outcomes", exact=True).click()
    expect(page).to_have_url(f"{clinic.base_url}/analytics")
    expect(page.locator("#durability figure.plot svg")).to_be_visible()
    expect(page.locator("#row-all td").nth(1)).to_have_text(str(len(courses.course_list())))
    page.get_by_label("Split by").select_option("technique")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{clinic.base_url}/analytics?grouping=technique")
    expect(page.locator("#durability-table tbody tr")).not_to_have_count(0)
    expect(page.get_by_role("contentinfo")).to_have_text(DISCLAIMER)
    screenshot(page, "outcomes")
