"""Which procedure a score belongs to: hand-built cases and a brute-force reference."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rhizo.pathway.attribution import assign_scores

FIRST, REPEAT = date(2024, 1, 10), date(2024, 9, 1)
PROCEDURES = [(1, FIRST), (2, REPEAT)]


def test_linked_scores_follow_their_link() -> None:
    scores = [(date(2024, 10, 1), 3, 1), (date(2024, 2, 1), 4, 2), (date(2024, 3, 1), 5, 99)]
    owned = assign_scores(PROCEDURES, scores)
    assert owned == {1: [(date(2024, 10, 1), 3)], 2: [(date(2024, 2, 1), 4)]}


def test_unlinked_scores_go_to_the_latest_earlier_procedure() -> None:
    scores = [
        (date(2024, 1, 9), 8, None),  # before the first procedure: none
        (FIRST, 8, None),  # the procedure's own day: not after it, none
        (date(2024, 4, 10), 3, None),  # first course
        (REPEAT, 7, None),  # repeat's day: still the first course
        (date(2024, 12, 1), 2, None),  # repeat's course
    ]
    owned = assign_scores(PROCEDURES, scores)
    assert owned == {
        1: [(date(2024, 4, 10), 3), (REPEAT, 7)],
        2: [(date(2024, 12, 1), 2)],
    }


def test_two_procedures_on_one_day_resolve_to_the_later_listed() -> None:
    owned = assign_scores([(5, FIRST), (6, FIRST)], [(date(2024, 2, 1), 3, None)])
    assert owned == {5: [], 6: [(date(2024, 2, 1), 3)]}


def test_refuses_unsorted_procedures_and_bad_nrs() -> None:
    with pytest.raises(ValueError, match="sorted by their day"):
        assign_scores([(2, REPEAT), (1, FIRST)], [])
    with pytest.raises(ValueError, match="score nrs 12 is not an integer NRS 0-10"):
        assign_scores(PROCEDURES, [(REPEAT, 12, None)])


@given(
    gaps=st.lists(st.integers(min_value=0, max_value=200), min_size=1, max_size=4),
    raw=st.lists(
        st.tuples(
            st.integers(min_value=-30, max_value=900), st.integers(0, 10), st.integers(-1, 5)
        ),
        max_size=12,
    ),
)
def test_unlinked_equals_brute_force(gaps: list[int], raw: list[tuple[int, int, int]]) -> None:
    start = date(2024, 1, 1)
    procedures, day = [], start
    for i, gap in enumerate(gaps):
        day += timedelta(days=gap)
        procedures.append((i, day))
    scores = [(start + timedelta(days=o), n, None if link < 0 else link) for o, n, link in raw]
    expected: dict[int, list[tuple[date, int]]] = {pid: [] for pid, _ in procedures}
    for on, nrs, link in scores:
        if link is not None:
            owner = link if link < len(procedures) else None
        else:
            earlier = [pid for pid, pday in procedures if pday < on]
            owner = earlier[-1] if earlier else None
        if owner is not None:
            expected[owner].append((on, nrs))
    assert assign_scores(procedures, scores) == expected
