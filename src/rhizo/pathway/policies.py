"""Named candidacy policies (``asra-2020``, ``dual-block-80``, ``cervical-2022``).

Guidelines and payers disagree on the number of blocks, the relief cut-off and
the repeat criterion, so each is a named object built from
``knowledge/policies.yaml`` with a source on every threshold, never a hidden
constant. Which policy a region gets when none is named is
``knowledge/regions.yaml`` (:func:`policy_for_region`): lumbar -> ``asra-2020``
(Cohen 2020), cervical -> ``cervical-2022`` (Hurley 2022), thoracic -> none (no
guideline covers it; the clinician decides).
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
    """A minimum duration, in months or in weeks, as the source states it.

    ``override_allowed``: the source itself lets a clinician go below it "in
    certain circumstances"; ``override_basis`` quotes the sentence that does.
    ``note``: what else the source says about it (a contradiction, a preference).
    """

    min_months: float | None = None
    min_weeks_stated: float | None = None
    override_allowed: bool = False
    override_basis: str | None = None
    note: str | None = None

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


class BlockRule(_Rule):
    """How many diagnostic medial branch blocks, each with how much relief.

    ``override_allowed``: the source considers lower cut-offs in certain
    circumstances (``override_basis`` quotes it).
    """

    count: int
    min_relief_percent: float
    inclusive: bool
    override_allowed: bool = False
    override_basis: str | None = None


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


class RegionDefault(BaseModel):
    """The policy a region gets when none is named (``None``: no guideline covers it)."""

    model_config = ConfigDict(frozen=True)

    region: FacetRegion
    policy: str | None
    message: str | None
    source: Source


def _load_regions() -> dict[FacetRegion, RegionDefault]:
    defaults: dict[FacetRegion, RegionDefault] = {}
    for raw in entries("regions"):
        region = FacetRegion(raw["id"])
        default = RegionDefault(
            region=region,
            policy=raw.get("policy"),
            message=raw.get("message"),
            source=raw["source"],
        )
        if default.policy is not None and region not in get_policy(default.policy).regions:
            raise ValueError(f"regions.yaml: {default.policy} does not cover {region.value}")
        if default.policy is None and not default.message:
            raise ValueError(f"regions.yaml: {region.value} has no policy and no message")
        defaults[region] = default
    missing = set(FacetRegion) - set(defaults)
    if missing:
        raise ValueError(f"regions.yaml lacks {sorted(r.value for r in missing)}")
    return defaults


#: Region -> its default policy (``knowledge/regions.yaml``), one map for CLI, web and API.
REGION_DEFAULTS: dict[FacetRegion, RegionDefault] = _load_regions()


def policy_for_region(region: FacetRegion) -> Policy | None:
    """The guideline policy covering ``region``, or ``None`` when no guideline covers it."""
    name = REGION_DEFAULTS[region].policy
    return None if name is None else get_policy(name)


def policies_covering(region: FacetRegion) -> list[str]:
    """The ids of every policy that covers ``region`` (for error messages)."""
    return [policy.id for policy in POLICIES.values() if region in policy.regions]
