"""Kaplan-Meier and log-rank against a textbook data set and against lifelines.

Reference data: the 6-mercaptopurine (6-MP) arm of the Freireich et al. 1963
leukaemia remission trial (Blood 21:699-716), weeks in remission, ``+`` =
censored: 6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+,
and its placebo arm (all relapsed): 1 1 2 2 3 4 4 5 5 8 8 8 8 11 11 12 12 15
17 22 23. The product-limit values below are the exact fractions of
Kaplan-Meier's formula for these data; the log-rank chi-square of 16.79
(1 d.f., p = 4.2e-5) is the value textbooks quote for this comparison (e.g.
Kleinbaum & Klein, "Survival Analysis: A Self-Learning Text", chapter 2).
The log-log interval and the randomised comparisons use lifelines 0.30.3
(Davidson-Pilon 2019, J Open Source Softw 4:1317) as an independent
implementation.
"""

from __future__ import annotations

import numpy as np
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import median_survival_times

from rhizo.stats.survival import kaplan_meier, log_rank

MP_WEEKS = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
MP_RELAPSED = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PLACEBO_WEEKS = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def test_product_limit_values_of_the_6mp_arm() -> None:
    curve = kaplan_meier(MP_WEEKS, [bool(r) for r in MP_RELAPSED])
    s6 = 18 / 21
    s7 = s6 * 16 / 17
    s10 = s7 * 14 / 15
    s13 = s10 * 11 / 12
    s16 = s13 * 10 / 11
    s22 = s16 * 6 / 7
    s23 = s22 * 5 / 6
    for week, exact in (
        (5.9, 1.0),
        (6, s6),
        (7, s7),
        (10, s10),
        (13, s13),
        (16, s16),
        (22, s22),
        (23, s23),
        (35, s23),
    ):
        assert curve.at(week)[0] == pytest.approx(exact, rel=1e-12), week
    assert s23 == pytest.approx(0.4482, abs=1e-4)
    assert curve.median == 23
    assert curve.n == 21
    assert curve.n_events == 9
    assert curve.at_risk_at(6) == 21
    assert curve.at_risk_at(7) == 17
    assert curve.at_risk_at(36) == 0


def test_log_log_interval_and_median_interval_match_lifelines() -> None:
    curve = kaplan_meier(MP_WEEKS, [bool(r) for r in MP_RELAPSED])
    reference = KaplanMeierFitter().fit(MP_WEEKS, MP_RELAPSED)
    band = reference.confidence_interval_
    np.testing.assert_allclose(curve.times, band.index.to_numpy())
    np.testing.assert_allclose(curve.lower, band.iloc[:, 0].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(curve.upper, band.iloc[:, 1].to_numpy(), rtol=1e-9)
    assert curve.at(6)[1:] == pytest.approx((0.6197, 0.9516), abs=1e-4)
    # The median's interval where the bands cross 0.5 (lifelines' median_survival_times).
    low, high = median_survival_times(reference.confidence_interval_).iloc[0]
    assert curve.median_interval == (low, None if np.isinf(high) else high)
    assert curve.median_interval[0] is not None
    assert curve.median_interval[0] <= 23


def test_log_rank_of_6mp_against_placebo_is_the_textbook_16_79() -> None:
    result = log_rank(
        [
            (MP_WEEKS, [bool(r) for r in MP_RELAPSED]),
            (PLACEBO_WEEKS, [True] * len(PLACEBO_WEEKS)),
        ]
    )
    assert result.statistic == pytest.approx(16.79, abs=0.01)
    assert result.degrees_of_freedom == 1
    assert result.p_value == pytest.approx(4.17e-5, rel=0.01)
    assert result.observed == (9, 21)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_three_groups_with_ties_match_lifelines(seed: int) -> None:
    rng = np.random.default_rng(seed)
    groups = []
    for scale in (30.0, 45.0, 60.0):
        times = np.round(rng.exponential(scale, 80))  # whole days: many ties
        observed = rng.random(80) < 0.7
        groups.append((times, observed))
    ours = log_rank([(t.tolist(), e.tolist()) for t, e in groups])
    theirs = multivariate_logrank_test(
        np.concatenate([t for t, _ in groups]),
        np.repeat([0, 1, 2], 80),
        np.concatenate([e for _, e in groups]),
    )
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-9)
    assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-6)
    for times, observed in groups:
        curve = kaplan_meier(times.tolist(), observed.tolist())
        fitted = KaplanMeierFitter().fit(times, observed)
        np.testing.assert_allclose(curve.survival, fitted.survival_function_.iloc[:, 0], rtol=1e-12)
        assert curve.median == fitted.median_survival_time_ or (
            curve.median is None and np.isinf(fitted.median_survival_time_)
        )


def test_bad_input_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="at least one subject"):
        kaplan_meier([], [])
    with pytest.raises(ValueError, match="equally long"):
        kaplan_meier([1, 2], [True])
    with pytest.raises(ValueError, match=">= 0"):
        kaplan_meier([-1.0], [True])
    with pytest.raises(ValueError, match="at least 2 groups"):
        log_rank([([1.0], [True])])
    with pytest.raises(ValueError, match="no events"):
        log_rank([([1.0], [False]), ([2.0], [False])])


def test_no_events_keeps_the_curve_at_one_and_the_median_unreached() -> None:
    curve = kaplan_meier([3, 5, 8], [False, False, False])
    assert curve.at(10) == (1.0, 1.0, 1.0)
    assert curve.median is None
    assert curve.median_interval == (None, None)
