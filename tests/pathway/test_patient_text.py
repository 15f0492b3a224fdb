"""Patient text: true, region-specific, plain (issue 14; clinical audit section 4)."""

from __future__ import annotations

import re

import pytest

from rhizo.pathway.aftercare import plan_aftercare
from rhizo.pathway.complications import complication_catalogue
from rhizo.pathway.education import (
    SPECIALIST_TOPICS,
    applies_to,
    choosing_a_specialist,
    faq,
    planned_region,
    procedure_steps,
)
from rhizo.pathway.facts import entries, entry
from rhizo.pathway.policies import FacetRegion
from rhizo.pathway.relief import RESPONDER_MONTHS, RESPONDER_THRESHOLD

REGIONS: list[FacetRegion | None] = [None, *FacetRegion]


def _answer(question_start: str, region: FacetRegion | None) -> str:
    found = [item.answer for item in faq(region) if item.question.startswith(question_start)]
    assert len(found) == 1, (question_start, region, found)
    return found[0]


def _steps(region: FacetRegion | None) -> str:
    return " ".join(step.text for step in procedure_steps(region))


# --- 1. "Is it safe?": per site and per procedure, lumbar data only ---------------------


def test_kornick_per_procedure_rate_is_about_five_percent() -> None:
    # Kornick 2004 abstract: 6 minor complications, 616 lesions, 116 procedures, 92 patients.
    minor = next(c for c in complication_catalogue() if c.id == "minor-overall")
    assert minor.counts is not None
    assert (minor.counts.events, minor.counts.lesions, minor.counts.procedures) == (6, 616, 116)
    assert minor.counts.per_site_percent == pytest.approx(0.974, abs=0.001)  # "1.0 %"
    assert minor.counts.per_procedure_percent == pytest.approx(5.172, abs=0.001)
    assert round(minor.counts.per_procedure_percent) == 5
    # About 5.3 lesion sites per procedure (the abstract: 5 +/- 3).
    assert minor.counts.lesions / minor.counts.procedures == pytest.approx(5.31, abs=0.01)
    assert "about 5 % per procedure" in minor.rate
    assert minor.data_region == "lumbar"


@pytest.mark.parametrize("region", [None, FacetRegion.LUMBAR, FacetRegion.THORACIC])
def test_safety_answer_gives_both_rates_and_says_low_back(region: FacetRegion | None) -> None:
    answer = _answer("Is it safe", region)
    minor = next(c for c in complication_catalogue() if c.id == "minor-overall")
    assert minor.counts is not None
    per_procedure = round(minor.counts.per_procedure_percent)
    per_site = round(minor.counts.per_site_percent)
    assert f"about {per_procedure} in 100 treatments" in answer
    assert f"about {per_site} in 100 of the {minor.counts.lesions} nerve sites" in answer
    assert f"{minor.counts.procedures} low back treatments" in answer


def test_neck_safety_answer_does_not_present_lumbar_figures_as_the_necks() -> None:
    answer = _answer("Is it safe", FacetRegion.CERVICAL)
    assert "616" not in answer
    assert "116" not in answer
    assert "in 100" not in answer
    assert "low back, not the neck" in answer
    assert "unsteadiness" in answer  # Govind 2003: slight ataxia after C2-3 RF
    assert entry("education", "faq-safe-neck")["source"].author.startswith("Govind")


# --- 2. Anti-inflammatories -------------------------------------------------------------


@pytest.mark.parametrize("region", REGIONS)
def test_nsaid_answer_says_usually_not_and_follow_the_clinic(region: FacetRegion | None) -> None:
    answer = _answer("Do I need to stop anti-inflammatory", region)
    assert answer.startswith("Usually not")
    assert "clinic's plan" in answer
    assert "high-risk" in answer


def test_nsaid_answers_rest_on_the_narouze_table_read_in_uptodate() -> None:
    for entry_id in ("faq-nsaids", "faq-nsaids-neck"):
        source = entry("education", entry_id)["source"]
        assert source.evidence == "secondary"
        assert "Narouze" in source.author
        assert "UpToDate" in source.author


def test_nsaid_answer_matches_the_drug_table_procedure_classes() -> None:
    # The answer's premise, read from the premed knowledge: back facet RF is low risk,
    # neck facet RF intermediate, and NSAIDs are held before high-risk procedures only.
    risk = {item["id"]: item["risk_category"] for item in entries("procedures")}
    assert risk["lumbar-facet-rf"] == "low"
    assert risk["thoracic-facet-rf"] == "low"
    assert risk["cervical-facet-rf"] == "intermediate"
    assert "low-risk" in _answer("Do I need to stop anti-inflammatory", FacetRegion.LUMBAR)
    assert "medium-risk" in _answer("Do I need to stop anti-inflammatory", FacetRegion.CERVICAL)


# --- 3. Region-specific steps -----------------------------------------------------------


def test_neck_steps_mention_the_arm_and_shoulder_not_the_leg() -> None:
    neck = _steps(FacetRegion.CERVICAL)
    assert "arm or shoulder twitches" in neck
    assert "neck" in neck
    assert not re.search(r"\blegs?\b", neck)


def test_low_back_steps_mention_the_leg_not_the_arm() -> None:
    back = _steps(FacetRegion.LUMBAR)
    assert "leg twitches" in back
    assert not re.search(r"\barms?\b", back)


@pytest.mark.parametrize("region", [None, FacetRegion.THORACIC])
def test_unknown_or_thoracic_region_gets_wording_for_any_limb(region: FacetRegion | None) -> None:
    assert "an arm or a leg twitches" in _steps(region)


@pytest.mark.parametrize("region", REGIONS)
def test_every_region_gets_each_step_once_in_order(region: FacetRegion | None) -> None:
    orders = [
        item["order"]
        for item in entries("education")
        if item["kind"] == "step" and applies_to(item, region)
    ]
    assert orders == sorted(set(orders)) == list(range(1, 9))


@pytest.mark.parametrize("region", REGIONS)
def test_every_region_gets_each_question_once(region: FacetRegion | None) -> None:
    questions = [item.question for item in faq(region)]
    assert len(questions) == len(set(questions))
    everyone = {i["question"] for i in entries("education") if i["kind"] == "faq"}
    region_only = {"When can I drive again after neck treatment?"}
    expected = everyone - (set() if region is FacetRegion.CERVICAL else region_only)
    assert set(questions) == expected


@pytest.mark.parametrize(
    ("procedure", "levels", "region"),
    [
        ("cervical-facet-rf", ["C2-C3"], FacetRegion.CERVICAL),
        ("lumbar-facet-rf", ["L4-L5", "L5-S1"], FacetRegion.LUMBAR),
        ("thoracic-facet-rf", ["T4-T5"], FacetRegion.THORACIC),
        ("Cervical-MBB", [], FacetRegion.CERVICAL),
        # No region word in the id: the levels decide; L5-S1 is named by its upper level.
        ("facet-rf", ["L5-S1"], FacetRegion.LUMBAR),
        ("facet-rf", ["c5-c6", "C6-C7"], FacetRegion.CERVICAL),
        ("facet-rf", ["C7-T1", "T1-T2"], None),  # spans two regions: not one wording
        ("facet-rf", [], None),
        ("sacroiliac-rf", ["S1"], None),
    ],
)
def test_planned_region(procedure: str, levels: list[str], region: FacetRegion | None) -> None:
    assert planned_region(procedure, levels) == region


# --- 4. Choosing a specialist -----------------------------------------------------------


def test_choosing_a_specialist_covers_the_seed_topics_with_sources() -> None:
    advice = {group.topic: group for group in choosing_a_specialist()}
    assert list(advice) == list(SPECIALIST_TOPICS)
    qualifications = " ".join(p.text for p in advice["qualifications"].points)
    for board in ("pain medicine", "anesthesiology", "PM&R", "neurology"):
        assert board in qualifications
    assert "X-ray" in " ".join(p.text for p in advice["experience"].points)
    assert len(advice["questions"].points) >= 4
    for group in advice.values():
        assert all(point.source for point in group.points)


def test_specialist_outcome_question_uses_rhizos_responder_definition() -> None:
    # "at least half ... 3 months": the same threshold and time as rhizo's responder.
    text = entry("education", "specialist-outcomes")["text"]
    assert RESPONDER_THRESHOLD.value == 50
    assert RESPONDER_THRESHOLD.inclusive
    assert "at least half" in text
    assert f"{RESPONDER_MONTHS} months" in text


def test_lay_only_specialist_points_are_labelled_patient_information() -> None:
    levels = {
        item["id"]: item["source"].evidence
        for item in entries("education")
        if item["kind"] == "specialist"
    }
    assert levels["specialist-interventional"] == "patient_information"
    assert levels["specialist-experience"] == "patient_information"
    assert levels["specialist-board"] == "primary"  # the certifying board's own page


def test_unknown_specialist_topic_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    good = entry("education", "specialist-board")
    bad = {**good, "id": "specialist-odd", "topic": "marketing"}
    monkeypatch.setattr("rhizo.pathway.education.entries", lambda name: (good, bad))
    with pytest.raises(ValueError, match=r"specialist-odd.*'marketing' is not one of"):
        choosing_a_specialist()


# --- 6. The other audit items -----------------------------------------------------------


def test_will_i_be_asleep_in_plain_words() -> None:
    answer = _answer("Will I be asleep", None)
    assert answer.startswith("Usually not")
    for jargon in ("sedation", "routine", "local anaesthetic"):
        assert jargon not in answer


def test_preparation_asks_about_pregnancy_and_a_medication_list() -> None:
    texts = {item["id"]: item for item in entries("preparation")}
    assert "pregnant" in texts["pregnancy"]["text"]
    assert "X-ray" in texts["pregnancy"]["text"]
    assert "list of all your medicines" in texts["medication-list"]["text"]
    assert texts["pregnancy"].get("applies_when") is None  # every patient is asked


def test_what_if_it_does_not_help_and_how_soon_a_repeat() -> None:
    assert "unlikely to help" in _answer("What if the test block", None)
    assert "3 weeks" in _answer("What if the RF treatment", None)
    soon = _answer("How soon can it be repeated", None)
    assert "do not set a waiting time" in soon
    assert "3 months" in soon
    # The repeat criterion is the cervical guideline's "> 30 % for at least 3 months".
    assert "more than about a third" in _answer("Can it be repeated", None)


def test_no_driving_is_labelled_local_protocol_everywhere() -> None:
    for name, entry_id in (
        ("aftercare", "no-driving"),
        ("preparation", "transport"),
        ("education", "faq-drive"),
    ):
        assert entry(name, entry_id)["source"].evidence == "local_protocol", (name, entry_id)


def test_esi_relief_is_in_plain_words() -> None:
    esi = next(t for t in entries("techniques") if t["id"] == "epidural-steroid")
    for jargon in ("radiculopathy", "clinically important difference", "MCID"):
        assert jargon not in esi["relief"]


# --- evidence relabelling ---------------------------------------------------------------

LAY_REFS = {"cleveland-rfn", "healthjade-rfa", "rhizotomy-patient-articles"}
MY_FILES = ("education", "aftercare", "preparation", "complications", "techniques")


@pytest.mark.parametrize("name", MY_FILES)
def test_lay_pages_are_never_labelled_clinical(name: str) -> None:
    for item in entries(name):
        ref = _ref_id(name, item["id"])
        if ref in LAY_REFS | {"clinic-aftercare"}:
            assert item["source"].evidence in {"patient_information", "local_protocol"}, item["id"]
        if ref == "rhizo-authors":
            assert item["source"].evidence == "recalled", item["id"]


def _ref_id(name: str, entry_id: str) -> str:
    from rhizo.pathway.facts import _read_yaml

    raw = next(e for e in _read_yaml(name)["entries"] if e["id"] == entry_id)
    return str(raw["source"]["ref"])


def test_narouze_and_carette_are_secondary_where_only_summaries_were_read() -> None:
    for name, entry_id in (
        ("education", "faq-blood-thinners"),
        ("preparation", "prescriber-decides"),
        ("aftercare", "blood-thinner-restart"),
        ("education", "faq-compare"),
        ("techniques", "facet-injection"),
    ):
        assert entry(name, entry_id)["source"].evidence == "secondary", (name, entry_id)


def test_aftercare_region_items_exist_for_every_region() -> None:
    for region in REGIONS:
        plan = plan_aftercare(region=region)
        signs = next(s for s in plan.sections if s.title == "call us")
        assert any("weakness" in item.text for item in signs.items), region
