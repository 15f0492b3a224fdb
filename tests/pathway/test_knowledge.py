"""Every fact in the knowledge base carries a complete source and a verified flag."""

from __future__ import annotations

import pytest

from rhizo.pathway.facts import EVIDENCE_LABELS, _read_yaml, entries, knowledge_files, references

FACT_FILES = [name for name in knowledge_files() if name != "references"]


def test_knowledge_files_exist() -> None:
    assert {"gates", "policies", "screening", "conditions"} <= set(FACT_FILES)


@pytest.mark.parametrize("name", FACT_FILES)
def test_every_entry_has_a_complete_source(name: str) -> None:
    raw_entries = _read_yaml(name)["entries"]
    assert raw_entries, f"{name}.yaml is empty"
    for raw in raw_entries:
        assert raw.get("id"), f"{name}.yaml has an entry without id"
        source = raw.get("source")
        assert isinstance(source, dict), f"{name}:{raw['id']} lacks a source"
        assert source.get("ref") in references(), f"{name}:{raw['id']} cites an unknown reference"
        assert str(source.get("section", "")).strip(), f"{name}:{raw['id']} lacks a section"
        assert source.get("evidence") in EVIDENCE_LABELS, f"{name}:{raw['id']} level"
        # One label says what was read: no separate flag can contradict it.
        assert "verified" not in source, f"{name}:{raw['id']} carries a second label"
    # Resolving must work too (author, year, title filled in).
    for item in entries(name):
        assert item["source"].author
        assert item["source"].title
        assert item["source"].year > 1900


def test_every_policy_threshold_has_its_own_source() -> None:
    # Policies carry one source per threshold: every nested rule mapping must cite one.
    name = "policies"

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            if where.count(".") >= 2 and "source" not in node and "ref" not in node:
                raise AssertionError(f"{where} has no source")
            for key, value in node.items():
                if key != "source" and isinstance(value, dict):
                    walk(value, f"{where}.{key}")

    for raw in _read_yaml(name)["entries"]:
        walk(raw, f"{name}.{raw['id']}")


def test_references_are_complete() -> None:
    for reference in references().values():
        assert reference.author
        assert reference.title
        assert reference.venue
        assert 1900 < reference.year < 2100


def test_unverified_sources_say_so_when_cited() -> None:
    unverified = [
        item["source"]
        for name in FACT_FILES
        for item in entries(name)
        if not item["source"].verified
    ]
    assert unverified  # the knowledge base honestly contains recalled items
    for source in unverified:
        assert source.cite().endswith(f" [{source.evidence_label}]")
        if source.evidence == "recalled":
            assert "NOT verified" in source.cite()
