"""Patient education in rhizo's own plain words: steps, questions and answers, glossary,
and how to choose a specialist.

Texts can differ by the region treated (``knowledge/education.yaml``, key
``regions``): a neck patient reads about the arm and shoulder, a low-back
patient about the leg. ``region=None`` means the region is not known yet; it
gets wording that fits any region.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel

from rhizo.pathway.cited import Cited
from rhizo.pathway.facts import Evidence, entries
from rhizo.pathway.policies import FacetRegion

#: The ``regions`` value for a patient whose treated region is not known.
UNSPECIFIED = "unspecified"

#: The specialist topics in the order a page shows them, with their headings.
SPECIALIST_TOPICS: dict[str, str] = {
    "qualifications": "Qualifications",
    "experience": "Experience",
    "outcomes": "Asking about results",
    "questions": "Questions to ask",
}


class FaqItem(BaseModel):
    """A question patients ask and a sourced answer."""

    question: str
    answer: str
    source: str
    verified: bool
    evidence: Evidence


class GlossaryTerm(BaseModel):
    """A term and its plain-words definition."""

    term: str
    definition: str
    source: str
    verified: bool
    evidence: Evidence


class SpecialistAdvice(BaseModel):
    """One topic of "choosing a specialist" with its sourced points."""

    topic: str
    heading: str
    points: list[Cited]


def applies_to(item: dict[str, Any], region: FacetRegion | None) -> bool:
    """Whether a knowledge entry is for a patient treated in ``region`` (None: not known).

    An entry without ``regions`` is for everyone; otherwise the region's value
    (or ``unspecified`` when the region is not known) must be listed.
    """
    regions: Sequence[str] | None = item.get("regions")
    if regions is None:
        return True
    wanted = UNSPECIFIED if region is None else FacetRegion(region).value
    return wanted in regions


def _kind(kind: str, region: FacetRegion | None) -> Iterable[dict[str, Any]]:
    return (i for i in entries("education") if i["kind"] == kind and applies_to(i, region))


def procedure_steps(region: FacetRegion | None = None) -> list[Cited]:
    """The procedure step by step, in order, worded for the region treated."""
    steps = sorted(_kind("step", region), key=lambda i: i["order"])
    return [Cited.from_entry(step) for step in steps]


def faq(region: FacetRegion | None = None) -> list[FaqItem]:
    """Questions and answers for a patient treated in ``region``."""
    return [
        FaqItem(
            question=item["question"],
            answer=item["answer"],
            source=item["source"].cite(),
            verified=item["source"].verified,
            evidence=item["source"].evidence,
        )
        for item in _kind("faq", region)
    ]


def glossary() -> list[GlossaryTerm]:
    """Terms, alphabetically."""
    terms = [
        GlossaryTerm(
            term=item["term"],
            definition=item["definition"],
            source=item["source"].cite(),
            verified=item["source"].verified,
            evidence=item["source"].evidence,
        )
        for item in entries("education")
        if item["kind"] == "term"
    ]
    return sorted(terms, key=lambda t: t.term.lower())


def choosing_a_specialist() -> list[SpecialistAdvice]:
    """Qualifications, experience, asking about results, questions to ask: sourced points."""
    grouped: dict[str, list[Cited]] = {topic: [] for topic in SPECIALIST_TOPICS}
    for item in entries("education"):
        if item["kind"] != "specialist":
            continue
        if item["topic"] not in grouped:
            raise ValueError(
                f"education.yaml entry {item['id']!r}: topic {item['topic']!r} is not one of "
                f"{', '.join(SPECIALIST_TOPICS)}"
            )
        grouped[item["topic"]].append(Cited.from_entry(item))
    return [
        SpecialistAdvice(topic=topic, heading=SPECIALIST_TOPICS[topic], points=points)
        for topic, points in grouped.items()
        if points
    ]


_LEVEL_REGIONS = {"C": FacetRegion.CERVICAL, "T": FacetRegion.THORACIC, "L": FacetRegion.LUMBAR}


def planned_region(procedure: str, levels: Sequence[str] = ()) -> FacetRegion | None:
    """The region a planned procedure treats, for choosing the patient's texts.

    From the procedure id's first word (``cervical-facet-rf`` is cervical), else
    from the joint levels' letters (``C2-C3`` cervical, ``L5-S1`` lumbar: a
    joint is named by its upper level). None when neither tells, or the levels
    span more than one region.
    """
    head = procedure.strip().lower().split("-", 1)[0]
    if head in {region.value for region in FacetRegion}:
        return FacetRegion(head)
    found = {
        _LEVEL_REGIONS[level.strip()[:1].upper()]
        for level in levels
        if level.strip()[:1].upper() in _LEVEL_REGIONS
    }
    return found.pop() if len(found) == 1 else None
