"""A binomial proportion with its Wilson score 95 % interval, for the outcome pages.

Wilson 1927 (J Am Stat Assoc 22:209-212, "Probable inference, the law of
succession, and statistical inference"): the interval inverts the score test,
so it stays inside [0, 1], is never empty at 0 or n events and keeps close to
its nominal coverage for small n, where the Wald interval p +- z*sqrt(pq/n)
collapses to a point. Newcombe 1998 (Stat Med 17:857-872, "Two-sided confidence
intervals for the single proportion: comparison of seven methods", method 3)
recommends it and tabulates worked examples (81/263 -> 0.2553-0.3662), which the
tests check together with scipy's implementation.

``rhizo.planning.montecarlo`` has its own Wilson bound for capture
probabilities; the clinic keeps this one so that the registry does not depend
on the Monte Carlo planner, and because it also carries the counts and the
small-denominator label the pages show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Two-sided 95 % standard normal quantile, Phi^-1(0.975).
Z95 = 1.959963984540054

#: Below this many assessable cases a rate is shown but labelled "too few to judge":
#: with n < 10 the 95 % interval is wider than 0.5 around p = 0.5 (Wilson 1927),
#: which says nothing useful about a clinician.
MIN_DENOMINATOR = 10


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


@dataclass(frozen=True)
class Proportion:
    """``events`` of ``total`` with its 95 % Wilson interval (``None`` when total is 0)."""

    events: int
    total: int

    @property
    def estimate(self) -> float | None:
        """events / total, or ``None`` with no denominator."""
        return self.events / self.total if self.total else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """The Wilson 95 % interval, or ``None`` with no denominator."""
        return wilson_interval(self.events, self.total) if self.total else None

    @property
    def too_few(self) -> bool:
        """Fewer than :data:`MIN_DENOMINATOR` cases: shown, but not to be judged on."""
        return self.total < MIN_DENOMINATOR

    def percent_text(self) -> str:
        """``"41.2 % (95 % CI 30.1-53.2 %), 28/68"``, or ``"no cases"``."""
        if not self.total:
            return "no cases"
        estimate, (low, high) = self.events / self.total, wilson_interval(self.events, self.total)
        return (
            f"{100 * estimate:.1f} % (95 % CI {100 * low:.1f}-{100 * high:.1f} %), "
            f"{self.events}/{self.total}"
        )
