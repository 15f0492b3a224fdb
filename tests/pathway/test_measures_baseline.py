"""The baseline NRS of a procedure: the order of the rule, by hand-built cases."""

from __future__ import annotations

from datetime import date

import pytest

from rhizo.pathway.baseline import (
    BASELINE_WINDOW_DAYS,
    BaselineNrs,
    BlockReading,
    baseline_for_procedure,
)

DAY = date(2024, 6, 1)


def block(on: str, nrs: int | None, relief: float = 80.0) -> BlockReading:
    return BlockReading(
        performed_on=date.fromisoformat(on), baseline_nrs=nrs, relief_percent=relief
    )


def test_latest_score_in_window_wins_over_a_block() -> None:
    scores = [(date(2024, 5, 1), 6), (date(2024, 5, 20), 7), (date(2024, 4, 1), 9)]
    result = baseline_for_procedure(day=DAY, scores=scores, blocks=[block("2024-05-25", 8)])
    assert result == BaselineNrs(nrs=7, source="score", measured_on=date(2024, 5, 20))


def test_window_edges() -> None:
    assert BASELINE_WINDOW_DAYS == 90
    # 3 Mar 2024 is 90 days before 1 Jun 2024 (Mar 29 + Apr 30 + May 31): still counts.
    inside = baseline_for_procedure(day=DAY, scores=[(date(2024, 3, 3), 6)], blocks=[])
    assert inside is not None
    assert inside.nrs == 6
    # 2 Mar is 91 days before: too old, and no block: no baseline.
    assert baseline_for_procedure(day=DAY, scores=[(date(2024, 3, 2), 6)], blocks=[]) is None


def test_a_score_on_the_procedure_day_or_after_is_not_a_baseline() -> None:
    scores = [(DAY, 2), (date(2024, 7, 1), 1)]
    assert baseline_for_procedure(day=DAY, scores=scores, blocks=[]) is None


def test_a_score_on_a_block_day_is_skipped() -> None:
    # 20 May: block day, the 2/10 is the post-injection reading; 10 May's 7 is the pain.
    scores = [(date(2024, 5, 10), 7), (date(2024, 5, 20), 2)]
    result = baseline_for_procedure(day=DAY, scores=scores, blocks=[block("2024-05-20", 8)])
    assert result == BaselineNrs(nrs=7, source="score", measured_on=date(2024, 5, 10))


def test_falls_back_to_the_latest_positive_block_on_or_before_the_day() -> None:
    blocks = [
        block("2023-01-10", 9),  # positive, older (no window for blocks)
        block("2024-01-10", 8),  # positive, latest: chosen
        block("2024-02-10", 5, relief=40.0),  # negative (< 50 %): skipped
        block("2024-06-02", 3),  # after the procedure: skipped
    ]
    result = baseline_for_procedure(day=DAY, scores=[(date(2023, 1, 1), 4)], blocks=blocks)
    assert result == BaselineNrs(nrs=8, source="block", measured_on=date(2024, 1, 10))


def test_block_on_the_procedure_day_counts_and_fifty_percent_is_positive() -> None:
    result = baseline_for_procedure(day=DAY, scores=[], blocks=[block("2024-06-01", 6, relief=50)])
    assert result == BaselineNrs(nrs=6, source="block", measured_on=DAY)


def test_block_without_a_reading_is_skipped() -> None:
    blocks = [block("2024-01-10", 7), block("2024-02-10", None)]
    result = baseline_for_procedure(day=DAY, scores=[], blocks=blocks)
    assert result is not None
    assert result.nrs == 7


def test_same_day_later_listed_wins() -> None:
    scores = [(date(2024, 5, 20), 6), (date(2024, 5, 20), 8)]
    result = baseline_for_procedure(day=DAY, scores=scores, blocks=[])
    assert result is not None
    assert result.nrs == 8


def test_none_when_nothing_qualifies() -> None:
    assert baseline_for_procedure(day=DAY, scores=[], blocks=[block("2024-01-01", 8, 10)]) is None


def test_bad_nrs_is_named() -> None:
    with pytest.raises(ValueError, match="score nrs 11 is not an integer NRS 0-10"):
        baseline_for_procedure(day=DAY, scores=[(date(2024, 5, 1), 11)], blocks=[])


def test_a_procedure_at_the_calendars_start_looks_back_to_it() -> None:
    """A typo year (1 January of year 1): the window starts at the calendar's first day."""
    first = date.min
    result = baseline_for_procedure(
        day=date(1, 1, 20), scores=[(first, 6)], blocks=[block("0001-01-05", 8)]
    )
    assert result == BaselineNrs(nrs=6, source="score", measured_on=first)
    assert baseline_for_procedure(day=first, scores=[], blocks=[block("0001-01-01", 8)]) == (
        BaselineNrs(nrs=8, source="block", measured_on=first)
    )
