"""Relief lost for the set time: when a rising pain series raises "consider a repeat".

Rule (``knowledge/calendar.yaml`` ``relief-lost``, local protocol; no guideline
read defines it): after the RF day, relief has been *lost* when

1. relief was seen: some score after the day is in relief
   (:func:`rhizo.pathway.relief.in_relief` under ``threshold``);
2. the pain has returned: the latest score is out of relief
   (:func:`rhizo.pathway.returned.pain_has_returned`, the one rule the patient
   page's candidacy screen uses);
3. for the set time: every score after the last one in relief is out of relief
   (that is what "the trailing run" means here), there are at least
   ``min_scores_out`` (2) of them and the first and the latest lie at least
   ``min_days_out`` (14) days apart. One flare, or two bad days in a week, is
   not relief lost.

``threshold`` is the caller's: the tasks service passes the region policy's
repeat threshold (lumbar ``asra-2020`` and cervical ``cervical-2022``: > 30 %,
Hurley 2022 Table 22), the same one :func:`pain_has_returned` gets on the
patient page, so the task and the page never disagree; without a guideline
policy (thoracic) the responder threshold (>= 50 %, Cohen 2010) is used and the
result says so. Scores on or before the day are ignored; same-day scores keep
their given order (the later listed counts as later).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from rhizo.pathway.facts import entry
from rhizo.pathway.policies import Threshold
from rhizo.pathway.relief import Score, check_nrs, in_relief
from rhizo.pathway.returned import pain_has_returned


@dataclass(frozen=True)
class ReliefLostRule:
    """The set time: scores out of relief, and days between the first and the latest."""

    min_days_out: int
    min_scores_out: int
    source: str


def _rule() -> ReliefLostRule:
    item: dict[str, Any] = entry("calendar", "relief-lost")
    return ReliefLostRule(
        min_days_out=int(item["min_days_out"]),
        min_scores_out=int(item["min_scores_out"]),
        source=item["source"].cite(),
    )


#: 2 scores out of relief at least 14 days apart (``knowledge/calendar.yaml``).
RELIEF_LOST_RULE = _rule()


@dataclass(frozen=True)
class ReliefLost:
    """The verdict and the scores it rests on."""

    #: True: relief lost for the set time; False: not (yet); None: not known.
    lost: bool | None
    #: First score of the trailing run out of relief (None when the latest is in relief).
    out_since: date | None
    latest_on: date | None
    days_out: int
    scores_out: int
    message: str


def relief_lost(
    *,
    baseline_nrs: int | None,
    day: date,
    scores: Iterable[Score],
    threshold: Threshold,
    rule: ReliefLostRule = RELIEF_LOST_RULE,
) -> ReliefLost:
    """Whether relief after the RF on ``day`` has been lost for the set time (module docstring).

    ``ValueError`` for an NRS outside 0-10.
    """
    after = sorted(
        ((on, check_nrs(nrs, field="score nrs")) for on, nrs in scores if on > day),
        key=lambda score: score[0],
    )
    if baseline_nrs is None or baseline_nrs <= 0 or not after:
        return ReliefLost(None, None, None, 0, 0, "Not known: no baseline above 0 or no score.")
    latest = after[-1][0]
    returned = pain_has_returned(
        baseline_nrs=baseline_nrs, day=day, scores=after, threshold=threshold
    )
    run: list[Score] = []
    for score in reversed(after):
        if in_relief(baseline_nrs, score[1], threshold):
            break
        run.append(score)
    if len(run) == len(after):
        return ReliefLost(
            False,
            run[-1][0],
            latest,
            (latest - run[-1][0]).days,
            len(run),
            "No score after the RF showed relief: that is no response, not relief lost.",
        )
    if not returned or not run:
        return ReliefLost(False, None, latest, 0, 0, "Relief is ongoing (the latest score).")
    since = run[-1][0]
    days_out = (latest - since).days
    lost = days_out >= rule.min_days_out and len(run) >= rule.min_scores_out
    sign = ">=" if threshold.inclusive else ">"
    found = (
        f"{len(run)} score(s) out of {sign} {threshold.value:g} % relief "
        f"from {since.isoformat()} to {latest.isoformat()} ({days_out} days)"
    )
    wanted = f"at least {rule.min_scores_out} scores over at least {rule.min_days_out} days"
    message = (
        f"Pain has returned: {found}; the set time is {wanted}."
        if lost
        else f"Pain is back on the latest score but not yet for the set time: {found}; "
        f"the set time is {wanted}."
    )
    return ReliefLost(lost, since, latest, days_out, len(run), message)
