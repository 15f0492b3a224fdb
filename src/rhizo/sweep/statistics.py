"""Summaries of a sweep's outputs with intervals, and variance-based sensitivity indices.

Summaries (:func:`summarise`), NaN = a missing value (a lesion without that output):

- mean with its Student t interval, mean +- t_{1-alpha/2, n-1} s / sqrt(n) (s the sample
  sd, ddof 1): the interval for the mean of the MODEL's output over the input
  distributions, which shrinks with n; it is not the spread of the output (p05-p95 is);
- median with its distribution-free interval from order statistics: the number of values
  below the true median is Binomial(n, 1/2), so [x_(l), x_(u)] with
  l = F^-1(alpha/2) and u = F^-1(1 - alpha/2) + 1 (1-based ranks, F the Binomial(n, 1/2)
  CDF, F^-1 its smallest-k quantile) covers it with probability
  F(u - 1) - F(l - 1) >= 1 - alpha (e.g. Conover 1999, Practical Nonparametric
  Statistics, 3rd ed., section 3.2); None where n is too small (l < 1);
- p05 and p95 (linear interpolation between order statistics, numpy's default), min, max.

Sobol indices (:func:`sobol_indices`) of an output over a Saltelli design
(:func:`rhizo.sweep.design.saltelli_unit`): SALib's ``analyze.sobol`` (Herman & Usher
2017, JOSS 2(9):97) with first order S1 by the Saltelli et al. 2010 estimator (Comput
Phys Commun 181:259-270), V_i ~ mean(f(B) (f(AB_i) - f(A))), and total
order ST by Jansen's (1999, Comput Phys Commun 117:35-43),
V_Ti ~ mean((f(A) - f(AB_i))^2) / 2; both over Var(Y), with bootstrap confidence
intervals (normal approximation, z_{(1+conf)/2} times the bootstrap sd). Checked against
the Ishigami function's closed-form indices (Ishigami & Homma 1990; tests/sweep).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: The confidence level of a summary's intervals.
SUMMARY_CONF_LEVEL = 0.95


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _pair(low: float, high: float) -> tuple[float, float] | None:
    if math.isfinite(low) and math.isfinite(high):
        return (float(low), float(high))
    return None


@dataclass(frozen=True)
class Summary:
    """One output's distribution over the sweep: centre, spread, intervals (95 %)."""

    output: str
    n: int
    n_missing: int
    mean: float | None
    mean_ci95: tuple[float, float] | None
    sd: float | None
    median: float | None
    median_ci95: tuple[float, float] | None
    p05: float | None
    p95: float | None
    minimum: float | None
    maximum: float | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: tuples as lists, None where a value is undefined (never NaN)."""
        data = asdict(self)
        for key in ("mean_ci95", "median_ci95"):
            if data[key] is not None:
                data[key] = list(data[key])
        return data


def mean_interval(
    values: FloatArray, conf_level: float = SUMMARY_CONF_LEVEL
) -> tuple[float, float]:
    """Student t interval for the mean: xbar +- t_{(1+conf)/2, n-1} s / sqrt(n). n >= 2."""
    from scipy.stats import t

    n = values.size
    if n < 2:
        raise ValueError(f"a mean interval needs at least 2 values, got {n}")
    centre = float(np.mean(values))
    half = (
        float(t.ppf(0.5 + conf_level / 2.0, n - 1)) * float(np.std(values, ddof=1)) / math.sqrt(n)
    )
    return (centre - half, centre + half)


def median_interval_ranks(n: int, conf_level: float = SUMMARY_CONF_LEVEL) -> tuple[int, int] | None:
    """1-based ranks (l, u) of the distribution-free median interval [x_(l), x_(u)].

    l = F^-1(alpha/2), u = F^-1(1 - alpha/2) + 1 with F the Binomial(n, 1/2) CDF;
    None when n is too small for the level (l < 1 or u > n).
    """
    from scipy.stats import binom

    alpha = 1.0 - conf_level
    low = int(binom.ppf(alpha / 2.0, n, 0.5))
    high = int(binom.ppf(1.0 - alpha / 2.0, n, 0.5)) + 1
    if low < 1 or high > n:
        return None
    return (low, high)


def summarise(output: str, values: FloatArray) -> Summary:
    """The summary of one output column; NaN entries count as missing."""
    column = np.asarray(values, dtype=np.float64).ravel()
    present = np.sort(column[~np.isnan(column)])
    n = int(present.size)
    missing = int(column.size - n)
    if n == 0:
        return Summary(output, 0, missing, None, None, None, None, None, None, None, None, None)
    mean_ci = _pair(*mean_interval(present)) if n >= 2 else None
    ranks = median_interval_ranks(n)
    median_ci = _pair(present[ranks[0] - 1], present[ranks[1] - 1]) if ranks else None
    p05, median, p95 = np.quantile(present, [0.05, 0.5, 0.95])
    return Summary(
        output=output,
        n=n,
        n_missing=missing,
        mean=_finite(float(np.mean(present))),
        mean_ci95=mean_ci,
        sd=_finite(float(np.std(present, ddof=1))) if n >= 2 else None,
        median=_finite(float(median)),
        median_ci95=median_ci,
        p05=_finite(float(p05)),
        p95=_finite(float(p95)),
        minimum=_finite(float(present[0])),
        maximum=_finite(float(present[-1])),
    )


@dataclass(frozen=True)
class SobolIndex:
    """First-order (S1) and total (ST) Sobol index of one input, with intervals."""

    input: str
    s1: float
    s1_ci: tuple[float, float]
    st: float
    st_ci: tuple[float, float]
    conf_level: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready (intervals as lists)."""
        data = asdict(self)
        data["s1_ci"] = list(self.s1_ci)
        data["st_ci"] = list(self.st_ci)
        return data


def sobol_indices(
    names: Sequence[str],
    y: FloatArray,
    *,
    seed: int = 0,
    conf_level: float = 0.95,
    resamples: int = 1000,
) -> list[SobolIndex]:
    """S1 and ST of every input from outputs y in SALib's Saltelli order (N (D + 2) rows).

    ValueError when y's length does not fit N (D + 2), when y holds NaN (SALib cannot
    take missing outputs: names how many) or when y is constant (Var(Y) = 0: no indices).
    """
    from SALib.analyze import sobol

    d = len(names)
    values = np.asarray(y, dtype=np.float64).ravel()
    if d < 1:
        raise ValueError("Sobol indices need at least one input")
    if values.size == 0 or values.size % (d + 2):
        raise ValueError(
            f"{values.size} outputs do not fit a Saltelli design of {d} inputs "
            f"(N (D + 2) = N x {d + 2})"
        )
    missing = int(np.isnan(values).sum())
    if missing:
        raise ValueError(
            f"{missing} of {values.size} outputs are missing (NaN); Sobol indices need every "
            "output of the Saltelli design"
        )
    if not np.all(np.isfinite(values)):
        raise ValueError("outputs hold an infinite value; Sobol indices need finite outputs")
    corners = np.r_[values[0 :: d + 2], values[d + 1 :: d + 2]]  # f(A), f(B): Var(Y)'s sample
    if float(np.ptp(corners)) <= np.finfo(np.float64).eps:
        raise ValueError(
            "the output is constant over the design's base samples; Sobol indices are undefined"
        )
    if not 0.0 < conf_level < 1.0:
        raise ValueError(f"conf_level {conf_level} must be in (0, 1)")
    problem = {"num_vars": d, "names": list(names), "bounds": [[0.0, 1.0]] * d}
    with warnings.catch_warnings():
        # A bootstrap resample of a nearly constant output can be constant: SALib then
        # warns and scores that resample 0 (the interval widens); the full sample was
        # checked above.
        warnings.filterwarnings("ignore", message="Constant values encountered")
        result = sobol.analyze(
            problem,
            values,
            calc_second_order=False,
            num_resamples=resamples,
            conf_level=conf_level,
            seed=seed,
            print_to_console=False,
        )
    indices: list[SobolIndex] = []
    for i, name in enumerate(names):
        s1, s1_half = float(result["S1"][i]), float(result["S1_conf"][i])
        st, st_half = float(result["ST"][i]), float(result["ST_conf"][i])
        indices.append(
            SobolIndex(
                input=name,
                s1=s1,
                s1_ci=(s1 - s1_half, s1 + s1_half),
                st=st,
                st_ci=(st - st_half, st + st_half),
                conf_level=conf_level,
            )
        )
    return indices
