"""docs/pathway.md's AFTER table of evidence counts is what rhizo computes today.

The table sits between two HTML comments; when a knowledge file is relabelled
this test fails and prints the fresh table (``rhizo knowledge counts``) to paste.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rhizo.pathway.evidence import DOC_BEGIN as BEGIN
from rhizo.pathway.evidence import DOC_END as END
from rhizo.pathway.evidence import markdown_table, with_fresh_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "pathway.md"


def _documented_table() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text, f"{DOC} lacks the AFTER table's begin marker"
    assert END in text, f"{DOC} lacks the AFTER table's end marker"
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def test_after_table_in_docs_is_the_computed_one() -> None:
    fresh = markdown_table()
    assert _documented_table() == fresh, (
        "docs/pathway.md's AFTER table is stale; run python scripts/evidence_counts.py, or"
        " paste:\n" + fresh
    )


def test_fresh_table_replaces_only_the_marked_block() -> None:
    document = f"intro\n{BEGIN}\nold table\n{END}\noutro\n"
    assert with_fresh_table(document, "NEW") == f"intro\n{BEGIN}\nNEW\n{END}\noutro\n"
    with pytest.raises(ValueError, match="markers"):
        with_fresh_table("no markers here", "NEW")


def test_unchecked_references_are_listed_in_docs() -> None:
    from rhizo.pathway.facts import references

    text = DOC.read_text(encoding="utf-8")
    section = text.split("References whose title, venue and year were **not** checked", 1)[1]
    section = section.split("\n\n", 1)[0]
    unchecked = {r.id for r in references().values() if r.url is None} - {"rhizo-authors"}
    listed = {part.strip(" `.,\n") for part in section.split(":", 1)[1].split("`")[1::2]}
    assert listed == unchecked
