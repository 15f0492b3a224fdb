"""Issue 14: the guideline of the patient's region applies; chronicity in every region.

References (held out from the code): Cohen 2020 is scoped to lumbar facet pain
(title; audit W1), Hurley 2022 to cervical facet pain; both ask that
conservative treatment has failed for "at least 3 months" (trials) /
"preferably 3 months" (practice), Table 11 and Table 22; 3 months = 13.0 weeks
(52 / 12 weeks a month). No guideline read covers the thoracic spine.
"""

from __future__ import annotations

from typing import Any

import pytest

from rhizo.pathway.candidacy import (
    CandidacyInput,
    ScreeningInputError,
    Verdict,
    screen_candidacy,
)
from rhizo.pathway.policies import POLICIES, REGION_DEFAULTS, FacetRegion, policy_for_region

BASE: dict[str, Any] = {
    "pain_duration_weeks": 26,
    "pain_pattern": "axial",
    "conditions": ["facet_joint_syndrome"],
    "conservative_care_weeks": 14,
    "blocks": [{"relief_percent": 80}],
}


def patient(region: str, **changes: Any) -> CandidacyInput:
    return CandidacyInput.model_validate({**BASE, "region": region, **changes})


@pytest.mark.parametrize(
    ("region", "policy"),
    [("lumbar", "asra-2020"), ("cervical", "cervical-2022")],
)
def test_the_region_chooses_its_guideline(region: str, policy: str) -> None:
    result = screen_candidacy(patient(region))
    assert result.policy == policy
    assert result.policy_from_region
    assert result.verdict is Verdict.CANDIDATE


def test_cohen_2020_covers_the_lumbar_spine_only() -> None:
    assert POLICIES["asra-2020"].regions == (FacetRegion.LUMBAR,)
    assert POLICIES["cervical-2022"].regions == (FacetRegion.CERVICAL,)


def test_thoracic_has_no_guideline_and_the_clinician_decides() -> None:
    result = screen_candidacy(patient("thoracic"))
    assert result.policy is None
    assert result.verdict is Verdict.NO_GUIDELINE
    note = next(r for r in result.reasons if r.rule == "region-policy")
    assert note.effect == "note"
    assert "thoracic" in note.message
    assert "clinician decides" in note.message
    # Never screened under a lumbar rule:
    assert not {"pain-duration", "conservative-care", "diagnostic-blocks"} & {
        r.rule for r in result.reasons
    }


def test_thoracic_contraindication_still_wins() -> None:
    result = screen_candidacy(patient("thoracic", active_infection=True))
    assert result.verdict is Verdict.CONTRAINDICATED


def test_thoracic_under_a_named_payer_policy() -> None:
    result = screen_candidacy(patient("thoracic", blocks=[{"relief_percent": 80}] * 2), policy=None)
    assert result.verdict is Verdict.NO_GUIDELINE
    named = screen_candidacy(
        patient("thoracic", blocks=[{"relief_percent": 80}] * 2, conservative_care_weeks=4),
        policy="dual-block-80",
    )
    assert (named.policy, named.verdict) == ("dual-block-80", Verdict.CANDIDATE)


@pytest.mark.parametrize(
    ("region", "policy", "covering"),
    [
        ("thoracic", "asra-2020", "dual-block-80"),
        ("cervical", "asra-2020", "cervical-2022"),
        ("lumbar", "cervical-2022", "asra-2020"),
    ],
)
def test_a_named_policy_outside_its_region_is_refused(
    region: str, policy: str, covering: str
) -> None:
    with pytest.raises(ScreeningInputError) as caught:
        screen_candidacy(patient(region), policy=policy)
    assert caught.value.field == "policy"
    assert covering in caught.value.allowed


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ScreeningInputError, match="one of"):
        screen_candidacy(patient("lumbar"), policy="nice-2099")


def test_the_region_map_is_complete_and_consistent() -> None:
    assert set(REGION_DEFAULTS) == set(FacetRegion)
    for region, default in REGION_DEFAULTS.items():
        chosen = policy_for_region(region)
        if default.policy is None:
            assert chosen is None
            assert default.message
        else:
            assert chosen is not None
            assert region in chosen.regions
        assert default.source.verified


# Chronicity: over 3 months = 13.0 weeks (inclusive), in both guideline regions.
@pytest.mark.parametrize("region", ["lumbar", "cervical"])
@pytest.mark.parametrize(
    ("weeks", "verdict"),
    [(12.9, Verdict.NOT_YET), (13.0, Verdict.CANDIDATE), (13.1, Verdict.CANDIDATE)],
)
def test_pain_over_three_months_in_every_region(
    region: str, weeks: float, verdict: Verdict
) -> None:
    assert screen_candidacy(patient(region, pain_duration_weeks=weeks)).verdict is verdict


# Thoracic: no guideline sets a pain duration, so the IASP/ICD-11 definition of chronic
# pain (Treede 2019: "persists or recurs for more than 3 months") is checked instead.
@pytest.mark.parametrize(
    ("weeks", "verdict"),
    [
        (8, Verdict.NOT_YET),
        (12.9, Verdict.NOT_YET),
        (13.0, Verdict.NO_GUIDELINE),
        (13.1, Verdict.NO_GUIDELINE),
    ],
)
def test_thoracic_chronicity_is_checked_without_a_guideline(weeks: float, verdict: Verdict) -> None:
    result = screen_candidacy(patient("thoracic", pain_duration_weeks=weeks))
    assert result.verdict is verdict
    assert result.policy is None
    effects = {r.rule: r.effect for r in result.reasons}
    assert effects["screening:chronic-pain"] == ("not_yet" if weeks < 13.0 else "supports")


def test_thoracic_radicular_pain_is_not_candidate_as_in_every_region() -> None:
    result = screen_candidacy(patient("thoracic", pain_pattern="radicular"))
    assert result.verdict is Verdict.NOT_CANDIDATE


def test_cervical_pain_of_eight_weeks_is_not_yet() -> None:
    # Audit case c20: a cervical patient at 8 weeks was screened "candidate".
    result = screen_candidacy(patient("cervical", pain_duration_weeks=8))
    assert result.verdict is Verdict.NOT_YET
    effects = {r.rule: r.effect for r in result.reasons}
    assert effects["pain-duration"] == "not_yet"


def test_the_cervical_contradiction_is_stated_with_the_rule() -> None:
    rule = POLICIES["cervical-2022"].conservative_care
    assert rule.min_weeks == 6  # Table 23, graded (Grade C)
    assert rule.note is not None
    assert "Table 23" in rule.note
    assert "Table 22" in rule.note
    assert "3 months" in rule.note
    assert "CONTRADICTS" in rule.source.section
    reason = next(
        r for r in screen_candidacy(patient("cervical")).reasons if r.rule == "conservative-care"
    )
    assert "Table 22" in reason.message


# Block cut-offs: Cohen 2020 Table 11 ">= 50 %" (inclusive); Hurley 2022 Table 22 "> 50 %".
@pytest.mark.parametrize(
    ("region", "relief", "verdict"),
    [
        ("lumbar", 49.9, Verdict.NOT_CANDIDATE),
        ("lumbar", 50.0, Verdict.CANDIDATE),
        ("lumbar", 50.1, Verdict.CANDIDATE),
        ("cervical", 49.9, Verdict.NOT_CANDIDATE),
        ("cervical", 50.0, Verdict.NOT_CANDIDATE),
        ("cervical", 50.1, Verdict.CANDIDATE),
    ],
)
def test_block_cutoff_by_region(region: str, relief: float, verdict: Verdict) -> None:
    given = patient(region, blocks=[{"relief_percent": relief}])
    assert screen_candidacy(given).verdict is verdict
