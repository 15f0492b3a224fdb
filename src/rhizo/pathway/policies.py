"""Named candidacy policies (``asra-2020``, ``dual-block-80``, ``cervical-2022``).

Guidelines and payers disagree on the number of blocks, the relief cut-off and
the repeat criterion, so each is a named object built from
``knowledge/policies.yaml`` with a source on every threshold, never a hidden
constant.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from rhizo.pathway.facts import Source, entries


class FacetRegion(StrEnum):
    """Spinal region of the painful facet joints, as the candidacy policies cover them.

    No sacral member: the facet policies stop at L5-S1 (lumbar); the clinic's
    :class:`rhizo.clinic.core.common.Region` (a procedure's or diagnosis's
    region, sacral included) maps onto it by value.
    """

    CERVICAL = "cervical"
    THORACIC = "thoracic"
    LUMBAR = "lumbar"


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    source: Source


class Threshold(BaseModel):
    """A percentage cut-off and whether it is met at equality (>=) or only above it (>)."""

    model_config = ConfigDict(frozen=True)

    value: float
    inclusive: bool


WEEKS_PER_MONTH = 52 / 12


class DurationRule(_Rule):
    """A minimum duration, in months or in weeks, as the source states it."""

    min_months: float | None = None
    min_weeks_stated: float | None = None

    @property
    def min_weeks(self) -> float:
        """The minimum in weeks (months * 52 / 12 when the source speaks in months)."""
        if self.min_weeks_stated is not None:
            return self.min_weeks_stated
        return (self.min_months or 0.0) * WEEKS_PER_MONTH

    def describe(self) -> str:
        """The minimum as the source states it, with weeks when it speaks in months."""
        if self.min_weeks_stated is not None:
            return f"{self.min_weeks_stated:g} weeks"
        return f"{self.min_months:g} months ({self.min_weeks:.1f} weeks)"


class ConservativeCareRule(DurationRule):
    """Minimum trial of conservative care; some guidelines allow shorter trials."""

    exceptions_allowed: bool


class BlockRule(_Rule):
    """How many diagnostic medial branch blocks, each with how much relief."""

    count: int
    min_relief_percent: float
    inclusive: bool


class RepeatRule(_Rule):
    """When a repeat RF is supported: the previous one's relief and its duration."""

    min_relief_percent: float
    inclusive: bool
    min_duration_months: float
    repeat_block_needed: bool


class SessionLimit(_Rule):
    """At most ``count`` RF sessions per region in a rolling 12 months."""

    count: int


class Policy(BaseModel):
    """One selectable candidacy policy."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    regions: tuple[FacetRegion, ...]
    source: Source
    pain_duration: DurationRule | None
    conservative_care: ConservativeCareRule
    diagnostic_blocks: BlockRule
    repeat: RepeatRule
    max_sessions_per_12_months: SessionLimit | None

    @property
    def verified(self) -> bool:
        """True only when every threshold of the policy was read in its source."""
        rules: list[Any] = [
            self.pain_duration,
            self.conservative_care,
            self.diagnostic_blocks,
            self.repeat,
            self.max_sessions_per_12_months,
        ]
        return all(rule.source.verified for rule in rules if rule is not None)


def _load() -> dict[str, Policy]:
    from rhizo.pathway.facts import resolve_source

    policies: dict[str, Policy] = {}
    for raw in entries("policies"):
        data = dict(raw)
        for key in (
            "pain_duration",
            "conservative_care",
            "diagnostic_blocks",
            "repeat",
            "max_sessions_per_12_months",
        ):
            if data.get(key) is not None:
                data[key] = {**data[key], "source": resolve_source(data[key]["source"])}
        policies[data["id"]] = Policy.model_validate(data)
    return policies


POLICIES: dict[str, Policy] = _load()


def get_policy(name: str) -> Policy:
    """The policy called ``name``; ``KeyError`` lists the ones that exist."""
    try:
        return POLICIES[name]
    except KeyError:
        raise KeyError(f"unknown policy {name!r}; choose one of: {', '.join(POLICIES)}") from None
