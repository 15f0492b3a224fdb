"""A binomial proportion with its Wilson score 95 % interval, for the outcome pages.

The interval is :func:`rhizo.stats.wilson_interval` (Wilson 1927; Newcombe 1998
method 3); this module adds the counts and the small-denominator label the
pages show.
"""

from __future__ import annotations

from dataclasses import dataclass

from rhizo.stats import wilson_interval

__all__ = ["MIN_DENOMINATOR", "Proportion", "wilson_interval"]

#: Below this many assessable cases a rate is shown but labelled "too few to judge":
#: with n < 10 the 95 % interval is wider than 0.5 around p = 0.5 (Wilson 1927),
#: which says nothing useful about a clinician.
MIN_DENOMINATOR = 10


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
