"""Complications, technique comparison, education and nerve targets."""

from __future__ import annotations

import pytest

from rhizo.pathway.complications import complication_catalogue
from rhizo.pathway.education import faq, glossary, procedure_steps
from rhizo.pathway.protocol import nerves_for_joint
from rhizo.pathway.techniques import compare_techniques


def test_complication_catalogue_covers_the_issue_list() -> None:
    names = " ".join(c.name.lower() for c in complication_catalogue())
    for word in (
        "infection",
        "bleeding",
        "nerve damage",
        "allerg",
        "neuritis",
        "numb",
        "weakness",
    ):
        assert word in names


def test_kornick_rates() -> None:
    # Kornick 2004 Results: 1.0 % minor complications per lesion site; 0 infections.
    by_id = {c.id: c for c in complication_catalogue()}
    assert by_id["minor-overall"].rate.startswith("1.0 %")
    assert by_id["infection"].rate.startswith("0 cases")
    assert by_id["neuritis"].rate.startswith("0.5 %")
    assert by_id["minor-overall"].data_region == "lumbar"
    assert by_id["cervical-effects"].data_region == "cervical"


def test_techniques_cover_the_issue_list() -> None:
    comparison = compare_techniques()
    ids = {t.id for t in comparison.techniques}
    assert {
        "conventional-rf",
        "cooled-rf",
        "surgical-rhizotomy",
        "medial-branch-block",
        "facet-injection",
        "epidural-steroid",
    } <= ids
    assert len(comparison.rhizotomy_vs_rfa) >= 4
    cooled = next(t for t in comparison.techniques if t.id == "cooled-rf")
    assert not cooled.verified  # recalled, shown as such


def test_education_content() -> None:
    steps = procedure_steps()
    assert len(steps) == 8  # one wording of each step, whatever the region
    assert [s.text for s in steps].count(steps[2].text) == 1
    assert "numbed" in steps[2].text
    questions = [item.question for item in faq()]
    assert len(questions) >= 10
    assert any("How long" in q for q in questions)
    terms = [t.term for t in glossary()]
    assert terms == sorted(terms, key=str.lower)
    assert "medial branch" in terms


@pytest.mark.parametrize(
    ("joint", "nerves"),
    [
        ("L4-L5", ["L3 medial branch", "L4 medial branch"]),
        ("l3-4", ["L2 medial branch", "L3 medial branch"]),
        ("L5-S1", ["L4 medial branch", "L5 dorsal ramus"]),
        ("C2-C3", ["third occipital nerve"]),
        ("C5-C6", ["C5 medial branch", "C6 medial branch"]),
    ],
)
def test_nerves_for_joint(joint: str, nerves: list[str]) -> None:
    targets = nerves_for_joint(joint)
    assert targets.nerves == nerves
    assert all(b.source for b in targets.basis)


@pytest.mark.parametrize("joint", ["L4-L6", "C7-T1", "knee", "L5-L6"])
def test_unknown_joints(joint: str) -> None:
    with pytest.raises(ValueError, match="joint"):
        nerves_for_joint(joint)
