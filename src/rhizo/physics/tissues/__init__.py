"""Published lesion sizes the engine can represent, copied with their sources.

``published_lesions.csv`` holds one row per comparison: the publication and its
evidence level, the engine tissue and setting that stand in for it (and why), the
quantity compared and the published range. It is a copy of the rows of the
project's research notes (lesion_sizes.csv) that the engine can simulate, with the
stand-in choices written next to them; nothing reads the research notes themselves.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

PUBLISHED_LESIONS_CSV = Path(__file__).with_name("published_lesions.csv")


@dataclass(frozen=True)
class PublishedLesion:
    """One published lesion measurement and the engine setting that stands in for it."""

    id: str
    source: str
    evidence: str
    engine_tissue: str
    damage: str
    gauge: str
    tip_mm: str
    set_temp_c: str
    duration_s: str
    quantity: str
    published_low: float | None
    published_high: float | None
    published_text: str
    stand_in: str


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


_TEXT_FIELDS = (
    "id",
    "source",
    "evidence",
    "engine_tissue",
    "damage",
    "gauge",
    "tip_mm",
    "set_temp_c",
    "duration_s",
    "quantity",
    "published_text",
    "stand_in",
)


def _row(row: dict[str, str]) -> PublishedLesion:
    text = {name: row[name] for name in _TEXT_FIELDS}
    return PublishedLesion(
        **text,
        published_low=_number(row["published_low"]),
        published_high=_number(row["published_high"]),
    )


def published_lesions() -> list[PublishedLesion]:
    """Every row of ``published_lesions.csv``, in file order."""
    with PUBLISHED_LESIONS_CSV.open(newline="", encoding="utf-8") as handle:
        return [_row(row) for row in csv.DictReader(handle)]
