"""Binomial proportion confidence interval shared by the planner and the clinic.

Wilson 1927 (J Am Stat Assoc 22:209-212, "Probable inference, the law of
succession, and statistical inference"): the interval inverts the score test,
so it stays inside [0, 1], is never empty at 0 or n events and keeps close to
its nominal coverage for small n, where the Wald interval p +- z*sqrt(pq/n)
collapses to a point. Newcombe 1998 (Stat Med 17:857-872, "Two-sided confidence
intervals for the single proportion: comparison of seven methods", method 3)
recommends it and tabulates worked examples (81/263 -> 0.2553-0.3662).

Used for Monte Carlo capture probabilities (``rhizo.planning.montecarlo``) and
registry outcome rates (``rhizo.clinic.outcomes.proportion``); it sits below
both layers so neither depends on the other for it.
"""

from __future__ import annotations

import math

#: Two-sided 95 % standard normal quantile, Phi^-1(0.975).
Z95 = 1.959963984540054


def wilson_interval(events: int, total: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for ``events`` of ``total`` (``ValueError`` for impossible counts).

    centre = (p + z^2/2n) / (1 + z^2/n), half = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n).
    """
    if total <= 0:
        raise ValueError(f"total must be at least 1, got {total}")
    if not 0 <= events <= total:
        raise ValueError(f"events must be between 0 and total ({total}), got {events}")
    p = events / total
    denominator = 1.0 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / total + z * z / (4 * total * total)) / denominator
    # At 0 or n events the bound is exactly 0 or 1; clamp the rounding residue.
    return (max(0.0, centre - half), min(1.0, centre + half))
