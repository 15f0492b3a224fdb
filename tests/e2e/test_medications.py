"""Medications and allergies in a real browser: adding apixaban changes the holds shown for
the plan, and a recorded contrast allergy is warned about on the procedure form.

References: :func:`rhizo.pathway.premed.plan_premedication` called directly with the
plan's inputs (the hold, its days and the last-dose date), and the screening's own
contrast entry (``pathway/knowledge/screening.yaml``) for the warning's advice.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.core.common import Side
from rhizo.clinic.patient import service as patient_service
from rhizo.clinic.patient.models import PatientCreate, Sex
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.models import PlanCreate, Sedation
from rhizo.pathway.facts import entry
from rhizo.pathway.premed import RiskFactor, plan_premedication
from tests.e2e.conftest import Clinic, log_in, screenshot

pytestmark = pytest.mark.browser

SYSTEM = Actor(user_id=None, username="e2e-medications", role=Role.ADMIN)
PLANNED = date.today() + timedelta(days=21)
_MRN = itertools.count(1)


def _patient_with_plan(clinic: Clinic) -> int:
    """A patient of the test's own with an intermediate-risk lumbar plan and no medicines."""
    engine = clinic.engine()
    try:
        with Session(engine) as session:
            patient = patient_service.create(
                session=session,
                actor=SYSTEM,
                data=PatientCreate(
                    mrn=f"E2E-MED-{next(_MRN):03d}",
                    given_name="Mira",
                    family_name="Holdsworth",
                    birth_date=date(1952, 8, 14),
                    sex=Sex.FEMALE,
                    synthetic=True,
                ),
            )
            plan_service.create(
                session=session,
                actor=SYSTEM,
                patient_id=patient.id,
                data=PlanCreate(
                    procedure="lumbar-facet-rf",
                    planned_date=PLANNED,
                    side=Side.RIGHT,
                    levels=["L4-L5"],
                    sedation=Sedation.NONE,
                    risk_factors=[RiskFactor.COAGULOPATHY],
                ),
            )
            return patient.id
    finally:
        engine.dispose()


def test_adding_apixaban_shows_its_hold_for_the_plan(page: Page, clinic: Clinic) -> None:
    pid = _patient_with_plan(clinic)
    log_in(page, "demo-nurse", clinic.passwords["demo-nurse"])
    page.goto(f"/patients/{pid}")
    page.locator("#link-medications").click()
    expect(page.locator("#holds-now-none")).to_be_visible()
    page.get_by_label("Name (generic)").fill("apixaban")
    page.get_by_label("Dose").fill("5 mg twice a day")
    page.get_by_label("Indication").fill("atrial fibrillation")
    page.get_by_label("Started on").fill("2025-01-10")
    page.get_by_role("button", name="Add medication").click()
    expect(page.locator("#flash")).to_contain_text("Medication added")
    (hold,) = plan_premedication(
        procedure="lumbar-facet-rf",
        procedure_date=PLANNED,
        drugs=["apixaban"],
        risk_factors=[RiskFactor.COAGULOPATHY],
    ).holds
    assert hold.last_dose_date is not None
    row = page.locator('#holds-now-list li[data-drug="apixaban"]')
    expect(row).to_have_attribute("data-hold", str(hold.hold))
    expect(row).to_contain_text(f"stop {hold.hold_days} days before")
    expect(row).to_contain_text(f"last dose {hold.last_dose_date.isoformat()}")
    expect(page.locator("#holds-changed")).to_be_visible()
    screenshot(page, "medications")


def test_a_contrast_allergy_is_warned_on_the_procedure_form(page: Page, clinic: Clinic) -> None:
    pid = _patient_with_plan(clinic)
    log_in(page, "demo-clinician", clinic.passwords["demo-clinician"])
    page.goto(f"/patients/{pid}/allergies")
    page.get_by_label("Category").select_option("contrast")
    page.get_by_label("Substance").fill("iohexol")
    page.get_by_label("Reaction").fill("hives")
    page.get_by_label("Severity").select_option("moderate")
    page.get_by_role("button", name="Record allergy").click()
    expect(page.locator("#flash")).to_contain_text("Allergy recorded")
    screenshot(page, "allergies")
    page.goto(f"/patients/{pid}/procedures/new")
    warning = page.locator("#allergy-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("iohexol: hives (moderate)")
    expect(warning).to_contain_text(entry("screening", "allergy-contrast")["message"])
