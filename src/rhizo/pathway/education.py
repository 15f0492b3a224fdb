"""Patient education in rhizo's own plain words: steps, questions and answers, glossary."""

from __future__ import annotations

from pydantic import BaseModel

from rhizo.pathway.cited import Cited
from rhizo.pathway.facts import Evidence, entries


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


def procedure_steps() -> list[Cited]:
    """The procedure step by step, in order."""
    steps = sorted(
        (i for i in entries("education") if i["kind"] == "step"), key=lambda i: i["order"]
    )
    return [Cited.from_entry(step) for step in steps]


def faq() -> list[FaqItem]:
    """Questions and answers."""
    return [
        FaqItem(
            question=item["question"],
            answer=item["answer"],
            source=item["source"].cite(),
            verified=item["source"].verified,
            evidence=item["source"].evidence,
        )
        for item in entries("education")
        if item["kind"] == "faq"
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
