"""The clinic's clock across daylight-saving changes (Europe/London, America/New_York).

Reference (hand-computed from the IANA rules): the EU changes at 01:00 UTC on
the last Sunday of March and of October (2026-03-29, 2026-10-25): London is
UTC+0 (GMT) in winter and UTC+1 (BST) in summer. The US changes at 02:00 local
on the second Sunday of March (2026-03-08) and the first Sunday of November
(2026-11-01): New York is UTC-5 (EST) in winter and UTC-4 (EDT) in summer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from rhizo.clinic.core.common import InvalidInputError
from rhizo.clinic.schedule import clock

LONDON = "Europe/London"
NEW_YORK = "America/New_York"


@pytest.mark.parametrize(
    ("day", "wall", "zone", "utc"),
    [
        (date(2026, 3, 28), time(9, 0), LONDON, datetime(2026, 3, 28, 9, 0, tzinfo=UTC)),
        (date(2026, 3, 30), time(9, 0), LONDON, datetime(2026, 3, 30, 8, 0, tzinfo=UTC)),
        (date(2026, 10, 24), time(9, 0), LONDON, datetime(2026, 10, 24, 8, 0, tzinfo=UTC)),
        (date(2026, 10, 26), time(9, 0), LONDON, datetime(2026, 10, 26, 9, 0, tzinfo=UTC)),
        (date(2026, 3, 7), time(9, 0), NEW_YORK, datetime(2026, 3, 7, 14, 0, tzinfo=UTC)),
        (date(2026, 3, 9), time(9, 0), NEW_YORK, datetime(2026, 3, 9, 13, 0, tzinfo=UTC)),
        (date(2026, 11, 2), time(9, 0), NEW_YORK, datetime(2026, 11, 2, 14, 0, tzinfo=UTC)),
    ],
)
def test_wall_time_to_instant_either_side_of_a_change(
    day: date, wall: time, zone: str, utc: datetime
) -> None:
    assert clock.instant(day, wall, zone) == utc
    assert clock.local(utc, zone).time() == wall
    assert clock.clinic_date(utc, zone) == day


@pytest.mark.parametrize(
    ("day", "wall", "zone"),
    [
        (date(2026, 3, 29), time(1, 30), LONDON),
        (date(2026, 3, 29), time(1, 0), LONDON),
        (date(2026, 3, 8), time(2, 30), NEW_YORK),
    ],
)
def test_a_wall_time_in_the_spring_gap_does_not_exist(day: date, wall: time, zone: str) -> None:
    assert not clock.exists(day, wall, zone)
    with pytest.raises(clock.NonexistentWallTimeError, match="does not exist"):
        clock.instant(day, wall, zone)


def test_an_ambiguous_autumn_wall_time_is_its_first_occurrence() -> None:
    # 01:30 happens at 00:30 UTC (BST) and again at 01:30 UTC (GMT): fold=0 is the first.
    assert clock.instant(date(2026, 10, 25), time(1, 30), LONDON) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    assert clock.instant(date(2026, 11, 1), time(1, 30), NEW_YORK) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )


def test_change_days_are_23_and_25_hours_long() -> None:
    start, end = clock.day_bounds(date(2026, 3, 29), LONDON)
    assert (start, end - start) == (datetime(2026, 3, 29, 0, 0, tzinfo=UTC), timedelta(hours=23))
    start, end = clock.day_bounds(date(2026, 10, 25), LONDON)
    assert (start, end - start) == (datetime(2026, 10, 24, 23, 0, tzinfo=UTC), timedelta(hours=25))
    start, end = clock.day_bounds(date(2026, 7, 1), NEW_YORK)
    assert (start, end - start) == (datetime(2026, 7, 1, 4, 0, tzinfo=UTC), timedelta(hours=24))


def test_an_unknown_zone_is_a_422_naming_field_and_value() -> None:
    with pytest.raises(InvalidInputError) as caught:
        clock.zone_of("Mars/Olympus_Mons")
    problem = caught.value.problems[0]
    assert (problem.field, problem.value, problem.rule) == (
        "timezone",
        "Mars/Olympus_Mons",
        "unknown_timezone",
    )
