"""The complication catalogue: published rates (or "no rate found") and what to do."""

from __future__ import annotations

from pydantic import BaseModel

from rhizo.pathway.facts import Evidence, entries


class ComplicationRisk(BaseModel):
    """One complication with its rate as published and the action to take."""

    id: str
    name: str
    rate: str
    action: str
    source: str
    verified: bool
    evidence: Evidence


def complication_catalogue() -> list[ComplicationRisk]:
    """All complications in ``knowledge/complications.yaml``."""
    return [
        ComplicationRisk(
            id=item["id"],
            name=item["name"],
            rate=item["rate"],
            action=item["action"],
            source=item["source"].cite(),
            verified=item["source"].verified,
            evidence=item["source"].evidence,
        )
        for item in entries("complications")
    ]
