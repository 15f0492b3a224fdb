"""The "at N months" window: the days around N calendar months that count as that review.

A review booked for 3 months rarely happens on the day. The score that counts
"at N months" is one dated within ``WINDOW_DAYS`` of ``months_after(day, N)``,
both ends included. Why +-30 days (local protocol, kept from the clinic's
specialist figures): scheduled reviews slip by days to weeks; +-30 days keeps
the 3- and 6-month windows apart (a visit never counts twice) and away from the
first review (4 weeks) and the 12-month review. The responder check, the
repeat rule and the analytics all use this window.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from rhizo.pathway.dates import months_after

#: Half-width of every "at N months" window, in days (reason in the module docstring).
WINDOW_DAYS = 30


class MonthWindow(NamedTuple):
    """First and last day (both included) that count as the N-month review."""

    start: date
    end: date

    def contains(self, day: date) -> bool:
        """True when ``day`` falls inside the window (ends included)."""
        return self.start <= day <= self.end


def window_for(day: date, months: int) -> MonthWindow:
    """``months_after(day, months)`` +- :data:`WINDOW_DAYS` days (``months`` >= 1)."""
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValueError(f"months must be a whole number >= 1, got {months!r}")
    target = months_after(day, months)
    half = timedelta(days=WINDOW_DAYS)
    return MonthWindow(start=target - half, end=target + half)
