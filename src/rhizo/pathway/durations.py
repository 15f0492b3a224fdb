"""Durations for people: "about 5 years", "26 weeks", "3 months", never "256.857 weeks".

One definition, used by the pages (the ``duration`` Jinja filter) and by the
pathway's messages. The unit follows the size, with calendar lengths from the
Gregorian mean year (365.2425 days; a month is a twelfth of it, 30.436875 days):

- under 2 weeks: whole days ("10 days");
- under 27 weeks: whole weeks ("26 weeks": the rules' own thresholds, 12 and 26
  weeks, stay in weeks);
- under 2 years: whole months ("about 9 months");
- from 2 years: whole years ("about 5 years").

"about" marks a value that rounding changed (more than 0.005 of the unit shown
away from the whole number); an exact count reads without it ("3 months",
"26 weeks"), so "27 weeks" is never shown for 26.9.
"""

from __future__ import annotations

import math
from typing import Literal

__all__ = ["DAYS_PER_MONTH", "DAYS_PER_YEAR", "human_duration", "weeks_in_words"]

DAYS_PER_YEAR = 365.2425
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
DAYS_PER_WEEK = 7.0

#: Below this many days a duration reads in days, then weeks, then months.
DAYS_LIMIT_DAYS = 14.0
WEEKS_LIMIT_DAYS = 27 * DAYS_PER_WEEK
MONTHS_LIMIT_DAYS = 2 * DAYS_PER_YEAR
#: Rounding by more than this (in the unit shown) earns "about".
ABOUT_TOLERANCE = 0.005

DurationUnit = Literal["days", "weeks", "months", "years"]
_DAYS_PER: dict[DurationUnit, float] = {
    "days": 1.0,
    "weeks": DAYS_PER_WEEK,
    "months": DAYS_PER_MONTH,
    "years": DAYS_PER_YEAR,
}


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit if count == 1 else unit + 's'}"


def human_duration(value: float | None, unit: DurationUnit = "weeks") -> str:
    """``value`` (in ``unit``) as a person says it; None or not finite: "not known".

    Raises ``ValueError`` for a negative value or an unknown unit.
    """
    if value is None or not math.isfinite(value):
        return "not known"
    if unit not in _DAYS_PER:
        raise ValueError(f"unit {unit!r} is not one of: {', '.join(_DAYS_PER)}")
    if value < 0:
        raise ValueError(f"a duration cannot be negative: {value!r} {unit}")
    # A whole number of months or years keeps its calendar unit ("3 months", "2 years").
    if unit in ("months", "years") and _whole(value) and value > 0:
        if unit == "years":
            return _plural(round(value), "year")
        if value < 24:
            return _plural(round(value), "month")
        if _whole(value / 12):
            return _plural(round(value / 12), "year")
    days = value * _DAYS_PER[unit]
    if days < DAYS_LIMIT_DAYS:
        shown, name = days, "day"
    elif days < WEEKS_LIMIT_DAYS:
        shown, name = days / DAYS_PER_WEEK, "week"
    elif days < MONTHS_LIMIT_DAYS:
        shown, name = days / DAYS_PER_MONTH, "month"
    else:
        shown, name = days / DAYS_PER_YEAR, "year"
    text = _plural(round(shown), name)
    return text if _whole(shown) else f"about {text}"


def _whole(value: float) -> bool:
    """Within :data:`ABOUT_TOLERANCE` of a whole number (floating-point noise only)."""
    return abs(value - round(value)) <= ABOUT_TOLERANCE


def weeks_in_words(weeks: float) -> str:
    """``weeks`` as a person reads it (:func:`human_duration` in weeks): the candidacy
    messages' durations ("Pain for about 5 years"), the rule itself staying exact."""
    return human_duration(weeks, "weeks")
