"""A positive diagnostic block proposes the RF day: which blocks count, and the earliest day.

Rule: the medial-branch blocks on or before a day are judged against the
region's guideline policy (:func:`rhizo.pathway.policies.policy_for_region`:
lumbar ``asra-2020``, one block >= 50 %, Cohen 2020 Table 11; cervical
``cervical-2022``, one block > 50 %, Hurley 2022 Table 22) with the candidacy
screen's own test (:func:`rhizo.pathway.candidacy.passes`; intra-articular
injections do not count, Cohen 2020 Table 12, as in the screen). The RF day is
proposed once the policy's number of positive blocks is reached; the block that
reached it is the one the task names. Without a guideline policy (thoracic, or
levels spanning regions) the baseline rule's positive block (>= 50 %,
:data:`rhizo.pathway.baseline.POSITIVE_BLOCK`) and one block are used, and the
result says so.

The earliest RF day: no guideline read sets an interval after a positive block
(``knowledge/calendar.yaml`` ``rf-day-after-block``, local protocol), so none is
proposed; the drug holds are counted back from whichever day is booked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from rhizo.pathway.baseline import POSITIVE_BLOCK
from rhizo.pathway.candidacy import passes
from rhizo.pathway.education import planned_region
from rhizo.pathway.facts import entry
from rhizo.pathway.policies import Threshold, policy_for_region

#: The medial-branch block type's value (``rhizo.clinic.block.models.BlockType``).
MEDIAL_BRANCH = "medial_branch"


@dataclass(frozen=True)
class BlockFacts:
    """What the rule reads from one diagnostic block."""

    id: int
    performed_on: date
    block_type: str
    levels: tuple[str, ...]
    relief_percent: float


@dataclass(frozen=True)
class RfDayProposal:
    """The block that made the RF day due, under which rule, and the earliest day (if any)."""

    block_id: int
    block_on: date
    policy: str | None
    count: int
    threshold: Threshold
    earliest_on: date | None
    message: str
    source: str


def propose_rf_day(blocks: Iterable[BlockFacts]) -> RfDayProposal | None:
    """The proposal from a patient's blocks, or None while too few are positive."""
    ordered = sorted(
        (b for b in blocks if b.block_type == MEDIAL_BRANCH), key=lambda b: (b.performed_on, b.id)
    )
    if not ordered:
        return None
    region = planned_region("", [level for b in ordered for level in b.levels])
    policy = None if region is None else policy_for_region(region)
    if policy is None:
        threshold, count, name, cite = POSITIVE_BLOCK, 1, None, ""
    else:
        rule = policy.diagnostic_blocks
        threshold = Threshold(value=rule.min_relief_percent, inclusive=rule.inclusive)
        count, name, cite = rule.count, policy.id, rule.source.cite()
    positives = [b for b in ordered if passes(b.relief_percent, threshold)]
    if len(positives) < count:
        return None
    block = positives[count - 1]
    timing: dict[str, Any] = entry("calendar", "rf-day-after-block")
    sign = ">=" if threshold.inclusive else ">"
    under = (
        f"policy {name}: {count} medial branch block(s) {sign} {threshold.value:g} %"
        if name
        else f"no guideline policy for these levels; a block {sign} {threshold.value:g} % "
        "(the baseline rule's positive block)"
    )
    return RfDayProposal(
        block_id=block.id,
        block_on=block.performed_on,
        policy=name,
        count=count,
        threshold=threshold,
        earliest_on=None,
        message=(
            f"Positive block on {block.performed_on.isoformat()} ({block.relief_percent:g} % "
            f"relief; {under}): book the RF day. {timing['text']}"
        ),
        source="; ".join(part for part in (cite, timing["source"].cite()) if part),
    )
