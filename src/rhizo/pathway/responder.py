"""Responder at N months: relief and global effect judged at the N-month review.

Rule (Cohen SP et al. 2010, Anesthesiology 113:395, abstract read: a positive
outcome was ">= 50 % pain relief coupled with a positive global perceived
effect persisting for 3 months", success reported "at 3 months", pain scored at
1 and 3 months; knowledge ``outcomes/responder``): the procedure is a
*responder at N months* when, at the review that counts at N months,

1. the NRS score is in relief (:func:`rhizo.pathway.relief.in_relief`,
   >= 50 % by default; a policy's repeat rule passes its own threshold), and
2. the global effect is positive, when a PGIC was recorded with that score:
   PGIC 1 or 2, "very much" or "much improved" (Farrar 2001's anchor,
   :func:`rhizo.pathway.outcomes.score_pgic`, knowledge ``outcomes/pgic``).
   With no PGIC at that review the NRS criterion alone decides, and the
   verdict says so (``criterion == "nrs_only"``); with one, both must hold
   (``"nrs_and_pgic"``): 62 % relief with "minimally improved" is not a
   responder.

The review that counts is the dated score nearest ``months_after(day, N)``
inside :func:`rhizo.pathway.windows.window_for` (+-30 days; ties: the earlier
date; same day: the first listed, i.e. the lower id). Its PGIC is the one
recorded at the same follow-up (the score's third element), never one from
another visit.

One transient flare does not make a responder a non-responder: Cohen 2010
judges the outcome at the 3-month visit, so a bad week at six weeks is not the
review and only the review is judged (our reading of a visit-based outcome:
interpretation of the abstract, not a quoted rule). The *duration* of relief
(:mod:`rhizo.pathway.course`) is a different quantity and does end at the
first score out of relief; it decides neither this verdict nor the repeat rule.

Status, one of:

- ``no_baseline``: baseline missing or 0 (no relief can be shown from 0);
- ``responder`` / ``non_responder``: a score in the window, meeting the
  criteria or not;
- ``pending``: no score in the window yet and the window is still open on ``as_of``;
- ``missing``: the window closed (before ``as_of``) with no score: lost to follow-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeVar

from rhizo.pathway.dates import months_after
from rhizo.pathway.outcomes import percent_relief, score_pgic
from rhizo.pathway.policies import Threshold
from rhizo.pathway.relief import RESPONDER_THRESHOLD, Review, Score, check_nrs, in_relief
from rhizo.pathway.windows import MonthWindow, window_for

ResponderState = Literal["responder", "non_responder", "pending", "missing", "no_baseline"]
#: Which criteria decided a judged verdict (None when not judged).
Criterion = Literal["nrs_and_pgic", "nrs_only"]

_S = TypeVar("_S", Score, Review)


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
    #: PGIC recorded with the score that counted (None: not recorded, or not judged).
    score_pgic: int | None = None
    #: Criteria that decided the verdict: NRS and PGIC, or NRS alone (no PGIC recorded).
    criterion: Criterion | None = None

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


def nearest_in_window(scores: Iterable[_S], *, day: date, months: int) -> _S | None:
    """The score that counts at ``months`` (nearest the target, ties earlier, then first listed)."""
    window = window_for(day, months)
    target = months_after(day, months)
    best: _S | None = None
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


def pgic_of(score: Score | Review) -> int | None:
    """The PGIC recorded with a score (``None`` for a plain ``(day, nrs)`` pair)."""
    return score[2] if len(score) == 3 else None


def global_effect_positive(pgic: int) -> bool:
    """PGIC 1-2 ("very much" / "much improved"): :func:`rhizo.pathway.outcomes.score_pgic`."""
    return score_pgic(pgic).clinically_important


def responder_at(
    *,
    day: date,
    baseline_nrs: int | None,
    scores: Iterable[Score | Review],
    months: int,
    as_of: date,
    threshold: Threshold = RESPONDER_THRESHOLD,
) -> ResponderAt:
    """Responder status at ``months`` for the procedure on ``day`` (rule in the module docstring).

    ``scores`` are the procedure's dated NRS scores, each ``(day, nrs)`` or
    ``(day, nrs, pgic)`` (PGIC 1-7 or None); those after ``as_of`` are ignored.
    ``ValueError`` for an NRS outside 0-10, a PGIC outside 1-7 or ``months`` < 1.
    """
    window = window_for(day, months)
    target = months_after(day, months)

    def verdict(
        status: ResponderState,
        score: Score | Review | None = None,
        criterion: Criterion | None = None,
    ) -> ResponderAt:
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
            score_pgic=None if score is None else pgic_of(score),
            criterion=criterion,
        )

    checked = [_checked(score) for score in scores]
    if baseline_nrs is None or check_nrs(baseline_nrs, field="baseline_nrs") == 0:
        return verdict("no_baseline")
    known = [score for score in checked if score[0] <= as_of]
    score = nearest_in_window(known, day=day, months=months)
    if score is None:
        return verdict("pending" if as_of <= window.end else "missing")
    relieved = in_relief(baseline_nrs, score[1], threshold)
    pgic = score[2]
    if pgic is None:
        return verdict("responder" if relieved else "non_responder", score, "nrs_only")
    positive = global_effect_positive(pgic)
    return verdict("responder" if relieved and positive else "non_responder", score, "nrs_and_pgic")


def _checked(score: Score | Review) -> Review:
    """``(day, nrs, pgic)`` with the NRS and any PGIC range-checked (``ValueError``)."""
    pgic = pgic_of(score)
    if pgic is not None:
        score_pgic(pgic)
    return (score[0], check_nrs(score[1], field="score nrs"), pgic)
