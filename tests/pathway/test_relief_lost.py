"""Relief lost for the set time, and the positive block that proposes the RF day.

Hand-computed series at the edges: with baseline 8 and the lumbar repeat
threshold (> 30 %, Hurley 2022 Table 22): NRS 5 is 37.5 % relief (in), NRS 6 is
25 % (out). With baseline 10, NRS 7 is exactly 30 %: not > 30 %, so out of relief
under the strict repeat threshold; with baseline 8 and the inclusive responder
threshold (>= 50 %), NRS 4 is exactly 50 %: in relief.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from rhizo.pathway.policies import Threshold, get_policy
from rhizo.pathway.relief import RESPONDER_THRESHOLD
from rhizo.pathway.relief_lost import RELIEF_LOST_RULE, relief_lost
from rhizo.pathway.rf_day import BlockFacts, propose_rf_day

DAY = date(2026, 1, 5)
REPEAT = Threshold(value=30, inclusive=False)
RELIEVED = (date(2026, 2, 2), 2)


def _d(days: int) -> date:
    return DAY + timedelta(days=days)


def test_the_rule_is_the_knowledge_files_and_the_threshold_the_lumbar_policys() -> None:
    assert (RELIEF_LOST_RULE.min_days_out, RELIEF_LOST_RULE.min_scores_out) == (14, 2)
    assert "local protocol" in RELIEF_LOST_RULE.source.lower() or "rhizo" in RELIEF_LOST_RULE.source
    rule = get_policy("asra-2020").repeat
    assert (rule.min_relief_percent, rule.inclusive) == (REPEAT.value, REPEAT.inclusive)


@pytest.mark.parametrize(("gap_days", "lost"), [(13, False), (14, True), (15, True)])
def test_two_scores_out_of_relief_13_vs_14_days_apart(gap_days: int, lost: bool) -> None:
    scores = [RELIEVED, (_d(120), 6), (_d(120 + gap_days), 6)]
    verdict = relief_lost(baseline_nrs=8, day=DAY, scores=scores, threshold=REPEAT)
    assert verdict.lost is lost
    assert verdict.days_out == gap_days
    assert verdict.scores_out == 2
    assert verdict.out_since == _d(120)


def test_one_score_out_of_relief_is_not_enough_however_long_ago() -> None:
    verdict = relief_lost(
        baseline_nrs=8, day=DAY, scores=[RELIEVED, (_d(200), 9)], threshold=REPEAT
    )
    assert verdict.lost is False
    assert verdict.scores_out == 1


def test_a_score_back_in_relief_restarts_the_run() -> None:
    # out on day 100, in on day 110 (NRS 5 = 37.5 % > 30 %), out on 112 and 120: run is 8 days.
    scores = [RELIEVED, (_d(100), 6), (_d(110), 5), (_d(112), 6), (_d(120), 7)]
    verdict = relief_lost(baseline_nrs=8, day=DAY, scores=scores, threshold=REPEAT)
    assert (verdict.lost, verdict.out_since, verdict.days_out) == (False, _d(112), 8)


def test_a_score_exactly_at_the_strict_threshold_is_out_of_relief() -> None:
    # baseline 10, NRS 7: relief exactly 30 %, not > 30 %.
    scores = [(_d(30), 3), (_d(100), 7), (_d(114), 7)]
    assert relief_lost(baseline_nrs=10, day=DAY, scores=scores, threshold=REPEAT).lost is True


def test_a_score_exactly_at_the_inclusive_threshold_is_in_relief() -> None:
    # baseline 8, NRS 4: exactly 50 %, >= 50 % -> in relief, so the run is only the NRS 6 score.
    scores = [(_d(30), 2), (_d(100), 6), (_d(114), 4)]
    verdict = relief_lost(baseline_nrs=8, day=DAY, scores=scores, threshold=RESPONDER_THRESHOLD)
    assert verdict.lost is False
    assert verdict.out_since is None


def test_never_relieved_is_no_response_not_relief_lost() -> None:
    scores = [(_d(30), 7), (_d(60), 7), (_d(90), 8)]
    verdict = relief_lost(baseline_nrs=8, day=DAY, scores=scores, threshold=REPEAT)
    assert verdict.lost is False
    assert "no response" in verdict.message


def test_not_known_without_baseline_or_scores_and_pre_procedure_scores_ignored() -> None:
    assert relief_lost(baseline_nrs=0, day=DAY, scores=[RELIEVED], threshold=REPEAT).lost is None
    assert relief_lost(baseline_nrs=8, day=DAY, scores=[], threshold=REPEAT).lost is None
    before = [(_d(-20), 8), (_d(-1), 8), (_d(0), 8)]
    assert relief_lost(baseline_nrs=8, day=DAY, scores=before, threshold=REPEAT).lost is None


def test_bad_nrs_is_refused() -> None:
    with pytest.raises(ValueError, match="score nrs 11"):
        relief_lost(baseline_nrs=8, day=DAY, scores=[(_d(3), 11)], threshold=REPEAT)


def _block(
    block_id: int, relief: float, levels: tuple[str, ...] = ("L4-L5",), **kw: str
) -> BlockFacts:
    return BlockFacts(
        id=block_id,
        performed_on=date(2026, 3, block_id),
        block_type=kw.get("block_type", "medial_branch"),
        levels=levels,
        relief_percent=relief,
    )


def test_lumbar_block_at_exactly_50_percent_is_positive_cervical_needs_more() -> None:
    # asra-2020: >= 50 % (Cohen 2020 Table 11); cervical-2022: > 50 % (Hurley 2022 Table 22).
    lumbar = propose_rf_day([_block(1, 50)])
    assert lumbar is not None
    assert (lumbar.block_id, lumbar.policy, lumbar.earliest_on) == (1, "asra-2020", None)
    assert propose_rf_day([_block(1, 50, ("C3-C4",))]) is None
    cervical = propose_rf_day([_block(1, 50, ("C3-C4",)), _block(2, 51, ("C3-C4",))])
    assert cervical is not None
    assert (cervical.block_id, cervical.policy) == (2, "cervical-2022")


def test_intra_articular_and_negative_blocks_do_not_propose() -> None:
    assert propose_rf_day([_block(1, 90, block_type="intra_articular"), _block(2, 40)]) is None
    assert propose_rf_day([]) is None


def test_thoracic_levels_use_the_baseline_rules_positive_block() -> None:
    proposal = propose_rf_day([_block(1, 50, ("T7-T8",))])
    assert proposal is not None
    assert proposal.policy is None
    assert "no guideline policy" in proposal.message
