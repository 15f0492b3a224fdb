"""A text with its citation: the shape every displayed fact takes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Cited(BaseModel):
    """One displayed statement, its source, and whether that source was read."""

    text: str
    source: str
    verified: bool

    @classmethod
    def from_entry(cls, item: dict[str, Any], text_key: str = "text") -> Cited:
        """Build from a knowledge entry whose ``source`` is already resolved."""
        return cls(
            text=str(item[text_key]),
            source=item["source"].cite(),
            verified=bool(item["source"].verified),
        )
