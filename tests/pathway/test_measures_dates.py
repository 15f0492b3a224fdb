"""The calendar rules: months_after, whole_months_between, the N-month window, procedure_day.

Independent references: hand-computed dates, and python-dateutil's
``relativedelta`` (a second implementation of month arithmetic with month-end
clamping; installed with matplotlib) for the property tests.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from rhizo.pathway.clinic_day import procedure_day
from rhizo.pathway.dates import months_after, whole_months_between
from rhizo.pathway.windows import WINDOW_DAYS, window_for

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year clamp
        (date(2023, 1, 31), 1, date(2023, 2, 28)),  # common year clamp
        (date(2024, 3, 31), 1, date(2024, 4, 30)),  # 30-day month clamp
        (date(2024, 11, 30), 3, date(2025, 2, 28)),  # across year end
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # leap day + 1 year
        (date(2024, 5, 31), -3, date(2024, 2, 29)),  # backwards, clamped
        (date(2024, 3, 15), 0, date(2024, 3, 15)),
    ],
)
def test_months_after_clamps_at_month_end(start: date, months: int, expected: date) -> None:
    assert months_after(start, months) == expected


def test_months_after_refuses_fractional_months() -> None:
    with pytest.raises(ValueError, match=r"whole number of calendar months, got 3\.0"):
        months_after(date(2024, 1, 1), 3.0)  # type: ignore[arg-type]


@given(days, st.integers(min_value=-240, max_value=240))
def test_months_after_equals_relativedelta(start: date, months: int) -> None:
    assert months_after(start, months) == start + relativedelta(months=months)


@given(days, days)
def test_whole_months_between_is_the_largest_n_not_past_end(a: date, b: date) -> None:
    start, end = min(a, b), max(a, b)
    n = whole_months_between(start, end)
    assert months_after(start, n) <= end < months_after(start, n + 1)
    # relativedelta counts the same completed months.
    apart = relativedelta(end, start)
    assert n == apart.years * 12 + apart.months


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2024, 1, 31), date(2024, 2, 28), 0),
        (date(2024, 1, 31), date(2024, 2, 29), 1),  # the clamped month counts as complete
        (date(2023, 11, 30), date(2024, 2, 29), 3),
        (date(2024, 1, 1), date(2025, 1, 1), 12),
    ],
)
def test_whole_months_between_by_hand(start: date, end: date, months: int) -> None:
    assert whole_months_between(start, end) == months


def test_whole_months_between_refuses_reversed_dates() -> None:
    with pytest.raises(ValueError, match="end 2024-01-01 is before start 2024-02-01"):
        whole_months_between(date(2024, 2, 1), date(2024, 1, 1))


def test_window_is_thirty_days_around_the_calendar_target() -> None:
    # 30 Nov 2023 + 3 months = 29 Feb 2024 (leap clamp); +-30 days.
    window = window_for(date(2023, 11, 30), 3)
    assert WINDOW_DAYS == 30
    assert window == (date(2024, 1, 30), date(2024, 3, 30))
    assert window.contains(date(2024, 3, 30))
    assert not window.contains(date(2024, 3, 31))


def test_window_refuses_months_below_one() -> None:
    with pytest.raises(ValueError, match="months must be a whole number >= 1, got 0"):
        window_for(date(2024, 1, 1), 0)


# procedure_day: the clinic's calendar day, across daylight-saving changes.
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("utc", "zone", "day"),
    [
        # London winter (GMT = UTC): 23:30 UTC is 23:30 the same day.
        (datetime(2024, 3, 30, 23, 30, tzinfo=UTC), LONDON, date(2024, 3, 30)),
        # BST starts 31 Mar 2024 01:00 UTC; 23:30 UTC on 31 Mar is 00:30 BST on 1 Apr.
        (datetime(2024, 3, 31, 23, 30, tzinfo=UTC), LONDON, date(2024, 4, 1)),
        # BST ends 27 Oct 2024 01:00 UTC; 23:30 UTC on 26 Oct is 00:30 BST on 27 Oct,
        (datetime(2024, 10, 26, 23, 30, tzinfo=UTC), LONDON, date(2024, 10, 27)),
        # and 23:30 UTC on 27 Oct is 23:30 GMT on 27 Oct.
        (datetime(2024, 10, 27, 23, 30, tzinfo=UTC), LONDON, date(2024, 10, 27)),
        # New York EDT (UTC-4) until 3 Nov 2024 06:00 UTC: 03:30 UTC is 23:30 on 2 Nov.
        (datetime(2024, 11, 3, 3, 30, tzinfo=UTC), NEW_YORK, date(2024, 11, 2)),
        # After the change EST (UTC-5): 04:30 UTC on 4 Nov is 23:30 on 3 Nov,
        (datetime(2024, 11, 4, 4, 30, tzinfo=UTC), NEW_YORK, date(2024, 11, 3)),
        # and 05:30 UTC on 4 Nov is 00:30 on 4 Nov.
        (datetime(2024, 11, 4, 5, 30, tzinfo=UTC), NEW_YORK, date(2024, 11, 4)),
        # EDT starts 10 Mar 2024 07:00 UTC: 03:59 UTC on 10 Mar is 22:59 EST on 9 Mar.
        (datetime(2024, 3, 10, 3, 59, tzinfo=UTC), NEW_YORK, date(2024, 3, 9)),
    ],
)
def test_procedure_day_is_the_clinic_day_across_dst(
    utc: datetime, zone: ZoneInfo, day: date
) -> None:
    assert procedure_day(utc, zone) == day
    assert procedure_day(utc, zone.key) == day  # an IANA name works the same
    assert procedure_day(utc.replace(tzinfo=None), zone) == day  # naive = stored UTC


def test_procedure_day_converts_any_aware_time() -> None:
    # 09:00 in Tokyo (UTC+9) on 1 Jan is 00:00 UTC on 1 Jan, 19:00 on 31 Dec in New York.
    tokyo = datetime(2025, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=9)))
    assert procedure_day(tokyo, NEW_YORK) == date(2024, 12, 31)
    assert procedure_day(tokyo, UTC) == date(2025, 1, 1)


def test_procedure_day_at_the_calendar_end_falls_back_to_utc() -> None:
    last = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    assert procedure_day(last, ZoneInfo("Europe/Berlin")) == date(9999, 12, 31)


def test_procedure_day_refuses_an_unknown_zone() -> None:
    with pytest.raises(ValueError, match="'Mars/Olympus' is not an IANA time zone name"):
        procedure_day(datetime(2024, 1, 1, tzinfo=UTC), "Mars/Olympus")


def test_windows_never_overlap_nor_reach_the_first_review() -> None:
    # The reason given for +-30 days: on every day of a leap and a common year the 3-, 6-
    # and 12-month windows are disjoint and start after the 4-week review.
    day = date(2023, 1, 1)
    while day < date(2025, 1, 1):
        three, six, twelve = (window_for(day, n) for n in (3, 6, 12))
        assert day + timedelta(weeks=4) < three.start
        assert three.end < six.start
        assert six.end < twelve.start
        day += timedelta(days=1)
