"""A plan's lifecycle in a real browser: schedule it, open the procedure form from it
(prefilled), then cancel it with a reason.

References: the database row after each step, and the nerve supply of the planned
joints written by hand (L4-L5: L3 and L4 medial branches; L5-S1: L4 medial branch
and L5 dorsal ramus; Bogduk and Long, J Neurosurg 1979;51:172-177, abstract read,
evidence secondary), one row per nerve on each side.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.models import Plan, PlanCreate
from tests.e2e.conftest import Clinic, log_in

pytestmark = pytest.mark.browser

NERVES = ("L3 medial branch", "L4 medial branch", "L5 dorsal ramus")


def _new_plan(clinic: Clinic, patient_id: int) -> int:
    engine = clinic.engine()
    try:
        with Session(engine) as session:
            plan = plan_service.create(
                session=session,
                actor=Actor(user_id=None, username="e2e", role=Role.ADMIN),
                patient_id=patient_id,
                data=PlanCreate.model_validate(
                    {
                        "procedure": "lumbar-facet-rf",
                        "planned_date": date.today() + timedelta(days=30),
                        "side": "bilateral",
                        "levels": ["L4-L5", "L5-S1"],
                        "sedation": "minimal",
                    }
                ),
            )
            return plan.id
    finally:
        engine.dispose()


def _stored(clinic: Clinic, plan_id: int) -> Plan:
    engine = clinic.engine()
    try:
        with Session(engine) as session:
            plan = session.get(Plan, plan_id)
            assert plan is not None
            session.expunge(plan)
            return plan
    finally:
        engine.dispose()


def test_schedule_prefill_and_cancel_a_plan(page: Page, clinic: Clinic) -> None:
    # A patient without a portal login, so the portal tests see their plans unchanged.
    patient = next(p for p in clinic.patients.values() if p.user_id is None)
    plan_id = _new_plan(clinic, patient.id)
    log_in(page, "demo-clinician", clinic.passwords["demo-clinician"])
    page.goto(f"/patients/{patient.id}")
    status = page.locator(f"#plan-status-{plan_id}")
    expect(status).to_have_attribute("data-status", "draft")
    page.locator(f"#plan-schedule-{plan_id}").click()
    expect(page.locator("#flash")).to_have_text("Plan marked scheduled.")
    expect(status).to_have_attribute("data-status", "scheduled")
    assert _stored(clinic, plan_id).status.value == "scheduled"

    page.locator(f"#plan-record-{plan_id}").click()
    nerves = page.locator('input[name$="-target_nerve"]')
    expect(nerves).to_have_count(6)
    assert [nerves.nth(i).input_value() for i in range(6)] == [*NERVES, *NERVES]
    sides = page.locator('select[name$="-side"]')
    assert [sides.nth(i).input_value() for i in range(6)] == ["left"] * 3 + ["right"] * 3
    expect(page.locator("#levels")).to_have_value("L4-L5, L5-S1")
    expect(page.locator("#sedation")).to_have_value("minimal")
    expect(page.locator("#plan_id")).to_have_value(str(plan_id))

    page.goto(f"/patients/{patient.id}")
    page.locator(f"#plan-cancel-{plan_id}").click()
    page.locator("#cancel_reason").fill("no")
    page.locator("#plan-cancel-submit").click()
    expect(page.locator("#form-errors")).to_be_visible()
    assert _stored(clinic, plan_id).status.value == "scheduled"  # nothing saved
    page.locator("#cancel_reason").fill("patient asked to wait a month")
    page.locator("#plan-cancel-submit").click()
    expect(page.locator("#flash")).to_have_text("Plan cancelled; the reason is kept with it.")
    expect(status).to_have_attribute("data-status", "cancelled")
    expect(status).to_contain_text("patient asked to wait a month")
    expect(page.locator(f"#plan-edit-{plan_id}")).to_have_count(0)
    stored = _stored(clinic, plan_id)
    assert (stored.status.value, stored.cancelled_by) == ("cancelled", "demo-clinician")
