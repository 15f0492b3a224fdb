"""The inputs a hold depends on: boundary values against the guideline's own table.

Every expected value is written as a literal from its source, never read from
rhizo's YAML:

* aspirin (UpToDate adaptation of Narouze 2018, "Summary of periprocedural
  management ... for interventional pain procedures", aspirin row): high risk,
  primary prophylaxis 6 days, secondary prophylaxis shared assessment;
  intermediate, shared assessment; low, no hold;
* dabigatran (Narouze 2018 dabigatran row, recalled: 4-5 days, 6 days with
  renal impairment, creatinine clearance below 50 mL/min);
* severe kidney disease (KDIGO 2012 Table 5: G4 "severely decreased" is 15-29,
  G3b 30-44 is not severe);
* warfarin (same UpToDate table: "5 days, normal INR"; the cut-off, INR below
  1.3, is one clinic's protocol, thepainsource.com);
* clopidogrel (Narouze 2018, recalled: 7 days before intermediate-risk
  procedures); a coronary stent under 12 months (dual antiplatelet therapy 6-12
  months, ACC/AHA 2016, recalled) or dual therapy: no automatic hold.
"""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from rhizo.pathway.premed import RiskCategory, RiskFactor, drug_hold, plan_premedication
from rhizo.pathway.premed_inputs import (
    STENT_WARNING,
    AspirinIndication,
    PremedInputError,
    PremedInputs,
)

DAY = date(2026, 3, 10)
HIGH, INTERMEDIATE, LOW = RiskCategory.HIGH, RiskCategory.INTERMEDIATE, RiskCategory.LOW


def _hold(drug: str, category: RiskCategory, **inputs: object) -> tuple[str, int | None]:
    hold = drug_hold(
        drug, category=category, procedure_date=DAY, inputs=PremedInputs.model_validate(inputs)
    )
    return hold.hold, hold.hold_days


# --- aspirin: indication x risk category (UpToDate/Narouze 2018 aspirin row) ---------------


@pytest.mark.parametrize(
    ("category", "indication", "expected"),
    [
        (HIGH, "primary", ("yes", 6)),
        (HIGH, "secondary", ("individualise", None)),
        (HIGH, None, ("needs_input", None)),
        (INTERMEDIATE, "primary", ("individualise", None)),
        (INTERMEDIATE, "secondary", ("individualise", None)),
        (INTERMEDIATE, None, ("individualise", None)),
        (LOW, "primary", ("no", None)),
        (LOW, "secondary", ("no", None)),
        (LOW, None, ("no", None)),
    ],
)
def test_aspirin_by_indication_and_category(
    category: RiskCategory, indication: str | None, expected: tuple[str, int | None]
) -> None:
    assert _hold("aspirin", category, aspirin_indication=indication) == expected


def test_aspirin_primary_last_dose_is_six_days_before() -> None:
    hold = drug_hold(
        "aspirin",
        category=HIGH,
        procedure_date=DAY,
        inputs=PremedInputs(aspirin_indication=AspirinIndication.PRIMARY),
    )
    assert hold.last_dose_date == date(2026, 3, 4)
    assert hold.restart_after_hours == 24
    assert hold.input_sources  # the indication rule's own source is shown


def test_aspirin_without_indication_asks_for_it() -> None:
    hold = drug_hold("aspirin", category=HIGH, procedure_date=DAY)
    assert hold.hold == "needs_input"
    assert hold.last_dose_date is None
    assert "indication" in hold.note
    assert "6 days" in hold.note  # what the answer would be, stated, not applied


# --- dabigatran: eGFR band edges (recalled: below 50 mL/min -> 6 days, else 5) ------------


@pytest.mark.parametrize(
    ("egfr", "days"),
    [(49.9, 6), (50.0, 5), (50.1, 5), (10.0, 6), (120.0, 5)],
)
@pytest.mark.parametrize("category", [HIGH, INTERMEDIATE])
def test_dabigatran_by_egfr(category: RiskCategory, egfr: float, days: int) -> None:
    assert _hold("dabigatran", category, egfr_ml_per_min=egfr) == ("yes", days)


def test_dabigatran_low_risk_stays_a_shared_decision_whatever_the_egfr() -> None:
    assert _hold("dabigatran", LOW, egfr_ml_per_min=20) == ("individualise", None)


def test_dabigatran_without_renal_function_says_what_is_missing() -> None:
    hold = drug_hold("dabigatran", category=HIGH, procedure_date=DAY)
    assert hold.hold_days == 5
    assert "Renal function not entered" in hold.note
    assert "6 days" in hold.note


def test_w3_severe_kidney_disease_gives_six_days_for_dabigatran() -> None:
    # Audit W3: the factor raised the class but the hold stayed 5 days.
    plan = plan_premedication(
        procedure="lumbar-facet-rf",
        procedure_date=DAY,
        drugs=["dabigatran"],
        risk_factors=[RiskFactor.SEVERE_KIDNEY_DISEASE],
    )
    assert plan.risk_category is INTERMEDIATE
    (hold,) = plan.holds
    assert (hold.hold, hold.hold_days) == ("yes", 6)
    assert hold.last_dose_date == date(2026, 3, 4)


# --- severe kidney disease: one definition with the eGFR (KDIGO G4-G5: below 30) ----------


@pytest.mark.parametrize(("egfr", "severe"), [(29.9, True), (30.0, False), (30.1, False)])
def test_egfr_decides_severe_kidney_disease(egfr: float, severe: bool) -> None:
    plan = plan_premedication(procedure="lumbar-facet-rf", procedure_date=DAY, egfr_ml_per_min=egfr)
    assert (RiskFactor.SEVERE_KIDNEY_DISEASE in plan.risk_factors) is severe
    assert plan.risk_category is (INTERMEDIATE if severe else LOW)
    assert any(w.topic == "severe kidney disease" for w in plan.warnings) is severe


@pytest.mark.parametrize("egfr", [30.0, 30.1, 90.0])
def test_severe_kidney_factor_contradicting_the_egfr_is_refused(egfr: float) -> None:
    with pytest.raises(PremedInputError, match="below 30") as caught:
        plan_premedication(
            procedure="lumbar-facet-rf",
            procedure_date=DAY,
            risk_factors=[RiskFactor.SEVERE_KIDNEY_DISEASE],
            egfr_ml_per_min=egfr,
        )
    assert caught.value.field == "risk_factors"


def test_severe_kidney_factor_agreeing_with_the_egfr_is_kept_once() -> None:
    plan = plan_premedication(
        procedure="lumbar-facet-rf",
        procedure_date=DAY,
        risk_factors=[RiskFactor.SEVERE_KIDNEY_DISEASE],
        egfr_ml_per_min=29.9,
    )
    assert plan.risk_factors == [RiskFactor.SEVERE_KIDNEY_DISEASE]


# --- warfarin / acenocoumarol: "normal INR", cut-off below 1.3 (local protocol) ------------


@pytest.mark.parametrize(("inr", "normal"), [(1.29, True), (1.3, False), (1.31, False)])
@pytest.mark.parametrize(("drug", "days"), [("warfarin", 5), ("acenocoumarol", 3)])
def test_inr_at_the_cut_off(drug: str, days: int, inr: float, normal: bool) -> None:
    hold = drug_hold(drug, category=HIGH, procedure_date=DAY, inputs=PremedInputs(inr=inr))
    assert (hold.hold, hold.hold_days) == ("yes", days)
    assert hold.inr_normal is normal
    assert ("not normal" in hold.note) is not normal
    assert any("local protocol" in source for source in hold.input_sources)


def test_without_an_inr_the_instruction_is_to_check_it() -> None:
    hold = drug_hold("warfarin", category=INTERMEDIATE, procedure_date=DAY)
    assert hold.inr_normal is None
    assert "Check the INR before the procedure" in hold.note
    assert "1.3" in hold.note


# --- coronary stent / dual antiplatelet: never an automatic antiplatelet hold -------------


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (11.9, ("individualise", None)),
        (12.0, ("yes", 7)),
        (12.1, ("yes", 7)),
        (0, ("individualise", None)),
    ],
)
def test_clopidogrel_by_months_since_the_stent(
    months: float, expected: tuple[str, int | None]
) -> None:
    hold = drug_hold(
        "clopidogrel",
        category=INTERMEDIATE,
        procedure_date=DAY,
        inputs=PremedInputs(stent_months=months),
    )
    assert (hold.hold, hold.hold_days) == expected
    assert (STENT_WARNING in hold.note) is (expected[0] == "individualise")


@pytest.mark.parametrize("drug", ["clopidogrel", "prasugrel", "ticagrelor", "aspirin"])
def test_dual_antiplatelet_therapy_holds_no_antiplatelet(drug: str) -> None:
    hold = drug_hold(
        drug,
        category=HIGH,
        procedure_date=DAY,
        inputs=PremedInputs(dual_antiplatelet=True, aspirin_indication=AspirinIndication.PRIMARY),
    )
    assert hold.hold == "individualise"
    assert hold.last_dose_date is None
    assert "cardiologist" in hold.note


def test_a_stent_of_any_age_puts_the_warning_on_the_plan() -> None:
    plan = plan_premedication(
        procedure="cervical-facet-rf", procedure_date=DAY, drugs=["clopidogrel"], stent_months=30
    )
    (warning,) = [w for w in plan.warnings if w.topic == "antiplatelets"]
    assert STENT_WARNING in warning.text
    assert "30 months" in warning.text
    assert not warning.verified  # recalled, and shown so
    (hold,) = plan.holds
    assert (hold.hold, hold.hold_days) == ("yes", 7)  # an old stent: the table's row stands


# --- the category raise is rhizo's local rule, stated with the guideline's "may" ----------


def test_the_category_raise_is_stated_as_a_local_rule() -> None:
    plan = plan_premedication(
        procedure="lumbar-facet-rf", procedure_date=DAY, risk_factors=[RiskFactor.OLDER_AGE]
    )
    assert (plan.base_risk_category, plan.risk_category) == (LOW, INTERMEDIATE)
    (warning,) = [w for w in plan.warnings if w.topic == "risk category"]
    assert '"may increase risk"' in warning.text
    assert "no age threshold" in warning.text
    assert warning.evidence == "local_protocol"


def test_no_factor_no_raise_and_no_category_warning() -> None:
    plan = plan_premedication(procedure="lumbar-facet-rf", procedure_date=DAY)
    assert plan.risk_category is LOW
    assert plan.warnings == []


# --- supplements and SSRIs: present, recalled, shown so ---------------------------------


@pytest.mark.parametrize(
    "drug", ["fish oil", "vitamin e", "garlic", "ginkgo", "ginseng", "turmeric", "sertraline"]
)
def test_supplements_and_ssris_are_recalled_and_never_an_automatic_hold(drug: str) -> None:
    high = drug_hold(drug, category=HIGH, procedure_date=DAY)
    assert high.hold == "individualise"
    assert high.evidence == "recalled"
    assert "NOT verified" in high.source
    assert drug_hold(drug, category=LOW, procedure_date=DAY).hold == "no"


# --- ranges: one definition for CLI, API and form -------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("egfr_ml_per_min", -3),
        ("egfr_ml_per_min", 250.1),
        ("egfr_ml_per_min", float("nan")),
        ("inr", 0.49),
        ("inr", 20.1),
        ("inr", float("inf")),
        ("stent_months", 1e9),
        ("stent_months", -0.1),
        ("aspirin_indication", "tertiary"),
    ],
)
def test_out_of_range_inputs_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        PremedInputs.model_validate({field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("egfr_ml_per_min", 0),
        ("egfr_ml_per_min", 250),
        ("inr", 0.5),
        ("inr", 20),
        ("stent_months", 600),
    ],
)
def test_range_ends_are_accepted(field: str, value: float) -> None:
    assert getattr(PremedInputs.model_validate({field: value}), field) == value
