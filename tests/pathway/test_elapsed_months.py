"""Calendar months elapsed after a procedure, with the part month as a fraction (hand cases)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rhizo.pathway.dates import months_after
from rhizo.pathway.elapsed import months_elapsed


@pytest.mark.parametrize(
    ("day", "on", "months"),
    [
        (date(2025, 1, 10), date(2025, 1, 10), 0.0),
        (date(2025, 1, 10), date(2025, 4, 10), 3.0),  # 90 days, exactly 3 calendar months
        (date(2025, 1, 10), date(2025, 4, 9), 2 + 30 / 31),  # 10 Mar -> 10 Apr is 31 days
        (date(2025, 1, 10), date(2025, 4, 25), 3 + 15 / 30),  # 10 Apr -> 10 May is 30 days
        (date(2024, 1, 31), date(2024, 2, 29), 1.0),  # clamped: 31 Jan + 1 month = 29 Feb
        (date(2024, 1, 31), date(2024, 2, 28), 28 / 29),  # 31 Jan -> 29 Feb is 29 days
        (date(2025, 11, 30), date(2026, 2, 28), 3.0),  # 30 Nov + 3 months = 28 Feb
    ],
)
def test_hand_worked_cases(day: date, on: date, months: float) -> None:
    assert months_elapsed(day, on) == pytest.approx(months, abs=1e-12)


def test_refuses_an_end_before_the_start() -> None:
    with pytest.raises(ValueError, match="before"):
        months_elapsed(date(2025, 1, 10), date(2025, 1, 9))


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2050, 1, 1)),
    st.integers(min_value=0, max_value=2000),
    st.integers(min_value=0, max_value=36),
)
def test_at_least_n_months_is_the_calendar_rule(day: date, span: int, n: int) -> None:
    """months_elapsed(day, on) >= n exactly when on >= months_after(day, n)."""
    on = date.fromordinal(day.toordinal() + span)
    assert (months_elapsed(day, on) >= n) == (on >= months_after(day, n))
