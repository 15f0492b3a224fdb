"""De-identified cases for researchers (HIPAA Safe-Harbor style).

No names, MRNs, contact details, postcodes or dates: patients are keyed by a
pseudonym (an HMAC of the id under RHIZO_PSEUDONYM_KEY), ages are birth years
(90 and over pooled), and every event is a day offset from the first
procedure (or from the first recorded event when there was none).
"""

from __future__ import annotations

from pydantic import BaseModel


class DeidEvent(BaseModel):
    """One event, placed by its day offset."""

    day: int
    kind: str
    values: dict[str, object]


class DeidCase(BaseModel):
    """One patient, de-identified."""

    research_id: str
    birth_year: int | None
    age_90_or_over: bool
    sex: str
    synthetic: bool
    conditions: list[str]
    events: list[DeidEvent]
