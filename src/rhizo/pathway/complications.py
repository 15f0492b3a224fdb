"""The complication catalogue: published rates (or "no rate found") and what to do.

Where a series gives its counts (``events``, ``lesions``, ``procedures`` in
``knowledge/complications.yaml``), the rates are computed from them here, once:

    per-site rate      = events / lesions * 100     [% of treated nerve sites]
    per-procedure rate = events / procedures * 100  [% of procedures]

Kornick 2004: 6 / 616 = 0.97 % per site ("1.0 %"), 6 / 116 = 5.2 % per procedure
(about 5 lesion sites per procedure), lumbar only. A patient reading "1 in 100"
as their own risk per treatment would underestimate it about fivefold.
"""

from __future__ import annotations

from pydantic import BaseModel

from rhizo.pathway.facts import Evidence, entries


class SeriesCounts(BaseModel):
    """The counts a published complication rate was computed from."""

    events: int
    lesions: int
    procedures: int
    patients: int

    @property
    def per_site_percent(self) -> float:
        """Events per treated nerve (lesion) site, in percent."""
        return 100.0 * self.events / self.lesions

    @property
    def per_procedure_percent(self) -> float:
        """Events per procedure (each procedure treats several sites), in percent."""
        return 100.0 * self.events / self.procedures


class ComplicationRisk(BaseModel):
    """One complication with its rate as published and the action to take."""

    id: str
    name: str
    rate: str
    action: str
    #: The spinal region the published rate comes from (None: no rate, or not stated).
    data_region: str | None
    counts: SeriesCounts | None
    source: str
    verified: bool
    evidence: Evidence


def complication_catalogue() -> list[ComplicationRisk]:
    """All complications in ``knowledge/complications.yaml``."""
    catalogue = []
    for item in entries("complications"):
        counts = (
            SeriesCounts(
                events=item["events"],
                lesions=item["lesions"],
                procedures=item["procedures"],
                patients=item["patients"],
            )
            if "events" in item
            else None
        )
        catalogue.append(
            ComplicationRisk(
                id=item["id"],
                name=item["name"],
                rate=item["rate"],
                action=item["action"],
                data_region=item.get("data_region"),
                counts=counts,
                source=item["source"].cite(),
                verified=item["source"].verified,
                evidence=item["source"].evidence,
            )
        )
    return catalogue
