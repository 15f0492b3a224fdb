"""Summaries against scipy and order-statistic theory; Sobol indices against Ishigami."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import stats

from rhizo.sweep.design import saltelli_unit
from rhizo.sweep.distributions import Uniform
from rhizo.sweep.statistics import (
    SobolIndex,
    median_interval_ranks,
    sobol_indices,
    summarise,
)

FloatArray = NDArray[np.float64]


def test_mean_interval_is_student_t() -> None:
    values = np.random.default_rng(1).normal(5.0, 2.0, size=37)
    summary = summarise("width_mm", values)
    low, high = stats.t.interval(
        0.95, df=36, loc=float(np.mean(values)), scale=float(stats.sem(values))
    )
    assert summary.mean_ci95 == pytest.approx((low, high), rel=1e-12)
    assert summary.sd == pytest.approx(float(np.std(values, ddof=1)), rel=1e-12)
    assert summary.p05 == pytest.approx(float(np.percentile(values, 5)))
    assert summary.p95 == pytest.approx(float(np.percentile(values, 95)))
    assert (summary.minimum, summary.maximum) == (values.min(), values.max())


def test_median_ranks_for_n_100_are_40_and_61() -> None:
    """Equal tails: the largest l with P(B <= l - 1) <= 2.5 %, the smallest u with
    P(B >= u) <= 2.5 %, B ~ Binomial(100, 1/2) the count below the true median."""
    n, alpha = 100, 0.05
    binom = stats.binom(n, 0.5)
    # Derivation by hand from the CDF: scan every candidate rank.
    low = max(r for r in range(1, n + 1) if binom.cdf(r - 1) <= alpha / 2)
    high = min(r for r in range(1, n + 1) if binom.sf(r - 1) <= alpha / 2)
    assert (low, high) == (40, 61)
    assert median_interval_ranks(n) == (low, high)
    coverage = binom.cdf(high - 1) - binom.cdf(low - 1)
    assert 0.95 <= coverage < 0.97  # 0.9648
    # Coverage in simulation: exponential(1), true median ln 2.
    draws = np.sort(np.random.default_rng(4).exponential(size=(4000, n)), axis=1)
    covered = (draws[:, low - 1] <= math.log(2)) & (math.log(2) <= draws[:, high - 1])
    assert float(np.mean(covered)) == pytest.approx(coverage, abs=0.01)


def test_median_interval_uses_those_order_statistics() -> None:
    values = np.random.default_rng(2).permutation(np.arange(1.0, 101.0))
    summary = summarise("x", values)
    assert summary.median == 50.5
    assert summary.median_ci95 == (40.0, 61.0)
    assert median_interval_ranks(5) is None  # P(B = 0) = 1/32 > 2.5 %: no 95 % interval
    assert median_interval_ranks(6) == (1, 6)  # P(B = 0) = 1/64 <= 2.5 %


def test_missing_values_and_small_samples() -> None:
    summary = summarise("x", np.array([1.0, np.nan, 3.0, np.nan]))
    assert (summary.n, summary.n_missing, summary.mean) == (2, 2, 2.0)
    assert summary.median_ci95 is None
    one = summarise("x", np.array([4.0]))
    assert one.sd is None
    assert one.mean_ci95 is None
    assert one.median == 4.0
    empty = summarise("x", np.array([np.nan, np.nan]))
    assert empty.n == 0
    assert empty.n_missing == 2
    assert empty.mean is None
    for item in (summary, one, empty):
        text = json.dumps(item.to_dict(), allow_nan=False)
        assert json.loads(text)["output"] == "x"


A, B = 7.0, 0.1


def _ishigami(x: FloatArray, a: float, b: float) -> FloatArray:
    """Ishigami & Homma 1990: sin x1 + a sin^2 x2 + b x3^4 sin x1."""
    y: FloatArray = np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])
    return y


def _analytic(a: float, b: float) -> tuple[list[float], list[float]]:
    """Closed forms for x_i ~ U(-pi, pi) (Ishigami & Homma 1990; as read, secondary,
    in the OpenTURNS 'Ishigami function' use case and UQWorld's 'Ishigami function' page):
    V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2, V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8,
    V3 = 0, V13 = b^2 pi^8 (1/18 - 1/50)."""
    pi = math.pi
    v = a * a / 8 + b * pi**4 / 5 + b * b * pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a * a / 8
    v13 = b * b * pi**8 * (1 / 18 - 1 / 50)
    return [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]


def _within(indices: list[SobolIndex], s1: list[float], st: list[float]) -> list[bool]:
    checks = []
    for index, first, total in zip(indices, s1, st, strict=True):
        checks.append(index.s1_ci[0] <= first <= index.s1_ci[1])
        checks.append(index.st_ci[0] <= total <= index.st_ci[1])
    return checks


@pytest.fixture(scope="module")
def ishigami_indices() -> list[SobolIndex]:
    """Through the project's path: saltelli_unit -> Uniform.ppf -> model -> sobol_indices."""
    n, d = 2**12, 3
    u = saltelli_unit(d, n, seed=0)
    spread = Uniform(low=-math.pi, high=math.pi)
    x = np.column_stack([spread.ppf(u[:, j]) for j in range(d)])
    return sobol_indices(["x1", "x2", "x3"], _ishigami(x, A, B), seed=0, resamples=500)


def test_ishigami_analytic_values() -> None:
    s1, st = _analytic(A, B)
    assert s1 == pytest.approx([0.3139, 0.4424, 0.0], abs=1e-4)
    assert st == pytest.approx([0.5576, 0.4424, 0.2437], abs=1e-4)


def test_ishigami_indices_hold_the_analytic_values(ishigami_indices: list[SobolIndex]) -> None:
    """Every analytic S1 and ST inside its 95 % interval (N = 2^12, seed 0)."""
    s1, st = _analytic(A, B)
    assert all(_within(ishigami_indices, s1, st)), [i.to_dict() for i in ishigami_indices]
    assert [i.input for i in ishigami_indices] == ["x1", "x2", "x3"]
    assert all(i.conf_level == 0.95 for i in ishigami_indices)
    widths = [ci[1] - ci[0] for i in ishigami_indices for ci in (i.s1_ci, i.st_ci)]
    assert max(widths) < 0.1  # informative intervals (widest 0.09), not a check that cannot fail


def test_a_wrong_model_fails_the_same_check(ishigami_indices: list[SobolIndex]) -> None:
    """The analytic indices of a and b swapped lie outside the intervals."""
    s1, st = _analytic(B, A)
    assert not all(_within(ishigami_indices, s1, st))
    assert sum(_within(ishigami_indices, s1, st)) <= 2


def test_sobol_refuses_missing_and_misshapen_outputs() -> None:
    y = np.arange(40.0)
    with pytest.raises(ValueError, match="3 of 40 outputs are missing"):
        sobol_indices(["a", "b"], np.where(np.arange(40) < 3, np.nan, y))
    with pytest.raises(ValueError, match=r"39 outputs do not fit a Saltelli design of 2 inputs"):
        sobol_indices(["a", "b"], y[:39])
    with pytest.raises(ValueError, match="constant"):
        sobol_indices(["a", "b"], np.ones(40))
    # f(A) and f(B) equal, only the AB rows vary: Var(Y) is estimated as 0 (SALib would warn).
    corners_flat = np.ones(40)
    corners_flat[1::4] = np.arange(10.0)
    with pytest.raises(ValueError, match="constant over the design's base samples"):
        sobol_indices(["a", "b"], corners_flat)
    # Mostly constant (a saturated capture probability): intervals, no warning.
    saturated = np.ones(400)
    saturated[:8] = 0.5
    nearly = sobol_indices(["a", "b"], saturated, resamples=200)
    assert all(np.isfinite([i.s1, i.st, *i.s1_ci, *i.st_ci]).all() for i in nearly)
    index = sobol_indices(["a", "b"], y, resamples=50)[0]
    assert json.loads(json.dumps(index.to_dict(), allow_nan=False))["input"] == "a"
