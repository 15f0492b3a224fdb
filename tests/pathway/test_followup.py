"""Follow-up dates, responder status, duration of relief and repeat eligibility."""

from __future__ import annotations

from datetime import date

import pytest

from rhizo.pathway.dates import months_after
from rhizo.pathway.followup import (
    PainScore,
    follow_up_schedule,
    is_responder,
    relief_duration,
    repeat_eligibility,
)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year clamp
        (date(2023, 1, 31), 1, date(2023, 2, 28)),  # common year clamp
        (date(2024, 11, 30), 3, date(2025, 2, 28)),  # across year end
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # leap day + 1 year
        (date(2024, 3, 15), 0, date(2024, 3, 15)),
    ],
)
def test_months_after(start: date, months: int, expected: date) -> None:
    assert months_after(start, months) == expected


def test_schedule_across_month_end() -> None:
    # 4 weeks (clinic pages), 3 months (Cohen 2010), 6 months (MacVicar 2013), 1 year.
    visits = follow_up_schedule(date(2023, 11, 30))
    assert [v.due for v in visits] == [
        date(2023, 12, 28),
        date(2024, 2, 29),
        date(2024, 5, 30),
        date(2024, 11, 30),
    ]
    assert all(v.source for v in visits)


def _series(*pairs: tuple[str, int]) -> list[PainScore]:
    return [PainScore(on=date.fromisoformat(d), nrs=n) for d, n in pairs]


def test_relief_duration_ends_at_first_loss() -> None:
    scores = _series(("2024-01-15", 3), ("2024-03-01", 4), ("2024-06-01", 6), ("2024-07-01", 3))
    relief = relief_duration(baseline_nrs=8, procedure_date=date(2024, 1, 1), scores=scores)
    assert relief.onset == date(2024, 1, 15)
    assert relief.ended == date(2024, 6, 1)  # 6/8 = 25 % relief
    assert relief.duration_days == 152  # Jan 31 + Feb 29 (leap) + Mar 31 + Apr 30 + May 31
    assert relief.last_confirmed == date(2024, 3, 1)
    assert relief.confirmed_days == 60  # Jan 31 + Feb 29
    assert not relief.censored
    assert relief.peak_relief_percent == 62.5


def test_relief_duration_censored_while_ongoing() -> None:
    scores = _series(("2024-02-01", 2))
    relief = relief_duration(baseline_nrs=8, procedure_date=date(2024, 1, 31), scores=scores)
    assert relief.censored
    assert relief.duration_days == 1


def test_relief_never_reached() -> None:
    relief = relief_duration(
        baseline_nrs=8, procedure_date=date(2024, 1, 1), scores=_series(("2024-02-01", 6))
    )
    assert relief.onset is None
    assert relief.duration_days == 0


# Cohen 2010: responder = >= 50 % relief at the 3-month review, judged at the score
# nearest 3 calendar months within +-30 days (rhizo.pathway.responder).
def test_responder_at_three_calendar_months() -> None:
    procedure = date(2023, 11, 30)  # 3 months later = 2024-02-29 (leap clamp)
    on_time = _series(("2023-12-15", 4), ("2024-02-29", 4))
    # Formerly a non-responder ("relief confirmed a day short of 3 months"): the review
    # score on 28 Feb is nearest the target and shows 50 %, so the review says responder.
    a_day_short = _series(("2023-12-15", 4), ("2024-02-28", 4), ("2024-03-10", 7))
    lost_by_review = _series(("2023-12-15", 4), ("2024-02-01", 4), ("2024-03-01", 7))
    assert is_responder(baseline_nrs=8, procedure_date=procedure, scores=on_time).responder
    assert is_responder(baseline_nrs=8, procedure_date=procedure, scores=a_day_short).responder
    status = is_responder(baseline_nrs=8, procedure_date=procedure, scores=lost_by_review)
    assert status.responder is False
    assert status.status == "non_responder"


def test_responder_survives_one_flare_before_the_review() -> None:
    scores = _series(("2024-02-01", 2), ("2024-02-20", 8), ("2024-04-01", 3))
    status = is_responder(baseline_nrs=8, procedure_date=date(2024, 1, 1), scores=scores)
    assert status.responder is True
    assert status.relief.ended == date(2024, 2, 20)  # the duration of relief did end there


def test_responder_unknown_before_three_months() -> None:
    status = is_responder(
        baseline_nrs=8, procedure_date=date(2024, 1, 1), scores=_series(("2024-02-01", 2))
    )
    assert status.responder is None


def test_responder_needs_fifty_percent() -> None:
    # 8 -> 5 is 37.5 %: moderate, but not a responder.
    scores = _series(("2024-02-01", 5), ("2024-05-01", 5))
    assert is_responder(
        baseline_nrs=8, procedure_date=date(2024, 1, 1), scores=scores
    ).responder is (False)


# Hurley 2022 Table 22 (cervical-2022): repeat if > 30 % relief lasted >= 3 months.
def test_repeat_eligible_after_pain_returns() -> None:
    scores = _series(("2024-02-01", 3), ("2024-05-01", 4), ("2024-09-01", 8))
    result = repeat_eligibility(
        baseline_nrs=8, procedure_date=date(2024, 1, 1), scores=scores, policy="cervical-2022"
    )
    assert result.eligible
    assert result.pain_returned


def test_repeat_not_yet_while_relief_continues() -> None:
    scores = _series(("2024-02-01", 3), ("2024-05-01", 4))
    result = repeat_eligibility(baseline_nrs=8, procedure_date=date(2024, 1, 1), scores=scores)
    assert not result.eligible
    assert not result.pain_returned


def test_repeat_strict_thirty_percent() -> None:
    # 10 -> 7 is exactly 30 %: not > 30 %, so no qualifying relief under cervical-2022.
    scores = _series(("2024-02-01", 7), ("2024-06-01", 7), ("2024-09-01", 10))
    result = repeat_eligibility(
        baseline_nrs=10, procedure_date=date(2024, 1, 1), scores=scores, policy="cervical-2022"
    )
    assert not result.eligible


def test_repeat_too_short() -> None:
    scores = _series(("2024-02-01", 3), ("2024-03-01", 8))
    result = repeat_eligibility(baseline_nrs=8, procedure_date=date(2024, 1, 1), scores=scores)
    assert not result.eligible


def test_is_responder_applies_the_pgic_recorded_at_the_review() -> None:
    # Cohen 2010: >= 50 % relief coupled with a positive global perceived effect at 3 months.
    from rhizo.pathway.followup import PainScore, is_responder

    day = date(2024, 1, 31)  # 3-month review 30 Apr 2024
    relieved_but_minimal = [PainScore(on=date(2024, 4, 30), nrs=3, pgic=3)]
    status = is_responder(baseline_nrs=8, procedure_date=day, scores=relieved_but_minimal)
    assert (status.responder, status.criterion) == (False, "nrs_and_pgic")
    assert "62.5 % on 2024-04-30, PGIC 3" in status.message
    much_improved = [PainScore(on=date(2024, 4, 30), nrs=3, pgic=2)]
    status = is_responder(baseline_nrs=8, procedure_date=day, scores=much_improved)
    assert (status.responder, status.criterion) == (True, "nrs_and_pgic")
    no_pgic = [PainScore(on=date(2024, 4, 30), nrs=3)]
    status = is_responder(baseline_nrs=8, procedure_date=day, scores=no_pgic)
    assert (status.responder, status.criterion) == (True, "nrs_only")
    assert "no PGIC recorded (NRS alone)" in status.message
