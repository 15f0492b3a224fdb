"""The baseline NRS of a procedure: the pain that relief after it is measured against.

The rule, in order (reasons in docs/measures.md#baseline-nrs):

1. the latest NRS score dated in the :data:`BASELINE_WINDOW_DAYS` days before
   the procedure day (the day itself excluded: a score that day may follow the
   procedure), skipping scores dated on a diagnostic block's day (that may be
   the post-injection reading, which shows the block's relief, not the pain);
2. else the pre-injection NRS of the latest *positive* diagnostic block on or
   before the procedure day (relief >= 50 %, the positive-block cut-off of
   Cohen 2020 Table 11, policy ``asra-2020``): the reading the decision to
   treat was made on;
3. else none: the procedure is not assessable (nor is a baseline of 0, from
   which no relief can be shown).

Same day: the later-listed score wins for scores, the later-listed block for
blocks (callers pass them in id order, so the last recorded wins).

Evidence: local protocol, reasoned from the sources in docs/measures.md; the
window length is a clinic choice, not a published number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from rhizo.pathway.policies import Threshold, get_policy
from rhizo.pathway.relief import Score, check_nrs, meets

#: How far back a pre-procedure score still counts as the baseline, in days.
BASELINE_WINDOW_DAYS = 90


def _positive_block_threshold() -> Threshold:
    rule = get_policy("asra-2020").diagnostic_blocks
    return Threshold(value=rule.min_relief_percent, inclusive=rule.inclusive)


#: A block is positive at >= 50 % relief (Cohen 2020 Table 11, policy ``asra-2020``).
POSITIVE_BLOCK = _positive_block_threshold()


@dataclass(frozen=True)
class BlockReading:
    """What the baseline rule reads from one diagnostic block."""

    performed_on: date
    #: Pre-injection NRS 0-10, or None when it was not recorded.
    baseline_nrs: int | None
    #: Relief the block gave, % (0-100).
    relief_percent: float


@dataclass(frozen=True)
class BaselineNrs:
    """The chosen baseline: its value, where it came from and the day it was measured."""

    nrs: int
    source: Literal["score", "block"]
    measured_on: date


def baseline_for_procedure(
    *,
    day: date,
    scores: Iterable[Score],
    blocks: Iterable[BlockReading],
    window_days: int = BASELINE_WINDOW_DAYS,
    positive_block: Threshold = POSITIVE_BLOCK,
) -> BaselineNrs | None:
    """The baseline NRS of the procedure performed on ``day`` (rule in the module docstring).

    ``scores`` are the patient's dated NRS scores (any procedure's), ``blocks``
    the patient's diagnostic blocks; both in any order. ``ValueError`` for an
    NRS outside 0-10 or a negative window.
    """
    if window_days < 0:
        raise ValueError(f"window_days {window_days!r} must be >= 0")
    block_list = list(blocks)
    block_days = {block.performed_on for block in block_list}
    # Clamped at the calendar's start: a procedure dated 1 January of year 1 (a typo
    # year) has no earlier day to look back to, not an error.
    first = date.fromordinal(max(day.toordinal() - window_days, date.min.toordinal()))
    chosen: Score | None = None
    for on, nrs in scores:
        check_nrs(nrs, field="score nrs")
        if first <= on < day and on not in block_days and (chosen is None or on >= chosen[0]):
            chosen = (on, nrs)
    if chosen is not None:
        return BaselineNrs(nrs=chosen[1], source="score", measured_on=chosen[0])
    best: BlockReading | None = None
    for block in block_list:
        if block.baseline_nrs is None or block.performed_on > day:
            continue
        check_nrs(block.baseline_nrs, field="block baseline_nrs")
        if meets(block.relief_percent, positive_block) and (
            best is None or block.performed_on >= best.performed_on
        ):
            best = block
    if best is None or best.baseline_nrs is None:
        return None
    return BaselineNrs(nrs=best.baseline_nrs, source="block", measured_on=best.performed_on)
