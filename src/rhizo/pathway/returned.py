"""Has the pain come back since an RF? The one rule behind ``pain_returned``.

The pain has returned when the latest score after the RF day no longer shows
the repeat rule's relief against the procedure's baseline NRS
(:func:`rhizo.pathway.relief.in_relief`; > 30 % in Hurley 2022 Table 22 and
the lumbar policy). Not known (``None``) without a baseline above 0 or without
a score after the RF. No guideline row read defines "has returned"; it is the
working rule of ``knowledge/screening.yaml`` ``pain-returned`` (local protocol),
and the clinician confirms it. Used by the patient page's candidacy screen
(:mod:`rhizo.clinic.web.record`) and by :func:`rhizo.pathway.followup.repeat_eligibility`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from rhizo.pathway.policies import Threshold
from rhizo.pathway.relief import Score, in_relief


def pain_has_returned(
    *, baseline_nrs: int, day: date, scores: Iterable[Score], threshold: Threshold
) -> bool | None:
    """True when the latest score after ``day`` is out of relief; None when not known.

    ``scores`` are (day, NRS 0-10) pairs in any order; those on or before
    ``day`` are ignored. With baseline 8 and "> 30 %": a latest NRS of 5
    (37.5 % relief) is still relief (False); 6 (25 %) means the pain is back
    (True).
    """
    after = [score for score in scores if score[0] > day]
    if baseline_nrs <= 0 or not after:
        return None
    latest = max(after, key=lambda score: score[0])
    return not in_relief(baseline_nrs, latest[1], threshold)
