"""Kaplan-Meier survival curves and the log-rank test, for right-censored durations.

Kaplan & Meier 1958 (J Am Stat Assoc 53:457-481, "Nonparametric estimation
from incomplete observations"): at each distinct event time t_i with d_i
events among n_i still at risk (duration >= t_i),

    S(t) = prod_{t_i <= t} (1 - d_i / n_i).

Pointwise 95 % interval: Greenwood's variance on the log(-log S) scale
(Kalbfleisch & Prentice 1980, "The Statistical Analysis of Failure Time
Data", section 1.3), which keeps the band inside [0, 1]:

    v(t) = sum d_i / (n_i (n_i - d_i)) / (log S(t))^2,
    S(t)^exp(+z sqrt v) <= S <= S(t)^exp(-z sqrt v).

Median: the first time S(t) <= 0.5; its interval (Brookmeyer & Crowley 1982,
Biometrics 38:29-41) is where the band crosses 0.5; ``None`` when not reached.

Log-rank test (Mantel 1966; Peto & Peto 1972) of k groups: observed minus
expected events per group summed over the pooled event times, with the
hypergeometric covariance; chi-square with k - 1 degrees of freedom.

Times are in whatever unit the caller uses (the clinic uses days).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats as scipy_stats

from rhizo.stats import Z95

#: Durations and event flags: sequences or NumPy arrays (the clinic passes arrays).
Durations = Sequence[float] | NDArray[np.floating[Any]]
Observed = Sequence[bool] | NDArray[np.bool_]


@dataclass(frozen=True)
class SurvivalCurve:
    """A Kaplan-Meier step curve: values hold from each time until the next."""

    times: NDArray[np.float64]
    survival: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    #: At risk just before each time (duration >= time).
    at_risk: NDArray[np.int64]
    events: NDArray[np.int64]
    n: int
    n_events: int

    def at(self, time: float) -> tuple[float, float, float]:
        """(S, lower, upper) at ``time`` (right-continuous step)."""
        index = int(np.searchsorted(self.times, time, side="right")) - 1
        index = max(index, 0)
        return float(self.survival[index]), float(self.lower[index]), float(self.upper[index])

    def at_risk_at(self, time: float) -> int:
        """How many are still at risk (followed, no event yet) at ``time``."""
        index = int(np.searchsorted(self.times, time, side="left"))
        if index >= len(self.times):
            return 0
        return int(self.at_risk[index])

    @property
    def median(self) -> float | None:
        """The first time the curve is at or below 0.5 (``None``: not reached)."""
        return _first_at_or_below_half(self.times, self.survival)

    @property
    def median_interval(self) -> tuple[float | None, float | None]:
        """95 % interval of the median: the lower band reaches 0.5 first (the lower
        limit), the upper band last (the upper limit; ``None``: not reached)."""
        return (
            _first_at_or_below_half(self.times, self.lower),
            _first_at_or_below_half(self.times, self.upper),
        )


def _first_at_or_below_half(
    times: NDArray[np.float64], values: NDArray[np.float64]
) -> float | None:
    below = np.nonzero(values <= 0.5)[0]
    return float(times[below[0]]) if below.size else None


def _counts_on(grid: NDArray[np.float64], values: NDArray[np.float64]) -> NDArray[np.int64]:
    """How many of ``values`` equal each grid time (every value is on the grid)."""
    counts = np.zeros(grid.size, dtype=np.int64)
    if values.size:
        found, number = np.unique(values, return_counts=True)
        counts[np.searchsorted(grid, found)] = number
    return counts


def _check(
    durations: Durations, observed: Observed
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    time = np.asarray(durations, dtype=float)
    event = np.asarray(observed, dtype=bool)
    if time.shape != event.shape or time.ndim != 1:
        raise ValueError(
            f"durations ({time.shape}) and observed ({event.shape}) must be 1-D and equally long"
        )
    if time.size == 0:
        raise ValueError("no durations: a survival curve needs at least one subject")
    if not np.all(np.isfinite(time)) or np.any(time < 0):
        raise ValueError("durations must be finite and >= 0")
    return time, event


def kaplan_meier(durations: Durations, observed: Observed, z: float = Z95) -> SurvivalCurve:
    """The Kaplan-Meier curve of ``durations`` (``observed`` False: censored there).

    The curve starts at time 0 with S = 1 and has a step at every distinct
    duration (events and censorings), as tabulated by survival packages.
    """
    time, event = _check(durations, observed)
    unique = np.unique(time)
    grid = unique if unique[0] == 0 else np.concatenate(([0.0], unique))
    order = np.sort(time)
    at_risk = time.size - np.searchsorted(order, grid, side="left")
    deaths = _counts_on(grid, time[event])
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk > 0, 1.0 - deaths / np.maximum(at_risk, 1), 1.0)
        survival = np.cumprod(factor).astype(np.float64)
        # Greenwood's sum; a step that empties the risk set (d = n) ends the curve at 0.
        terms = np.where(
            (at_risk > deaths) & (deaths > 0), deaths / (at_risk * (at_risk - deaths)), 0.0
        )
        greenwood = np.cumsum(terms)
        log_s = np.log(survival)
        spread = z * np.sqrt(greenwood) / np.abs(log_s)
        lower = np.where(survival >= 1.0, 1.0, survival ** np.exp(spread))
        upper = np.where(survival >= 1.0, 1.0, survival ** np.exp(-spread))
    lower = np.where(survival <= 0.0, 0.0, lower)
    upper = np.where(survival <= 0.0, 0.0, upper)
    return SurvivalCurve(
        times=grid.astype(float),
        survival=survival,
        lower=lower,
        upper=upper,
        at_risk=at_risk.astype(np.int64),
        events=deaths,
        n=int(time.size),
        n_events=int(np.count_nonzero(event)),
    )


@dataclass(frozen=True)
class LogRank:
    """The log-rank test of equal survival across groups."""

    statistic: float
    degrees_of_freedom: int
    p_value: float
    observed: tuple[int, ...]
    expected: tuple[float, ...]


def log_rank(groups: Sequence[tuple[Sequence[float], Sequence[bool]]]) -> LogRank:
    """Log-rank test of two or more groups of ``(durations, observed)``."""
    if len(groups) < 2:
        raise ValueError(f"the log-rank test compares at least 2 groups, got {len(groups)}")
    checked = [_check(durations, observed) for durations, observed in groups]
    k = len(checked)
    all_times = np.concatenate([t[e] for t, e in checked])
    event_times = np.unique(all_times)
    if event_times.size == 0:
        raise ValueError("no events in any group: the log-rank test has nothing to compare")
    # n[g, j]: at risk in group g at event time j; d[g, j]: events there.
    n = np.array(
        [t.size - np.searchsorted(np.sort(t), event_times, side="left") for t, _ in checked],
        dtype=float,
    )
    d = np.array([_counts_on(event_times, t[e]) for t, e in checked], dtype=float)
    n_all, d_all = n.sum(axis=0), d.sum(axis=0)
    expected = (d_all * n / n_all).sum(axis=1)
    observed = d.sum(axis=1)
    scale = np.where(n_all > 1, d_all * (n_all - d_all) / np.maximum(n_all - 1, 1), 0.0)
    share = n / n_all
    covariance = np.zeros((k, k))
    for g in range(k):
        for h in range(k):
            covariance[g, h] = np.sum(scale * share[g] * ((1.0 if g == h else 0.0) - share[h]))
    difference = (observed - expected)[:-1]
    statistic = float(difference @ np.linalg.solve(covariance[:-1, :-1], difference))
    dof = k - 1
    return LogRank(
        statistic=statistic,
        degrees_of_freedom=dof,
        p_value=float(scipy_stats.chi2.sf(statistic, dof)),
        observed=tuple(int(o) for o in observed),
        expected=tuple(float(e) for e in expected),
    )
