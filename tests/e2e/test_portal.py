"""The patient in a real browser: only their own record, a diary entry, refusals.

References: the database (which patient row is linked to ``demo-patient``, the
follow-up rows before and after), and the pages' permission table in
docs/web.md (a patient may open only their own patient page, never the list).
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from rhizo import DISCLAIMER
from rhizo.clinic.core.auth.models import User
from rhizo.clinic.followup.models import FollowUp, FollowUpSource
from tests.e2e.conftest import Clinic, DemoPatient, log_in, screenshot
from tests.e2e.plot import DIARY_COLOUR, plotted_points

pytestmark = pytest.mark.browser

DIARY_NRS = 3


def _own_patient(clinic: Clinic) -> DemoPatient:
    """The patient row linked to the ``demo-patient`` user (seeded as DEMO-0001)."""
    engine = clinic.engine()
    try:
        with Session(engine) as session:
            user_id = session.scalar(sa.select(User.id).where(User.username == "demo-patient"))
    finally:
        engine.dispose()
    linked = [p for p in clinic.patients.values() if p.user_id == user_id]
    assert len(linked) == 1
    return linked[0]


def _diary_rows(clinic: Clinic, patient_id: int) -> list[tuple[date, int]]:
    engine = clinic.engine()
    try:
        with Session(engine) as session:
            rows = session.execute(
                sa.select(FollowUp.followed_on, FollowUp.nrs)
                .where(FollowUp.patient_id == patient_id)
                .where(FollowUp.source == FollowUpSource.DIARY)
                .order_by(FollowUp.id)
            ).all()
    finally:
        engine.dispose()
    return [(row.followed_on, row.nrs) for row in rows]


def test_patient_sees_only_their_own_record(page: Page, clinic: Clinic) -> None:
    own = _own_patient(clinic)
    assert own.mrn == "DEMO-0001"
    log_in(page, "demo-patient", clinic.passwords["demo-patient"])
    expect(page).to_have_url(f"{clinic.base_url}/portal")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Your plan, {own.given_name}")
    expect(page.get_by_role("link", name="Patients")).to_have_count(0)
    expect(page.get_by_role("link", name="Lesion planner")).to_have_count(0)
    body = page.locator("main")
    for other in clinic.patients.values():
        if other.id != own.id:
            expect(body).not_to_contain_text(other.mrn)
            expect(body).not_to_contain_text(f"{other.family_name}, {other.given_name}")
    expect(page.locator("div.synthetic")).to_be_visible()
    expect(page.get_by_role("contentinfo")).to_have_text(DISCLAIMER)
    screenshot(page, "portal")


def test_patient_records_a_diary_entry(page: Page, clinic: Clinic) -> None:
    own = _own_patient(clinic)
    before = _diary_rows(clinic, own.id)
    log_in(page, "demo-patient", clinic.passwords["demo-patient"])
    plot = page.locator("#diary figure.plot")
    expect(plotted_points(plot, DIARY_COLOUR)).to_have_count(len(before))

    diary = page.locator("#diary form")
    # The date field defaults to today (portal.html).
    expect(diary.get_by_label("Date")).to_have_value(date.today().isoformat())
    diary.get_by_label("Pain now").fill(str(DIARY_NRS))
    diary.get_by_role("button", name="Save").click()

    expect(page).to_have_url(f"{clinic.base_url}/portal?saved=1#diary")
    expect(page.get_by_role("status")).to_have_text("Saved. Thank you.")
    expect(plotted_points(plot, DIARY_COLOUR)).to_have_count(len(before) + 1)
    assert _diary_rows(clinic, own.id) == [*before, (date.today(), DIARY_NRS)]

    # The patient may open their own patient page; the entry is on its timeline.
    page.goto(f"/patients/{own.id}")
    entry = page.locator("ol.timeline > li.kind-follow-up", has_text=f"NRS {DIARY_NRS} (diary)")
    expect(
        entry.filter(has=page.locator(f'time[datetime="{date.today().isoformat()}"]'))
    ).to_have_count(1)


def test_patient_is_refused_other_records_and_the_list(page: Page, clinic: Clinic) -> None:
    own = _own_patient(clinic)
    other = next(p for p in clinic.patients.values() if p.id != own.id)
    log_in(page, "demo-patient", clinic.passwords["demo-patient"])

    for path in (f"/patients/{other.id}", "/patients"):
        response = page.goto(path)
        assert response is not None
        assert response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text("403 · Not allowed")
        expect(page.locator("main")).not_to_contain_text(other.family_name)
        expect(page.locator("main")).not_to_contain_text(other.mrn)
