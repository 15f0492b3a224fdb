"""Calendar arithmetic for follow-up: months are calendar months, clamped at month end."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(start: date, months: int) -> date:
    """``start`` plus whole calendar months; 31 January + 1 month is the last day of February.

    Clamping (rather than overflowing into March) keeps a "3-month" review inside
    the third month, which is what a clinician booking it means.
    """
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)
