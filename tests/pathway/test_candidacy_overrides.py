"""Issue 14: the exceptions a guideline allows are clinician-documented overrides.

Reference: Cohen 2020 Table 11 (clinical practice): conservative treatment
"preferably 3 months, but may be less in certain circumstances (eg,
incapacitating pain ..., competitive athlete, military deployment)"; block
cut-off ">=50%, with lower cut-offs considered in certain circumstances (eg,
other metrics of improvement achieved)". Hurley 2022 Table 22 gives the same
conservative-care exception for the neck but a plain "> 50 %" cut-off. An
override is never silent, needs a reason, and a contraindication cannot be
overridden.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from rhizo.pathway.candidacy import (
    CandidacyInput,
    Screening,
    ScreeningInputError,
    Verdict,
    screen_candidacy,
)

LUMBAR: dict[str, Any] = {
    "region": "lumbar",
    "pain_duration_weeks": 26,
    "conditions": ["facet_joint_syndrome"],
    "conservative_care_weeks": 14,
    "blocks": [{"relief_percent": 80}],
}
INCAPACITATING = {"rule": "conservative_care", "reason": "incapacitating pain, off work"}


def screen(policy: str | None = None, **changes: Any) -> Screening:
    return screen_candidacy(CandidacyInput.model_validate({**LUMBAR, **changes}), policy=policy)


def reason(result: Screening, rule: str) -> tuple[str, str]:
    found = next(r for r in result.reasons if r.rule == rule)
    return found.effect, found.message


def test_short_conservative_care_without_override_is_not_yet() -> None:
    assert screen(conservative_care_weeks=4).verdict is Verdict.NOT_YET


def test_conservative_care_override_is_a_note_with_the_guideline_sentence() -> None:
    result = screen(conservative_care_weeks=4, overrides=[INCAPACITATING])
    assert result.verdict is Verdict.CANDIDATE
    effect, message = reason(result, "conservative-care")
    assert effect == "note"
    assert "Override by clinician: incapacitating pain, off work." in message
    assert "may be less in certain circumstances" in message
    assert "Cohen 2020 Table 11" in message


def test_the_incapacitating_pain_exception_covers_pain_duration_too() -> None:
    # Audit case c12: 6 weeks of incapacitating pain, exception accepted for conservative
    # care, was still blocked by the pain-duration rule.
    result = screen(pain_duration_weeks=6, conservative_care_weeks=4, overrides=[INCAPACITATING])
    assert result.verdict is Verdict.CANDIDATE
    effect, message = reason(result, "pain-duration")
    assert effect == "note"
    assert "also covers the pain duration" in message
    assert "incapacitating pain, off work" in message


def test_a_pain_duration_override_alone_leaves_conservative_care_to_its_rule() -> None:
    override = {"rule": "pain_duration", "reason": "military deployment in 4 weeks"}
    result = screen(pain_duration_weeks=8, conservative_care_weeks=4, overrides=[override])
    assert reason(result, "pain-duration")[0] == "note"
    assert reason(result, "conservative-care")[0] == "not_yet"
    assert result.verdict is Verdict.NOT_YET


@pytest.mark.parametrize(
    ("relief", "override", "verdict", "effect"),
    [
        (49, False, Verdict.NOT_CANDIDATE, "not_candidate"),
        (49, True, Verdict.CANDIDATE, "note"),
        (50, True, Verdict.CANDIDATE, "supports"),  # met anyway: recorded, not needed
    ],
)
def test_lower_block_cutoff_override(
    relief: float, override: bool, verdict: Verdict, effect: str
) -> None:
    overrides = (
        [{"rule": "block_cutoff", "reason": "ODI fell 20 points after the block"}]
        if override
        else []
    )
    result = screen(blocks=[{"relief_percent": relief}], overrides=overrides)
    assert result.verdict is verdict
    got_effect, message = reason(result, "diagnostic-blocks")
    assert got_effect == effect
    if override:
        assert "ODI fell 20 points after the block" in message
    if effect == "note":
        assert "lower cut-offs considered" in message


def test_a_block_override_needs_a_block() -> None:
    override = [{"rule": "block_cutoff", "reason": "other metrics improved"}]
    assert screen(blocks=[], overrides=override).verdict is Verdict.NOT_YET


def test_cervical_cutoff_cannot_be_lowered() -> None:
    # Hurley 2022 Table 22 gives "> 50 %" in practice, no lower cut-off.
    with pytest.raises(ScreeningInputError) as caught:
        screen(
            region="cervical",
            blocks=[{"relief_percent": 45}],
            overrides=[{"rule": "block_cutoff", "reason": "function improved"}],
        )
    assert caught.value.field == "overrides"
    assert "conservative_care" in caught.value.allowed  # what it does allow


def test_cervical_conservative_care_override() -> None:
    result = screen(region="cervical", conservative_care_weeks=3, overrides=[INCAPACITATING])
    effect, message = reason(result, "conservative-care")
    assert (result.verdict, effect) == (Verdict.CANDIDATE, "note")
    assert "Hurley 2022 Table 22" in message


@pytest.mark.parametrize("rule", ["active_infection", "pregnancy", "red_flag", "radicular"])
def test_a_contraindication_cannot_be_overridden(rule: str) -> None:
    with pytest.raises(ValidationError, match="contraindications"):
        CandidacyInput.model_validate({**LUMBAR, "overrides": [{"rule": rule, "reason": "x"}]})


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_an_override_needs_a_reason(text: str) -> None:
    with pytest.raises(ValidationError, match="reason"):
        CandidacyInput.model_validate(
            {**LUMBAR, "overrides": [{"rule": "conservative_care", "reason": text}]}
        )
    with pytest.raises(ValidationError, match="reason"):
        CandidacyInput.model_validate({**LUMBAR, "overrides": [{"rule": "conservative_care"}]})


def test_one_override_per_rule() -> None:
    with pytest.raises(ValidationError, match="twice"):
        CandidacyInput.model_validate({**LUMBAR, "overrides": [INCAPACITATING, INCAPACITATING]})


def test_an_unneeded_override_is_recorded_not_silent() -> None:
    result = screen(overrides=[INCAPACITATING])
    effect, message = reason(result, "conservative-care")
    assert effect == "supports"
    assert "not needed: incapacitating pain, off work" in message


def test_an_override_in_a_repeat_is_shown_as_unused() -> None:
    prior = [{"relief_percent": 60, "relief_duration_weeks": 20}]
    result = screen(prior_rf=prior, pain_returned=True, overrides=[INCAPACITATING])
    effect, message = reason(result, "override-conservative-care")
    assert effect == "note"
    assert "not used" in message


def test_the_older_exception_field_is_an_override() -> None:
    result = screen(conservative_care_weeks=4, conservative_care_exception="competitive athlete")
    effect, message = reason(result, "conservative-care")
    assert effect == "note"
    assert "Override by clinician: competitive athlete." in message


def test_the_payer_policy_refuses_overrides() -> None:
    with pytest.raises(ScreeningInputError, match="none"):
        screen(policy="dual-block-80", overrides=[INCAPACITATING])
