"""Responder check and repeat rule say "at 3 months" the same way, on every day of a year.

Before issue 13 the responder check counted 3 calendar months and the repeat
rule 13.0 weeks (91 days). 3 calendar months are 89-92 days, so for a
procedure whose relief was last confirmed exactly 3 calendar months later
(then pain came back) the two disagreed on every day whose 3 months are
shorter than 91 days: 91 of the 365 days of 2025 (25 %), counted here with an
independent day-by-day count. Both now call rhizo.pathway.responder.responder_at.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from rhizo.pathway.dates import months_after
from rhizo.pathway.followup import PainScore, is_responder, repeat_eligibility


def _days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


def _calendar_3_months(day: date) -> date:
    """Independent of months_after: the same day number 3 months on, else that month's last."""
    month, year = day.month + 3, day.year
    if month > 12:
        month, year = month - 12, year + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@pytest.mark.parametrize(("year", "disagreeing"), [(2025, 91), (2024, 62), (2023, 59)])
def test_old_13_week_rule_disagreed_on_a_quarter_of_days(year: int, disagreeing: int) -> None:
    # Old responder: relief confirmed on or after 3 calendar months; old repeat: >= 91 days.
    old_disagree = [day for day in _days_of(year) if (_calendar_3_months(day) - day).days < 13 * 7]
    assert len(old_disagree) == disagreeing
    assert all(months_after(day, 3) == _calendar_3_months(day) for day in _days_of(year))


@pytest.mark.parametrize("year", [2023, 2024, 2025])
def test_responder_and_repeat_agree_on_every_day_of_the_year(year: int) -> None:
    for day in _days_of(year):
        target = months_after(day, 3)
        for last_relieved in (target - timedelta(days=1), target, day + timedelta(days=91)):
            scores = [
                PainScore(on=day + timedelta(days=14), nrs=2),
                PainScore(on=last_relieved, nrs=2),  # 8 -> 2: 75 %, meets >= 50 and > 30
                PainScore(on=target + timedelta(days=45), nrs=8),  # pain back
            ]
            responder = is_responder(baseline_nrs=8, procedure_date=day, scores=scores)
            repeat = repeat_eligibility(
                baseline_nrs=8, procedure_date=day, scores=scores, policy="asra-2020"
            )
            assert responder.responder is True, (day, last_relieved)
            assert repeat.eligible is True, (day, last_relieved, repeat.message)


def test_candidacy_repeat_counts_calendar_months_from_the_rf_day() -> None:
    # cervical-2022: > 30 % relief for >= 3 months (Hurley 2022 Table 22). From 1 Jan 2025,
    # 3 calendar months end on 1 Apr 2025: 90 days (12.9 weeks), which 13.0 weeks refused.
    from rhizo.pathway.candidacy import CandidacyInput, Verdict, screen_candidacy

    def verdict(weeks: float) -> Verdict:
        patient = CandidacyInput.model_validate(
            {
                "region": "cervical",
                "pain_duration_weeks": 52,
                "conservative_care": [{"kind": "physiotherapy", "weeks": 12}],
                "pain_returned": True,  # a repeat needs the pain back (issue 14)
                "prior_rf": [
                    {
                        "performed_on": "2025-01-01",
                        "relief_percent": 60,
                        "relief_duration_weeks": weeks,
                    }
                ],
            }
        )
        return screen_candidacy(patient, policy="cervical-2022", today=date(2025, 9, 1)).verdict

    assert verdict(90 / 7) is Verdict.CANDIDATE  # relieved through 1 Apr
    assert verdict(89 / 7) is Verdict.NOT_CANDIDATE  # through 31 Mar: a day short
