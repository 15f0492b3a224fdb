"""The registry pass's arrays against the pathway's per-procedure definitions.

Random procedures and scores (hypothesis): the vectorised courses equal
:func:`rhizo.pathway.course.course_of` for every procedure (event or censoring
day, status, relieved, last relieved day, and the event time in calendar
months of :func:`rhizo.pathway.elapsed.months_elapsed`); the vectorised reviews
equal :func:`rhizo.pathway.responder.responder_at` (status) and
:func:`rhizo.pathway.responder.nearest_in_window` (the score that counts);
the calendar arrays equal :mod:`rhizo.pathway.dates` on every day of
2023-2025 (month ends, the leap day).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rhizo.clinic.outcomes import arrays, calendar_arrays
from rhizo.clinic.outcomes.rows import owners
from rhizo.pathway.attribution import assign_scores
from rhizo.pathway.course import course_of
from rhizo.pathway.dates import months_after, whole_months_between
from rhizo.pathway.elapsed import months_elapsed
from rhizo.pathway.policies import Threshold
from rhizo.pathway.relief import in_relief
from rhizo.pathway.responder import nearest_in_window, responder_at

START = date(2024, 1, 1)

procedure = st.tuples(
    st.integers(min_value=0, max_value=400),  # day offset from START
    st.one_of(st.none(), st.integers(min_value=0, max_value=10)),  # baseline
    st.lists(
        st.tuples(
            st.integers(min_value=-40, max_value=420),  # score day after the procedure
            st.integers(min_value=0, max_value=10),
        ),
        max_size=8,
    ),
)


def _rows(procedures: list[tuple[int, int | None, list[tuple[int, int]]]]) -> arrays.ScoreRows:
    day = np.asarray([(START + timedelta(days=d)).toordinal() for d, _, _ in procedures])
    baseline = np.asarray([-1 if b is None else b for _, b, _ in procedures])
    owner, on, nrs = [], [], []
    for row, (d, _, scores) in enumerate(procedures):
        # Sorted by date; same day keeps the listed order (the "id" order).
        for offset, value in sorted(scores, key=lambda s: s[0]):
            owner.append(row)
            on.append((START + timedelta(days=d + offset)).toordinal())
            nrs.append(value)
    return arrays.ScoreRows(
        day=day.astype(np.int64),
        baseline=baseline.astype(np.int64),
        score_of=np.asarray(owner, dtype=np.int64),
        score_day=np.asarray(on, dtype=np.int64),
        nrs=np.asarray(nrs, dtype=np.int64),
    )


def _scores_of(procedure: tuple[int, int | None, list[tuple[int, int]]]) -> list[tuple[date, int]]:
    d, _, scores = procedure
    return [
        (START + timedelta(days=d + offset), value)
        for offset, value in sorted(scores, key=lambda s: s[0])
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(procedure, min_size=1, max_size=12))
def test_courses_equal_course_of(
    procedures: list[tuple[int, int | None, list[tuple[int, int]]]],
) -> None:
    got = arrays.courses(_rows(procedures))
    for row, item in enumerate(procedures):
        day = START + timedelta(days=item[0])
        expected = course_of(day=day, baseline_nrs=item[1], scores=_scores_of(item))
        if expected is None:
            assert not got.assessable[row]
            continue
        assert got.assessable[row]
        assert date.fromordinal(int(got.event_day[row])) == expected.event_on
        assert bool(got.ended[row]) == expected.ended
        assert bool(got.relieved[row]) == expected.relieved
        last = int(got.last_relieved_day[row])
        assert (None if last < 0 else date.fromordinal(last)) == expected.last_relieved_on
        assert got.event_months[row] == months_elapsed(day, expected.event_on)
        assert int(got.event_months[row]) == expected.event_months


@settings(max_examples=300, deadline=None)
@given(
    st.lists(procedure, min_size=1, max_size=12),
    st.sampled_from([3, 6, 12]),
    st.integers(min_value=0, max_value=900),
)
def test_reviews_equal_responder_at(
    procedures: list[tuple[int, int | None, list[tuple[int, int]]]], months: int, as_of_offset: int
) -> None:
    rows = _rows(procedures)
    as_of = START + timedelta(days=as_of_offset)
    got = arrays.reviews(rows, months=months, as_of=as_of.toordinal())
    for row, item in enumerate(procedures):
        day = START + timedelta(days=item[0])
        scores = _scores_of(item)
        expected = responder_at(
            day=day, baseline_nrs=item[1], scores=scores, months=months, as_of=as_of
        )
        assert arrays.STATUS_NAMES[got.status[row]] == expected.status
        nearest = nearest_in_window([s for s in scores if s[0] <= as_of], day=day, months=months)
        chosen = int(got.score[row])
        found = (
            None
            if chosen < 0
            else (date.fromordinal(int(rows.score_day[chosen])), int(rows.nrs[chosen]))
        )
        assert found == nearest


def _pgic_for(offset: int, value: int) -> int:
    """A PGIC 0-7 for a score (0: not recorded), spread over every value."""
    return (offset * 7 + value * 3) % 8


@settings(max_examples=300, deadline=None)
@given(
    st.lists(procedure, min_size=1, max_size=12),
    st.sampled_from([3, 6, 12]),
    st.integers(min_value=0, max_value=900),
)
def test_reviews_with_pgic_equal_responder_at(
    procedures: list[tuple[int, int | None, list[tuple[int, int]]]], months: int, as_of_offset: int
) -> None:
    # Cohen 2010's global-effect criterion: the arrays veto a relieved review whose
    # PGIC is above 2, exactly as responder_at does on (day, nrs, pgic) reviews.
    rows = _rows(procedures)
    pgic = np.asarray(
        [
            _pgic_for(offset, value)
            for _, _, scores in procedures
            for offset, value in sorted(scores, key=lambda s: s[0])
        ],
        dtype=np.int64,
    )
    as_of = START + timedelta(days=as_of_offset)
    got = arrays.reviews(rows, months=months, as_of=as_of.toordinal(), pgic=pgic)
    for row, item in enumerate(procedures):
        day = START + timedelta(days=item[0])
        reviews = [
            (START + timedelta(days=item[0] + offset), value, _pgic_for(offset, value) or None)
            for offset, value in sorted(item[2], key=lambda s: s[0])
        ]
        expected = responder_at(
            day=day, baseline_nrs=item[1], scores=reviews, months=months, as_of=as_of
        )
        assert arrays.STATUS_NAMES[got.status[row]] == expected.status


def test_global_effect_table_is_pgic_1_or_2() -> None:
    # Farrar 2001 anchor: 1 very much / 2 much improved; 0 = none recorded (no veto).
    assert arrays.global_effect_table().tolist() == [True, True, True] + [False] * 5


@pytest.mark.parametrize(
    "threshold", [Threshold(value=50.0, inclusive=True), Threshold(value=30.0, inclusive=False)]
)
def test_relief_table_is_the_pathway_rule(threshold: Threshold) -> None:
    baselines = np.repeat(np.arange(-1, 11), 11)
    scores = np.tile(np.arange(11), 12)
    got = arrays.in_relief(baselines, scores, threshold)
    expected = [
        b >= 0 and in_relief(int(b), int(n), threshold)
        for b, n in zip(baselines, scores, strict=True)
    ]
    assert got.tolist() == expected


DAYS = np.arange(date(2023, 1, 1).toordinal(), date(2026, 1, 1).toordinal(), dtype=np.int64)


@pytest.mark.parametrize("months", [-12, -1, 0, 1, 3, 6, 12, 18])
def test_months_after_on_every_day(months: int) -> None:
    expected = [months_after(date.fromordinal(int(d)), months).toordinal() for d in DAYS]
    assert calendar_arrays.months_after(DAYS, months).tolist() == expected


def test_whole_and_elapsed_months_on_every_day_and_span() -> None:
    rng = np.random.default_rng(7)
    start = np.repeat(DAYS, 3)
    end = start + rng.integers(0, 800, start.size)
    whole = calendar_arrays.whole_months_between(start, end)
    elapsed = calendar_arrays.months_elapsed(start, end)
    for a, b, w, e in zip(
        start.tolist(), end.tolist(), whole.tolist(), elapsed.tolist(), strict=True
    ):
        first, last = date.fromordinal(a), date.fromordinal(b)
        assert w == whole_months_between(first, last)
        assert e == months_elapsed(first, last)


def test_rows_refuse_unsorted_scores() -> None:
    with pytest.raises(ValueError, match="sorted"):
        arrays.ScoreRows(
            day=np.asarray([1, 2]),
            baseline=np.asarray([5, 5]),
            score_of=np.asarray([1, 0]),
            score_day=np.asarray([3, 4]),
            nrs=np.asarray([1, 1]),
        )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(
                st.integers(min_value=0, max_value=60), min_size=0, max_size=4
            ),  # procedure days
            st.lists(
                st.tuples(
                    st.integers(min_value=-10, max_value=90),  # score day
                    st.integers(min_value=-1, max_value=5),  # linked: which procedure, -1 none
                    st.integers(min_value=0, max_value=10),
                ),
                max_size=8,
            ),
        ),
        min_size=1,
        max_size=5,
    ),
    st.integers(min_value=0, max_value=3),
)
def test_score_owners_equal_assign_scores(
    patients: list[tuple[list[int], list[tuple[int, int, int]]]], foreign: int
) -> None:
    """The vectorised owner of every score is rhizo.pathway.attribution.assign_scores's."""
    procedure_id, patient_id, day = [], [], []
    score_patient, score_linked, score_day, expected = [], [], [], []
    next_id = 100
    for patient, (days, scores) in enumerate(patients):
        ids = []
        for offset in sorted(days):
            ids.append(next_id)
            procedure_id.append(next_id)
            patient_id.append(patient)
            day.append((START + timedelta(days=offset)).toordinal())
            next_id += 1
        given_procedures = [
            (pid, START + timedelta(days=d)) for pid, d in zip(ids, sorted(days), strict=True)
        ]
        recorded = []
        for on, link, nrs in scores:
            # A link to one of this patient's procedures, or to another (not given) id.
            linked = None if link < 0 else (ids[link] if link < len(ids) else 10_000 + foreign)
            recorded.append((START + timedelta(days=on), nrs, linked))
            score_patient.append(patient)
            score_linked.append(-1 if linked is None else linked)
            score_day.append((START + timedelta(days=on)).toordinal())
        for score in recorded:
            # The rule is per score: ask the definition about each one alone.
            owned = assign_scores(given_procedures, [score])
            expected.append(next((pid for pid, got in owned.items() if got), None))
    rows = owners(
        score_patient=np.asarray(score_patient, dtype=np.int64),
        score_linked=np.asarray(score_linked, dtype=np.int64),
        score_day=np.asarray(score_day, dtype=np.int64),
        procedure_id=np.asarray(procedure_id, dtype=np.int64),
        patient_id=np.asarray(patient_id, dtype=np.int64),
        day=np.asarray(day, dtype=np.int64),
    )
    got = [None if r < 0 else procedure_id[r] for r in rows.tolist()]
    assert got == expected
