"""Issue 14: a repeat RF needs the pain back and > 30 % relief for 3 calendar months.

References: Hurley 2022 Table 22, repeat RFA if the prior RFA gave "> 30 % for at
least 3 months" (per IMMPACT and the lumbar guideline), no repeat block. The
calendar: 3 months after 30 November are 28 February (29 in a leap year), the
end of the month clamped, as the responder check counts them
(:func:`rhizo.pathway.dates.months_after`). Dates below are written out by hand.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from rhizo.pathway.candidacy import CandidacyInput, Screening, Verdict, screen_candidacy
from rhizo.pathway.dates import months_after, relief_lasted

LUMBAR: dict[str, Any] = {
    "region": "lumbar",
    "pain_duration_weeks": 104,
    "conditions": ["facet_joint_syndrome"],
    "conservative_care_weeks": 14,
}


def repeat(
    *,
    relief: float = 60,
    weeks: float = 30,
    on: str | None = "2025-06-01",
    region: str = "lumbar",
    **changes: Any,
) -> Screening:
    prior: dict[str, Any] = {"relief_percent": relief, "relief_duration_weeks": weeks}
    if on is not None:
        prior["performed_on"] = on
    facts = {**LUMBAR, "region": region, "prior_rf": [prior], **changes}
    return screen_candidacy(CandidacyInput.model_validate(facts))


def effects(result: Screening) -> dict[str, str]:
    return {r.rule: r.effect for r in result.reasons}


# relief_lasted: the one calendar rule, at the boundary dates.
@pytest.mark.parametrize(
    ("start", "until", "lasted"),
    [
        (date(2025, 11, 30), date(2026, 2, 27), False),
        (date(2025, 11, 30), date(2026, 2, 28), True),  # 2026: not a leap year
        (date(2025, 11, 30), date(2026, 3, 1), True),
        (date(2023, 11, 30), date(2024, 2, 28), False),
        (date(2023, 11, 30), date(2024, 2, 29), True),  # 2024: a leap year
        (date(2025, 1, 1), date(2025, 3, 31), False),
        (date(2025, 1, 1), date(2025, 4, 1), True),
        (date(2025, 8, 31), date(2025, 11, 29), False),
        (date(2025, 8, 31), date(2025, 11, 30), True),  # 30 November: clamped
    ],
)
def test_relief_lasted_three_calendar_months(start: date, until: date, lasted: bool) -> None:
    assert relief_lasted(start, until, 3) is lasted


def test_relief_lasted_refuses_fractional_months() -> None:
    with pytest.raises(ValueError, match="whole number"):
        relief_lasted(date(2025, 1, 1), date(2025, 6, 1), 2.5)  # type: ignore[arg-type]


# The screen at those boundaries: 30 Nov 2025 + 90 days = 28 Feb 2026.
@pytest.mark.parametrize(
    ("days", "verdict"),
    [(89, Verdict.NOT_CANDIDATE), (90, Verdict.CANDIDATE), (91, Verdict.CANDIDATE)],
)
def test_repeat_at_the_end_of_february(days: int, verdict: Verdict) -> None:
    result = repeat(on="2025-11-30", weeks=days / 7, pain_returned=True)
    assert result.verdict is verdict
    message = next(r.message for r in result.reasons if r.rule == "repeat-response")
    assert "to 2026-02-28" in message


def test_repeat_in_a_leap_year() -> None:
    # 30 Nov 2023 + 91 days = 29 Feb 2024 (the third month's end); 90 days is a day short.
    assert repeat(on="2023-11-30", weeks=91 / 7, pain_returned=True).verdict is Verdict.CANDIDATE
    short = repeat(on="2023-11-30", weeks=90 / 7, pain_returned=True)
    assert short.verdict is Verdict.NOT_CANDIDATE


def test_repeat_agrees_with_the_calendar_rule_on_every_day_of_two_years() -> None:
    # Second implementation: the day relief ends vs months_after, for each RF day.
    day = date(2024, 1, 1)
    while day < date(2026, 1, 1):
        end = months_after(day, 3)
        for relieved_until, expected in ((end - timedelta(days=1), False), (end, True)):
            weeks = (relieved_until - day).days / 7
            result = repeat(on=day.isoformat(), weeks=weeks, pain_returned=True)
            assert (result.verdict is Verdict.CANDIDATE) is expected, (day, relieved_until)
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("weeks", "verdict"),
    [(12.9, Verdict.NOT_CANDIDATE), (13.0, Verdict.CANDIDATE), (13.1, Verdict.CANDIDATE)],
)
def test_unknown_rf_day_falls_back_to_13_weeks_and_says_so(weeks: float, verdict: Verdict) -> None:
    result = repeat(on=None, weeks=weeks, pain_returned=True)
    assert result.verdict is verdict
    message = next(r.message for r in result.reasons if r.rule == "repeat-response")
    assert "13.0 weeks (91 days)" in message
    assert "not known" in message


# > 30 % strict (Hurley 2022 Table 22), lumbar and cervical.
@pytest.mark.parametrize("region", ["lumbar", "cervical"])
@pytest.mark.parametrize(
    ("relief", "verdict"),
    [(29.9, Verdict.NOT_CANDIDATE), (30.0, Verdict.NOT_CANDIDATE), (30.1, Verdict.CANDIDATE)],
)
def test_repeat_relief_over_30_percent(region: str, relief: float, verdict: Verdict) -> None:
    assert repeat(region=region, relief=relief, pain_returned=True).verdict is verdict


def test_pain_returned_missing_asks_to_confirm() -> None:
    result = repeat()
    assert result.verdict is Verdict.NOT_YET
    found = next(r for r in result.reasons if r.rule == "pain-returned")
    assert found.effect == "not_yet"
    assert "Confirm that the pain has returned" in found.message


def test_pain_not_returned_means_relief_is_ongoing() -> None:
    result = repeat(pain_returned=False)
    assert result.verdict is Verdict.NOT_YET
    message = next(r.message for r in result.reasons if r.rule == "pain-returned")
    assert "ongoing" in message


def test_pain_returned_supports_the_repeat() -> None:
    result = repeat(pain_returned=True)
    assert result.verdict is Verdict.CANDIDATE
    assert effects(result)["pain-returned"] == "supports"


def test_a_poor_last_rf_is_not_candidate_whatever_the_pain() -> None:
    assert repeat(relief=20, pain_returned=False).verdict is Verdict.NOT_CANDIDATE


@pytest.mark.parametrize("value", ["maybe", "true", 1, 0.5])
def test_pain_returned_must_be_a_boolean(value: object) -> None:
    with pytest.raises(ValidationError, match="pain_returned"):
        CandidacyInput.model_validate({**LUMBAR, "pain_returned": value})


def test_the_latest_rf_is_judged() -> None:
    # Listed out of order: the later RF (poor relief) decides.
    prior = [
        {"performed_on": "2025-06-01", "relief_percent": 10, "relief_duration_weeks": 2},
        {"performed_on": "2024-01-01", "relief_percent": 80, "relief_duration_weeks": 40},
    ]
    facts = {**LUMBAR, "prior_rf": prior, "pain_returned": True}
    result = screen_candidacy(CandidacyInput.model_validate(facts))
    assert result.verdict is Verdict.NOT_CANDIDATE
