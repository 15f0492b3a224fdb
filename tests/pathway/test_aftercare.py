"""Aftercare plan: region wording, warning signs first, patient labels, rendering and escaping."""

from __future__ import annotations

import re
from datetime import date

import pytest

from rhizo import DISCLAIMER
from rhizo.pathway.aftercare import (
    discharge_criteria,
    plan_aftercare,
    render_html,
    render_markdown,
    render_text,
    restart_item,
)
from rhizo.pathway.facts import entries, entry
from rhizo.pathway.policies import FacetRegion
from rhizo.pathway.premed_models import DrugHold, HoldDecision


def _texts(sedation: bool = False, region: FacetRegion | None = None) -> list[str]:
    plan = plan_aftercare(sedation=sedation, region=region)
    return [item.text for section in plan.sections for item in section.items]


def _section(title: str, region: FacetRegion | None) -> list[str]:
    plan = plan_aftercare(region=region)
    return [i.text for s in plan.sections if s.title == title for i in s.items]


def test_plan_has_the_issue_topics() -> None:
    titles = {section.title for section in plan_aftercare().sections}
    assert {"discharge", "first 24 hours", "wound care", "medicines", "activity"} <= titles
    assert {"what to expect", "call us"} <= titles
    joined = " ".join(_texts()).lower()
    for topic in ("24 hours", "ice", "shower", "dressing", "3 weeks", "fever"):
        assert topic in joined


def test_sedation_adds_exactly_its_items() -> None:
    sedation_only = [i for i in entries("aftercare") if i.get("applies_when") == "sedation"]
    assert len(_texts(True)) == len(_texts(False)) + len(sedation_only) == len(_texts(False)) + 1
    assert any("sedation" in text for text in _texts(True))


def test_warning_signs_come_first_as_a_list_with_a_lead() -> None:
    plan = plan_aftercare(region=FacetRegion.LUMBAR)
    first = plan.sections[0]
    assert first.title == "call us"
    assert first.heading == "When to get help"
    assert first.lead is not None
    assert "emergency" in first.lead.text
    # One sign per item: the old single 45-word sentence is gone (audit 4: FK 16.9).
    assert len(first.items) >= 5
    assert all(len(item.text.split()) <= 20 for item in first.items)


def test_neck_warning_signs_name_the_arm_and_the_neck() -> None:
    neck = " ".join(_section("call us", FacetRegion.CERVICAL))
    back = " ".join(_section("call us", FacetRegion.LUMBAR))
    assert "arm or hand" in neck
    assert "swallowing" in neck
    assert not re.search(r"\blegs?\b", neck)
    assert "leg or foot" in back
    assert "bladder" in back
    assert not re.search(r"\barms?\b", back)
    unknown = " ".join(_section("call us", None))
    assert "arm or a leg" in unknown


def test_neck_patients_get_the_third_occipital_balance_and_driving_advice() -> None:
    neck = " ".join(_section("first 24 hours", FacetRegion.CERVICAL))
    assert "unsteady" in neck
    assert "C2-3" in neck
    assert "balance" in neck
    assert "drive" in neck
    balance = entry("aftercare", "neck-balance")["source"]
    assert balance.author.startswith("Govind")
    assert balance.evidence == "primary"
    for region in (FacetRegion.LUMBAR, FacetRegion.THORACIC, None):
        assert "unsteady" not in " ".join(_section("first 24 hours", region))


def test_driving_rule_without_sedation_is_labelled_local_protocol() -> None:
    no_driving = entry("aftercare", "no-driving")
    assert no_driving.get("applies_when") is None  # shown with and without sedation
    assert no_driving["source"].evidence == "local_protocol"
    assert "[local protocol]" in no_driving["source"].cite()


def test_discharge_criteria_cite_sources() -> None:
    criteria = discharge_criteria()
    assert criteria
    assert all(item.source for item in criteria)


def test_follow_up_dates_across_month_end() -> None:
    plan = plan_aftercare(procedure_date=date(2024, 1, 31))
    assert [v.due for v in plan.follow_ups] == [
        date(2024, 2, 28),  # 4 weeks
        date(2024, 4, 30),  # 3 calendar months, clamped at the month end
        date(2024, 7, 31),
        date(2025, 1, 31),
    ]


def test_follow_up_labels_are_in_the_patients_words() -> None:
    plan = plan_aftercare(procedure_date=date(2026, 3, 2))
    labels = {visit.id: visit.label for visit in plan.follow_ups}
    assert "how much the treatment helped" in labels["follow-up-3-months"]
    assert "half" in labels["follow-up-3-months"]
    joined = " ".join(labels.values())
    for jargon in ("responder", "durability", ">=", "1 in 5"):
        assert jargon not in joined
    # The one-year review explains what may happen instead of a bare success rate.
    assert "repeated" in labels["follow-up-12-months"]


def test_markdown_has_sources_and_disclaimer() -> None:
    text = render_markdown(plan_aftercare(patient_name="Ann"))
    assert text.startswith("# Aftercare plan for Ann")
    assert "*Source:" in text
    assert DISCLAIMER in text
    assert "NOT verified" in text  # recalled warning signs are marked


@pytest.mark.parametrize("region", [None, *FacetRegion])
def test_text_has_no_markup_and_one_numbered_source_list(region: FacetRegion | None) -> None:
    plan = plan_aftercare(procedure_date=date(2026, 1, 5), sedation=True, region=region)
    text = render_text(plan)
    for escape in ("&gt;", "&lt;", "&amp;", "\\*", "\\_", "*Source", "<", ">"):
        assert escape not in text, escape
    assert "Source:" not in text
    body, sources = text.split("\nSources\n-------\n")
    listed = re.findall(r"^(\d+)\. ", sources, flags=re.MULTILINE)
    assert listed == [str(n) for n in range(1, len(listed) + 1)]
    used = {int(n) for n in re.findall(r"\[(\d+)\]$", body, flags=re.MULTILINE)}
    assert used == set(range(1, len(listed) + 1))
    # One entry per distinct reference and level: fewer sources than items.
    items = sum(len(s.items) for s in plan.sections) + len(plan.follow_ups)
    assert len(listed) < items
    assert DISCLAIMER in text


def test_text_shows_the_evidence_level_of_each_source() -> None:
    text = render_text(plan_aftercare(region=FacetRegion.CERVICAL))
    assert "[recalled, NOT verified in a source]" in text
    assert "[local protocol]" in text
    assert "[patient-information page only]" in text


def test_html_escapes_patient_fields() -> None:
    page = render_html(
        plan_aftercare(patient_name="<script>alert(1)</script> & Co", extra_notes=["<b>x</b>"])
    )
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert page.startswith("<!doctype html>")
    assert DISCLAIMER in page


def test_markdown_escapes_html_in_patient_fields() -> None:
    text = render_markdown(plan_aftercare(patient_name="<img src=x onerror=alert(1)>"))
    assert "<img" not in text


def test_text_keeps_patient_fields_verbatim() -> None:
    # Plain text is not markup: a name is printed as typed, not escaped.
    text = render_text(plan_aftercare(patient_name="O'Brien & Sons"))
    assert text.startswith("Aftercare plan for O'Brien & Sons")


def _hold(hold: HoldDecision, hours: int | None) -> DrugHold:
    return DrugHold(
        drug="examplin",
        drug_class="test",
        hold=hold,
        hold_days=None,
        last_dose_date=None,
        restart_after_hours=hours,
        note="",
        source="Narouze S et al. 2018, drug row",
        verified=True,
        evidence="secondary",
    )


@pytest.mark.parametrize(
    ("hold", "hours", "expected"),
    [
        ("yes", 24, "Restart examplin 24 hours after the procedure"),
        ("yes", None, "Ask the doctor who prescribes examplin when to restart it."),
        ("no", None, "Keep taking examplin as usual"),
        ("individualise", 12, "The usual time is 12 hours after the procedure."),
        ("needs_input", None, "restart it when the doctor who prescribes it says."),
    ],
)
def test_restart_item_from_the_hold(hold: HoldDecision, hours: int | None, expected: str) -> None:
    item = restart_item(_hold(hold, hours))
    assert expected in item.text
    assert item.evidence == "secondary"
    assert item.source == "Narouze S et al. 2018, drug row"


def test_holds_add_restart_items_under_medicines() -> None:
    plan = plan_aftercare(holds=[_hold("yes", 6)])
    medicines = next(s for s in plan.sections if s.title == "medicines")
    assert medicines.items[-1].text.startswith("Restart examplin 6 hours")
