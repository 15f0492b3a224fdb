"""Technique comparison: RF ablation in its forms, surgical rhizotomy, blocks and injections."""

from __future__ import annotations

from pydantic import BaseModel

from rhizo.pathway.cited import Cited
from rhizo.pathway.facts import Evidence, entries


class TechniqueProfile(BaseModel):
    """One technique described on the same axes as the others."""

    id: str
    name: str
    mechanism: str
    invasiveness: str
    anaesthesia_setting: str
    relief: str
    repeatability: str
    main_risks: str
    source: str
    verified: bool
    evidence: Evidence


class Comparison(BaseModel):
    """All techniques plus the rhizotomy-versus-RF-ablation differences."""

    techniques: list[TechniqueProfile]
    rhizotomy_vs_rfa: list[Cited]


def compare_techniques() -> Comparison:
    """The comparison table from ``knowledge/techniques.yaml``."""
    techniques = []
    differences = []
    for item in entries("techniques"):
        if item["kind"] == "difference":
            cited = Cited.from_entry(item)
            differences.append(cited.model_copy(update={"text": f"{item['name']}: {cited.text}"}))
            continue
        fields = {
            key: item[key]
            for key in TechniqueProfile.model_fields
            if key in item and key not in ("source", "verified", "evidence")
        }
        techniques.append(
            TechniqueProfile(
                **fields,
                source=item["source"].cite(),
                verified=item["source"].verified,
                evidence=item["source"].evidence,
            )
        )
    return Comparison(techniques=techniques, rhizotomy_vs_rfa=differences)
