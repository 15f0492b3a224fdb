"""A text with its citation: the shape every displayed fact takes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, computed_field

from rhizo.pathway.facts import EVIDENCE_LABELS, VERIFIED_LEVELS, Evidence


class Cited(BaseModel):
    """One displayed statement, its source, and what was read of that source.

    ``evidence`` is the level (:data:`rhizo.pathway.facts.Evidence`);
    ``evidence_label`` its words, as pages and the CLI show them; ``verified`` is
    derived from the level (primary or secondary), never set on its own.
    """

    text: str
    source: str
    evidence: Evidence

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verified(self) -> bool:
        """Whether the source was confirmed in a clinical text (primary or secondary)."""
        return self.evidence in VERIFIED_LEVELS

    @computed_field  # type: ignore[prop-decorator]
    @property
    def evidence_label(self) -> str:
        """The evidence level in words."""
        return EVIDENCE_LABELS[self.evidence]

    @classmethod
    def from_entry(cls, item: dict[str, Any], text_key: str = "text") -> Cited:
        """Build from a knowledge entry whose ``source`` is already resolved."""
        return cls(
            text=str(item[text_key]),
            source=item["source"].cite(),
            evidence=item["source"].evidence,
        )
