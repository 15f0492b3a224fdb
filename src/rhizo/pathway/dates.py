"""Calendar months: the one rule for "N months after" a day, clamped at month end.

Every "at N months" in rhizo (the follow-up schedule, the responder check, the
repeat rule, the analytics checkpoints) counts calendar months with this
module, never a fixed number of days or weeks: 3 calendar months are 89 to 92
days, and a fixed 13 weeks (91 days) disagrees with them for about a quarter of
the days of a year (``tests/pathway/test_measures_months.py`` counts them).
"""

from __future__ import annotations

import calendar
from datetime import date


def months_after(day: date, months: int) -> date:
    """``day`` plus ``months`` whole calendar months (negative: before); clamped at month end.

    31 January + 1 month is 28 February (29 in a leap year); 29 February 2024 +
    12 months is 28 February 2025. Clamping (rather than overflowing into the
    next month) keeps a "3-month" review inside the third month, which is what a
    clinician booking it means. ``ValueError`` for a non-integer ``months``.
    """
    if isinstance(months, bool) or not isinstance(months, int):
        raise ValueError(f"months must be a whole number of calendar months, got {months!r}")
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    clamped = min(day.day, calendar.monthrange(year, month)[1])
    return date(year, month, clamped)


def whole_months_between(start: date, end: date) -> int:
    """Completed calendar months from ``start`` to ``end`` (``end >= start``).

    The largest ``n`` with ``months_after(start, n) <= end``: so "relief lasted
    at least 3 months" and "``whole_months_between(day, last) >= 3``" are the
    same statement. ``ValueError`` when ``end`` is before ``start``.
    """
    if end < start:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    guess = (end.year - start.year) * 12 + end.month - start.month
    while guess > 0 and months_after(start, guess) > end:
        guess -= 1
    return guess


def relief_lasted(start: date, until: date, months: int) -> bool:
    """Relief from ``start`` through ``until`` lasted at least ``months`` calendar months.

    True when ``until >= months_after(start, months)``: relief from 30 November
    through 28 February (29 in a leap year) lasted 3 months; through 27 February
    it did not. The one calendar rule for "relief for N months", shared by the
    repeat-treatment check (:mod:`rhizo.pathway.candidacy`) and the responder
    check's "at N months" (:func:`months_after`). ``ValueError`` for a
    non-integer ``months`` (from :func:`months_after`).
    """
    return until >= months_after(start, months)
