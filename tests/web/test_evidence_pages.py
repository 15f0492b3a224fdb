"""Pages show each cited fact's evidence level in words, never a bare "unverified" tag."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from markupsafe import escape

from rhizo.clinic.web.pages import TEMPLATES
from rhizo.pathway.cited import Cited
from rhizo.pathway.education import faq
from rhizo.pathway.facts import EVIDENCE_LABELS, Source, entries, knowledge_files

AsRole = Callable[[str], Any]
MACRO = '{% from "_evidence.html" import cited %}{{ cited(item.source, item.evidence) }}'


def _lay_only_fact() -> Cited:
    """A real fact resting only on a patient page, else a constructed one of that level."""
    for name in knowledge_files():
        if name == "references":
            continue
        for item in entries(name):
            source = item.get("source")
            if isinstance(source, Source) and source.evidence == "patient_information":
                return Cited(text=str(item["id"]), source=source.cite(), evidence=source.evidence)
    source = Source(
        author="Cleveland Clinic",
        year=2023,
        title="Radiofrequency neurotomy (patient information)",
        section="what to expect",
        evidence="patient_information",
    )
    return Cited(text="A lay fact.", source=source.cite(), evidence=source.evidence)


def test_a_lay_only_fact_shows_patient_information_page_only() -> None:
    item = _lay_only_fact()
    html = TEMPLATES.env.from_string(MACRO).render(item=item)
    assert html.startswith('<span class="evidence evidence-patient_information"><cite>')
    assert html.count("patient-information page only") == 1
    assert "[patient-information page only]</cite></span>" in html
    assert "unverified" not in html


@pytest.mark.parametrize("level", sorted(EVIDENCE_LABELS))
def test_every_level_is_shown_once_in_its_words(level: str) -> None:
    source = Source(author="Doe J", year=2020, title="T", section="S", evidence=level)
    item = Cited(text="x", source=source.cite(), evidence=source.evidence)
    html = TEMPLATES.env.from_string(MACRO).render(item=item)
    words = str(escape(EVIDENCE_LABELS[level]))
    span = f'<span class="evidence evidence-{level}">'
    assert html == f"{span}<cite>Doe J 2020, T, S [{words}]</cite></span>"
    assert html.count(words) == 1


def test_a_row_without_a_level_says_so() -> None:
    html = TEMPLATES.env.from_string(MACRO).render(item={"source": "Old row 2019, T, S"})
    assert "evidence level not recorded" in html


def test_the_portal_faq_shows_each_answers_level(as_role: AsRole) -> None:
    page = as_role("patient").get("/portal")
    assert page.status_code == 200
    for item in faq():
        shown = (
            f'<span class="evidence evidence-{item.evidence}"><cite>{escape(item.source)}</cite>'
        )
        assert shown in page.text, item.question
        assert str(escape(EVIDENCE_LABELS[item.evidence])) in page.text
    assert ">unverified<" not in page.text
    lay = [item for item in faq() if item.evidence == "patient_information"]
    assert lay, "education.yaml has FAQ answers resting on patient pages only"
    assert "[patient-information page only]</cite>" in page.text


def test_the_patient_page_has_no_bare_unverified_tag(as_role: AsRole) -> None:
    page = as_role("clinician").get("/patients/1")
    assert page.status_code == 200
    assert '<span class="tag">unverified</span>' not in page.text
