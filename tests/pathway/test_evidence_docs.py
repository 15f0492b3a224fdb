"""docs/pathway.md's AFTER table of evidence counts is what rhizo computes today.

The table sits between two HTML comments; when a knowledge file is relabelled
this test fails and prints the fresh table (``rhizo knowledge counts``) to paste.
"""

from __future__ import annotations

from pathlib import Path

from rhizo.pathway.evidence import markdown_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "pathway.md"
BEGIN = "<!-- evidence-counts:after:begin (rhizo knowledge counts) -->"
END = "<!-- evidence-counts:after:end -->"


def _documented_table() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text, f"{DOC} lacks the AFTER table's begin marker"
    assert END in text, f"{DOC} lacks the AFTER table's end marker"
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def test_after_table_in_docs_is_the_computed_one() -> None:
    fresh = markdown_table()
    assert _documented_table() == fresh, (
        "docs/pathway.md's AFTER table is stale; replace it with:\n" + fresh
    )
