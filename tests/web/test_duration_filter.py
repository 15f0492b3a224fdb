"""Durations for people (the pages' ``duration`` filter, rhizo.pathway.durations).

References are exact: 7 days a week; the Gregorian mean year 365.2425 days and a
month of 365.2425 / 12 = 30.436875 days. Each unit boundary is tested at, just
below and just above.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from rhizo.clinic.web.pages import TEMPLATES
from rhizo.pathway.durations import DAYS_PER_MONTH, DAYS_PER_YEAR, human_duration, weeks_in_words

AsRole = Callable[[str], TestClient]


def test_the_calendar_constants() -> None:
    assert DAYS_PER_YEAR == 365.2425  # 400-year Gregorian cycle: 146097 days / 400
    assert DAYS_PER_YEAR == 146097 / 400
    assert abs(DAYS_PER_MONTH * 12 - DAYS_PER_YEAR) < 1e-12


@pytest.mark.parametrize(
    ("weeks", "words"),
    [
        (256.857, "about 5 years"),  # the audit's figure: 1798 days = 4.92 years
        (26, "26 weeks"),
        (12, "12 weeks"),
        (25.7, "about 26 weeks"),
        (13.99 / 7, "about 14 days"),  # just below 2 weeks: days
        (2, "2 weeks"),  # 14 days: at the boundary, weeks
        (26.9, "about 27 weeks"),  # never "27 weeks" for 26.9
        (27 - 1e-9, "27 weeks"),  # just below 27 weeks: still weeks (float noise: exact)
        (27, "about 6 months"),  # 189 days / 30.436875 = 6.21 months
        (2 * DAYS_PER_YEAR / 7 - 1, "about 24 months"),  # a week below 2 years: months
        (2 * DAYS_PER_YEAR / 7, "2 years"),  # at 2 years
        (0, "0 days"),
        (1 / 7, "1 day"),
    ],
)
def test_weeks_in_words(weeks: float, words: str) -> None:
    assert weeks_in_words(weeks) == words


@pytest.mark.parametrize(
    ("value", "unit", "words"),
    [
        (3, "months", "3 months"),
        (23, "months", "23 months"),
        (24, "months", "2 years"),
        (30, "months", "about 2 years"),  # 2.5 years rounds to 2 (banker's rounding of 2.5)
        (5, "years", "5 years"),
        (1.5, "months", "about 7 weeks"),  # 45.66 days = 6.52 weeks
    ],
)
def test_months_and_years(value: float, unit: str, words: str) -> None:
    assert human_duration(value, unit) == words  # type: ignore[arg-type]


def test_bad_values() -> None:
    assert human_duration(None) == "not known"
    assert human_duration(math.nan) == "not known"
    with pytest.raises(ValueError, match="negative"):
        human_duration(-1)
    with pytest.raises(ValueError, match="unit 'fortnights'"):
        human_duration(1, "fortnights")  # type: ignore[arg-type]


def test_the_pages_filter_is_the_helper() -> None:
    assert TEMPLATES.env.filters["duration"] is human_duration
    rendered = TEMPLATES.env.from_string("{{ 256.857 | duration }}").render()
    assert rendered == "about 5 years"


def test_the_outcomes_page_shows_its_published_median_in_words(as_role: AsRole) -> None:
    # Streitberger 2011: median success 17 weeks (17.0, a float, in the durability table).
    html = as_role("researcher").get("/analytics").text
    foot = html[html.index("<tfoot>") : html.index("</tfoot>")]
    assert "<td>17 weeks</td>" in foot
    assert "17.0" not in foot
