"""Responder at N months: relief judged at the N-month review, not by an unbroken series.

Rule (Cohen SP et al. 2010, Anesthesiology 113:395, abstract read: a positive
outcome was ">= 50 % pain relief coupled with a positive global perceived
effect persisting for 3 months", success reported "at 3 months", pain scored at
1 and 3 months; knowledge ``outcomes/responder``; the NRS part only, the global
perceived effect is not a registry field): the procedure is a *responder at N
months* when the score that counts at N months is in relief
(:func:`rhizo.pathway.relief.in_relief`, >= 50 % by default; a policy's repeat
rule passes its own threshold). The score that counts is the one nearest
``months_after(day, N)`` inside :func:`rhizo.pathway.windows.window_for`
(ties: the earlier date; same day: the first listed, i.e. the lower id).

One transient flare does not make a responder a non-responder: a bad week at
six weeks is not the 3-month review, so only the review score is judged (our
reading of a visit-based outcome: interpretation, not a quoted rule). (The
*duration* of relief, :mod:`rhizo.pathway.course`, does end at the first score
out of relief.)

Status, one of:

- ``no_baseline``: baseline missing or 0 (no relief can be shown from 0);
- ``responder`` / ``non_responder``: a score in the window, in relief or not;
- ``pending``: no score in the window yet and the window is still open on ``as_of``;
- ``missing``: the window closed (before ``as_of``) with no score: lost to follow-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from rhizo.pathway.dates import months_after
from rhizo.pathway.outcomes import percent_relief
from rhizo.pathway.policies import Threshold
from rhizo.pathway.relief import RESPONDER_THRESHOLD, Score, check_nrs, in_relief
from rhizo.pathway.windows import MonthWindow, window_for

ResponderState = Literal["responder", "non_responder", "pending", "missing", "no_baseline"]


@dataclass(frozen=True)
class ResponderAt:
    """The responder verdict at one N-month review, and the score it rests on."""

    months: int
    status: ResponderState
    target: date
    window: MonthWindow
    #: The score that counted (None unless responder or non_responder).
    score_on: date | None
    score_nrs: int | None
    relief_percent: float | None

    @property
    def responder(self) -> bool | None:
        """True / False when judged, None when not (pending, missing, no baseline)."""
        if self.status == "responder":
            return True
        if self.status == "non_responder":
            return False
        return None

    @property
    def assessable(self) -> bool:
        """A baseline and a score in the window: counted in a responder rate's denominator."""
        return self.status in ("responder", "non_responder")


def nearest_in_window(scores: Iterable[Score], *, day: date, months: int) -> Score | None:
    """The score that counts at ``months`` (nearest the target, ties earlier, then first listed)."""
    window = window_for(day, months)
    target = months_after(day, months)
    best: Score | None = None
    best_rank = 0
    for score in scores:
        on = score[0]
        if not window.contains(on) or on <= day:
            continue
        offset = (on - target).days
        rank = abs(offset) * 2 + (1 if offset > 0 else 0)
        if best is None or rank < best_rank:
            best, best_rank = score, rank
    return best


def responder_at(
    *,
    day: date,
    baseline_nrs: int | None,
    scores: Iterable[Score],
    months: int,
    as_of: date,
    threshold: Threshold = RESPONDER_THRESHOLD,
) -> ResponderAt:
    """Responder status at ``months`` for the procedure on ``day`` (rule in the module docstring).

    ``scores`` are the procedure's dated NRS scores; those after ``as_of`` are
    ignored. ``ValueError`` for an NRS outside 0-10 or ``months`` < 1.
    """
    window = window_for(day, months)
    target = months_after(day, months)

    def verdict(status: ResponderState, score: Score | None = None) -> ResponderAt:
        relief = (
            None if score is None or not baseline_nrs else percent_relief(baseline_nrs, score[1])
        )
        return ResponderAt(
            months=months,
            status=status,
            target=target,
            window=window,
            score_on=None if score is None else score[0],
            score_nrs=None if score is None else score[1],
            relief_percent=None if relief is None else round(relief, 1),
        )

    if baseline_nrs is None or check_nrs(baseline_nrs, field="baseline_nrs") == 0:
        return verdict("no_baseline")
    checked = [(on, check_nrs(nrs, field="score nrs")) for on, nrs in scores]
    known = [score for score in checked if score[0] <= as_of]
    score = nearest_in_window(known, day=day, months=months)
    if score is not None:
        relieved = in_relief(baseline_nrs, score[1], threshold)
        return verdict("responder" if relieved else "non_responder", score)
    return verdict("pending" if as_of <= window.end else "missing")
