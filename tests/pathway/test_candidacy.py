"""Candidacy under the three policies, at and around each threshold (issue 14: by region).

Each test names the guideline row it checks.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rhizo.pathway.candidacy import (
    CandidacyInput,
    ScreeningInputError,
    Verdict,
    screen_candidacy,
)
from rhizo.pathway.policies import POLICIES

LUMBAR: dict[str, Any] = {
    "region": "lumbar",
    "pain_duration_weeks": 26,
    "pain_pattern": "axial",
    "conditions": ["facet_joint_syndrome"],
    "conservative_care_weeks": 14,
    "blocks": [{"relief_percent": 80}],
}
CERVICAL: dict[str, Any] = {**LUMBAR, "region": "cervical", "conservative_care_weeks": 8}


def screen(base: dict[str, Any], policy: str, **changes: Any) -> Verdict:
    patient = CandidacyInput.model_validate({**base, **changes})
    return screen_candidacy(patient, policy=policy).verdict


def rules(base: dict[str, Any], policy: str, **changes: Any) -> dict[str, str]:
    patient = CandidacyInput.model_validate({**base, **changes})
    return {r.rule: r.effect for r in screen_candidacy(patient, policy=policy).reasons}


def test_three_policies_exist() -> None:
    assert set(POLICIES) == {"asra-2020", "dual-block-80", "cervical-2022"}
    assert POLICIES["asra-2020"].verified
    assert POLICIES["cervical-2022"].verified
    assert not POLICIES["dual-block-80"].verified  # LCD numbers are recalled


def test_typical_lumbar_candidate() -> None:
    assert screen(LUMBAR, "asra-2020") is Verdict.CANDIDATE


# Cohen 2020 Table 11: positive block >= 50 % relief (inclusive), one block in practice.
@pytest.mark.parametrize(
    ("relief", "verdict"),
    [(49.9, Verdict.NOT_CANDIDATE), (50, Verdict.CANDIDATE), (50.1, Verdict.CANDIDATE)],
)
def test_asra_block_cutoff(relief: float, verdict: Verdict) -> None:
    assert screen(LUMBAR, "asra-2020", blocks=[{"relief_percent": relief}]) is verdict


# Hurley 2022 Table 22: cervical block cut-off > 50 % (strict).
@pytest.mark.parametrize(
    ("relief", "verdict"),
    [(50, Verdict.NOT_CANDIDATE), (50.1, Verdict.CANDIDATE), (90, Verdict.CANDIDATE)],
)
def test_cervical_block_cutoff_is_strict(relief: float, verdict: Verdict) -> None:
    assert screen(CERVICAL, "cervical-2022", blocks=[{"relief_percent": relief}]) is verdict


# Dual-block policy (LCD, recalled): two blocks each >= 80 %.
@pytest.mark.parametrize(
    ("reliefs", "verdict"),
    [
        ([80], Verdict.NOT_YET),
        ([80, 80], Verdict.CANDIDATE),
        ([80, 79.9], Verdict.NOT_CANDIDATE),
        ([100, 85], Verdict.CANDIDATE),
        ([], Verdict.NOT_YET),
    ],
)
def test_dual_block_80(reliefs: list[float], verdict: Verdict) -> None:
    blocks = [{"relief_percent": r} for r in reliefs]
    assert screen(LUMBAR, "dual-block-80", blocks=blocks) is verdict


def test_intra_articular_blocks_do_not_count() -> None:
    # Cohen 2020 Table 12: MBB is the prognostic injection of choice.
    blocks = [{"kind": "intra_articular", "relief_percent": 90}]
    assert screen(LUMBAR, "asra-2020", blocks=blocks) is Verdict.NOT_YET


# Cohen 2020 Tables 11/12: 3 months of conservative care = 13 weeks (52/12 per month).
@pytest.mark.parametrize(
    ("weeks", "verdict"),
    [(12.9, Verdict.NOT_YET), (13, Verdict.CANDIDATE), (13.1, Verdict.CANDIDATE)],
)
def test_asra_conservative_care_three_months(weeks: float, verdict: Verdict) -> None:
    assert screen(LUMBAR, "asra-2020", conservative_care_weeks=weeks) is verdict


def test_asra_allows_exceptions_to_conservative_care() -> None:
    # Cohen 2020 Table 11: may be less (incapacitating pain, athlete, military deployment).
    effects = rules(
        LUMBAR,
        "asra-2020",
        conservative_care_weeks=4,
        conservative_care_exception="military deployment",
    )
    assert effects["conservative-care"] == "note"


def test_dual_block_policy_has_no_exception() -> None:
    # The payer-style policy allows no shorter trial: an override is refused, not ignored.
    with pytest.raises(ScreeningInputError, match="overrides"):
        rules(LUMBAR, "dual-block-80", conservative_care_weeks=3, conservative_care_exception="x")
    assert rules(LUMBAR, "dual-block-80", conservative_care_weeks=3)["conservative-care"] == (
        "not_yet"
    )


# Hurley 2022 Table 23: a 6-week trial of conservative care (Grade C), inclusive.
@pytest.mark.parametrize(("weeks", "ok"), [(5.9, False), (6, True), (6.1, True)])
def test_cervical_conservative_care(weeks: float, ok: bool) -> None:
    verdict = screen(CERVICAL, "cervical-2022", conservative_care_weeks=weeks)
    assert (verdict is Verdict.CANDIDATE) is ok


def test_conservative_care_uses_longest_therapy_not_sum() -> None:
    care = [{"kind": "physio", "weeks": 8}, {"kind": "NSAID", "weeks": 8}]
    patient = {**LUMBAR, "conservative_care_weeks": None, "conservative_care": care}
    assert screen(patient, "asra-2020") is Verdict.NOT_YET


# Pain duration >= 3 months (Cohen 2020 Table 12; LCD recalled).
@pytest.mark.parametrize(("weeks", "ok"), [(12.9, False), (13, True)])
def test_pain_duration(weeks: float, ok: bool) -> None:
    effects = rules(LUMBAR, "asra-2020", pain_duration_weeks=weeks)
    assert (effects["pain-duration"] == "supports") is ok


def test_policy_region_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="cervical-2022"):
        screen(CERVICAL, "asra-2020")


# Repeat RF: Hurley 2022 Table 22 (> 30 % for >= 3 months; no repeat block).
@pytest.mark.parametrize(
    ("relief", "weeks", "verdict"),
    [
        (30, 20, Verdict.NOT_CANDIDATE),
        (30.1, 20, Verdict.CANDIDATE),
        (60, 12.9, Verdict.NOT_CANDIDATE),
        (60, 13, Verdict.CANDIDATE),
    ],
)
def test_cervical_repeat(relief: float, weeks: float, verdict: Verdict) -> None:
    prior = [{"relief_percent": relief, "relief_duration_weeks": weeks}]
    given = screen(CERVICAL, "cervical-2022", prior_rf=prior, blocks=[], pain_returned=True)
    assert given is verdict


# Repeat RF under the dual-block policy (LCD, recalled): >= 50 % for >= 6 months (26 weeks).
@pytest.mark.parametrize(
    ("relief", "weeks", "verdict"),
    [
        (49.9, 30, Verdict.NOT_CANDIDATE),
        (50, 26, Verdict.CANDIDATE),
        (50, 25.9, Verdict.NOT_CANDIDATE),
    ],
)
def test_dual_block_repeat(relief: float, weeks: float, verdict: Verdict) -> None:
    prior = [{"relief_percent": relief, "relief_duration_weeks": weeks}]
    given = screen(LUMBAR, "dual-block-80", prior_rf=prior, blocks=[], pain_returned=True)
    assert given is verdict


def test_dual_block_session_limit() -> None:
    # LCD (recalled): at most 2 RF sessions per region in a rolling 12 months.
    prior = [
        {"performed_on": "2025-03-01", "relief_percent": 80, "relief_duration_weeks": 30},
        {"performed_on": "2025-11-01", "relief_percent": 80, "relief_duration_weeks": 30},
    ]
    patient = CandidacyInput.model_validate({**LUMBAR, "prior_rf": prior, "pain_returned": True})
    inside = screen_candidacy(patient, policy="dual-block-80", today=date(2026, 2, 28))
    outside = screen_candidacy(patient, policy="dual-block-80", today=date(2026, 3, 2))
    assert inside.verdict is Verdict.NOT_YET
    assert outside.verdict is Verdict.CANDIDATE


@pytest.mark.parametrize(
    ("flag", "verdict"),
    [
        ("active_infection", Verdict.CONTRAINDICATED),
        ("bleeding_disorder", Verdict.CONTRAINDICATED),
        ("pregnant", Verdict.CONTRAINDICATED),
        ("anticoagulant_without_plan", Verdict.NOT_YET),
        ("allergy_local_anaesthetic", Verdict.NOT_YET),
        ("implanted_electrical_device", Verdict.NOT_YET),
        ("allergy_contrast", Verdict.CANDIDATE),
    ],
)
def test_contraindications_and_precautions(flag: str, verdict: Verdict) -> None:
    assert screen(LUMBAR, "asra-2020", **{flag: True}) is verdict


def test_contraindication_wins_over_everything() -> None:
    verdict = screen(LUMBAR, "asra-2020", active_infection=True, blocks=[{"relief_percent": 10}])
    assert verdict is Verdict.CONTRAINDICATED


def test_red_flags_need_work_up() -> None:
    screening = screen_candidacy(
        CandidacyInput.model_validate({**LUMBAR, "red_flags": ["fever", "cancer_history"]})
    )
    assert screening.verdict is Verdict.NOT_YET
    reason = next(r for r in screening.reasons if r.rule == "screening:red-flag")
    assert "cancer history" in reason.message
    assert not reason.verified


def test_radicular_pain_is_not_facet_pain() -> None:
    # Cohen 2020 Table 12: radicular symptoms weakly negative.
    assert screen(LUMBAR, "asra-2020", pain_pattern="radicular") is Verdict.NOT_CANDIDATE
    assert screen(LUMBAR, "asra-2020", pain_pattern="mixed") is Verdict.CANDIDATE


def test_spasticity_alone_is_another_operation() -> None:
    assert screen(LUMBAR, "asra-2020", conditions=["spasticity"]) is Verdict.NOT_CANDIDATE
    both = ["spasticity", "facet_joint_syndrome"]
    assert screen(LUMBAR, "asra-2020", conditions=both) is Verdict.CANDIDATE


def test_every_reason_cites_a_source() -> None:
    screening = screen_candidacy(CandidacyInput.model_validate({**LUMBAR, "pregnant": True}))
    for reason in screening.reasons:
        assert reason.rule
        assert reason.message
        assert reason.source


def test_patient_model_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="less than or equal to 100"):
        CandidacyInput.model_validate({**LUMBAR, "blocks": [{"relief_percent": 120}]})


def test_repeat_reason_rounds_what_it_shows() -> None:
    # 7 -> 5 on the NRS is 2/7 = 28.571...% relief: shown to one decimal, judged unrounded.
    prior = [{"relief_percent": 200 / 7, "relief_duration_weeks": 0}]
    patient = CandidacyInput.model_validate({**CERVICAL, "prior_rf": prior, "blocks": []})
    result = screen_candidacy(patient, policy="cervical-2022")
    texts = [reason.message for reason in result.reasons if reason.rule == "repeat-response"]
    assert texts[0].startswith("Last RF gave 28.6 % relief for 0 days")
