"""Responder at N months, duration of relief and the course: hand-computed series."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rhizo.pathway.course import course_of
from rhizo.pathway.dates import months_after
from rhizo.pathway.policies import Threshold
from rhizo.pathway.relief import RESPONDER_MONTHS, RESPONDER_THRESHOLD, in_relief
from rhizo.pathway.responder import responder_at

DAY = date(2024, 1, 31)  # 3 months later: 30 Apr 2024 (clamped); window 31 Mar - 30 May


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_responder_rule_is_cohen_2010() -> None:
    # Knowledge outcomes/responder: >= 50 % at 3 months (Cohen 2010 Methods).
    assert Threshold(value=50.0, inclusive=True) == RESPONDER_THRESHOLD
    assert RESPONDER_MONTHS == 3


def test_in_relief_matches_exact_fractions_for_every_nrs_pair() -> None:
    # Second implementation: integer cross-multiplication, 100 (b - n) >= p b, no floats.
    for p in (30, 50, 80):
        for b in range(11):
            for n in range(11):
                exact = b > 0 and 100 * (b - n) >= p * b
                strict = b > 0 and 100 * (b - n) > p * b
                assert in_relief(b, n, Threshold(value=p, inclusive=True)) is exact
                assert in_relief(b, n, Threshold(value=p, inclusive=False)) is strict


def test_responder_from_the_score_nearest_the_calendar_target() -> None:
    # 8 -> 4 is 50 % (responder); the 6 on 20 May is further from 30 Apr than 25 Apr's 4.
    scores = [(d("2024-04-25"), 4), (d("2024-05-20"), 6)]
    result = responder_at(day=DAY, baseline_nrs=8, scores=scores, months=3, as_of=d("2024-12-01"))
    assert result.status == "responder"
    assert result.responder is True
    assert result.target == d("2024-04-30")
    assert result.window == (d("2024-03-31"), d("2024-05-30"))
    assert (result.score_on, result.score_nrs, result.relief_percent) == (d("2024-04-25"), 4, 50.0)


def test_tie_goes_to_the_earlier_score() -> None:
    scores = [(d("2024-05-02"), 7), (d("2024-04-28"), 3)]  # both 2 days from 30 Apr
    result = responder_at(day=DAY, baseline_nrs=8, scores=scores, months=3, as_of=d("2024-12-01"))
    assert result.score_on == d("2024-04-28")
    assert result.responder is True


def test_one_transient_flare_does_not_unmake_a_responder() -> None:
    # A flare (8/10, no relief) at 6 weeks, relief again by the 3-month review.
    scores = [(d("2024-02-14"), 2), (d("2024-03-13"), 8), (d("2024-04-30"), 3)]
    result = responder_at(day=DAY, baseline_nrs=8, scores=scores, months=3, as_of=d("2024-12-01"))
    assert result.responder is True
    # The duration of relief does end at the flare: relief confirmed to 14 Feb (14 days).
    course = course_of(day=DAY, baseline_nrs=8, scores=scores)
    assert course is not None
    assert (course.last_relieved_on, course.lost_on, course.relief_days) == (
        d("2024-02-14"),
        d("2024-03-13"),
        14,
    )


def test_non_responder_below_fifty_percent() -> None:
    scores = [(d("2024-04-30"), 5)]  # 8 -> 5 is 37.5 %
    result = responder_at(day=DAY, baseline_nrs=8, scores=scores, months=3, as_of=d("2024-12-01"))
    assert result.status == "non_responder"
    assert result.responder is False
    assert result.assessable


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        (d("2024-05-30"), "pending"),  # window's last day: still open
        (d("2024-05-31"), "missing"),  # closed without a score
    ],
)
def test_pending_then_missing(as_of: date, status: str) -> None:
    scores = [(d("2024-02-20"), 2), (d("2024-06-15"), 2)]  # none in 31 Mar - 30 May
    result = responder_at(day=DAY, baseline_nrs=8, scores=scores, months=3, as_of=as_of)
    assert result.status == status
    assert result.responder is None
    assert not result.assessable


def test_scores_after_as_of_are_not_seen() -> None:
    scores = [(d("2024-04-30"), 2)]
    result = responder_at(day=DAY, baseline_nrs=8, scores=scores, months=3, as_of=d("2024-04-29"))
    assert result.status == "pending"


@pytest.mark.parametrize("baseline", [None, 0])
def test_no_baseline(baseline: int | None) -> None:
    result = responder_at(
        day=DAY, baseline_nrs=baseline, scores=[(d("2024-04-30"), 0)], months=3, as_of=DAY
    )
    assert result.status == "no_baseline"


def test_responder_refuses_a_bad_score() -> None:
    with pytest.raises(ValueError, match="score nrs -1 is not an integer NRS 0-10"):
        responder_at(day=DAY, baseline_nrs=8, scores=[(d("2024-04-30"), -1)], months=3, as_of=DAY)


# The course: event at the first score out of relief after onset, or at the first score
# when relief never came; censored at the last score while still relieved.
def test_course_relief_lost() -> None:
    scores = [
        (d("2024-01-15"), 3),
        (d("2024-03-01"), 4),
        (d("2024-06-01"), 6),
        (d("2024-07-01"), 3),
    ]
    course = course_of(day=d("2024-01-01"), baseline_nrs=8, scores=scores)
    assert course is not None
    assert course.onset_on == d("2024-01-15")
    assert course.relieved
    assert course.last_relieved_on == d("2024-03-01")
    assert course.relief_days == 60  # Jan 31 + Feb 29
    assert not course.relief_censored
    assert (course.event_on, course.ended, course.event_days) == (d("2024-06-01"), True, 152)
    assert course.event_months == 5  # 1 Jun is 5 calendar months after 1 Jan


def test_course_censored_while_relieved() -> None:
    scores = [(d("2024-02-29"), 2), (d("2024-04-30"), 4)]
    course = course_of(day=DAY, baseline_nrs=8, scores=scores)
    assert course is not None
    assert course.relief_censored
    assert not course.ended
    assert (course.event_on, course.event_days, course.event_months) == (d("2024-04-30"), 90, 3)
    assert course.relief_days == 90


def test_course_relief_never_reached() -> None:
    course = course_of(day=DAY, baseline_nrs=8, scores=[(d("2024-03-15"), 6), (d("2024-05-01"), 7)])
    assert course is not None
    assert not course.relieved
    assert course.ended
    assert (course.event_on, course.event_days, course.relief_days) == (d("2024-03-15"), 44, 0)


def test_course_not_assessable() -> None:
    assert course_of(day=DAY, baseline_nrs=None, scores=[(d("2024-03-15"), 2)]) is None
    assert course_of(day=DAY, baseline_nrs=0, scores=[(d("2024-03-15"), 0)]) is None
    # A score on the procedure day is not after it.
    assert course_of(day=DAY, baseline_nrs=8, scores=[(DAY, 2)]) is None
    assert course_of(day=DAY, baseline_nrs=8, scores=[(d("2024-03-15"), 2)], as_of=DAY) is None


def _reference(baseline: int, day: date, scores: list[tuple[date, int]]) -> tuple[int, bool, int]:
    """A second, deliberately different implementation: label each score, then index."""
    after = sorted((s for s in scores if s[0] > day), key=lambda s: s[0])
    relieved = [100 * (baseline - n) >= 50 * baseline for _, n in after]
    if True not in relieved:
        return (after[0][0] - day).days, True, 0
    first = relieved.index(True)
    lost = next((i for i in range(first, len(after)) if not relieved[i]), None)
    if lost is None:
        last = after[-1][0]
        return (last - day).days, False, (last - day).days
    return (after[lost][0] - day).days, True, (after[lost - 1][0] - day).days


@given(
    baseline=st.integers(min_value=1, max_value=10),
    offsets=st.lists(st.integers(min_value=1, max_value=800), min_size=1, max_size=12, unique=True),
    values=st.lists(st.integers(min_value=0, max_value=10), min_size=12, max_size=12),
)
def test_course_equals_a_second_implementation(
    baseline: int, offsets: list[int], values: list[int]
) -> None:
    day = date(2023, 12, 31)
    scores = [(day + timedelta(days=o), v) for o, v in zip(offsets, values, strict=False)]
    course = course_of(day=day, baseline_nrs=baseline, scores=scores)
    assert course is not None
    assert (course.event_days, course.ended, course.relief_days) == _reference(
        baseline, day, scores
    )
    assert months_after(day, course.event_months) <= course.event_on


def _reference_responder(
    baseline: int, day: date, scores: list[tuple[date, int]], months: int, as_of: date
) -> str:
    """Second implementation of the N-month verdict: filter, sort by (distance, date, order)."""
    target = months_after(day, months)
    inside = [
        (abs((on - target).days), on, i, nrs)
        for i, (on, nrs) in enumerate(scores)
        if abs((on - target).days) <= 30 and day < on <= as_of
    ]
    if not inside:
        return "pending" if as_of <= target + timedelta(days=30) else "missing"
    nrs = sorted(inside)[0][3]
    return "responder" if 2 * (baseline - nrs) >= baseline else "non_responder"


@given(
    baseline=st.integers(min_value=1, max_value=10),
    day=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    months=st.sampled_from([3, 6, 12]),
    offsets=st.lists(st.integers(min_value=-10, max_value=420), max_size=10),
    values=st.lists(st.integers(min_value=0, max_value=10), min_size=10, max_size=10),
    as_of_days=st.integers(min_value=0, max_value=450),
)
def test_responder_at_equals_a_second_implementation(
    baseline: int,
    day: date,
    months: int,
    offsets: list[int],
    values: list[int],
    as_of_days: int,
) -> None:
    scores = [(day + timedelta(days=o), v) for o, v in zip(offsets, values, strict=False)]
    as_of = day + timedelta(days=as_of_days)
    result = responder_at(day=day, baseline_nrs=baseline, scores=scores, months=months, as_of=as_of)
    assert result.status == _reference_responder(baseline, day, scores, months, as_of)


# Cohen 2010 abstract: ">= 50 % pain relief coupled with a positive global perceived effect
# persisting for 3 months". With a PGIC recorded at the 3-month review both must hold;
# positive = PGIC 1-2 (Farrar 2001's "much" / "very much improved" anchor).
@pytest.mark.parametrize(
    ("nrs", "pgic", "status", "criterion"),
    [
        (4, 2, "responder", "nrs_and_pgic"),  # 50 % exactly, much improved
        (4, 1, "responder", "nrs_and_pgic"),  # 50 %, very much improved
        (3, 3, "non_responder", "nrs_and_pgic"),  # 62.5 %, only minimally improved
        (3, 4, "non_responder", "nrs_and_pgic"),  # 62.5 %, no change
        (5, 1, "non_responder", "nrs_and_pgic"),  # 37.5 %, very much improved: relief fails
        (4, None, "responder", "nrs_only"),  # no PGIC recorded: the NRS alone decides
        (5, None, "non_responder", "nrs_only"),
    ],
)
def test_global_effect_criterion_at_the_review(
    nrs: int, pgic: int | None, status: str, criterion: str
) -> None:
    scores = [(d("2024-04-30"), nrs, pgic)]
    result = responder_at(day=DAY, baseline_nrs=8, scores=scores, months=3, as_of=d("2024-12-01"))
    assert (result.status, result.criterion, result.score_pgic) == (status, criterion, pgic)


def test_the_pgic_counts_only_from_the_review_that_counts() -> None:
    # The 25 Apr visit (5 days from 30 Apr) counts; the PGIC 4 of 20 May is another visit.
    scores = [(d("2024-04-25"), 4, None), (d("2024-05-20"), 4, 4)]
    result = responder_at(day=DAY, baseline_nrs=8, scores=scores, months=3, as_of=d("2024-12-01"))
    assert (result.status, result.criterion, result.score_on) == (
        "responder",
        "nrs_only",
        d("2024-04-25"),
    )


def test_audit_case_f2_flare_then_relief_with_pgic() -> None:
    # Audit case F2: flare at 6 weeks (8/10), relief and "much improved" at 3 months.
    scores = [(d("2024-02-14"), 2, 1), (d("2024-03-13"), 8, 5), (d("2024-04-30"), 3, 2)]
    result = responder_at(day=DAY, baseline_nrs=8, scores=scores, months=3, as_of=d("2024-12-01"))
    assert (result.status, result.criterion, result.relief_percent) == (
        "responder",
        "nrs_and_pgic",
        62.5,
    )


@pytest.mark.parametrize("pgic", [0, 8])
def test_responder_refuses_a_bad_pgic(pgic: int) -> None:
    with pytest.raises(ValueError, match=f"PGIC {pgic} is not an integer 1-7"):
        responder_at(
            day=DAY, baseline_nrs=8, scores=[(d("2024-04-30"), 3, pgic)], months=3, as_of=DAY
        )


@given(
    baseline=st.integers(min_value=1, max_value=10),
    nrs=st.integers(min_value=0, max_value=10),
    pgic=st.one_of(st.none(), st.integers(min_value=1, max_value=7)),
)
def test_cohen_responder_equals_integer_arithmetic(
    baseline: int, nrs: int, pgic: int | None
) -> None:
    # Second implementation: 2 (b - n) >= b, and PGIC absent or 1-2.
    expected = 2 * (baseline - nrs) >= baseline and (pgic is None or pgic <= 2)
    result = responder_at(
        day=DAY,
        baseline_nrs=baseline,
        scores=[(d("2024-04-30"), nrs, pgic)],
        months=3,
        as_of=d("2024-12-01"),
    )
    assert result.responder is expected


def test_responder_and_repeat_share_one_calendar_rule() -> None:
    # Issue 14: "3 months" is months_after for the responder target and for the repeat
    # check's relief_lasted, on every procedure day of 2024-2025 (31 Jan -> 30 Apr, clamped).
    from rhizo.pathway.dates import relief_lasted

    day = date(2024, 1, 1)
    while day < date(2026, 1, 1):
        target = responder_at(
            day=day, baseline_nrs=8, scores=[], months=RESPONDER_MONTHS, as_of=day
        ).target
        assert target == months_after(day, RESPONDER_MONTHS)
        assert relief_lasted(day, target, RESPONDER_MONTHS)
        assert not relief_lasted(day, target - timedelta(days=1), RESPONDER_MONTHS)
        day += timedelta(days=1)
    assert months_after(date(2024, 1, 31), 3) == date(2024, 4, 30)
