"""The course of relief after one procedure: duration of relief, and the event or censoring time.

Input: the procedure day, its baseline NRS and its dated NRS scores (those
after the procedure day and on or before ``as_of`` are used, in date order;
same day: input order). Each score is in relief or not
(:func:`rhizo.pathway.relief.in_relief`, default >= 50 %, Cohen 2010).

- **Onset**: the first score in relief.
- **Duration of relief**: from the procedure day to the last score still in
  relief before the first score out of relief after onset (``relief_days``);
  *censored* when the last score is still in relief (the true end is later).
  Only relief that a score showed is counted. Relief lost on a flare is lost,
  even when relief comes back at the next score: this is the *duration*
  definition (decision of issue 14: no source read defines a duration score
  by score; Cohen 2010 judges a time point, so the time-point verdicts, the
  responder check and the repeat rule, are :mod:`rhizo.pathway.responder`'s,
  where an earlier flare changes nothing; the duration decides neither).
- **Course** (the time-to-event view used by the durability curves): the
  event is the first score out of relief after onset (relief ended), or the
  first score when relief never came (relief of the threshold never reached,
  an event on the first day it was seen); censored on the last score when it
  is still in relief. ``event_days`` counts from the procedure day,
  ``event_months`` in completed calendar months
  (:func:`rhizo.pathway.dates.whole_months_between`).
- Not assessable (``None``): baseline missing or 0 (no relief can be shown
  from 0), or no score after the procedure day.

Evidence: definition (Kaplan-Meier convention of the event at the visit it is
first observed), as the clinic's durability analysis (Streitberger 2011 curves)
used it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rhizo.pathway.dates import whole_months_between
from rhizo.pathway.policies import Threshold
from rhizo.pathway.relief import RESPONDER_THRESHOLD, Review, Score, check_nrs, in_relief


@dataclass(frozen=True)
class ReliefCourse:
    """One assessable procedure's relief: its duration and its event or censoring time."""

    day: date
    baseline_nrs: int
    #: First score in relief, or None when relief never came.
    onset_on: date | None
    #: Last score in relief before relief was lost (or the last score, censored).
    last_relieved_on: date | None
    #: First score out of relief after onset; None while relief continues.
    lost_on: date | None
    #: Days from the procedure day to ``last_relieved_on`` (0 when never relieved).
    relief_days: int
    #: The relief continued at the last score (its true end is later).
    relief_censored: bool
    #: Day of the event (relief ended or never came) or of censoring (the last score).
    event_on: date
    #: True: an event on ``event_on``; False: censored there, still relieved.
    ended: bool
    #: Days from the procedure day to ``event_on``.
    event_days: int
    #: Completed calendar months from the procedure day to ``event_on``.
    event_months: int

    @property
    def relieved(self) -> bool:
        """Relief reached the threshold at some score (an initial success)."""
        return self.onset_on is not None


def course_of(
    *,
    day: date,
    baseline_nrs: int | None,
    scores: Iterable[Score | Review],
    threshold: Threshold = RESPONDER_THRESHOLD,
    as_of: date | None = None,
) -> ReliefCourse | None:
    """The course of the procedure performed on ``day`` (definitions in the module docstring).

    ``scores`` are ``(day, nrs)`` pairs or ``(day, nrs, pgic)`` reviews (the
    PGIC plays no part in the course). ``ValueError`` for an NRS (baseline or
    score) outside 0-10.
    """
    if baseline_nrs is None:
        return None
    check_nrs(baseline_nrs, field="baseline_nrs")
    checked = [(score[0], check_nrs(score[1], field="score nrs")) for score in scores]
    after = sorted(
        (score for score in checked if score[0] > day and (as_of is None or score[0] <= as_of)),
        key=lambda score: score[0],
    )
    if baseline_nrs == 0 or not after:
        return None
    onset: date | None = None
    last_relieved: date | None = None
    lost: date | None = None
    for on, nrs in after:
        if in_relief(baseline_nrs, nrs, threshold):
            onset = onset or on
            last_relieved = on
        elif onset is not None:
            lost = on
            break
    if onset is None:
        event_on, ended = after[0][0], True
    elif lost is not None:
        event_on, ended = lost, True
    else:
        event_on, ended = after[-1][0], False
    return ReliefCourse(
        day=day,
        baseline_nrs=baseline_nrs,
        onset_on=onset,
        last_relieved_on=last_relieved,
        lost_on=lost,
        relief_days=0 if last_relieved is None else (last_relieved - day).days,
        relief_censored=onset is not None and lost is None,
        event_on=event_on,
        ended=ended,
        event_days=(event_on - day).days,
        event_months=whole_months_between(day, event_on),
    )
