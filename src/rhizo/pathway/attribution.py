"""Which procedure a dated NRS score belongs to: the course each score counts in.

Rule (local protocol, as the clinic's specialist figures and durability pass
assigned scores before issue 13):

- a score linked to a procedure (the follow-up names it) belongs to that
  procedure, if it is one of the procedures given (completed ones); a score
  linked to any other procedure belongs to none;
- an unlinked score (a diary entry, a phone call) belongs to the patient's
  latest given procedure performed on an *earlier* day, so a repeat procedure
  starts a new course and a score on a procedure's own day stays with the
  one before; a score on or before the first procedure day belongs to none
  (it is a pre-procedure score, a baseline candidate).

"Latest" is the order of ``procedures``: callers pass them sorted by start
time (then id), so two procedures on one day resolve to the later one.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from datetime import date

from rhizo.pathway.relief import Review, Score, check_nrs

#: A recorded score: (day, nrs 0-10, id of the procedure it is linked to, or None).
RecordedScore = tuple[date, int, int | None]
#: A recorded review: (day, nrs 0-10, linked procedure id or None, PGIC 1-7 or None).
RecordedReview = tuple[date, int, int | None, int | None]


def assign_scores(
    procedures: Sequence[tuple[int, date]], scores: Iterable[RecordedScore]
) -> dict[int, list[Score]]:
    """Each procedure's scores, in the order given, keyed by procedure id.

    ``procedures`` are one patient's (id, procedure day) pairs sorted by start
    time; ``scores`` that patient's recorded scores. Every given procedure has
    a key (an empty list when no score belongs to it). ``ValueError`` when the
    procedures are not in day order or an NRS is outside 0-10.
    """
    owned = assign_reviews(procedures, ((on, nrs, linked, None) for on, nrs, linked in scores))
    return {key: [(on, nrs) for on, nrs, _ in items] for key, items in owned.items()}


def assign_reviews(
    procedures: Sequence[tuple[int, date]], scores: Iterable[RecordedReview]
) -> dict[int, list[Review]]:
    """:func:`assign_scores` for scores that carry the PGIC of their follow-up.

    The same rule; each procedure gets ``(day, nrs, pgic)`` in the order given,
    for the responder check's global-effect criterion
    (:func:`rhizo.pathway.responder.responder_at`).
    """
    days = [day for _, day in procedures]
    if any(later < earlier for earlier, later in itertools.pairwise(days)):
        raise ValueError("procedures must be sorted by their day (then start time)")
    owned: dict[int, list[Review]] = {procedure_id: [] for procedure_id, _ in procedures}
    for on, nrs, linked, pgic in scores:
        check_nrs(nrs, field="score nrs")
        if linked is not None:
            if linked in owned:
                owned[linked].append((on, nrs, pgic))
            continue
        index = bisect.bisect_left(days, on) - 1
        if index >= 0:
            owned[procedures[index][0]].append((on, nrs, pgic))
    return owned
