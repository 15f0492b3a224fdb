"""The clinician's entry forms in a real browser: live gates on a procedure, then a follow-up.

References: :func:`rhizo.pathway.gates.evaluate_lesion` called directly on the
same observations (a limb twitch on 2 Hz motor testing blocks the lesion, Koh
2017, ``pathway/knowledge/gates.yaml`` rule ``motor-limb-contraction``), and the
database rows before and after each save. Element ids are the ones docs/web.md
lists under "Forms".
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, selectinload

from rhizo.clinic.followup.models import FollowUp, FollowUpSource
from rhizo.clinic.procedure.models import Procedure
from rhizo.clinic.procedure.prediction import predicted_capture_line
from rhizo.pathway.gates import GateVerdict, LesionCheck, MotorResponse, evaluate_lesion
from tests.e2e.conftest import TODAY, Clinic, DemoPatient, log_in, screenshot
from tests.e2e.plot import FOLLOW_UP_COLOUR, plotted_points

pytestmark = pytest.mark.browser

#: Both rows share the cannula and generator setting (the form carries them to a new row).
SETTING = {"gauge": "18", "tip_length_mm": "10", "set_temperature_c": "80", "duration_s": "90"}
#: Row 0: concordant sensation at 0.4 V, no twitch up to 2 V, local anaesthetic given.
CLEAN = {
    "target_nerve": "L3 medial branch",
    "sensory_threshold_v": "0.4",
    "sensory_response": "concordant",
    "motor_response": "none",
    "motor_test_voltage_v": "2.0",
}
#: Row 1: the same, but the leg twitches on 2 Hz motor testing at 1.2 V.
TWITCH = {
    "target_nerve": "L4 medial branch",
    "sensory_threshold_v": "0.5",
    "sensory_response": "concordant",
    "motor_response": "limb",
    "motor_test_voltage_v": "1.2",
}

#: The 14-day review after the procedure recorded above (the seed's first follow-up day).
FOLLOW_UP_ON = TODAY + timedelta(days=14)
FOLLOW_UP_NRS = 2


def _reference(row: dict[str, str]) -> GateVerdict:
    """The pathway's verdict on the row's observations (parallel placement, LA given)."""
    return evaluate_lesion(
        LesionCheck(
            target_nerve=row["target_nerve"],
            sensory_threshold_v=float(row["sensory_threshold_v"]),
            sensory_response=row["sensory_response"],
            motor_response=MotorResponse(row["motor_response"]),
            motor_test_voltage_v=float(row["motor_test_voltage_v"]),
            local_anaesthetic_given=True,
            gauge=int(SETTING["gauge"]),
            tip_length_mm=float(SETTING["tip_length_mm"]),
            set_temperature_c=float(SETTING["set_temperature_c"]),
            duration_s=float(SETTING["duration_s"]),
            placement="parallel",
        )
    )


def _form_patient(clinic: Clinic) -> DemoPatient:
    """The last seeded patient: not the one test_clinician reads or the portal's."""
    return list(clinic.patients.values())[-1]


def _procedures(clinic: Clinic, patient_id: int) -> list[Procedure]:
    engine = clinic.engine()
    try:
        with Session(engine) as session:
            return list(
                session.scalars(
                    sa.select(Procedure)
                    .options(selectinload(Procedure.lesions))
                    .where(Procedure.patient_id == patient_id)
                    .order_by(Procedure.id)
                )
            )
    finally:
        engine.dispose()


def _fill_row(page: Page, index: int, row: dict[str, str]) -> None:
    """Type one lesion row as a clinician would; the motor result goes in last."""
    prefix = f"#lesions-{index}-"
    page.locator(f"{prefix}target_nerve").fill(row["target_nerve"])
    page.locator(f"{prefix}side").select_option("left")
    for name, value in SETTING.items():
        page.locator(f"{prefix}{name}").fill(value)
    page.locator(f"{prefix}placement").select_option("parallel")
    page.locator(f"{prefix}sensory_threshold_v").fill(row["sensory_threshold_v"])
    page.locator(f"{prefix}sensory_response").select_option(row["sensory_response"])
    page.locator(f"{prefix}motor_test_voltage_v").fill(row["motor_test_voltage_v"])
    page.locator(f"{prefix}local_anaesthetic_given").check()
    page.locator(f"{prefix}motor_response").select_option(row["motor_response"])


def test_procedure_form_blocks_a_limb_twitch_live(page: Page, clinic: Clinic) -> None:
    clean, twitch = _reference(CLEAN), _reference(TWITCH)
    assert clean.proceed
    assert not twitch.proceed
    blocking = [finding for finding in twitch.findings if finding.blocking]
    assert [finding.rule for finding in blocking] == ["motor-limb-contraction"]

    patient = _form_patient(clinic)
    before = _procedures(clinic, patient.id)
    log_in(page, "demo-clinician", clinic.passwords["demo-clinician"])
    page.goto(f"/patients/{patient.id}")
    page.locator("#action-procedure").click()
    expect(page).to_have_url(f"{clinic.base_url}/patients/{patient.id}/procedures/new")
    form_url = page.url
    # Marks this document: still there after the checks means nothing reloaded the page.
    page.evaluate("window.e2eSameDocument = true")

    # A fixed time (the cohort's "today"), so the screenshot is the same every run.
    page.locator("#performed_at").fill(f"{TODAY.isoformat()}T09:30")
    page.locator("#side").select_option("left")
    page.locator("#levels").fill("L4-L5")
    _fill_row(page, 0, CLEAN)
    expect(page.locator("#lesion-0-gate")).to_have_class(re.compile(r"\bgate-ok\b"))

    page.locator("#add-lesion-row").click()
    expect(page.locator("#lesion-1")).to_be_visible()
    expect(page.locator("#lesion_count")).to_have_value("2")
    # The new row carries the cannula and setting of the row above.
    expect(page.locator("#lesions-1-gauge")).to_have_value(SETTING["gauge"])
    _fill_row(page, 1, TWITCH)

    gate = page.locator("#lesion-1-gate")
    expect(gate).to_have_class(re.compile(r"\bgate-blocked\b"))
    shown = gate.locator(".gate-blocking li.gate-finding")
    expect(shown).to_have_count(len(blocking))
    finding = shown.first
    expect(finding).to_have_attribute("data-rule", blocking[0].rule)
    expect(finding).to_contain_text("motor response = limb")
    expect(finding).to_contain_text(blocking[0].message)
    expect(finding.locator("cite")).to_have_text(blocking[0].source)
    expect(page.locator("#lesion-0-gate")).to_have_class(re.compile(r"\bgate-ok\b"))
    # Live: the verdicts came in by htmx, the form was never submitted.
    assert page.url == form_url
    assert page.evaluate("window.e2eSameDocument === true")
    assert len(_procedures(clinic, patient.id)) == len(before)
    screenshot(page, "procedure-blocked")

    # Submitted as performed, the blocked lesion refuses the whole procedure.
    page.locator("#procedure-submit").click()
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#lesion-1-gate")).to_have_class(re.compile(r"\bgate-blocked\b"))
    assert len(_procedures(clinic, patient.id)) == len(before)

    # Recorded as not performed, the procedure is stored with both positions.
    page.locator("#lesions-1-performed").uncheck()
    expect(page.locator("#lesion-1-gate")).to_have_class(re.compile(r"\bgate-not-performed\b"))
    page.locator("#procedure-submit").click()
    expect(page).to_have_url(f"{clinic.base_url}/patients/{patient.id}?saved=procedure#flash")
    expect(page.locator("#flash")).to_have_text("Procedure and its lesions recorded.")

    after = _procedures(clinic, patient.id)
    assert len(after) == len(before) + 1
    stored = sorted(after[-1].lesions, key=lambda lesion: lesion.ordinal)
    assert [(les.target_nerve, les.performed, les.gate_proceed) for les in stored] == [
        (CLEAN["target_nerve"], True, True),
        (TWITCH["target_nerve"], False, False),
    ]
    entry = page.locator("ol.timeline > li.kind-procedure").first
    expect(entry).to_contain_text("L4-L5 (left, completed)")
    expect(entry.locator("li")).to_have_text(
        [
            # A performed lesion carries its capture prediction (the record link).
            f"#1 L3 medial branch left: performed, 80 °C 90 s; {predicted_capture_line(stored[0])}",
            "#2 L4 medial branch left: not performed - gates blocked, 80 °C 90 s",
        ]
    )


def _clinic_scores(clinic: Clinic, patient_id: int) -> list[tuple[date, int, str]]:
    engine = clinic.engine()
    try:
        with Session(engine) as session:
            rows = session.execute(
                sa.select(FollowUp.followed_on, FollowUp.nrs, FollowUp.source)
                .where(FollowUp.patient_id == patient_id)
                .where(FollowUp.source != FollowUpSource.DIARY)
                .order_by(FollowUp.id)
            ).all()
    finally:
        engine.dispose()
    return [(row.followed_on, row.nrs, row.source.value) for row in rows]


def test_followup_form_adds_a_point_to_the_plot(page: Page, clinic: Clinic) -> None:
    patient = _form_patient(clinic)
    before = _clinic_scores(clinic, patient.id)
    log_in(page, "demo-clinician", clinic.passwords["demo-clinician"])
    page.goto(f"/patients/{patient.id}")
    plot = page.locator("#pain figure.plot")
    # The plot's circles are exactly the clinic and phone scores in the database.
    expect(plotted_points(plot, FOLLOW_UP_COLOUR)).to_have_count(len(before))

    page.locator("#action-followup").click()
    expect(page).to_have_url(f"{clinic.base_url}/patients/{patient.id}/followups/new")
    page.locator("#followed_on").fill(FOLLOW_UP_ON.isoformat())
    page.locator("#nrs").fill(str(FOLLOW_UP_NRS))
    page.locator("#source").select_option("clinic")
    page.locator("#followup-submit").click()

    expect(page).to_have_url(f"{clinic.base_url}/patients/{patient.id}?saved=followup#flash")
    expect(page.locator("#flash")).to_contain_text("Follow-up recorded")
    expect(plotted_points(plot, FOLLOW_UP_COLOUR)).to_have_count(len(before) + 1)
    assert _clinic_scores(clinic, patient.id) == [
        *before,
        (FOLLOW_UP_ON, FOLLOW_UP_NRS, "clinic"),
    ]
    entry = page.locator(
        "ol.timeline > li.kind-follow-up",
        has=page.locator(f'time[datetime="{FOLLOW_UP_ON.isoformat()}"]'),
    )
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(f"NRS {FOLLOW_UP_NRS} (clinic)")
