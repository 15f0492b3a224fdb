"""The registry's outcome pass over NumPy arrays: every procedure's course and its reviews.

One row per completed procedure (``day``: its clinic day as an ordinal,
``baseline``: its baseline NRS, -1 when none) and one per NRS score assigned
to a procedure (``score_of``: the procedure's row, ``score_day``, ``nrs``),
the scores sorted by procedure row, then day, then id. Two array passes over
those, each the vectorised form of one pathway definition, restating none:

- :func:`courses`: :func:`rhizo.pathway.course.course_of` for every procedure
  at once (onset, loss, event or censoring day, relieved);
- :func:`reviews`: :func:`rhizo.pathway.responder.responder_at` at N months
  (the score nearest ``months_after(day, N)`` inside the +-30-day window, its
  status) for every procedure at once.

Both are held to the per-procedure definitions by property tests
(``tests/clinic/test_outcome_arrays.py``, random courses: the same event day,
status and chosen score). How they work: a score is *in relief* per row;
per-procedure reductions (``np.minimum.reduceat`` over each procedure's run of
scores) find the first score in relief, the first score out of relief after
it, the last score in relief before that, and the nearest score in a window
(an arg-min of one packed integer rank). 1,000,000 procedures with 5 scores
each take well under 2 s (benchmarks/durability.py, docs/performance.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rhizo.clinic.outcomes import calendar_arrays
from rhizo.pathway import relief, responder
from rhizo.pathway.policies import Threshold
from rhizo.pathway.relief import RESPONDER_THRESHOLD
from rhizo.pathway.windows import WINDOW_DAYS

Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]

#: Review status codes (the states of :data:`rhizo.pathway.responder.ResponderState`).
NO_BASELINE, RESPONDER, NON_RESPONDER, PENDING, MISSING = range(5)
STATUS_NAMES = ("no_baseline", "responder", "non_responder", "pending", "missing")
#: No score found (index arrays).
NONE = -1


@dataclass(frozen=True)
class ScoreRows:
    """Procedures and their scores as arrays (the layout in the module docstring)."""

    day: Ints
    baseline: Ints
    score_of: Ints
    score_day: Ints
    nrs: Ints

    def __post_init__(self) -> None:
        n = self.score_of.size
        if self.score_day.size != n or self.nrs.size != n:
            raise ValueError("score_of, score_day and nrs must be equally long")
        if self.day.size != self.baseline.size:
            raise ValueError("day and baseline must be equally long")
        if n and (np.any(np.diff(self.score_of) < 0) or self.score_of[-1] >= self.day.size):
            raise ValueError("scores must be sorted by their procedure row, inside day's range")


def relief_table(threshold: Threshold = RESPONDER_THRESHOLD) -> Bools:
    """``table[baseline + 1, nrs]``: :func:`rhizo.pathway.relief.in_relief` for every NRS pair.

    An NRS is an integer 0-10, so the definition is evaluated once for each of the
    121 pairs (the pathway's own function, no formula restated) and read back by
    indexing; row 0 is "no baseline" (-1), never in relief.
    """
    table = [[False] * 11] + [
        [relief.in_relief(b, n, threshold) for n in range(11)] for b in range(11)
    ]
    return np.asarray(table, dtype=bool)


def in_relief(baseline: Ints, nrs: Ints, threshold: Threshold = RESPONDER_THRESHOLD) -> Bools:
    """:func:`rhizo.pathway.relief.in_relief` per element (no baseline, -1: never)."""
    flat: Bools = relief_table(threshold).ravel()
    result: Bools = flat[(baseline + 1) * 11 + nrs]
    return result


def _after(rows: ScoreRows) -> tuple[Ints, Ints, Ints, Ints]:
    """Scores after their procedure day: (procedure row, day, nrs, position in the input)."""
    keep = rows.score_day > rows.day[rows.score_of]
    if keep.all():
        return rows.score_of, rows.score_day, rows.nrs, np.arange(keep.size, dtype=np.int64)
    position = np.flatnonzero(keep)
    return rows.score_of[keep], rows.score_day[keep], rows.nrs[keep], position


def _runs(owner: Ints, size: int) -> tuple[Ints, Ints, Ints]:
    """For sorted ``owner``: the procedures with scores, where each run starts, run lengths."""
    counts = np.bincount(owner, minlength=size)
    has = np.flatnonzero(counts)
    lengths = counts[has]
    starts = (np.cumsum(lengths) - lengths).astype(np.int64)
    return has, starts, lengths


@dataclass(frozen=True)
class CourseArrays:
    """Per procedure row (valid where ``assessable``): rhizo.pathway.course.ReliefCourse."""

    assessable: Bools
    #: Ordinal of the event or censoring day.
    event_day: Ints
    ended: Bools
    relieved: Bools
    #: Ordinal of the last score in relief before loss (or the last, censored); -1 never.
    last_relieved_day: Ints
    #: Calendar months from the procedure day to the event (rhizo.pathway.elapsed).
    event_months: NDArray[np.float64]


def _first_in_runs(flags: Bools, starts: Ints, ends: Ints) -> Ints:
    """Per run ``[start, end)``: the index of its first set flag, or -1."""
    where = np.flatnonzero(flags)
    at = np.searchsorted(where, starts)
    first = where[np.minimum(at, max(where.size - 1, 0))] if where.size else starts * 0 - 1
    return np.where((at < where.size) & (first < ends), first, NONE)


def courses(rows: ScoreRows, threshold: Threshold = RESPONDER_THRESHOLD) -> CourseArrays:
    """Every procedure's course at once (the definition of rhizo.pathway.course.course_of).

    Per procedure's run of scores (after its day, in date order): the first score
    in relief is the onset; the first score out of relief after the onset is the
    loss, and it is always right after a score in relief (every score between onset
    and loss is in relief), so the loss is the run's first "in relief, then not"
    step and the last relieved score is the one before it.
    """
    size = rows.day.size
    owner, on, nrs, _ = _after(rows)
    meets = in_relief(rows.baseline[owner], nrs, threshold)
    has, starts, lengths = _runs(owner, size)
    ends = starts + lengths
    step_down = np.zeros(meets.size, dtype=bool)
    step_down[1:] = meets[:-1] & ~meets[1:]
    step_down[starts] = False  # a run's first score follows another procedure's
    onset = _first_in_runs(meets, starts, ends)
    loss = _first_in_runs(step_down, starts, ends)
    never = onset < 0
    was_lost = loss >= 0
    event = np.where(never, starts, np.where(was_lost, loss, ends - 1))
    last_relieved_at = np.where(was_lost, loss - 1, ends - 1)
    ok = rows.baseline[has] > 0
    target = has[ok]
    assessable = np.zeros(size, dtype=bool)
    assessable[target] = True
    event_day = np.zeros(size, dtype=np.int64)
    event_day[target] = on[event[ok]]
    ended = np.zeros(size, dtype=bool)
    ended[target] = (never | was_lost)[ok]
    relieved = np.zeros(size, dtype=bool)
    relieved[target] = ~never[ok]
    last_relieved = np.full(size, NONE, dtype=np.int64)
    found = ok & ~never
    last_relieved[has[found]] = on[last_relieved_at[found]]
    months = np.zeros(size, dtype=np.float64)
    if target.size:
        months[target] = calendar_arrays.months_elapsed(rows.day[target], event_day[target])
    return CourseArrays(
        assessable=assessable,
        event_day=event_day,
        ended=ended,
        relieved=relieved,
        last_relieved_day=last_relieved,
        event_months=months,
    )


@dataclass(frozen=True)
class ReviewArrays:
    """Per procedure row at one N-month review: status code and the score that counted."""

    months: int
    status: NDArray[np.int8]
    #: Position (in the input score arrays) of the nearest score in the window, or -1.
    score: Ints


def global_effect_table() -> Bools:
    """``table[pgic]``: no veto by the global effect (index 0: no PGIC recorded).

    :func:`rhizo.pathway.responder.global_effect_positive` for PGIC 1-7, True
    for 0 (not recorded: the NRS alone decides).
    """
    return np.asarray([True] + [responder.global_effect_positive(v) for v in range(1, 8)])


def reviews(
    rows: ScoreRows,
    *,
    months: int,
    as_of: int,
    threshold: Threshold = RESPONDER_THRESHOLD,
    pgic: Ints | None = None,
) -> ReviewArrays:
    """Every procedure's review at ``months`` (rhizo.pathway.responder.responder_at).

    ``as_of`` is an ordinal day; scores after it are ignored. The nearest score
    is found for every procedure, with or without a baseline (the PGIC at the
    review needs none); the status needs a baseline above 0. ``pgic`` (one per
    score, 0: not recorded) adds Cohen 2010's global-effect criterion: a
    recorded PGIC above 2 makes a relieved review a non-responder.

    How: the scores are sorted by (procedure, day), so one sorted key
    ``procedure x span + day`` finds, by binary search, each procedure's scores
    dated inside its window (after the procedure day, on or before ``as_of``),
    the first one on or after the target day, and the first one listed on the
    latest day before it; the nearer of the two counts (a tie: the earlier).
    """
    size = rows.day.size
    target = calendar_arrays.months_after(rows.day, months)
    window = window_days()
    first = np.maximum(target - window, rows.day + 1)
    last = np.minimum(target + window, as_of)
    chosen = np.full(size, NONE, dtype=np.int64)
    if rows.score_of.size:
        low = int(min(rows.score_day.min(), first.min()))
        span = np.int64(int(max(rows.score_day.max(), last.max(), target.max())) - low + 2)
        keys = rows.score_of * span + (rows.score_day - low)
        row_base = np.arange(size, dtype=np.int64) * span - low
        lo = np.searchsorted(keys, row_base + first, side="left")
        hi = np.searchsorted(keys, row_base + last, side="right")
        after = np.searchsorted(keys, row_base + target, side="left")  # first on/after target
        # The latest candidate before the target: below both the target and as_of + 1.
        cut = np.searchsorted(keys, row_base + np.minimum(target, last + 1), side="left")
        has_after = (after < hi) & (after >= lo)
        has_before = cut > lo
        before_day = rows.score_day[np.clip(cut - 1, 0, keys.size - 1)]
        # The first score listed on that latest earlier day.
        before = np.searchsorted(keys, row_base + before_day, side="left")
        after_day = rows.score_day[np.clip(after, 0, keys.size - 1)]
        gap_after = np.where(has_after, after_day - target, np.iinfo(np.int64).max)
        gap_before = np.where(has_before, target - before_day, np.iinfo(np.int64).max)
        use_after = has_after & (gap_after < gap_before)
        use_before = has_before & ~use_after
        chosen[use_after] = after[use_after]
        chosen[use_before] = before[use_before]
    status = np.full(size, NO_BASELINE, dtype=np.int8)
    with_baseline = rows.baseline > 0
    scored = with_baseline & (chosen >= 0)
    relieved = np.zeros(size, dtype=bool)
    relieved[scored] = in_relief(rows.baseline[scored], rows.nrs[chosen[scored]], threshold)
    if pgic is not None and pgic.size:
        relieved[scored] &= global_effect_table()[pgic[chosen[scored]]]
    status[scored & relieved] = RESPONDER
    status[scored & ~relieved] = NON_RESPONDER
    open_ = as_of <= target + window
    status[with_baseline & (chosen < 0) & open_] = PENDING
    status[with_baseline & (chosen < 0) & ~open_] = MISSING
    return ReviewArrays(months=months, status=status, score=chosen)


def window_days() -> int:
    """Half-width of the "at N months" window (rhizo.pathway.windows.WINDOW_DAYS)."""
    return WINDOW_DAYS
