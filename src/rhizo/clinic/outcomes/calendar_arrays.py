"""The pathway's calendar-month rules over NumPy arrays of days, for the registry pass.

Days are proleptic Gregorian ordinals (``date.toordinal()``), as int64 arrays.
Each function is the array form of one rule of :mod:`rhizo.pathway.dates` /
:mod:`rhizo.pathway.elapsed`, held equal to it over every day of several
years (month ends, leap days) by ``tests/clinic/test_outcome_calendar.py``;
it restates no rule, only vectorises it:

- :func:`months_after`: ``day`` + N calendar months, clamped at month end;
- :func:`whole_months_between`: the largest n with ``months_after(start, n) <= end``;
- :func:`months_elapsed`: n + the share of the next calendar month gone by.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from numpy.typing import NDArray

Days = NDArray[np.int64]

#: ``date(1970, 1, 1).toordinal()``: NumPy's datetime64 epoch as an ordinal.
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class _Months:
    """Month of each day and first day of each month over a range of days (lookup tables).

    NumPy's ``datetime64[D]`` to ``[M]`` conversion costs about 100 ns per element;
    the registry's days span a few thousand distinct values, so the calendar is
    worked out once per distinct day and read back by indexing.
    """

    def __init__(self, low: int, high: int) -> None:
        self.low = int(low)
        days = np.arange(self.low, int(high) + 1, dtype=np.int64)
        moments = (days - EPOCH_ORDINAL).astype("datetime64[D]")
        months = moments.astype("datetime64[M]")
        #: Months since January 1970 of each day, and its 0-based day of the month.
        self.month = months.astype(np.int64)
        self.day_of_month = (moments - months.astype("datetime64[D]")).astype(np.int64)

    def of(self, days: Days) -> tuple[Days, Days]:
        """(month index, 0-based day of month) of each day."""
        offset = np.asarray(days, dtype=np.int64) - self.low
        return self.month[offset], self.day_of_month[offset]


def _month_starts(first: int, last: int) -> tuple[int, Days]:
    """Ordinals of the first day of months ``first`` .. ``last + 1`` (months since 1970-01)."""
    months = np.arange(first, last + 2, dtype=np.int64).astype("datetime64[M]")
    return first, months.astype("datetime64[D]").astype(np.int64) + EPOCH_ORDINAL


def _table(days: Days) -> _Months:
    days = np.asarray(days, dtype=np.int64)
    if days.size == 0:
        return _Months(EPOCH_ORDINAL, EPOCH_ORDINAL)
    return _Months(int(days.min()), int(days.max()))


def _shift(month: Days, day_of_month: Days, months: int | Days) -> Days:
    target = month + np.asarray(months, dtype=np.int64)
    if target.size == 0:
        return np.zeros(0, dtype=np.int64)
    first, starts = _month_starts(int(target.min()), int(target.max()))
    start = starts[target - first]
    length = starts[target - first + 1] - start
    shifted: Days = start + np.minimum(day_of_month, length - 1)
    return shifted


def months_after(days: Days, months: int | Days) -> Days:
    """Each day plus ``months`` calendar months (negative: before), clamped at month end."""
    month, day_of_month = _table(days).of(days)
    return _shift(month, day_of_month, months)


def whole_months_between(start: Days, end: Days) -> Days:
    """Completed calendar months from each ``start`` to its ``end`` (``end >= start``)."""
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    if np.any(end < start):
        raise ValueError("an end day is before its start day")
    table = _table(np.concatenate((start, end)))
    month, day_of_month = table.of(start)
    guess = table.of(end)[0] - month
    # The calendar-month difference overshoots by one when the end's day of month is
    # before the (clamped) start's; one step back always lands on or before ``end``.
    return guess - (_shift(month, day_of_month, guess) > end)


def months_elapsed(start: Days, end: Days) -> NDArray[np.float64]:
    """Calendar months from each ``start`` to its ``end``, the part month as a fraction."""
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    whole = whole_months_between(start, end)
    month, day_of_month = _table(start).of(start)
    begin = _shift(month, day_of_month, whole)
    length = _shift(month, day_of_month, whole + 1) - begin
    elapsed: NDArray[np.float64] = (end - begin) / length + whole
    return elapsed
