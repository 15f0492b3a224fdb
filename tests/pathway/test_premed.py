"""Pre-procedure plan: Narouze 2018 risk categories and drug holds, with date arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from rhizo.pathway.premed import (
    PRESCRIBER_REMINDER,
    RiskCategory,
    RiskFactor,
    drug_hold,
    known_drugs,
    plan_premedication,
    risk_category,
)


# Narouze 2018 (UpToDate table; ASRA News 2019): procedure categories.
@pytest.mark.parametrize(
    ("procedure", "category"),
    [
        ("lumbar-facet-rf", RiskCategory.LOW),  # thoracolumbar facet moved to low in 2018
        ("thoracic-facet-rf", RiskCategory.LOW),
        ("cervical-facet-rf", RiskCategory.INTERMEDIATE),
        ("lumbar-epidural", RiskCategory.INTERMEDIATE),
        ("spinal-cord-stimulator", RiskCategory.HIGH),
    ],
)
def test_risk_categories(procedure: str, category: RiskCategory) -> None:
    assert risk_category(procedure) is category


def test_patient_factor_raises_category_one_step() -> None:
    # rhizo's local rule (premed_inputs.yaml category-raise): any factor raises one step;
    # the Narouze 2018 footnote says only that such factors "may increase risk".
    assert risk_category("lumbar-facet-rf", [RiskFactor.OLDER_AGE]) is RiskCategory.INTERMEDIATE
    two = [RiskFactor.OLDER_AGE, RiskFactor.COAGULOPATHY]
    assert risk_category("lumbar-facet-rf", two) is RiskCategory.INTERMEDIATE
    assert risk_category("spinal-cord-stimulator", two) is RiskCategory.HIGH


def test_unknown_procedure_lists_known_ones() -> None:
    with pytest.raises(KeyError, match="lumbar-facet-rf"):
        risk_category("knee-rf")


# Narouze 2018 drug table (warfarin: 5 days, normal INR, intermediate/high; low: shared).
def test_warfarin_by_category() -> None:
    day = date(2026, 3, 10)
    intermediate = drug_hold("warfarin", category=RiskCategory.INTERMEDIATE, procedure_date=day)
    assert intermediate.hold == "yes"
    assert intermediate.hold_days == 5
    assert intermediate.last_dose_date == date(2026, 3, 5)
    assert intermediate.restart_after_hours == 6
    assert "INR" in intermediate.note
    low = drug_hold("warfarin", category=RiskCategory.LOW, procedure_date=day)
    assert low.hold == "individualise"
    assert low.last_dose_date is None


# Date arithmetic across month ends and leap years (last dose = date - hold_days).
@pytest.mark.parametrize(
    ("procedure_date", "drug", "category", "last_dose"),
    [
        (date(2024, 3, 1), "warfarin", RiskCategory.HIGH, date(2024, 2, 25)),  # leap year
        (date(2023, 3, 1), "warfarin", RiskCategory.HIGH, date(2023, 2, 24)),  # common year
        (date(2024, 3, 2), "naproxen", RiskCategory.HIGH, date(2024, 2, 27)),
        (date(2026, 1, 3), "piroxicam", RiskCategory.HIGH, date(2025, 12, 24)),  # year end
        (date(2026, 5, 1), "ibuprofen", RiskCategory.HIGH, date(2026, 4, 30)),
        (date(2024, 3, 1), "enoxaparin", RiskCategory.LOW, date(2024, 2, 29)),  # 24 h -> 1 day
        (date(2026, 3, 1), "heparin-iv", RiskCategory.LOW, date(2026, 2, 28)),  # 6 h rounds up
    ],
)
def test_last_dose_dates(
    procedure_date: date, drug: str, category: RiskCategory, last_dose: date
) -> None:
    assert drug_hold(drug, category=category, procedure_date=procedure_date).last_dose_date == (
        last_dose
    )


# Narouze 2018 NSAIDs: hold only before high-risk procedures (drug-specific days).
@pytest.mark.parametrize(
    ("drug", "days"),
    [("ibuprofen", 1), ("diclofenac", 1), ("etodolac", 2), ("naproxen", 4), ("nabumetone", 6)],
)
def test_nsaid_holds(drug: str, days: int) -> None:
    day = date(2026, 6, 15)
    assert drug_hold(drug, category=RiskCategory.HIGH, procedure_date=day).hold_days == days
    assert drug_hold(drug, category=RiskCategory.LOW, procedure_date=day).hold == "no"


def test_recalled_rows_are_marked_unverified() -> None:
    hold = drug_hold("clopidogrel", category=RiskCategory.INTERMEDIATE, procedure_date=date.today())
    assert hold.hold_days == 7
    assert not hold.verified
    assert "NOT verified" in hold.source


def test_every_hold_reminds_that_the_prescriber_decides() -> None:
    plan = plan_premedication(
        procedure="lumbar-facet-rf", procedure_date=date(2026, 1, 1), drugs=known_drugs()
    )
    assert plan.holds
    assert all(PRESCRIBER_REMINDER in hold.note for hold in plan.holds)
    assert all(hold.source for hold in plan.holds)


def test_aliases_and_case() -> None:
    assert drug_hold("Eliquis", category=RiskCategory.HIGH, procedure_date=date.today()).drug == (
        "apixaban"
    )


def test_unknown_drug() -> None:
    with pytest.raises(KeyError, match="no hold rule"):
        drug_hold("unobtainium", category=RiskCategory.LOW, procedure_date=date.today())


def test_plan_instructions_follow_the_situation() -> None:
    base = plan_premedication(procedure="lumbar-facet-rf", procedure_date=date(2026, 1, 5))
    sedated = plan_premedication(
        procedure="lumbar-facet-rf",
        procedure_date=date(2026, 1, 5),
        sedation=True,
        diabetes=True,
        implanted_device=True,
    )
    base_topics = {i.topic for i in base.instructions}
    sedated_topics = {i.topic for i in sedated.instructions}
    assert "fasting" not in base_topics
    assert {"fasting", "diabetes", "implanted device"} <= sedated_topics
    assert {"transport", "consent", "on the day", "medicines"} <= base_topics
