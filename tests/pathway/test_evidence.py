"""Evidence levels: their words in citations, the loader's refusals, the counts per file.

The expected words are the issue's definitions (issue 14, "Evidence levels that
say what was read"), written out here rather than read from EVIDENCE_LABELS, so
a changed label fails. The counts are checked against a second count made from
the domain objects themselves (one fact per entry; a policy's non-null thresholds).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from rhizo.pathway import evidence
from rhizo.pathway.cited import Cited
from rhizo.pathway.facts import (
    EVIDENCE_LABELS,
    Source,
    entries,
    knowledge_files,
    resolve_source,
)
from rhizo.pathway.policies import POLICIES

WORDS = {
    "primary": "primary text read",
    "secondary": "secondary source",
    "patient_information": "patient-information page only",
    "local_protocol": "local protocol",
    "recalled": "recalled, NOT verified in a source",
}


def _source(level: str) -> Source:
    return Source(author="Doe J", year=2020, title="A title", section="Table 1", evidence=level)


@pytest.mark.parametrize("level", sorted(WORDS))
def test_each_level_renders_its_words_in_cite(level: str) -> None:
    cited = _source(level).cite()
    assert cited == f"Doe J 2020, A title, Table 1 [{WORDS[level]}]"


def test_the_levels_are_the_five_of_the_issue_in_order() -> None:
    assert tuple(EVIDENCE_LABELS) == evidence.LEVELS == tuple(WORDS)
    assert EVIDENCE_LABELS == WORDS


@pytest.mark.parametrize(
    ("level", "verified"),
    [
        ("primary", True),
        ("secondary", True),
        ("patient_information", False),
        ("local_protocol", False),
        ("recalled", False),
    ],
)
def test_cited_carries_the_level_and_derives_verified(level: str, verified: bool) -> None:
    item = {"text": "A fact.", "source": _source(level)}
    shown = Cited.from_entry(item).model_dump(mode="json")
    assert shown["evidence"] == level
    assert shown["evidence_label"] == WORDS[level]
    assert shown["verified"] is verified


def test_the_loader_refuses_a_verified_key() -> None:
    raw = {"ref": "cohen-2020", "section": "Table 11", "evidence": "primary", "verified": True}
    with pytest.raises(ValidationError, match="verified"):
        resolve_source(raw)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ({"ref": "cohen-2020", "section": "Table 11", "evidence": "verified"}, ValidationError),
        ({"ref": "cohen-2020", "section": "Table 11"}, ValidationError),
        ({"ref": "no-such-paper", "section": "Table 11", "evidence": "primary"}, KeyError),
    ],
)
def test_the_loader_refuses_bad_sources(raw: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        resolve_source(raw)


def test_a_good_source_resolves_to_its_reference() -> None:
    source = resolve_source({"ref": "koh-2017", "section": "Abstract", "evidence": "primary"})
    assert source.title.startswith("Relationship between paravertebral muscle twitching")
    assert source.year == 2017


def test_counting_refuses_a_verified_key_naming_where() -> None:
    node = {
        "id": "x",
        "source": {"ref": "cohen-2020", "section": "s", "evidence": "primary", "verified": True},
    }
    with pytest.raises(ValueError, match=r"file\.yaml:x\.source"):
        evidence._cited_levels(node, "file.yaml:x")


def test_a_nested_entry_counts_its_thresholds_not_itself() -> None:
    # A policy-shaped entry: its own source plus two thresholds with sources and one null.
    def src(level: str) -> dict[str, str]:
        return {"ref": "cohen-2020", "section": "s", "evidence": level}

    policy = {
        "id": "p",
        "source": src("primary"),
        "pain_duration": {"min_months": 3, "source": src("recalled")},
        "repeat": {"min_relief_percent": 30, "source": src("secondary")},
        "max_sessions_per_12_months": None,
    }
    assert sorted(evidence._cited_levels(policy, "p")) == ["recalled", "secondary"]
    flat = {"id": "f", "text": "t", "source": src("local_protocol")}
    assert evidence._cited_levels([flat, flat], "f") == ["local_protocol", "local_protocol"]


def _second_count(name: str) -> int:
    """Facts in one file counted from the loaded domain objects, not from the YAML walk."""
    if name == "policies":
        rules = (
            "pain_duration",
            "conservative_care",
            "diagnostic_blocks",
            "repeat",
            "max_sessions_per_12_months",
        )
        return sum(getattr(p, rule) is not None for p in POLICIES.values() for rule in rules)
    return sum(1 for item in entries(name) if "source" in item)


def test_counts_sum_to_the_number_of_entries() -> None:
    rows = evidence.counts()
    assert [row.file for row in rows] == [n for n in knowledge_files() if n != "references"]
    for row in rows:
        assert row.total == _second_count(row.file), row.file
        assert row.total == sum(row.by_level[level] for level in WORDS)
        assert row.verified == row.by_level["primary"] + row.by_level["secondary"]
    total = evidence.totals(rows)
    assert total.total == sum(_second_count(row.file) for row in rows)


def test_json_and_table_say_the_same_numbers() -> None:
    rows = evidence.counts()
    data = evidence.counts_json(rows)
    table = evidence.markdown_table(rows).splitlines()
    assert len(table) == 2 + len(rows) + 1  # header, rule, one per file, total
    for line, item in zip(table[2:-1], data["files"], strict=True):
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert cells[0] == f"{item['file']}.yaml"
        assert [int(c) for c in cells[1:]] == [
            item["facts"],
            *item["by_level"].values(),
            item["verified"],
        ]
    assert data["total"]["facts"] == sum(item["facts"] for item in data["files"])
