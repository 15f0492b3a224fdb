"""The one rule for "the pain has returned" (``pathway.returned``), at its threshold.

Reference: the repeat rule's relief, > 30 % (Hurley 2022 Table 22), against the
baseline: with baseline 8, NRS 5 is 37.5 % relief (still relieved), NRS 6 is
25 % (pain back); with baseline 10, NRS 7 is exactly 30 %, not > 30 % (pain
back), NRS 6 is 40 %.
"""

from __future__ import annotations

from datetime import date

import pytest

from rhizo.pathway.followup import PainScore, repeat_eligibility
from rhizo.pathway.policies import Threshold
from rhizo.pathway.returned import pain_has_returned

REPEAT = Threshold(value=30, inclusive=False)
RF = date(2025, 3, 1)


@pytest.mark.parametrize(
    ("baseline", "latest", "returned"),
    [(8, 5, False), (8, 6, True), (10, 7, True), (10, 6, False), (10, 0, False)],
)
def test_latest_score_against_the_repeat_relief(baseline: int, latest: int, returned: bool) -> None:
    scores = [(date(2025, 4, 1), 1), (date(2025, 9, 1), latest)]
    got = pain_has_returned(baseline_nrs=baseline, day=RF, scores=scores, threshold=REPEAT)
    assert got is returned


def test_the_latest_score_decides_whatever_the_order() -> None:
    scores = [(date(2025, 9, 1), 7), (date(2025, 4, 1), 1)]
    assert pain_has_returned(baseline_nrs=8, day=RF, scores=scores, threshold=REPEAT) is True


@pytest.mark.parametrize(
    ("baseline", "scores"),
    [(8, []), (8, [(date(2025, 2, 20), 3), (RF, 3)]), (0, [(date(2025, 9, 1), 0)])],
)
def test_not_known(baseline: int, scores: list[tuple[date, int]]) -> None:
    assert pain_has_returned(baseline_nrs=baseline, day=RF, scores=scores, threshold=REPEAT) is None


def test_repeat_eligibility_uses_the_same_rule() -> None:
    # Baseline 8, relieved (NRS 1 at 3 months), then 6 (25 % relief): back, eligible;
    # then 5 instead (37.5 %): still relieved, not yet.
    def assess(latest: int) -> bool:
        scores = [
            PainScore(on=date(2025, 6, 1), nrs=1),
            PainScore(on=date(2025, 10, 1), nrs=latest),
        ]
        result = repeat_eligibility(
            baseline_nrs=8, procedure_date=RF, scores=scores, policy="cervical-2022"
        )
        assert result.pain_returned is pain_has_returned(
            baseline_nrs=8, day=RF, scores=[(s.on, s.nrs) for s in scores], threshold=REPEAT
        )
        return result.pain_returned

    assert assess(6) is True
    assert assess(5) is False
